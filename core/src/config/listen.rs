//! `[listen.*]`: the listeners and their addresses.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    pub user: UserListener,
    pub admin: AdminListener,
    pub metrics: MetricsListener,
    pub c2s: C2sListener,
}

/// `[listen.c2s]`: XMPP clients (RFC 6120 client-to-server streams, STARTTLS required).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct C2sListener {
    pub enabled: bool,
    pub address: String,
    /// XEP-0368 direct TLS: a second address where TLS starts with the first byte (no
    /// STARTTLS); empty: off.
    pub direct_tls_address: String,
    /// Connections one IP address may have open on the c2s listeners at once (more are
    /// refused with `<policy-violation/>`); 0: no limit.
    pub max_connections_per_ip: usize,
    /// XEP-0092 software version: whether the operating system (`linux`, ...) is answered
    /// besides the name and version.
    pub version_os: bool,
    /// PEM certificate chain; with `tls_key`. Both empty: a self-signed certificate for the
    /// configured hosts is made at first start and kept in `certificate_dir`.
    pub tls_cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: String,
    /// Where the generated certificate is kept; empty: beside the SQLite database file, or in
    /// the working directory for other databases.
    pub certificate_dir: String,
    /// The largest top-level element (stanza) a client may send, in bytes; larger ones end the
    /// stream with `<policy-violation/>`.
    pub max_stanza_bytes: usize,
    /// Seconds a client has from connecting to a bound resource (TLS, SASL, bind).
    pub negotiation_timeout_secs: u64,
    /// Seconds of silence from a client before the server pings it (XEP-0199).
    pub idle_timeout_secs: u64,
    /// Seconds a pinged client has to send anything before its stream is closed
    /// (`<connection-timeout/>`).
    pub ping_timeout_secs: u64,
}

impl Default for C2sListener {
    fn default() -> Self {
        C2sListener {
            enabled: true,
            address: "127.0.0.1:5222".into(),
            direct_tls_address: String::new(),
            max_connections_per_ip: 100,
            version_os: false,
            tls_cert: String::new(),
            tls_key: String::new(),
            certificate_dir: String::new(),
            max_stanza_bytes: 65536,
            negotiation_timeout_secs: 30,
            idle_timeout_secs: 300,
            ping_timeout_secs: 60,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserListener {
    pub address: String,
    /// HTTP worker threads; 0 means one per CPU.
    pub workers: usize,
    /// Connections each worker thread keeps open at once (SSE streams and WebSockets
    /// included); more wait in the listen queue.
    pub max_connections_per_worker: usize,
    /// Seconds an SSE subscription may go without an event before it is closed (0: never).
    pub sse_idle_timeout_secs: u64,
    /// Seconds a WebSocket connection may take to complete `connection_init`; a connection
    /// without credentials is closed then too.
    pub ws_init_timeout_secs: u64,
    /// Seconds a WebSocket connection may stay open with no operation running (0: no limit).
    pub ws_idle_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminListener {
    pub address: String,
    pub username: String,
    /// Empty: `mimql serve` uses the password kept in `password_file`, generated at first start.
    pub password: String,
    /// Where the generated password is kept; empty: `admin-password` beside the SQLite
    /// database file, or in the working directory for other databases.
    pub password_file: String,
    /// Host names (without port) requests may name in `Host` besides loopback addresses and
    /// `localhost`; others get 421 `host_not_allowed` (no DNS rebinding from a browser).
    pub allowed_hosts: Vec<String>,
}

impl AdminListener {
    /// Whether a request with this `Host` header value (port optional) may reach the admin API:
    /// a loopback address, `localhost`, or one of `allowed_hosts`.
    pub fn allows_host(&self, host: &str) -> bool {
        let name = host_name(host);
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() {
            return false;
        }
        is_loopback(name)
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.trim_end_matches('.').eq_ignore_ascii_case(name))
    }
}

/// The host of a `Host` value: without its port, IPv6 brackets removed.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or("", |(ip, _)| ip);
    }
    match host.rsplit_once(':') {
        // One colon: name:port. More: an unbracketed IPv6 address.
        Some((name, _)) if !name.contains(':') => name,
        _ => host,
    }
}

/// `GET /metrics` (Prometheus text format) on a listener of its own, so that it can stay on a
/// private interface while the APIs are public.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsListener {
    pub enabled: bool,
    pub address: String,
}

impl Default for UserListener {
    fn default() -> Self {
        UserListener {
            address: "127.0.0.1:5561".into(),
            workers: 0,
            max_connections_per_worker: 100_000,
            sse_idle_timeout_secs: 3600,
            ws_init_timeout_secs: 10,
            ws_idle_timeout_secs: 300,
        }
    }
}

impl Default for AdminListener {
    fn default() -> Self {
        AdminListener {
            address: "127.0.0.1:5551".into(),
            username: "admin".into(),
            password: String::new(),
            password_file: String::new(),
            allowed_hosts: Vec::new(),
        }
    }
}

impl Default for MetricsListener {
    fn default() -> Self {
        MetricsListener {
            enabled: true,
            address: "127.0.0.1:9091".into(),
        }
    }
}

/// `host:port` with a numeric port (the host is resolved when the listener binds).
pub(super) fn check_address(address: &str) -> Result<(), String> {
    let (host, port) = address.rsplit_once(':').ok_or("expected host:port")?;
    if host.is_empty() {
        return Err("expected host:port".into());
    }
    port.parse::<u16>()
        .map(drop)
        .map_err(|_| format!("invalid port {port:?}"))
}

/// Whether `host:port` (or a bare host) names a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`).
pub(super) fn is_loopback(address: &str) -> bool {
    if address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
        || address.eq_ignore_ascii_case("localhost")
    {
        return true;
    }
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_hosts() {
        let mut admin = AdminListener::default();
        for ok in [
            "127.0.0.1:5551",
            "127.0.0.1",
            "127.3.4.5:80",
            "[::1]:5551",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost:5551",
            "localhost.:5551",
        ] {
            assert!(admin.allows_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:5551",
            "",
            ":5551",
            "10.0.0.1:5551",
            "[::2]:5551",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "admin.example.com",
        ] {
            assert!(!admin.allows_host(bad), "{bad}");
        }
        admin.allowed_hosts = vec!["admin.example.com".into()];
        assert!(admin.allows_host("Admin.Example.com:5551"));
        assert!(!admin.allows_host("example.com"));
    }
}

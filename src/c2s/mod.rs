//! XMPP clients (c2s, RFC 6120/6121): the listener on `[listen.c2s] address`, STARTTLS
//! required, SASL PLAIN, resource binding, and sessions that are sessions of the registry like
//! SSE and WebSocket subscriptions, routed through the same router. The stream layer lives here
//! alone (tokio-xmpp's XML stream, a byte-counting guard in front of its parser); every rule of
//! accounts, credentials, routing and archiving is the domain's (`mimql-core`).

mod blocking;
mod carbons;
mod data;
pub mod guard;
mod idle_buf;
mod mam;
pub mod per_ip;
mod presence;
mod private;
mod roster;
pub mod sasl;
mod session;
pub mod tls;
mod vcard;

pub use session::Entry;

/// The stanzas' namespace.
const CLIENT_NS: &str = "jabber:client";

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// The addresses the c2s listeners listen on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Addresses {
    /// `address` (STARTTLS).
    pub starttls: Option<SocketAddr>,
    /// `direct_tls_address` (XEP-0368), when set.
    pub direct_tls: Option<SocketAddr>,
}

fn bind(address: &str, key: &str) -> Result<tokio::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(address)
        .map_err(|e| format!("cannot listen on {address} ([listen.c2s] {key}): {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("[listen.c2s] {key}: {e}"))?;
    tokio::net::TcpListener::from_std(listener).map_err(|e| format!("[listen.c2s] {key}: {e}"))
}

/// Starts the c2s listeners on `[listen.c2s] address` and, when set, `direct_tls_address`,
/// unless disabled; answers the addresses they listen on. Connections are served on the calling
/// runtime until [`AppState::shutdown`] is cancelled.
pub fn start(state: Arc<AppState>) -> Result<Addresses, String> {
    let config = &state.config.listen.c2s;
    if !config.enabled {
        return Ok(Addresses::default());
    }
    let tls = tls::acceptor(&state.config)?;
    let listener = bind(&config.address, "address")?;
    let direct = match config.direct_tls_address.as_str() {
        "" => None,
        a => Some(bind(a, "direct_tls_address")?),
    };
    let local =
        |l: &tokio::net::TcpListener| l.local_addr().map_err(|e| format!("[listen.c2s]: {e}"));
    let addresses = Addresses {
        starttls: Some(local(&listener)?),
        direct_tls: direct.as_ref().map(local).transpose()?,
    };
    let shared = Arc::new(session::Shared {
        tls,
        max_stanza_bytes: config.max_stanza_bytes,
        negotiation: Duration::from_secs(config.negotiation_timeout_secs),
        timeouts: tokio_xmpp::xmlstream::Timeouts {
            read_timeout: Duration::from_secs(config.idle_timeout_secs),
            response_timeout: Duration::from_secs(config.ping_timeout_secs),
        },
        per_ip: per_ip::PerIp::new(config.max_connections_per_ip),
        started: std::time::Instant::now(),
        version_os: config.version_os,
        state: state.clone(),
    });
    if let Some(direct) = direct {
        tokio::spawn(accept(shared.clone(), direct, session::Entry::DirectTls));
        tracing::info!(addr = ?addresses.direct_tls, "XMPP clients (c2s, direct TLS) listening");
    }
    tokio::spawn(accept(shared, listener, session::Entry::StartTls));
    tracing::info!(addr = ?addresses.starttls, "XMPP clients (c2s) listening");
    Ok(addresses)
}

async fn accept(
    shared: Arc<session::Shared>,
    listener: tokio::net::TcpListener,
    entry: session::Entry,
) {
    let shutdown = shared.state.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(session::serve(shared.clone(), tcp, peer, entry));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%e, "c2s accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

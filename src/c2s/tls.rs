//! The c2s listener's TLS: the configured PEM certificate and key, or a self-signed certificate
//! for the configured hosts made at first start and kept (`c2s-cert.pem`, `c2s-key.pem`, the
//! key 0600) in `[listen.c2s] certificate_dir`, beside the SQLite database by default. rustls
//! with the ring provider, selected explicitly (the one the cluster's NATS connection uses).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;

pub const CERT_FILE: &str = "c2s-cert.pem";
pub const KEY_FILE: &str = "c2s-key.pem";

/// Where the generated certificate and key are kept.
pub fn generated_paths(config: &Config) -> (PathBuf, PathBuf) {
    let dir = match config.listen.c2s.certificate_dir.as_str() {
        "" => crate::admin_password::beside_database(&config.database.url),
        d => PathBuf::from(d),
    };
    (dir.join(CERT_FILE), dir.join(KEY_FILE))
}

/// The TLS acceptor for `[listen.c2s]`.
pub fn acceptor(config: &Config) -> Result<TlsAcceptor, String> {
    let c2s = &config.listen.c2s;
    let (cert, key) = if c2s.tls_cert.is_empty() {
        let (cert, key) = generated_paths(config);
        if !cert.exists() || !key.exists() {
            generate(&config.general.hosts, &cert, &key)?;
            tracing::warn!(
                certificate = %cert.display(),
                "[listen.c2s] has no tls_cert: made a self-signed certificate for the configured \
                 hosts; XMPP clients will not trust it unless told to (set tls_cert and tls_key)"
            );
        }
        (cert, key)
    } else {
        (PathBuf::from(&c2s.tls_cert), PathBuf::from(&c2s.tls_key))
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| format!("[listen.c2s] certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "[listen.c2s] certificate {}: no certificate in the file",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&key)
        .map_err(|e| format!("[listen.c2s] key {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let tls = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("[listen.c2s] certificate and key: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(tls)))
}

fn generate(hosts: &[String], cert: &Path, key: &Path) -> Result<(), String> {
    let made = rcgen::generate_simple_self_signed(hosts.to_vec())
        .map_err(|e| format!("cannot make a certificate for {hosts:?}: {e}"))?;
    if let Some(dir) = cert.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    write(key, made.signing_key.serialize_pem().as_bytes(), 0o600)?;
    write(cert, made.cert.pem().as_bytes(), 0o644)
}

fn write(path: &Path, contents: &[u8], mode: u32) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

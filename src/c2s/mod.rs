//! XMPP clients (c2s, RFC 6120/6121): the listener on `[listen.c2s] address`, STARTTLS
//! required, SASL PLAIN, resource binding, and sessions that are sessions of the registry like
//! SSE and WebSocket subscriptions, routed through the same router. The stream layer lives here
//! alone (tokio-xmpp's XML stream, a byte-counting guard in front of its parser); every rule of
//! accounts, credentials, routing and archiving is the domain's (`mimql-core`).

pub mod guard;
mod mam;
pub mod sasl;
mod session;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// Starts the c2s listener on `listener` or on `[listen.c2s] address`, unless disabled; answers
/// the address it listens on. Connections are served on the calling runtime until
/// [`AppState::shutdown`] is cancelled.
pub fn start(
    state: Arc<AppState>,
    listener: Option<std::net::TcpListener>,
) -> Result<Option<SocketAddr>, String> {
    let config = &state.config.listen.c2s;
    if !config.enabled {
        return Ok(None);
    }
    let tls = tls::acceptor(&state.config)?;
    let listener = match listener {
        Some(l) => l,
        None => std::net::TcpListener::bind(&config.address)
            .map_err(|e| format!("cannot listen on {} ([listen.c2s]): {e}", config.address))?,
    };
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("[listen.c2s]: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("[listen.c2s]: {e}"))?;
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(|e| format!("[listen.c2s]: {e}"))?;
    let shared = Arc::new(session::Shared {
        tls,
        max_stanza_bytes: config.max_stanza_bytes,
        negotiation: Duration::from_secs(config.negotiation_timeout_secs),
        timeouts: tokio_xmpp::xmlstream::Timeouts {
            read_timeout: Duration::from_secs(config.idle_timeout_secs),
            response_timeout: Duration::from_secs(config.ping_timeout_secs),
        },
        state: state.clone(),
    });
    tokio::spawn(accept(shared, listener));
    tracing::info!(%addr, "XMPP clients (c2s) listening");
    Ok(Some(addr))
}

async fn accept(shared: Arc<session::Shared>, listener: tokio::net::TcpListener) {
    let shutdown = shared.state.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(session::serve(shared.clone(), tcp, peer));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%e, "c2s accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

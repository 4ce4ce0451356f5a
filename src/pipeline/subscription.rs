//! What a transport hands a subscription resolver through the request's data: how the
//! subscription arrived, and a signal to fire once its session is registered.

/// How a subscription arrived (set by the transport), so its session is labelled truthfully.
#[derive(Clone, Copy, Debug)]
pub struct SubscriptionTransport(pub crate::sessions::Transport);

/// Fired by the subscription resolver once its session is registered: the SSE transport
/// answers 200 only then, so a client that sees the stream open is already reachable.
#[derive(Default)]
pub struct SessionReady(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

impl SessionReady {
    pub fn new() -> (SessionReady, tokio::sync::oneshot::Receiver<()>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (SessionReady(std::sync::Mutex::new(Some(tx))), rx)
    }

    pub fn fire(&self) {
        if let Some(tx) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            tx.send(()).ok();
        }
    }
}

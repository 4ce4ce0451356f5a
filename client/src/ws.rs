//! A small blocking client for GraphQL over WebSocket on `/api/graphql`: graphql-transport-ws
//! (and the legacy graphql-ws), on plain HTTP, for tests and tools. Copy it freely.
//!
//! ```no_run
//! use std::time::Duration;
//! use mimql_client::{Client, ws::{WsConnection, WsProtocol, WsEvent}, user::stanza};
//!
//! let client = Client::new("http://127.0.0.1:5561").with_basic_auth("alice@localhost", "secret");
//! let mut ws = WsConnection::connect(&client, WsProtocol::GraphqlTransportWs, None).unwrap();
//! ws.subscribe("1", &stanza::subscribe_for_messages()).unwrap();
//! if let Some(WsEvent::Next { payload, .. }) = ws.next(Duration::from_secs(30)).unwrap() {
//!     println!("{payload}");
//! }
//! ```

use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use crate::{Client, TransportError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsProtocol {
    /// `graphql-transport-ws` (the graphql-ws library's protocol).
    GraphqlTransportWs,
    /// `graphql-ws` (the legacy subscriptions-transport-ws protocol).
    GraphqlWs,
}

impl WsProtocol {
    fn name(self) -> &'static str {
        match self {
            WsProtocol::GraphqlTransportWs => "graphql-transport-ws",
            WsProtocol::GraphqlWs => "graphql-ws",
        }
    }
}

/// A server message about one operation.
#[derive(Clone, Debug, PartialEq)]
pub enum WsEvent {
    /// `next` (`data` in graphql-ws): one response.
    Next { id: String, payload: Json },
    /// `error`: the operation was refused before it ran.
    Error { id: String, payload: Json },
    /// `complete`: the operation is over.
    Complete { id: String },
    /// The server closed the connection (close code and reason).
    Closed { code: u16, reason: String },
}

pub struct WsConnection {
    socket: WebSocket<TcpStream>,
    protocol: WsProtocol,
}

fn err(e: impl std::fmt::Display) -> TransportError {
    TransportError(e.to_string())
}

impl WsConnection {
    /// Opens the connection (the client's `Authorization` header goes with the upgrade), sends
    /// `connection_init` with `payload` and waits for the acknowledgement.
    pub fn connect(
        client: &Client,
        protocol: WsProtocol,
        payload: Option<Json>,
    ) -> Result<WsConnection, TransportError> {
        let mut conn = Self::upgrade(client, protocol)?;
        let init = match payload {
            Some(p) => json!({"type": "connection_init", "payload": p}),
            None => json!({"type": "connection_init"}),
        };
        conn.send(&init)?;
        match conn.next_raw(Duration::from_secs(30))? {
            Some(Ok(m)) if m["type"] == "connection_ack" => Ok(conn),
            Some(Ok(m)) => Err(err(format!("connection refused: {m}"))),
            Some(Err((code, reason))) => Err(err(format!("connection closed: {code} {reason}"))),
            None => Err(err("no connection_ack")),
        }
    }

    /// Opens the connection without `connection_init` (to probe the handshake itself).
    pub fn upgrade(client: &Client, protocol: WsProtocol) -> Result<WsConnection, TransportError> {
        let url = client.url().replacen("http://", "ws://", 1);
        let mut req = url.as_str().into_client_request().map_err(err)?;
        let headers = req.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            protocol.name().parse().map_err(err)?,
        );
        if let Some(a) = client.authorization() {
            headers.insert("Authorization", a.parse().map_err(err)?);
        }
        let host = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .ok_or_else(|| err("only http:// URLs are supported"))?;
        let stream = TcpStream::connect(host).map_err(err)?;
        let (socket, _) = tungstenite::client(req, stream).map_err(err)?;
        Ok(WsConnection { socket, protocol })
    }

    fn send(&mut self, message: &Json) -> Result<(), TransportError> {
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(err)
    }

    /// Starts an operation (any type) under `id`.
    pub fn subscribe<T, V: serde::Serialize>(
        &mut self,
        id: &str,
        op: &cynic::StreamingOperation<T, V>,
    ) -> Result<(), TransportError> {
        let payload = serde_json::to_value(op).map_err(err)?;
        self.start(id, payload)
    }

    /// Starts an operation from a raw `{query, variables, operationName}` payload.
    pub fn start(&mut self, id: &str, payload: Json) -> Result<(), TransportError> {
        let ty = match self.protocol {
            WsProtocol::GraphqlTransportWs => "subscribe",
            WsProtocol::GraphqlWs => "start",
        };
        self.send(&json!({"type": ty, "id": id, "payload": payload}))
    }

    /// Stops an operation.
    pub fn stop(&mut self, id: &str) -> Result<(), TransportError> {
        let ty = match self.protocol {
            WsProtocol::GraphqlTransportWs => "complete",
            WsProtocol::GraphqlWs => "stop",
        };
        self.send(&json!({"type": ty, "id": id}))
    }

    /// The next protocol message (`Err` with the close frame when the server closed).
    #[allow(clippy::type_complexity)]
    fn next_raw(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<Json, (u16, String)>>, TransportError> {
        self.socket
            .get_mut()
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(err)?;
        loop {
            match self.socket.read() {
                Ok(Message::Text(t)) => {
                    return Ok(Some(Ok(serde_json::from_str(t.as_str()).map_err(err)?)));
                }
                Ok(Message::Close(frame)) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Ok(Some(Err((code, reason))));
                }
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(Some(Err((1006, "connection closed".into()))));
                }
                Err(e) => return Err(err(e)),
            }
        }
    }

    /// The next event, waiting at most `timeout`; `None` when none came in time. Pings are
    /// answered and keep-alives skipped.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<WsEvent>, TransportError> {
        loop {
            let m = match self.next_raw(timeout)? {
                None => return Ok(None),
                Some(Err((code, reason))) => return Ok(Some(WsEvent::Closed { code, reason })),
                Some(Ok(m)) => m,
            };
            let id = m["id"].as_str().unwrap_or_default().to_string();
            let payload = m["payload"].clone();
            match m["type"].as_str().unwrap_or_default() {
                "next" | "data" => return Ok(Some(WsEvent::Next { id, payload })),
                "error" => return Ok(Some(WsEvent::Error { id, payload })),
                "complete" => return Ok(Some(WsEvent::Complete { id })),
                "ping" => self.send(&json!({"type": "pong"}))?,
                _ => {}
            }
        }
    }

    /// Sends the protocol's `ping` and waits at most `timeout` for its `pong`; other messages
    /// meanwhile are dropped.
    pub fn ping(&mut self, timeout: Duration) -> Result<bool, TransportError> {
        self.send(&json!({"type": "ping"}))?;
        loop {
            match self.next_raw(timeout)? {
                Some(Ok(m)) if m["type"] == "pong" => return Ok(true),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Ok(false),
            }
        }
    }

    pub fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

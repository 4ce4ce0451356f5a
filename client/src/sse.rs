//! A small blocking client for subscriptions over Server-Sent Events
//! (`GET /api/graphql/sse`), for tests and tools on plain HTTP. Copy it freely.
//!
//! ```no_run
//! use std::time::Duration;
//! use mimql_client::{Client, sse::{Opened, SseSubscription}, user::stanza};
//!
//! let client = Client::new("http://127.0.0.1:5561").with_basic_auth("alice@localhost", "secret");
//! let Opened::Stream(mut sub) = SseSubscription::open(&client, &stanza::subscribe_for_messages()).unwrap()
//! else { panic!("refused") };
//! while let Some(event) = sub.next::<stanza::SubscribeForMessages>(Duration::from_secs(30)).unwrap() {
//!     println!("{:?}", event.data.and_then(|d| d.message().cloned()));
//! }
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::{Client, Response, TransportError};

/// One SSE event: its `id:` and `data:` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub data: String,
}

/// The answer to an SSE request.
pub enum Opened {
    /// 200: the stream is open.
    Stream(SseSubscription),
    /// Refused before the stream started: the status, headers and JSON body.
    Refused {
        status: u16,
        headers: Vec<(String, String)>,
        body: Json,
    },
}

pub struct SseSubscription {
    conn: TcpStream,
    headers: Vec<(String, String)>,
    chunked: bool,
    /// Bytes read from the socket, not yet decoded.
    raw: Vec<u8>,
    /// Decoded body bytes, not yet parsed into events.
    body: Vec<u8>,
    ended: bool,
}

fn err(e: impl std::fmt::Display) -> TransportError {
    TransportError(e.to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl SseSubscription {
    /// Opens a typed subscription with the client's credentials.
    pub fn open<T, V: serde::Serialize>(
        client: &Client,
        op: &cynic::StreamingOperation<T, V>,
    ) -> Result<Opened, TransportError> {
        let body = serde_json::to_value(op).map_err(err)?;
        let variables = body["variables"].to_string();
        let mut params = vec![
            ("query", body["query"].as_str().unwrap_or_default()),
            ("variables", variables.as_str()),
        ];
        if let Some(name) = body["operationName"].as_str() {
            params.push(("operationName", name));
        }
        let qs = serde_urlencoded_pairs(&params);
        Self::open_raw(client, &qs)
    }

    /// Opens `GET <endpoint>/sse?<query_string>` with the client's credentials.
    pub fn open_raw(client: &Client, query_string: &str) -> Result<Opened, TransportError> {
        let url = format!("{}/sse", client.url());
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| err("only http:// URLs are supported"))?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut conn = TcpStream::connect(host).map_err(err)?;
        conn.set_nodelay(true).ok();
        let auth = client
            .authorization()
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET {path}?{query_string} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n{auth}\r\n"
        );
        conn.write_all(request.as_bytes()).map_err(err)?;
        let mut sub = SseSubscription {
            conn,
            headers: Vec::new(),
            chunked: false,
            raw: Vec::new(),
            body: Vec::new(),
            ended: false,
        };
        let status = sub.read_head(Duration::from_secs(30))?;
        // A refusal whose code has status 200 (an admin subscription for a user that does
        // not exist) is a JSON reply too: only `text/event-stream` is a stream.
        let stream = sub.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type") && value.starts_with("text/event-stream")
        });
        if status == 200 && stream {
            return Ok(Opened::Stream(sub));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !sub.ended && Instant::now() < deadline {
            if !sub.fill(Duration::from_millis(200))? {
                continue;
            }
        }
        let body = serde_json::from_slice(&sub.body).unwrap_or(Json::Null);
        Ok(Opened::Refused {
            status,
            headers: sub.headers,
            body,
        })
    }

    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of a response header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn read_head(&mut self, timeout: Duration) -> Result<u16, TransportError> {
        let deadline = Instant::now() + timeout;
        let end = loop {
            if let Some(i) = find(&self.raw, b"\r\n\r\n") {
                break i;
            }
            if Instant::now() > deadline {
                return Err(err("no response head"));
            }
            self.read_socket(Duration::from_millis(200))?;
            if self.ended {
                return Err(err("connection closed before the response head"));
            }
        };
        let head = String::from_utf8_lossy(&self.raw[..end]).into_owned();
        self.raw.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err("bad status line"))?;
        self.headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        self.chunked = self
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        if !self.chunked {
            // A fixed-length (error) body: everything until the connection ends or the length.
            if let Some(len) = self
                .header("content-length")
                .and_then(|v| v.parse::<usize>().ok())
            {
                while self.raw.len() < len && !self.ended {
                    self.read_socket(Duration::from_secs(5))?;
                }
                self.body = self.raw.drain(..len.min(self.raw.len())).collect();
                self.ended = true;
            }
        }
        Ok(status)
    }

    /// Reads what the socket has within `timeout`; `ended` once it is closed.
    fn read_socket(&mut self, timeout: Duration) -> Result<(), TransportError> {
        self.conn
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(err)?;
        let mut buf = [0u8; 16 * 1024];
        match self.conn.read(&mut buf) {
            Ok(0) => self.ended = true,
            Ok(n) => self.raw.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => self.ended = true,
        }
        Ok(())
    }

    /// Decodes what has arrived into `body`; reads more within `timeout` when nothing has.
    /// Answers whether new body bytes are available.
    fn fill(&mut self, timeout: Duration) -> Result<bool, TransportError> {
        let before = self.body.len();
        self.decode();
        if self.body.len() == before && !self.ended {
            self.read_socket(timeout)?;
            self.decode();
        }
        Ok(self.body.len() > before)
    }

    fn decode(&mut self) {
        if !self.chunked {
            self.body.append(&mut self.raw);
            return;
        }
        loop {
            let Some(line_end) = find(&self.raw, b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]);
            let Ok(size) =
                usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            else {
                self.ended = true;
                return;
            };
            if size == 0 {
                self.ended = true;
                return;
            }
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                return;
            }
            self.body.extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
        }
    }

    /// The next event, waiting at most `timeout`; `None` when none came in time.
    /// An error once the stream has ended.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<SseEvent>, TransportError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = find(&self.body, b"\n\n") {
                let text = String::from_utf8_lossy(&self.body[..end]).into_owned();
                self.body.drain(..end + 2);
                let mut event = SseEvent {
                    id: None,
                    data: String::new(),
                };
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim_start().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                return Ok(Some(event));
            }
            if self.ended && self.raw.is_empty() {
                return Err(err("the event stream has ended"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.fill(deadline - now)?;
        }
    }

    /// The next event decoded as a GraphQL response; `None` when none came in time.
    pub fn next<T: DeserializeOwned>(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Response<T>>, TransportError> {
        match self.next_event(timeout)? {
            None => Ok(None),
            Some(e) => {
                let json: Json = serde_json::from_str(&e.data).map_err(err)?;
                crate::decode(200, json).map(Some)
            }
        }
    }

    /// Whether the server has closed the stream (waits at most `timeout` to find out).
    pub fn closed_by_server(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.ended && Instant::now() < deadline {
            let _ = self.read_socket(Duration::from_millis(100));
        }
        self.ended
    }

    /// Closes the connection (the server then closes the session).
    pub fn close(self) {
        let _ = self.conn.shutdown(std::net::Shutdown::Both);
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

//! The reader in front of the XML parser: counts the bytes of each top-level element (stanza)
//! and its nesting depth with a small lexer, so that a client cannot make the parser buffer
//! more than `max_stanza_bytes` or nest deeper than [`MAX_DEPTH`], and refuses markup XMPP
//! streams must not carry: DTDs, comments, CDATA sections and processing instructions other
//! than the XML declaration before the stream header (RFC 6120 §11.1). tokio-xmpp's parser
//! (rxml) expands no entities beyond the five predefined ones; this guard keeps the rest out
//! before it sees them.
//!
//! A violation fails the read with an I/O error and is recorded in the shared [`Violation`]
//! slot, which the session reads to answer with the right stream error.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Deepest nesting below the stream element (the stanza is at depth 1 of it).
pub const MAX_DEPTH: usize = mimql_core::xml::MAX_DEPTH;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A top-level element over `max_stanza_bytes`.
    TooLarge,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A DTD, comment, CDATA section or processing instruction.
    Restricted,
}

/// Where a guard records its violation, shared with the session.
pub type Slot = Arc<Mutex<Option<Violation>>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    /// After `<`.
    Open,
    /// In a start tag (after its first character); `slash`: the previous byte was `/`.
    Start {
        slash: bool,
    },
    /// In a start tag's attribute value.
    Quoted {
        quote: u8,
    },
    /// In an end tag.
    End,
    /// In `<?...?>`; `question`: the previous byte was `?`.
    Declaration {
        question: bool,
    },
}

/// The lexer: depth 0 is outside the stream element, 1 inside it (between stanzas).
#[derive(Debug)]
pub struct Lexer {
    state: State,
    depth: usize,
    /// Bytes of the current top-level element so far.
    bytes: usize,
    max_bytes: usize,
    /// The first bytes of the current start tag's name (to recognise a stream header).
    name: Vec<u8>,
    name_done: bool,
}

const STREAM_HEADER: &[u8] = b"stream:stream";

impl Lexer {
    pub fn new(max_bytes: usize) -> Lexer {
        Lexer {
            state: State::Text,
            depth: 0,
            bytes: 0,
            max_bytes,
            name: Vec::with_capacity(STREAM_HEADER.len() + 1),
            name_done: false,
        }
    }

    /// Feeds bytes read from the client.
    pub fn feed(&mut self, input: &[u8]) -> Result<(), Violation> {
        for &b in input {
            if self.depth >= 2 || self.state != State::Text {
                self.bytes += 1;
                if self.bytes > self.max_bytes {
                    return Err(Violation::TooLarge);
                }
            }
            self.state = match self.state {
                State::Text => match b {
                    b'<' => State::Open,
                    _ => State::Text,
                },
                State::Open => match b {
                    b'/' => State::End,
                    // The XML declaration, before a stream header (also after a restart).
                    b'?' if self.depth <= 1 => State::Declaration { question: false },
                    b'?' | b'!' => return Err(Violation::Restricted),
                    _ => {
                        self.name.clear();
                        self.name.push(b);
                        self.name_done = false;
                        State::Start { slash: false }
                    }
                },
                State::Start { slash } => {
                    if !self.name_done {
                        if b.is_ascii_whitespace() || b == b'/' || b == b'>' {
                            self.name_done = true;
                        } else if self.name.len() <= STREAM_HEADER.len() {
                            self.name.push(b);
                        }
                    }
                    match b {
                        b'"' | b'\'' => State::Quoted { quote: b },
                        b'>' if slash => {
                            self.element_ended();
                            State::Text
                        }
                        b'>' => {
                            self.element_started()?;
                            State::Text
                        }
                        b'/' => State::Start { slash: true },
                        _ => State::Start { slash: false },
                    }
                }
                State::Quoted { quote } => {
                    if b == quote {
                        State::Start { slash: false }
                    } else {
                        State::Quoted { quote }
                    }
                }
                State::End => match b {
                    b'>' => {
                        self.depth = self.depth.saturating_sub(1);
                        self.element_ended();
                        State::Text
                    }
                    _ => State::End,
                },
                State::Declaration { question } => match b {
                    b'>' if question => State::Text,
                    b'?' => State::Declaration { question: true },
                    _ => State::Declaration { question: false },
                },
            };
        }
        Ok(())
    }

    fn is_stream_header(&self) -> bool {
        self.name == STREAM_HEADER
    }

    fn element_started(&mut self) -> Result<(), Violation> {
        if self.is_stream_header() {
            // A stream header (at the start, or after a stream restart).
            self.depth = 1;
            self.bytes = 0;
            return Ok(());
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH + 1 {
            return Err(Violation::TooDeep);
        }
        Ok(())
    }

    /// An empty element or an end tag closed: at the stream's level, a stanza is complete.
    fn element_ended(&mut self) {
        if self.depth <= 1 {
            self.bytes = 0;
        }
    }
}

/// The guarded transport: reads pass through the lexer, writes go straight through.
pub struct Guard<S> {
    inner: S,
    lexer: Lexer,
    slot: Slot,
}

impl<S> Guard<S> {
    pub fn new(inner: S, max_bytes: usize, slot: Slot) -> Guard<S> {
        Guard {
            inner,
            lexer: Lexer::new(max_bytes),
            slot,
        }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(v) = *this.slot.lock().unwrap_or_else(|e| e.into_inner()) {
            return Poll::Ready(Err(io::Error::other(format!("{v:?}"))));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if let Err(v) = this.lexer.feed(&buf.filled()[before..]) {
                    *this.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
                    buf.set_filled(before);
                    return Poll::Ready(Err(io::Error::other(format!("{v:?}"))));
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

    #[test]
    fn stanzas_are_counted_one_by_one() {
        let mut l = Lexer::new(200);
        l.feed(HEADER.as_bytes()).unwrap();
        let stanza = "<message to='a@b'><body>hi / > there</body></message>";
        assert!(stanza.len() < 200);
        for _ in 0..100 {
            l.feed(stanza.as_bytes()).unwrap();
            l.feed(b" \n ").unwrap();
        }
        l.feed(b"<presence/>").unwrap();
        assert_eq!(
            l.feed(format!("<message><body>{}</body></message>", "x".repeat(200)).as_bytes()),
            Err(Violation::TooLarge)
        );
    }

    #[test]
    fn attribute_values_may_hold_markup_characters() {
        let mut l = Lexer::new(1000);
        l.feed(HEADER.as_bytes()).unwrap();
        l.feed(b"<iq id='a/>b' type=\"x>y\"><query/></iq>").unwrap();
        assert_eq!(l.depth, 1);
        assert_eq!(l.bytes, 0);
    }

    #[test]
    fn whitespace_keepalives_never_add_up() {
        let mut l = Lexer::new(200);
        l.feed(HEADER.as_bytes()).unwrap();
        for _ in 0..100 {
            l.feed(b"    ").unwrap();
        }
    }

    #[test]
    fn restricted_markup_is_refused() {
        for bad in ["<!DOCTYPE x>", "<!-- c -->", "<![CDATA[x]]>", "<a><?pi?>"] {
            let mut l = Lexer::new(1000);
            l.feed(HEADER.as_bytes()).unwrap();
            assert_eq!(l.feed(bad.as_bytes()), Err(Violation::Restricted), "{bad}");
        }
        let mut l = Lexer::new(1000);
        assert_eq!(l.feed(b"<!DOCTYPE x>"), Err(Violation::Restricted));
    }

    #[test]
    fn depth_is_bounded() {
        let mut l = Lexer::new(1 << 20);
        l.feed(HEADER.as_bytes()).unwrap();
        assert_eq!(
            l.feed("<a>".repeat(MAX_DEPTH + 1).as_bytes()),
            Err(Violation::TooDeep)
        );
        let mut l = Lexer::new(1 << 20);
        l.feed(HEADER.as_bytes()).unwrap();
        l.feed("<a>".repeat(MAX_DEPTH).as_bytes()).unwrap();
    }

    #[test]
    fn a_restarted_stream_starts_again_at_the_stream_level() {
        let mut l = Lexer::new(1000);
        l.feed(HEADER.as_bytes()).unwrap();
        l.feed(b"<auth mechanism='PLAIN'>AGEAYg==</auth>").unwrap();
        l.feed(HEADER.as_bytes()).unwrap();
        assert_eq!(l.depth, 1);
        l.feed(b"<iq type='set' id='b'><bind/></iq>").unwrap();
        assert_eq!(l.depth, 1);
    }
}

//! A buffered reader that gives its buffer back while the connection is idle. tokio-xmpp's
//! parser wants an `AsyncBufRead`; tokio's `BufReader` keeps its 8 KiB for the connection's
//! whole life, which is a quarter of an idle c2s session's memory. This one allocates the
//! buffer when there is something to read and frees it once everything read was consumed and
//! the socket has nothing more (one allocation per burst of traffic, none per idle client).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// The buffer's size while it is held (tokio's `BufReader` default).
const CAPACITY: usize = 8 * 1024;

pub struct IdleBufReader<R> {
    inner: R,
    /// Empty (no allocation) while idle.
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl<R> IdleBufReader<R> {
    pub fn new(inner: R) -> IdleBufReader<R> {
        IdleBufReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            filled: 0,
        }
    }

    /// What was read and not consumed yet.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn release(&mut self) {
        self.buf = Vec::new();
        self.pos = 0;
        self.filled = 0;
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for IdleBufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos >= this.filled {
            if this.buf.is_empty() {
                this.buf = vec![0; CAPACITY];
            }
            let mut read = ReadBuf::new(&mut this.buf);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    this.pos = 0;
                    this.filled = n;
                }
                Poll::Ready(Err(e)) => {
                    this.release();
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    this.release();
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.filled);
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for IdleBufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let available = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(available)) => available,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = available.len().min(out.remaining());
        out.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for IdleBufReader<R> {
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

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_everything_and_frees_the_buffer_when_idle() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = IdleBufReader::new(server);
        client.write_all(b"hello\nworld\n").await.unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "hello\n");
        assert_eq!(reader.buffer(), b"world\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "world\n");
        // Nothing more to read: the next fill is pending and gives the buffer back.
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut reader).poll_fill_buf(&mut cx).is_pending());
        assert_eq!(reader.buf.capacity(), 0);
        client.write_all(b"more").await.unwrap();
        drop(client);
        let mut rest = String::new();
        reader.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "more");
    }
}

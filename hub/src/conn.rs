//! Closing connections that never start a request.
//!
//! hyper's own `header_read_timeout` runs only once it knows the connection speaks HTTP/1;
//! before that, its version sniffing waits for the first bytes without any deadline, so a
//! socket that connects and sends nothing (or sends `PRI * HT` and stops) would stay open for
//! ever and hold a file descriptor. [`FirstBytes`] wraps every accepted stream (after TLS, when
//! TLS is on; the TLS handshake has its own deadline) and fails a read that waits longer than
//! its deadline until the first [`SNIFF_BYTES`] have arrived. From then on hyper's timers
//! govern (request heads, HTTP/2 pings).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Bytes hyper reads to tell HTTP/1 from HTTP/2 (the length of the HTTP/2 preface).
pub const SNIFF_BYTES: usize = 24;

/// A stream whose reads fail once they have waited `timeout` for the first bytes.
pub struct FirstBytes<S> {
    inner: S,
    seen: usize,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl<S> FirstBytes<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        FirstBytes {
            inner,
            seen: 0,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FirstBytes<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                let got = buf.filled().len() - before;
                if got > 0 && this.seen < SNIFF_BYTES {
                    this.seen += got;
                    // Progress: the next byte gets a fresh deadline.
                    let next = Instant::now() + this.timeout;
                    this.sleep.as_mut().reset(next);
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.seen < SNIFF_BYTES && this.sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request within the deadline",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FirstBytes<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// An acceptor that hands out `A`'s streams wrapped in [`FirstBytes`].
#[derive(Clone)]
pub struct Guarded<A> {
    pub inner: A,
    pub timeout: Duration,
}

impl<A, I, S> Accept<I, S> for Guarded<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = FirstBytes<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let inner = self.inner.accept(stream, service);
        let timeout = self.timeout;
        Box::pin(async move {
            let (s, svc) = inner.await?;
            Ok((FirstBytes::new(s, timeout), svc))
        })
    }
}

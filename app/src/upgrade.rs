//! The raw connection handed to an app after `101 Switching Protocols`.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures::io::{AsyncRead, AsyncWrite};

/// A byte stream a driver can hand over: any `AsyncRead + AsyncWrite`.
///
/// ```
/// use lath::app::{Io, Upgraded};
/// fn takes(io: impl Io) -> Upgraded {
///     Upgraded::new(Box::new(io), bytes::Bytes::new())
/// }
/// let _ = takes(futures::io::Cursor::new(Vec::new()));
/// ```
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The connection after a protocol switch: reads return first the bytes
/// the client sent right after its request, then the stream itself.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use lath::prelude::*;
/// // A line-echo protocol after `101`: the first bytes may already have
/// // been read with the request.
/// let app = handler(|_req: Request| async {
///     Response::upgrade("shout", |mut io| async move {
///         let mut word = [0u8; 5];
///         if io.read_exact(&mut word).await.is_ok() {
///             let _ = io.write_all(&word.to_ascii_uppercase()).await;
///         }
///     })
/// });
/// let answer = Client::new(app)
///     .raw_blocking("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: shout\r\n\r\nhello")
///     .unwrap();
/// assert!(String::from_utf8(answer).unwrap().ends_with("HELLO"));
/// ```
pub struct Upgraded {
    io: Box<dyn Io>,
    buffered: Bytes,
}

impl Upgraded {
    /// Wraps `io`, with `buffered` bytes already read from it.
    ///
    /// ```
    /// use futures::AsyncReadExt;
    /// use lath::app::Upgraded;
    /// # futures::executor::block_on(async {
    /// let stream = futures::io::Cursor::new(b" world".to_vec());
    /// let mut io = Upgraded::new(Box::new(stream), bytes::Bytes::from_static(b"hello"));
    /// let mut all = String::new();
    /// io.read_to_string(&mut all).await.unwrap();
    /// assert_eq!(all, "hello world");
    /// # });
    /// ```
    pub fn new(io: Box<dyn Io>, buffered: Bytes) -> Upgraded {
        Upgraded { io, buffered }
    }
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.buffered.is_empty() {
            let n = buf.len().min(self.buffered.len());
            buf[..n].copy_from_slice(&self.buffered[..n]);
            self.buffered.advance(n);
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

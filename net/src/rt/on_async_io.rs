//! TCP on async-io's reactor, which async-std and smol share.
//!
//! async-io registers a socket's interest one-shot: every wait for
//! readability re-arms it with `epoll_ctl`. Reading first and waiting
//! only on `EAGAIN` would then cost two system calls per wait, the failed
//! read and the re-arm. A read that comes back short has emptied the
//! socket's receive queue (a stream socket hands over all it has, up to
//! the buffer's size), so the next read waits for readability first and
//! skips the read that would fail — as tokio does with its readiness
//! cache. Bytes that did arrive meanwhile are not missed: the
//! level-triggered re-arm reports them at the reactor's next turn, which
//! under load serves many connections at once. (A lone client that sends
//! its next request while the answer is being written pays that turn
//! where a speculative read would have found the bytes.)

use std::io::{self, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll};

use async_io::Async;
use futures::{AsyncRead, AsyncWrite};

/// A bound listener on async-io's reactor.
#[derive(Debug)]
pub(crate) struct Listener(Async<TcpListener>);

/// A listener from a bound, non-blocking std one.
pub(crate) fn listener(listener: TcpListener) -> io::Result<Listener> {
    Async::new(listener).map(Listener)
}

impl super::Listen for Listener {
    type Stream = Stream;

    fn connections(
        &self,
    ) -> impl futures::Stream<Item = super::Accepted<Stream>> + Unpin + Send + '_ {
        futures::stream::poll_fn(move |cx| loop {
            match self.0.get_ref().accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    // Made non-blocking as it registers.
                    let accepted = Async::new(stream);
                    return Poll::Ready(Some(accepted.map(|stream| {
                        let stream = Stream {
                            inner: stream,
                            drained: false,
                        };
                        (stream, Some(peer))
                    })));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    futures::ready!(self.0.poll_readable(cx))?;
                }
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
        })
    }

    #[cfg(target_os = "linux")]
    fn socket(stream: &Stream) -> Option<super::Fd<'_>> {
        Some(std::os::fd::AsFd::as_fd(stream.inner.get_ref()))
    }
}

/// An accepted connection. Closing it shuts its write side down, so the
/// peer reads EOF while the server may still read.
#[derive(Debug)]
pub(crate) struct Stream {
    inner: Async<TcpStream>,
    /// The last read came back short: wait for readability before the
    /// next.
    drained: bool,
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.drained {
                futures::ready!(self.inner.poll_readable(cx))?;
                self.drained = false;
            }
            // `Read` for `&TcpStream`: the socket is non-blocking.
            match self.inner.get_ref().read(buf) {
                Ok(n) => {
                    self.drained = n < buf.len();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.drained = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket: nothing to flush first.
        let shutdown = self.inner.get_ref().shutdown(Shutdown::Write);
        Poll::Ready(super::not_connected_is_closed(shutdown))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use futures::{AsyncReadExt, FutureExt};

    use super::*;
    use crate::rt::Listen;

    /// A connected pair: the server's end as accepted, the client's plain.
    fn pair() -> (Stream, std::net::TcpStream) {
        async_io::block_on(async {
            let bound = TcpListener::bind("127.0.0.1:0").unwrap();
            bound.set_nonblocking(true).unwrap();
            let addr = bound.local_addr().unwrap();
            let listener = listener(bound).unwrap();
            let client = std::net::TcpStream::connect(addr).unwrap();
            let mut connections = listener.connections();
            let (server, peer) = futures::StreamExt::next(&mut connections)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(peer, Some(client.local_addr().unwrap()));
            (server, client)
        })
    }

    /// Reads once, giving up after a second.
    fn read(server: &mut Stream, buf: &mut [u8]) -> Option<usize> {
        async_io::block_on(async {
            let timeout = async_io::Timer::after(Duration::from_secs(1));
            futures::select! {
                n = server.read(buf).fuse() => Some(n.unwrap()),
                _ = FutureExt::fuse(timeout) => None,
            }
        })
    }

    #[test]
    fn a_short_read_waits_for_readability_and_still_sees_what_came_meanwhile() {
        let (mut server, mut client) = pair();
        let mut buf = [0u8; 64];
        client.write_all(b"first").unwrap();
        assert_eq!(read(&mut server, &mut buf), Some(5));
        assert!(server.drained, "a short read empties the socket");
        // Bytes that arrive before the next read are not missed: the wait
        // for readability reports them at once.
        client.write_all(b"second").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(read(&mut server, &mut buf), Some(6));
        assert_eq!(&buf[..6], b"second");
        // Nothing sent: the read waits.
        assert_eq!(read(&mut server, &mut buf), None);
        // A full buffer may have left more behind: the next read tries at once.
        client.write_all(&[b'x'; 100]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(read(&mut server, &mut buf), Some(64));
        assert!(!server.drained);
        assert_eq!(read(&mut server, &mut buf), Some(36));
        // EOF is readable too.
        drop(client);
        assert_eq!(read(&mut server, &mut buf), Some(0));
    }
}

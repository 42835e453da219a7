//! The runtime edge: the one place a runtime appears — timers, tasks, TCP
//! and blocking on a future. Everything else in lath-net is written
//! against the futures-io traits.
//!
//! One module per runtime, each behind a cargo feature: `async-std` (on by
//! default, the design's runtime; discontinued upstream, RUSTSEC-2025-0052),
//! `smol` and `tokio`. Each module offers the same items: `TcpListener`,
//! `listener` (from a bound std listener),
//! `connections`, `TcpStream`, `sleep`, `spawn`, `block_on` and
//! `block_on_reactor`.
//!
//! With more than one enabled, a runtime named explicitly beats the
//! default: `tokio`, then `smol`, then `async-std`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{AsyncRead, AsyncWrite};

#[cfg(feature = "tokio")]
mod on_tokio;
#[cfg(feature = "tokio")]
pub(crate) use on_tokio::*;

#[cfg(all(feature = "smol", not(feature = "tokio")))]
mod on_smol;
#[cfg(all(feature = "smol", not(feature = "tokio")))]
pub(crate) use on_smol::*;

#[cfg(all(feature = "async-std", not(any(feature = "tokio", feature = "smol"))))]
mod on_async_std;
#[cfg(all(feature = "async-std", not(any(feature = "tokio", feature = "smol"))))]
pub(crate) use on_async_std::*;

#[cfg(not(any(feature = "async-std", feature = "smol", feature = "tokio")))]
compile_error!("lath-net needs a runtime: enable one of the features `async-std`, `smol`, `tokio`");

/// A stream socket whose write side can be shut down alone.
#[allow(dead_code)] // not every runtime module needs it
pub(crate) trait ShutdownWrite {
    fn shutdown_write(&self) -> io::Result<()>;
}

/// An accepted connection over a futures-io stream. Closing it
/// (`poll_close`) shuts its write side down, so the peer reads EOF while
/// the server may still read — what a lingering close needs; dropping it
/// closes the socket.
#[derive(Debug)]
#[allow(dead_code)] // not every runtime module needs it
pub(crate) struct HalfClose<S>(pub(crate) S);

impl<S: AsyncRead + Unpin> AsyncRead for HalfClose<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + ShutdownWrite + Unpin> AsyncWrite for HalfClose<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures::ready!(Pin::new(&mut self.0).poll_flush(cx))?;
        Poll::Ready(not_connected_is_closed(self.0.shutdown_write()))
    }
}

/// `TcpStream` and `connections` for a runtime whose TCP types already
/// speak futures-io (async-std, smol): the stream wrapped to half-close,
/// each accepted with `TCP_NODELAY` and its peer's address.
#[allow(unused_macros)] // not every runtime module needs it
macro_rules! futures_io_tcp {
    ($listener:ty, $stream:ty) => {
        /// An accepted TCP connection.
        pub(crate) type TcpStream = $crate::rt::HalfClose<$stream>;

        impl $crate::rt::ShutdownWrite for $stream {
            fn shutdown_write(&self) -> std::io::Result<()> {
                self.shutdown(std::net::Shutdown::Write)
            }
        }

        /// The connections `listener` accepts, each with `TCP_NODELAY`
        /// set, and its peer's address.
        pub(crate) fn connections(
            listener: &$listener,
        ) -> impl futures::Stream<Item = std::io::Result<(TcpStream, Option<std::net::SocketAddr>)>>
               + Unpin
               + '_ {
            use futures::StreamExt;
            listener.incoming().map(|accepted| {
                accepted.map(|stream| {
                    let _ = stream.set_nodelay(true);
                    let peer = stream.peer_addr().ok();
                    ($crate::rt::HalfClose(stream), peer)
                })
            })
        }
    };
}
#[allow(unused_imports)] // not every runtime module needs it
pub(crate) use futures_io_tcp;

/// The peer is gone already: closed is closed.
#[allow(dead_code)] // not every runtime module needs it
pub(crate) fn not_connected_is_closed(shutdown: io::Result<()>) -> io::Result<()> {
    match shutdown {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        done => done,
    }
}

//! The one place the runtime (async-std) appears: timers, tasks and TCP.
//! Everything else in lath-net is written against futures-io traits, so
//! another runtime is one more module like this one.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{AsyncRead, AsyncWrite, FutureExt};

pub(crate) use async_std::net::TcpListener;

/// An accepted TCP connection. Closing it (`poll_close`) shuts its write
/// side down, so the peer reads EOF while the server may still read —
/// what a lingering close needs; dropping it closes the socket.
#[derive(Debug)]
pub(crate) struct TcpStream(async_std::net::TcpStream);

impl AsyncRead for TcpStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
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
        match self.0.shutdown(std::net::Shutdown::Write) {
            // The peer is gone already: closed is closed.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            done => Poll::Ready(done),
        }
    }
}

/// The connections `listener` accepts, each with `TCP_NODELAY` set, and
/// its peer's address.
pub(crate) fn connections(
    listener: &TcpListener,
) -> impl futures::Stream<Item = io::Result<(TcpStream, Option<std::net::SocketAddr>)>> + Unpin + '_
{
    use futures::StreamExt;
    listener.incoming().map(|accepted| {
        accepted.map(|stream| {
            let _ = stream.set_nodelay(true);
            let peer = stream.peer_addr().ok();
            (TcpStream(stream), peer)
        })
    })
}

/// A timer that fires after `duration`.
pub(crate) fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
    async_std::task::sleep(duration).boxed()
}

/// Runs `future` as its own task.
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    async_std::task::spawn(future);
}

/// Runs `future` as its own task; the returned future ends with it.
pub(crate) fn spawn_joined<F>(future: F) -> BoxFuture<'static, ()>
where
    F: Future<Output = ()> + Send + 'static,
{
    async_std::task::spawn(future).boxed()
}

/// Worker threads the runtime runs: `ASYNC_STD_THREAD_COUNT`, else one
/// per core (async-std's own rule).
pub(crate) fn worker_threads() -> usize {
    std::env::var("ASYNC_STD_THREAD_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `future` to completion on the current thread, driving the runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

/// Runs `future` on the current thread, which also waits on the reactor
/// itself: I/O events wake it directly, never through another thread.
pub(crate) fn block_on_reactor<F: Future>(future: F) -> F::Output {
    async_io::block_on(future)
}

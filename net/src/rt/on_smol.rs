//! smol: async-std's successor from the same authors.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::{HalfClose, ShutdownWrite};

pub(crate) use smol::net::TcpListener;

/// An accepted TCP connection.
pub(crate) type TcpStream = HalfClose<smol::net::TcpStream>;

impl ShutdownWrite for smol::net::TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

/// The connections `listener` accepts, each with `TCP_NODELAY` set, and
/// its peer's address.
pub(crate) fn connections(
    listener: &TcpListener,
) -> impl futures::Stream<Item = io::Result<(TcpStream, Option<SocketAddr>)>> + Unpin + '_ {
    use futures::StreamExt;
    listener.incoming().map(|accepted| {
        accepted.map(|stream| {
            let _ = stream.set_nodelay(true);
            let peer = stream.peer_addr().ok();
            (HalfClose(stream), peer)
        })
    })
}

/// A timer that fires after `duration`.
pub(crate) fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
    smol::Timer::after(duration).map(drop).boxed()
}

/// Runs `future` as its own task.
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    smol::spawn(future).detach();
}

/// Runs `future` as its own task; the returned future ends with it.
pub(crate) fn spawn_joined<F>(future: F) -> BoxFuture<'static, ()>
where
    F: Future<Output = ()> + Send + 'static,
{
    smol::spawn(future).boxed()
}

/// Worker threads of smol's global executor: `SMOL_THREADS`, else one
/// (smol's own rule).
pub(crate) fn worker_threads() -> usize {
    std::env::var("SMOL_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// Runs `future` to completion on the current thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

/// Runs `future` on the current thread, which also waits on the reactor.
pub(crate) fn block_on_reactor<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

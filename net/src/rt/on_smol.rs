//! smol: async-std's successor from the same authors.

use std::future::Future;
use std::io;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

use smol::net::TcpListener;

/// A listener from a bound, non-blocking std one.
pub(crate) fn listener(listener: std::net::TcpListener) -> io::Result<TcpListener> {
    TcpListener::try_from(listener)
}

super::futures_io_tcp!(smol::net::TcpListener, smol::net::TcpStream);

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

/// Runs `future` to completion on the current thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

/// Runs `future` on the current thread, which also waits on the reactor.
pub(crate) fn block_on_reactor<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

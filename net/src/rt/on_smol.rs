//! smol: async-std's successor from the same authors.

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

pub(crate) use super::on_async_io::listener;

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

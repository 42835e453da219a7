//! async-std: the design's runtime, on by default (discontinued upstream
//! in favour of smol, RUSTSEC-2025-0052).

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

pub(crate) use super::on_async_io::listener;

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

/// Runs `future` to completion on the current thread, driving the runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

/// Runs `future` on the current thread, which also waits on the reactor
/// itself: I/O events wake it directly, never through another thread.
pub(crate) fn block_on_reactor<F: Future>(future: F) -> F::Output {
    async_io::block_on(future)
}

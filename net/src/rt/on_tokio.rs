//! tokio. Sockets and timers belong to the runtime the caller runs on; a
//! caller outside any tokio runtime (a plain test, another executor) gets
//! a process-wide multi-thread runtime started on first use, as async-std
//! and smol keep a global executor.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{AsyncRead, AsyncWrite, FutureExt};
use tokio::runtime::{Handle, Runtime};

/// The runtime of callers outside any tokio runtime.
fn fallback() -> &'static Runtime {
    static FALLBACK: OnceLock<Runtime> = OnceLock::new();
    FALLBACK.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("lath-tokio")
            .build()
            .expect("a tokio runtime")
    })
}

/// The caller's runtime, else the fallback.
fn handle() -> Handle {
    Handle::try_current().unwrap_or_else(|_| fallback().handle().clone())
}

/// A bound TCP listener, with the runtime its connections register with.
#[derive(Debug)]
pub(crate) struct TcpListener {
    inner: tokio::net::TcpListener,
    runtime: Handle,
}

/// A listener from a bound, non-blocking std one, registered with the
/// caller's runtime (a worker's own, under `lath::net::run`).
pub(crate) fn listener(listener: std::net::TcpListener) -> io::Result<TcpListener> {
    let runtime = handle();
    let entered = runtime.enter();
    let inner = tokio::net::TcpListener::from_std(listener)?;
    drop(entered);
    Ok(TcpListener { inner, runtime })
}

impl super::Listen for TcpListener {
    type Stream = TcpStream;

    fn connections(
        &self,
    ) -> impl futures::Stream<Item = super::Accepted<TcpStream>> + Unpin + Send + '_ {
        futures::stream::poll_fn(move |cx| {
            // An accepted stream registers with the listener's runtime,
            // even when the accept loop runs on another executor.
            let _entered = self.runtime.enter();
            self.inner.poll_accept(cx).map(|accepted| {
                Some(accepted.map(|(stream, peer)| {
                    let _ = stream.set_nodelay(true);
                    (TcpStream(stream), Some(peer))
                }))
            })
        })
    }

    #[cfg(target_os = "linux")]
    fn socket(stream: &TcpStream) -> Option<super::Fd<'_>> {
        Some(std::os::fd::AsFd::as_fd(&stream.0))
    }
}

/// An accepted TCP connection, on the futures-io traits. Closing it shuts
/// its write side down (tokio's `poll_shutdown`), so the peer reads EOF
/// while the server may still read.
#[derive(Debug)]
pub(crate) struct TcpStream(tokio::net::TcpStream);

impl AsyncRead for TcpStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut filled = tokio::io::ReadBuf::new(buf);
        futures::ready!(tokio::io::AsyncRead::poll_read(
            Pin::new(&mut self.0),
            cx,
            &mut filled
        ))?;
        Poll::Ready(Ok(filled.filled().len()))
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write_vectored(Pin::new(&mut self.0), cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shutdown = futures::ready!(tokio::io::AsyncWrite::poll_shutdown(
            Pin::new(&mut self.0),
            cx
        ));
        Poll::Ready(super::not_connected_is_closed(shutdown))
    }
}

/// A timer that fires after `duration`.
pub(crate) fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
    let _runtime = handle().enter();
    tokio::time::sleep(duration).boxed()
}

/// Runs `future` as its own task.
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    handle().spawn(future);
}

/// Runs `future` to completion on the current thread, from outside any
/// tokio runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    fallback().block_on(future)
}

/// Runs `future` on a current-thread runtime of its own: connections are
/// driven on this thread, and no wake-up crosses threads.
pub(crate) fn block_on_reactor<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

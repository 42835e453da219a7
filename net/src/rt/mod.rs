//! The runtime edge: the one place a runtime appears — timers, tasks, TCP
//! and blocking on a future. Everything else in lath-net is written
//! against the futures-io traits.
//!
//! One module per runtime, each behind a cargo feature: `async-std` (on by
//! default, the design's runtime; discontinued upstream, RUSTSEC-2025-0052),
//! `smol` and `tokio`. Each module offers the same items: a listener type
//! implementing [`Listen`], `listener` (from a bound std listener), `sleep`,
//! `spawn`, `block_on` and `block_on_reactor`; [`Runtime`] dispatches to
//! the one chosen at run time.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{AsyncRead, AsyncWrite, Stream};
use lath_app::Io;

#[cfg(feature = "async-std")]
mod on_async_std;
#[cfg(feature = "smol")]
mod on_smol;
#[cfg(feature = "tokio")]
mod on_tokio;

#[cfg(not(any(feature = "async-std", feature = "smol", feature = "tokio")))]
compile_error!("lath-net needs a runtime: enable one of the features `async-std`, `smol`, `tokio`");

/// A runtime lath can serve on, one per cargo feature enabled.
///
/// With more than one enabled, [`Server::runtime`] picks; the default is
/// tokio, then smol, then async-std (the first enabled in that order).
/// With one worker the server runs inside the future that serves it, so
/// run that future on the same runtime: [`Runtime::run`], or
/// [`run`](crate::run) for the default.
///
/// ```
/// use lath::net::Runtime;
/// let runtime = Runtime::default();
/// assert!(Runtime::enabled().contains(&runtime));
/// assert_eq!(runtime.run(async { 1 + 1 }), 2);
/// ```
///
/// [`Server::runtime`]: crate::Server::runtime
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Runtime {
    /// async-std (feature `async-std`, on by default): the design's
    /// runtime, discontinued upstream in favour of smol
    /// (RUSTSEC-2025-0052).
    #[cfg(feature = "async-std")]
    AsyncStd,
    /// smol (feature `smol`).
    #[cfg(feature = "smol")]
    Smol,
    /// tokio (feature `tokio`): a current-thread runtime per worker.
    #[cfg(feature = "tokio")]
    Tokio,
}

impl Default for Runtime {
    /// tokio, then smol, then async-std: the first enabled.
    fn default() -> Runtime {
        Runtime::enabled()[0]
    }
}

impl Runtime {
    /// The runtimes this build can serve on, the default first.
    ///
    /// ```
    /// use lath::net::Runtime;
    /// let enabled = Runtime::enabled();
    /// assert_eq!(enabled[0], Runtime::default());
    /// assert!(!enabled.is_empty());
    /// ```
    pub fn enabled() -> &'static [Runtime] {
        &[
            #[cfg(feature = "tokio")]
            Runtime::Tokio,
            #[cfg(feature = "smol")]
            Runtime::Smol,
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd,
        ]
    }

    /// The name of its cargo feature: `async-std`, `smol` or `tokio`.
    ///
    /// ```
    /// use lath::net::Runtime;
    /// for runtime in Runtime::enabled() {
    ///     assert_eq!(runtime.name().parse::<Runtime>().unwrap(), *runtime);
    /// }
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => "async-std",
            #[cfg(feature = "smol")]
            Runtime::Smol => "smol",
            #[cfg(feature = "tokio")]
            Runtime::Tokio => "tokio",
        }
    }

    /// Runs `future` to completion on this thread, which waits on the
    /// runtime's I/O reactor itself: a server with one worker, driven
    /// inside `future`, never pays for a wake-up across threads.
    ///
    /// ```
    /// use lath::net::{Runtime, Server};
    /// let port = Runtime::default().run(async {
    ///     let server = Server::bind("127.0.0.1:0").await.unwrap();
    ///     server.local_addr().unwrap().port()
    /// });
    /// assert!(port > 0);
    /// ```
    pub fn run<F: Future>(self, future: F) -> F::Output {
        match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => on_async_std::block_on_reactor(future),
            #[cfg(feature = "smol")]
            Runtime::Smol => on_smol::block_on_reactor(future),
            #[cfg(feature = "tokio")]
            Runtime::Tokio => on_tokio::block_on_reactor(future),
        }
    }

    /// A timer that fires after `duration`.
    pub(crate) fn sleep(self, duration: Duration) -> BoxFuture<'static, ()> {
        match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => on_async_std::sleep(duration),
            #[cfg(feature = "smol")]
            Runtime::Smol => on_smol::sleep(duration),
            #[cfg(feature = "tokio")]
            Runtime::Tokio => on_tokio::sleep(duration),
        }
    }

    /// Runs `future` as its own task.
    pub(crate) fn spawn<F>(self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => on_async_std::spawn(future),
            #[cfg(feature = "smol")]
            Runtime::Smol => on_smol::spawn(future),
            #[cfg(feature = "tokio")]
            Runtime::Tokio => on_tokio::spawn(future),
        }
    }

    /// Runs `future` to completion on this thread, with the runtime's
    /// own threads driving its I/O (for callers outside any runtime).
    pub(crate) fn block_on<F: Future>(self, future: F) -> F::Output {
        match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => on_async_std::block_on(future),
            #[cfg(feature = "smol")]
            Runtime::Smol => on_smol::block_on(future),
            #[cfg(feature = "tokio")]
            Runtime::Tokio => on_tokio::block_on(future),
        }
    }

    /// Serves with `serve`, given this runtime's listener made from the
    /// bound std one.
    pub(crate) fn listen<S: Serve>(
        self,
        listener: std::net::TcpListener,
        serve: S,
    ) -> io::Result<BoxFuture<'static, io::Result<()>>> {
        Ok(match self {
            #[cfg(feature = "async-std")]
            Runtime::AsyncStd => serve.on(on_async_std::listener(listener)?),
            #[cfg(feature = "smol")]
            Runtime::Smol => serve.on(on_smol::listener(listener)?),
            #[cfg(feature = "tokio")]
            Runtime::Tokio => serve.on(on_tokio::listener(listener)?),
        })
    }
}

impl std::str::FromStr for Runtime {
    type Err = String;

    /// A runtime by its feature's name: `async-std`, `smol` or `tokio`,
    /// if enabled in this build.
    ///
    /// ```
    /// use lath::net::Runtime;
    /// let default = Runtime::default();
    /// assert_eq!(default.name().parse::<Runtime>(), Ok(default));
    /// assert!("glommio".parse::<Runtime>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Runtime, String> {
        Runtime::enabled()
            .iter()
            .copied()
            .find(|runtime| runtime.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Runtime::enabled().iter().map(|r| r.name()).collect();
                format!(
                    "no runtime {name:?} in this build (enabled: {})",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An accepted connection and its peer's address.
pub(crate) type Accepted<S> = io::Result<(S, Option<SocketAddr>)>;

/// A runtime's TCP listener.
pub(crate) trait Listen: Send + Sync + 'static {
    /// An accepted connection.
    type Stream: Io;

    /// The connections accepted, each with `TCP_NODELAY` set.
    fn connections(&self) -> impl Stream<Item = Accepted<Self::Stream>> + Unpin + Send + '_;

    /// The socket under an accepted stream, where a response body may go
    /// out by `sendfile` (Linux).
    fn socket(_stream: &Self::Stream) -> Option<Fd<'_>> {
        None
    }
}

/// A socket's descriptor, borrowed (Unix).
#[cfg(unix)]
pub(crate) type Fd<'a> = std::os::fd::BorrowedFd<'a>;

/// No descriptors elsewhere.
#[cfg(not(unix))]
pub(crate) type Fd<'a> = std::marker::PhantomData<&'a ()>;

/// Finds the socket under a connection's stream, for `sendfile`.
pub(crate) type SocketOf<IO> = fn(&IO) -> Option<Fd<'_>>;

/// What to do with a runtime's listener, whatever its type.
pub(crate) trait Serve {
    /// Serving on `listener`.
    fn on<L: Listen>(self, listener: L) -> BoxFuture<'static, io::Result<()>>;
}

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

/// The listener of a runtime whose TCP types already speak futures-io
/// (async-std, smol): each stream wrapped to half-close, accepted with
/// `TCP_NODELAY` and its peer's address.
#[allow(unused_macros)] // not every runtime module needs it
macro_rules! futures_io_tcp {
    ($listener:ty, $stream:ty) => {
        impl $crate::rt::ShutdownWrite for $stream {
            fn shutdown_write(&self) -> std::io::Result<()> {
                self.shutdown(std::net::Shutdown::Write)
            }
        }

        impl $crate::rt::Listen for $listener {
            type Stream = $crate::rt::HalfClose<$stream>;

            fn connections(
                &self,
            ) -> impl futures::Stream<Item = $crate::rt::Accepted<Self::Stream>> + Unpin + Send + '_
            {
                use futures::StreamExt;
                self.incoming().map(|accepted| {
                    accepted.map(|stream| {
                        let _ = stream.set_nodelay(true);
                        let peer = stream.peer_addr().ok();
                        ($crate::rt::HalfClose(stream), peer)
                    })
                })
            }

            #[cfg(target_os = "linux")]
            fn socket(stream: &Self::Stream) -> Option<$crate::rt::Fd<'_>> {
                Some(std::os::fd::AsFd::as_fd(&stream.0))
            }
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

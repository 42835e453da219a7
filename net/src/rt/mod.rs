//! The runtime edge: the one place a runtime appears — timers, tasks, TCP
//! and blocking on a future. Everything else in lath-net is written
//! against the futures-io traits.
//!
//! One module per runtime, each behind a cargo feature: `async-std` (on by
//! default, the design's runtime; discontinued upstream, RUSTSEC-2025-0052),
//! `smol` and `tokio`. Each module offers the same items: a listener type
//! implementing [`Listen`], `listener` (from a bound std listener), `sleep`,
//! `spawn`, `block_on` and `block_on_reactor`; [`Runtime`] dispatches to
//! the one chosen at run time. async-std and smol both run on async-io's
//! reactor and share its TCP listener and streams (`on_async_io`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::Stream;
use lath_app::Io;

#[cfg(any(feature = "async-std", feature = "smol"))]
mod on_async_io;
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

/// The peer is gone already: closed is closed.
pub(crate) fn not_connected_is_closed(shutdown: io::Result<()>) -> io::Result<()> {
    match shutdown {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        done => done,
    }
}

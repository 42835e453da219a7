//! Listening on TCP: the `Server` builder and `serve`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::future::{self, poll_fn, BoxFuture, Either, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use lath_app::App;

use crate::admit::Slots;
use crate::shutdown::{self, Shutdown, ShutdownHandle};
use crate::{conn, rt, Config};

/// Serves `app` on `addr` with default settings until the process ends.
///
/// ```no_run
/// use lath_app::{Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// # async_std::task::block_on(async {
/// lath_net::serve("127.0.0.1:8080", hello).await.unwrap();
/// # });
/// ```
pub async fn serve(addr: &str, app: impl App) -> io::Result<()> {
    Server::bind(addr).await?.serve(app).await
}

/// Runs a server future (or any future) to completion on this thread.
///
/// The thread waits on the I/O reactor itself, so with one worker thread
/// (`ASYNC_STD_THREAD_COUNT=1`), where connections are driven inside
/// [`Server::serve`], a request never costs a wake-up across threads.
///
/// ```no_run
/// use lath_app::{Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// lath_net::run(lath_net::serve("127.0.0.1:8080", hello)).unwrap();
/// ```
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    rt::block_on_reactor(future)
}

/// A bound TCP listener with its settings, ready to serve an app.
///
/// ```
/// use lath_app::{Request, Respond};
/// use lath_net::Server;
/// # async_std::task::block_on(async {
/// let server = Server::bind("127.0.0.1:0").await.unwrap();
/// let addr = server.local_addr().unwrap(); // the port the OS chose
/// let stop = server.shutdown_handle();
/// let running = async_std::task::spawn(server.serve(|_req: Request, respond: Respond| async move {
///     respond.send("hi");
/// }));
/// stop.shutdown();
/// running.await.unwrap();
/// # let _ = addr;
/// # });
/// ```
#[derive(Debug)]
pub struct Server {
    listener: rt::TcpListener,
    config: Config,
    handle: ShutdownHandle,
    shutdown: Shutdown,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` picks a free port).
    pub async fn bind(addr: &str) -> io::Result<Server> {
        let listener = rt::TcpListener::bind(addr).await?;
        let (handle, shutdown) = shutdown::channel();
        Ok(Server {
            listener,
            config: Config::default(),
            handle,
            shutdown,
        })
    }

    /// Uses these settings.
    pub fn with_config(mut self, config: Config) -> Server {
        self.config = config;
        self
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that starts a graceful shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Serves `app` until a shutdown completes: accepting stops, idle
    /// connections close at once, requests in flight finish within
    /// `shutdown_timeout`, and then this returns.
    ///
    /// Each connection is its own task on the runtime's worker threads.
    /// With one worker thread (`ASYNC_STD_THREAD_COUNT=1`) connections are
    /// driven inside this future instead, on the thread that waits for I/O,
    /// so no wake-up ever crosses threads.
    pub async fn serve(self, app: impl App) -> io::Result<()> {
        let Server {
            listener,
            config,
            handle: _handle,
            shutdown,
        } = self;
        let app: Arc<dyn App> = Arc::new(app);
        let config = Arc::new(config);
        let local = rt::worker_threads() == 1;
        let max = config.max_connections.max(1);
        let (force, forced) = shutdown::channel();
        let mut connections: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
        let mut incoming = rt::connections(&listener);
        let mut stop = {
            let shutdown = shutdown.clone();
            async move { shutdown.wait().await }.boxed()
        };
        let mut paused: Option<BoxFuture<'static, ()>> = None;
        let mut slots = Slots::default();
        loop {
            let step = poll_fn(|cx| {
                while let Poll::Ready(Some(())) = connections.poll_next_unpin(cx) {}
                if stop.poll_unpin(cx).is_ready() {
                    return Poll::Ready(None);
                }
                if let Some(pause) = paused.as_mut() {
                    if pause.poll_unpin(cx).is_pending() {
                        return Poll::Pending;
                    }
                    paused = None;
                }
                // At the cap with every connection busy, accept nothing
                // until one closes (or goes idle).
                if connections.len() >= max && slots.poll_idle(cx).is_pending() {
                    return Poll::Pending;
                }
                incoming.poll_next_unpin(cx).map(Some)
            })
            .await;
            let (stream, peer) = match step {
                None | Some(None) => break,
                Some(Some(Ok(accepted))) => accepted,
                Some(Some(Err(e))) => {
                    if is_resource_exhausted(&e) {
                        // Out of file descriptors or memory: pause accepting
                        // for a moment while connections close; never crash.
                        paused = Some(rt::sleep(Duration::from_millis(50)));
                    }
                    continue;
                }
            };
            if connections.len() >= max {
                // Make room as nginx does: close the longest-idle
                // keep-alive connection, so the new client is served now.
                slots.evict_longest_idle();
            }
            let slot = slots.add(connections.len());
            let serving = conn::drive(
                stream,
                app.clone(),
                config.clone(),
                peer,
                shutdown.clone(),
                Some(slot),
            );
            let forced = forced.clone();
            let connection = async move {
                let _ = future::select(serving.boxed(), async move { forced.wait().await }.boxed())
                    .await;
            };
            connections.push(if local {
                connection.boxed()
            } else {
                rt::spawn_joined(connection)
            });
        }
        drop(incoming);
        drop(listener);
        let drained = async { while connections.next().await.is_some() {} };
        let deadline = rt::sleep(config.shutdown_timeout);
        if let Either::Left(((), drained)) = future::select(deadline, drained.boxed()).await {
            // Past the deadline: close what is left.
            force.shutdown();
            drained.await;
        }
        Ok(())
    }
}

fn is_resource_exhausted(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux and the BSDs.
    matches!(e.raw_os_error(), Some(23 | 24 | 55 | 105 | 12))
        || e.kind() == io::ErrorKind::OutOfMemory
}

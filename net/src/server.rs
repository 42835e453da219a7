//! Listening on TCP: the `Server` builder and `serve`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::{self, Either, FutureExt};
use lath_app::App;

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

    /// Serves `app`, one task per connection, until a shutdown completes:
    /// accepting stops, idle connections close at once, requests in flight
    /// finish within `shutdown_timeout`, and then this returns.
    pub async fn serve(self, app: impl App) -> io::Result<()> {
        let Server {
            listener,
            config,
            handle: _handle,
            shutdown,
        } = self;
        let app: Arc<dyn App> = Arc::new(app);
        let config = Arc::new(config);
        // One slot per open connection: when all are taken, accepting waits.
        let (slots, freed) = async_std::channel::bounded::<()>(config.max_connections.max(1));
        let (force, forced) = shutdown::channel();
        loop {
            let slot = Box::pin(slots.send(()));
            match future::select(slot, shutdown.wait().boxed()).await {
                Either::Left(_) => {}
                Either::Right(_) => break,
            }
            let accepted =
                match future::select(Box::pin(listener.accept()), shutdown.wait().boxed()).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => {
                        let _ = freed.try_recv();
                        break;
                    }
                };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    let _ = freed.try_recv();
                    if is_resource_exhausted(&e) {
                        // Out of file descriptors or memory: pause accepting
                        // until connections close, never crash.
                        rt::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let (app, config, shutdown, forced, freed) = (
                app.clone(),
                config.clone(),
                shutdown.clone(),
                forced.clone(),
                freed.clone(),
            );
            rt::spawn(async move {
                let serving = conn::drive(stream, app, config, Some(peer), shutdown).boxed();
                let _ = future::select(serving, forced.wait().boxed()).await;
                let _ = freed.try_recv();
            });
        }
        drop(listener);
        let deadline = Instant::now() + config.shutdown_timeout;
        while !slots.is_empty() && Instant::now() < deadline {
            rt::sleep(Duration::from_millis(10)).await;
        }
        force.shutdown();
        Ok(())
    }
}

fn is_resource_exhausted(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux and the BSDs.
    matches!(e.raw_os_error(), Some(23 | 24 | 55 | 105 | 12))
        || e.kind() == io::ErrorKind::OutOfMemory
}

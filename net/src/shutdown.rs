//! Graceful shutdown in two phases: draining (not ready, still serving,
//! every response closes its connection), then stopping (no more
//! accepting, requests in flight finish, idle connections get a short
//! grace to deliver a request already on its way).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};
use lath_app::{App, Request, Respond, Response, Status};

/// Starts a graceful shutdown of the server it came from.
///
/// [`shutdown`](ShutdownHandle::shutdown) begins *draining*:
/// [`is_draining`](ShutdownHandle::is_draining) turns true and the
/// [`ready`](ShutdownHandle::ready) app answers `503`, so load balancers
/// take the instance out of rotation; for [`Config::drain_delay`] the
/// server keeps accepting and serving, with `Connection: close` on every
/// response. Then it *stops*: accepting ends, requests in flight finish
/// within [`Config::shutdown_timeout`], and each idle keep-alive
/// connection gets [`Config::idle_grace`] to deliver a request already on
/// its way (answered with `Connection: close`) before it closes.
///
/// [`Config::drain_delay`]: crate::Config::drain_delay
/// [`Config::shutdown_timeout`]: crate::Config::shutdown_timeout
/// [`Config::idle_grace`]: crate::Config::idle_grace
///
/// ```
/// use std::io::{Read, Write};
/// use lath::prelude::*;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let serving = std::thread::spawn(move || {
///     lath::net::run(async move {
///         let server = Server::bind("127.0.0.1:0").await?.workers(1);
///         tx.send((server.local_addr()?, server.shutdown_handle())).unwrap();
///         server.serve(handler(|_req: Request| async { "hi" })).await
///     })
/// });
/// let (addr, stop) = rx.recv().unwrap();
/// let mut conn = std::net::TcpStream::connect(addr).unwrap();
/// conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// conn.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("hi"));
/// stop.shutdown();
/// serving.join().unwrap().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    inner: Arc<Inner>,
}

/// One phase: a flag to test and a signal to wait for.
#[derive(Debug)]
struct Phase {
    begun: AtomicBool,
    sender: Mutex<Option<oneshot::Sender<()>>>,
}

impl Phase {
    fn new() -> (Phase, Shared<oneshot::Receiver<()>>) {
        let (tx, rx) = oneshot::channel();
        let phase = Phase {
            begun: AtomicBool::new(false),
            sender: Mutex::new(Some(tx)),
        };
        (phase, rx.shared())
    }

    /// Begins the phase; later calls do nothing.
    fn begin(&self) {
        self.begun.store(true, Ordering::SeqCst);
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(tx) = sender {
            let _ = tx.send(());
        }
    }

    fn has_begun(&self) -> bool {
        self.begun.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct Inner {
    draining: Phase,
    stopping: Phase,
}

/// The receiving side, cloned into every connection; `None` for a
/// connection served on its own, which no shutdown reaches.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    signal: Option<Signal>,
}

#[derive(Debug, Clone)]
struct Signal {
    inner: Arc<Inner>,
    draining: Shared<oneshot::Receiver<()>>,
    stopping: Shared<oneshot::Receiver<()>>,
}

/// A connected handle and signal.
pub(crate) fn channel() -> (ShutdownHandle, Shutdown) {
    let (draining, drain_rx) = Phase::new();
    let (stopping, stop_rx) = Phase::new();
    let inner = Arc::new(Inner { draining, stopping });
    (
        ShutdownHandle {
            inner: inner.clone(),
        },
        Shutdown {
            signal: Some(Signal {
                inner,
                draining: drain_rx,
                stopping: stop_rx,
            }),
        },
    )
}

impl ShutdownHandle {
    /// Begins the shutdown (draining first); later calls do nothing.
    ///
    /// ```
    /// use lath::prelude::*;
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let stop = server.shutdown_handle();
    /// stop.shutdown();
    /// stop.shutdown(); // later calls do nothing
    /// // Shut down before serving: `serve` returns at once.
    /// server.serve(handler(|_req: Request| async { "hi" })).await.unwrap();
    /// # });
    /// ```
    pub fn shutdown(&self) {
        self.inner.draining.begin();
    }

    /// Whether a shutdown has begun: from then on the server is not ready
    /// for new work, though it may still serve for `drain_delay`.
    ///
    /// ```
    /// use lath::net::Server;
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let handle = server.shutdown_handle();
    /// assert!(!handle.is_draining());
    /// handle.shutdown();
    /// assert!(handle.is_draining());
    /// # });
    /// ```
    pub fn is_draining(&self) -> bool {
        self.inner.draining.has_begun()
    }

    /// An app for a load balancer's readiness check (`/readyz`): `200`
    /// with `ready` while serving, `503 Service Unavailable` with
    /// `draining` once a shutdown has begun. Neither is cached.
    ///
    /// ```
    /// use lath::net::{Client, Server};
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let handle = server.shutdown_handle();
    /// let client = Client::new(handle.ready());
    /// let res = client.get("/readyz").send().await.unwrap();
    /// assert_eq!((res.status.code(), res.text()), (200, "ready".to_string()));
    /// handle.shutdown();
    /// let res = client.get("/readyz").send().await.unwrap();
    /// assert_eq!((res.status.code(), res.text()), (503, "draining".to_string()));
    /// # });
    /// ```
    pub fn ready(&self) -> Ready {
        Ready {
            handle: self.clone(),
        }
    }
}

/// The readiness app [`ShutdownHandle::ready`] makes.
///
/// ```
/// use lath::prelude::*;
/// # lath::net::run(async {
/// let server = Server::bind("127.0.0.1:0").await.unwrap();
/// let ready: lath::net::Ready = server.shutdown_handle().ready();
/// let app = Router::new().get("/readyz", ready).build().unwrap();
/// let res = Client::new(app).get("/readyz").send().await.unwrap();
/// assert_eq!(res.header("cache-control"), Some("no-store"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Ready {
    handle: ShutdownHandle,
}

impl App for Ready {
    async fn call(&self, _req: Request, respond: Respond) {
        let (status, text) = match self.handle.is_draining() {
            false => (Status::OK, "ready"),
            true => (Status::SERVICE_UNAVAILABLE, "draining"),
        };
        respond.send(
            Response::new(status)
                .with_header("Content-Type", "text/plain; charset=utf-8")
                .with_header("Cache-Control", "no-store")
                .with_body(text),
        );
    }
}

impl Shutdown {
    /// A signal that never fires, for connections served on their own.
    /// It allocates nothing.
    pub(crate) fn never() -> Shutdown {
        Shutdown { signal: None }
    }

    /// Draining has begun: responses close their connections.
    pub(crate) fn is_draining(&self) -> bool {
        self.signal
            .as_ref()
            .is_some_and(|s| s.inner.draining.has_begun())
    }

    /// Resolves once draining begins; never for [`Shutdown::never`].
    pub(crate) async fn draining(&self) {
        match &self.signal {
            Some(signal) => {
                let _ = signal.draining.clone().await;
            }
            None => futures::future::pending().await,
        }
    }

    /// Ends draining: accepting stops and idle connections close after
    /// their grace. Later calls do nothing.
    pub(crate) fn stop(&self) {
        if let Some(signal) = &self.signal {
            signal.inner.draining.begin();
            signal.inner.stopping.begin();
        }
    }

    /// Resolves once stopping begins; never for [`Shutdown::never`].
    pub(crate) async fn stopping(&self) {
        match &self.signal {
            Some(signal) => {
                let _ = signal.stopping.clone().await;
            }
            None => futures::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn every_waiting_clone_is_woken_in_order() {
        async_std::task::block_on(async {
            let (handle, signal) = channel();
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let signal = signal.clone();
                    async_std::task::spawn(async move {
                        let stop = async move { signal.stopping().await }.boxed();
                        stop.await;
                    })
                })
                .collect();
            async_std::task::sleep(std::time::Duration::from_millis(50)).await;
            handle.shutdown();
            assert!(signal.is_draining() && handle.is_draining());
            let drained =
                async_std::future::timeout(std::time::Duration::from_millis(1), signal.draining());
            assert!(drained.await.is_ok(), "draining has begun");
            signal.stop();
            for w in waiters {
                async_std::future::timeout(std::time::Duration::from_secs(2), w)
                    .await
                    .expect("woken");
            }
        });
    }
}

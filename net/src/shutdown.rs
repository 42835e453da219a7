//! Graceful shutdown in two phases: draining (not ready, still serving,
//! every response closes its connection), then stopping (no more
//! accepting, requests in flight finish, idle connections get a short
//! grace to deliver a request already on its way).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use lath_app::{App, Request, Respond, Response, Status};

use crate::woken::Seen;

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

/// One phase: a flag to test, and the tasks waiting for it to begin.
#[derive(Debug, Default)]
struct Phase {
    begun: AtomicBool,
    waiting: Mutex<Waiting>,
}

/// The tasks a [`Phase`] wakes, by the key of their [`PhaseWait`].
#[derive(Debug, Default)]
struct Waiting {
    next_key: u64,
    wakers: HashMap<u64, Waker>,
}

impl Phase {
    /// Begins the phase and wakes every waiting task; later calls do
    /// nothing.
    fn begin(&self) {
        self.begun.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut self.waiting().wakers);
        for waker in wakers.into_values() {
            waker.wake();
        }
    }

    fn has_begun(&self) -> bool {
        self.begun.load(Ordering::SeqCst)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
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
    inner: Option<Arc<Inner>>,
}

/// A connected handle and signal.
pub(crate) fn channel() -> (ShutdownHandle, Shutdown) {
    let inner = Arc::new(Inner {
        draining: Phase::default(),
        stopping: Phase::default(),
    });
    (
        ShutdownHandle {
            inner: inner.clone(),
        },
        Shutdown { inner: Some(inner) },
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
        Shutdown { inner: None }
    }

    /// Draining has begun: responses close their connections.
    pub(crate) fn is_draining(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.draining.has_begun())
    }

    /// Resolves once draining begins; never for [`Shutdown::never`].
    pub(crate) fn draining(&self) -> PhaseWait {
        PhaseWait::new(self.inner.clone(), Which::Draining)
    }

    /// Ends draining: accepting stops and idle connections close after
    /// their grace. Later calls do nothing.
    pub(crate) fn stop(&self) {
        if let Some(inner) = &self.inner {
            inner.draining.begin();
            inner.stopping.begin();
        }
    }

    /// Resolves once stopping begins; never for [`Shutdown::never`].
    pub(crate) fn stopping(&self) -> PhaseWait {
        PhaseWait::new(self.inner.clone(), Which::Stopping)
    }
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Draining,
    Stopping,
}

/// Waits for a phase to begin. A connection polls it at every wake, so
/// once its task is registered a poll is one flag test and a waker
/// comparison: no lock, no allocation.
#[derive(Debug)]
pub(crate) struct PhaseWait {
    inner: Option<Arc<Inner>>,
    which: Which,
    /// This wait's key in the phase and the waker registered under it.
    registered: Option<(u64, Seen)>,
}

impl PhaseWait {
    fn new(inner: Option<Arc<Inner>>, which: Which) -> PhaseWait {
        PhaseWait {
            inner,
            which,
            registered: None,
        }
    }

    fn phase(inner: &Inner, which: Which) -> &Phase {
        match which {
            Which::Draining => &inner.draining,
            Which::Stopping => &inner.stopping,
        }
    }
}

impl Future for PhaseWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(inner) = &this.inner else {
            return Poll::Pending;
        };
        let phase = PhaseWait::phase(inner, this.which);
        if phase.has_begun() {
            return Poll::Ready(());
        }
        let task = Seen::of(cx.waker());
        if this.registered.is_some_and(|(_, seen)| seen == task) {
            return Poll::Pending;
        }
        this.register(cx, task)
    }
}

impl PhaseWait {
    /// Leaves `cx`'s waker with the phase: apart from `poll`, so the
    /// common poll (the same task again) stays small.
    #[cold]
    #[inline(never)]
    fn register(&mut self, cx: &Context<'_>, task: Seen) -> Poll<()> {
        let Some(inner) = &self.inner else {
            return Poll::Pending;
        };
        let phase = PhaseWait::phase(inner, self.which);
        let mut waiting = phase.waiting();
        let key = match &self.registered {
            Some((key, _)) => *key,
            None => {
                waiting.next_key += 1;
                waiting.next_key
            }
        };
        waiting.wakers.insert(key, cx.waker().clone());
        drop(waiting);
        self.registered = Some((key, task));
        // `begin` may have taken the wakers just before this one went in.
        match phase.has_begun() {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }
}

impl Drop for PhaseWait {
    fn drop(&mut self) {
        if let (Some(inner), Some((key, _))) = (&self.inner, &self.registered) {
            PhaseWait::phase(inner, self.which)
                .waiting()
                .wakers
                .remove(key);
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

    /// A waker that counts its wakes.
    struct Count(std::sync::atomic::AtomicUsize);

    impl futures::task::ArcWake for Count {
        fn wake_by_ref(arc: &Arc<Self>) {
            arc.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counted() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(0.into()));
        (count.clone(), futures::task::waker(count))
    }

    fn wakes(count: &Count) -> usize {
        count.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_wait_wakes_the_task_that_polled_it_last_once() {
        let (handle, signal) = channel();
        let (first, first_waker) = counted();
        let (second, second_waker) = counted();
        let mut wait = signal.stopping();
        let inner = signal.inner.clone().expect("a server's signal");
        for waker in [&first_waker, &first_waker, &second_waker, &second_waker] {
            assert!(wait
                .poll_unpin(&mut Context::from_waker(waker))
                .is_pending());
        }
        assert_eq!(
            inner.stopping.waiting().wakers.len(),
            1,
            "one entry per wait"
        );
        handle.shutdown();
        assert_eq!(wakes(&second), 0, "draining is not stopping");
        signal.stop();
        assert_eq!((wakes(&first), wakes(&second)), (0, 1));
        assert!(wait
            .poll_unpin(&mut Context::from_waker(&second_waker))
            .is_ready());
    }

    #[test]
    fn a_dropped_wait_leaves_nothing_behind() {
        let (_handle, signal) = channel();
        let (count, waker) = counted();
        let inner = signal.inner.clone().expect("a server's signal");
        let mut waits: Vec<_> = (0..3).map(|_| signal.draining()).collect();
        for wait in &mut waits {
            assert!(wait
                .poll_unpin(&mut Context::from_waker(&waker))
                .is_pending());
        }
        assert_eq!(inner.draining.waiting().wakers.len(), 3);
        drop(waits);
        assert!(inner.draining.waiting().wakers.is_empty());
        signal.stop();
        assert_eq!(wakes(&count), 0);
    }

    #[test]
    fn a_connection_of_its_own_never_stops() {
        let signal = Shutdown::never();
        let (_count, waker) = counted();
        signal.stop();
        assert!(!signal.is_draining());
        assert!(signal
            .stopping()
            .poll_unpin(&mut Context::from_waker(&waker))
            .is_pending());
    }
}

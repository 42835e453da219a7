//! Graceful shutdown signals.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};

/// Starts a graceful shutdown of the server it came from: stop accepting,
/// let requests in flight finish (their responses carry
/// `Connection: close`), close idle connections at once.
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

#[derive(Debug)]
struct Inner {
    sender: Mutex<Option<oneshot::Sender<()>>>,
    triggered: AtomicBool,
}

/// The receiving side, cloned into every connection; `None` for a
/// connection served on its own, which no shutdown reaches.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    signal: Option<(Arc<Inner>, Shared<oneshot::Receiver<()>>)>,
}

/// A connected handle and signal.
pub(crate) fn channel() -> (ShutdownHandle, Shutdown) {
    let (tx, rx) = oneshot::channel();
    let inner = Arc::new(Inner {
        sender: Mutex::new(Some(tx)),
        triggered: AtomicBool::new(false),
    });
    (
        ShutdownHandle {
            inner: inner.clone(),
        },
        Shutdown {
            signal: Some((inner, rx.shared())),
        },
    )
}

impl ShutdownHandle {
    /// Begins the shutdown; later calls do nothing.
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
        self.inner.triggered.store(true, Ordering::SeqCst);
        let sender = self
            .inner
            .sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(tx) = sender {
            let _ = tx.send(());
        }
    }
}

impl Shutdown {
    /// A signal that never fires, for connections served on their own.
    /// It allocates nothing.
    pub(crate) fn never() -> Shutdown {
        Shutdown { signal: None }
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.signal
            .as_ref()
            .is_some_and(|(inner, _)| inner.triggered.load(Ordering::SeqCst))
    }

    /// Resolves once the shutdown begins; never for [`Shutdown::never`].
    pub(crate) async fn wait(&self) {
        match &self.signal {
            Some((_, signal)) => {
                let _ = signal.clone().await;
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
    fn every_waiting_clone_is_woken() {
        async_std::task::block_on(async {
            let (handle, signal) = channel();
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let signal = signal.clone();
                    async_std::task::spawn(async move {
                        let stop = async move { signal.wait().await }.boxed();
                        stop.await;
                    })
                })
                .collect();
            async_std::task::sleep(std::time::Duration::from_millis(50)).await;
            handle.shutdown();
            for w in waiters {
                async_std::future::timeout(std::time::Duration::from_secs(2), w)
                    .await
                    .expect("woken");
            }
            assert!(signal.is_triggered());
        });
    }
}

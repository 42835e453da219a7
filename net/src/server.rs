//! Listening on TCP: the `Server` builder and `serve`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{self, poll_fn, BoxFuture, Either, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use lath_app::App;

use crate::admit::{Slot, Slots};
use crate::conn::Setting;
use crate::metrics::{Metrics, Refused, WorkerMetrics};
use crate::prefixed::Prefixed;
use crate::rt::{Fd, Listen, Serve, SocketOf};
use crate::shutdown::{self, Shutdown, ShutdownHandle};
use crate::woken::Part;
use crate::{conn, listen, proxy, Config, Runtime};

/// Serves `app` on `addr` with default settings until the process ends.
///
/// ```no_run
/// use lath::app::{Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// # async_std::task::block_on(async {
/// lath::net::serve("127.0.0.1:8080", hello).await.unwrap();
/// # });
/// ```
pub async fn serve(addr: &str, app: impl App) -> io::Result<()> {
    Server::bind(addr).await?.serve(app).await
}

/// Runs a server future (or any future) to completion on this thread.
///
/// The thread waits on the I/O reactor itself, so with one worker, where
/// connections are driven inside [`Server::serve`], a request never costs
/// a wake-up across threads.
///
/// ```no_run
/// use lath::app::{Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// lath::net::run(lath::net::serve("127.0.0.1:8080", hello)).unwrap();
/// ```
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    Runtime::default().run(future)
}

/// A bound TCP listener with its settings, ready to serve an app.
///
/// ```
/// use lath::app::{Request, Respond};
/// use lath::net::Server;
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
    /// One, or the sockets systemd passed.
    listeners: Vec<std::net::TcpListener>,
    config: Config,
    workers: usize,
    runtime: Runtime,
    handle: ShutdownHandle,
    shutdown: Shutdown,
    metrics: std::sync::OnceLock<Metrics>,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` picks a free port) — unless the process
    /// was started by systemd socket activation (`LISTEN_FDS`, with
    /// `LISTEN_PID` this process): then it serves the inherited listening
    /// sockets instead, all of them on every worker, and `addr` is not
    /// bound. A restart then loses no connection: the socket stays open
    /// in systemd, and clients wait in its backlog for the next process.
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
    pub async fn bind(addr: &str) -> io::Result<Server> {
        let inherited = listen::inherited()?;
        let listeners = match inherited.is_empty() {
            false => inherited,
            true => {
                let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")
                })?;
                vec![listen::bind(addr)?]
            }
        };
        let (handle, shutdown) = shutdown::channel();
        Ok(Server {
            listeners,
            config: Config::default(),
            workers: default_workers(),
            runtime: Runtime::default(),
            handle,
            shutdown,
            metrics: std::sync::OnceLock::new(),
            #[cfg(feature = "tls")]
            tls: None,
        })
    }

    /// Closes connections from peers `filter` refuses at accept, before
    /// reading a byte of them (the same as setting
    /// [`Config::ip_filter`]). For the address a trusted proxy reports,
    /// filter in the app with the `ip_filter` layer instead.
    ///
    /// ```
    /// use std::io::Read;
    /// use lath::prelude::*;
    /// use lath::app::IpFilter;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// std::thread::spawn(move || {
    ///     lath::net::run(async move {
    ///         let only_elsewhere = IpFilter::new().allow("10.0.0.0/8").unwrap();
    ///         let server = Server::bind("127.0.0.1:0").await?.workers(1).ip_filter(only_elsewhere);
    ///         tx.send(server.local_addr()?).unwrap();
    ///         server.serve(handler(|_req: Request| async { "hi" })).await
    ///     })
    /// });
    /// use std::io::Write;
    /// let mut conn = std::net::TcpStream::connect(rx.recv().unwrap()).unwrap();
    /// let _ = conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// let mut got = Vec::new();
    /// let _ = conn.read_to_end(&mut got); // EOF, or a reset
    /// assert!(got.is_empty(), "closed before any answer");
    /// ```
    pub fn ip_filter(mut self, filter: lath_app::IpFilter) -> Server {
        self.config.ip_filter = filter;
        self
    }

    /// Reads the PROXY protocol header (versions 1 and 2) that the load
    /// balancers at the addresses `trusted` allows send first (the same
    /// as setting [`Config::proxy_protocol`]): the client address it
    /// carries becomes the connection's peer address, which `req.ip()`,
    /// the logger, rate limits and IP filters see. A trusted peer must
    /// send a valid header within `head_timeout` (else `400` and close, or
    /// a silent close); anyone else is served with its own address, and a
    /// PROXY header from it is a `400`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use lath::prelude::*;
    /// use lath::app::IpFilter;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// std::thread::spawn(move || {
    ///     lath::net::run(async move {
    ///         let balancer = IpFilter::new().allow("127.0.0.1").unwrap();
    ///         let server = Server::bind("127.0.0.1:0").await?.workers(1).proxy_protocol(balancer);
    ///         tx.send(server.local_addr()?).unwrap();
    ///         let app = handler(|req: Request| async move { req.peer_addr().unwrap().to_string() });
    ///         server.serve(app).await
    ///     })
    /// });
    /// let mut conn = std::net::TcpStream::connect(rx.recv().unwrap()).unwrap();
    /// conn.write_all(b"PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\n").unwrap();
    /// conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    /// let mut answer = String::new();
    /// conn.read_to_string(&mut answer).unwrap();
    /// assert!(answer.ends_with("203.0.113.7:5555"), "{answer}");
    /// ```
    pub fn proxy_protocol(mut self, trusted: lath_app::IpFilter) -> Server {
        self.config.proxy_protocol = Some(trusted);
        self
    }

    /// Serves HTTPS with these certificates (TLS 1.2 and 1.3; ALPN
    /// offers `h2` with the `http2` feature, and `http/1.1`). A handshake
    /// must complete within [`Config::tls_handshake_timeout`] of the
    /// accept; one that fails or comes too late is dropped and reported
    /// as a `tracing` event. Requests see [`Request::is_secure`] and
    /// [`Request::tls`].
    ///
    /// [`Request::is_secure`]: lath_app::Request::is_secure
    /// [`Request::tls`]: lath_app::Request::tls
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("lath-doc-server-tls-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    /// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
    /// # assert!(made.status.success());
    /// use lath::prelude::*;
    /// use lath::net::TlsConfig;
    /// let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// std::thread::spawn(move || {
    ///     lath::net::run(async move {
    ///         let server = Server::bind("127.0.0.1:0").await?.workers(1).tls(tls);
    ///         tx.send(server.local_addr()?).unwrap();
    ///         let app = handler(|req: Request| async move {
    ///             format!("secure: {}", req.is_secure())
    ///         });
    ///         server.serve(app).await
    ///     })
    /// });
    /// let port = rx.recv().unwrap().port();
    /// let out = std::process::Command::new("curl")
    ///     .args(["-s", "--cacert"]).arg(&cert)
    ///     .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
    ///     .arg(format!("https://localhost:{port}/"))
    ///     .output()
    ///     .unwrap();
    /// assert_eq!(String::from_utf8_lossy(&out.stdout), "secure: true");
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::TlsConfig) -> Server {
        self.tls = Some(tls);
        self
    }

    /// Uses these settings.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::net::{Config, Server};
    /// # lath::net::run(async {
    /// let mut config = Config::default();
    /// config.idle_timeout = Duration::from_secs(30);
    /// let server = Server::bind("127.0.0.1:0").await.unwrap().with_config(config);
    /// assert!(server.local_addr().unwrap().port() > 0);
    /// # });
    /// ```
    pub fn with_config(mut self, config: Config) -> Server {
        self.config = config;
        self
    }

    /// Serves on `n` threads (default: `LATH_WORKERS`, else one per core),
    /// each with its own single-threaded executor and, on Linux, its own
    /// `SO_REUSEPORT` listener on the same address (elsewhere they share
    /// one). A connection stays on the thread that accepted it; each
    /// worker takes an equal share of `max_connections` and makes room
    /// among its own idle connections.
    ///
    /// With one worker, [`serve`](Server::serve) drives every connection
    /// inside its own future, on the caller's thread.
    ///
    /// ```
    /// use lath::app::{Request, Respond};
    /// use lath::net::Server;
    /// # async_std::task::block_on(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap().workers(2);
    /// let stop = server.shutdown_handle();
    /// let running = async_std::task::spawn(server.serve(|_req: Request, respond: Respond| async move {
    ///     respond.send("hi");
    /// }));
    /// stop.shutdown();
    /// running.await.unwrap();
    /// # });
    /// ```
    pub fn workers(mut self, n: usize) -> Server {
        self.workers = n.max(1);
        self
    }

    /// Serves on `runtime` (default: [`Runtime::default`], the first
    /// enabled of tokio, smol, async-std). Worker threads run it
    /// themselves; with one worker, run the future [`serve`](Server::serve)
    /// returns on the same runtime ([`Runtime::run`]).
    ///
    /// ```
    /// use lath::app::{Request, Respond};
    /// use lath::net::{Runtime, Server};
    /// let runtime = *Runtime::enabled().last().unwrap();
    /// runtime.run(async {
    ///     let server = Server::bind("127.0.0.1:0").await.unwrap().workers(1).runtime(runtime);
    ///     let stop = server.shutdown_handle();
    ///     stop.shutdown();
    ///     server.serve(|_req: Request, respond: Respond| async move { respond.send("hi") }).await
    /// })
    /// .unwrap();
    /// ```
    pub fn runtime(mut self, runtime: Runtime) -> Server {
        self.runtime = runtime;
        self
    }

    /// The address bound (the first inherited socket's, under socket
    /// activation).
    ///
    /// ```
    /// use lath::net::Server;
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let addr = server.local_addr().unwrap();
    /// assert!(addr.ip().is_loopback() && addr.port() != 0); // the port picked
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listeners[0].local_addr()
    }

    /// Counts connections, requests and bytes per worker, and returns the
    /// app that shows the counts in the Prometheus text format (see
    /// [`Metrics`]); every call returns the same counters. A server never
    /// asked counts nothing.
    ///
    /// ```
    /// use lath::prelude::*;
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let app = Router::new().get("/metrics", server.metrics()).build().unwrap();
    /// let res = Client::new(app).get("/metrics").send().await.unwrap();
    /// assert_eq!(res.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    /// # });
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.metrics
            .get_or_init(|| Metrics::new(self.handle.clone()))
            .clone()
    }

    /// A handle that starts a graceful shutdown.
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
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Serves `app` until a shutdown completes (see [`ShutdownHandle`]):
    /// after `drain_delay` accepting stops, requests in flight finish
    /// within `shutdown_timeout`, idle connections close after
    /// `idle_grace`, and then this returns.
    ///
    /// With one worker, connections are driven inside this future, so no
    /// wake-up crosses threads; with more, each worker thread serves its
    /// own listener and this future waits for all of them.
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
    pub async fn serve(self, app: impl App) -> io::Result<()> {
        let Server {
            listeners,
            config,
            workers,
            runtime,
            handle: _handle,
            shutdown,
            metrics,
            #[cfg(feature = "tls")]
            tls,
        } = self;
        let app = Arc::new(app);
        let metrics = metrics.into_inner();
        let per_ip = Arc::<PerIp>::default();
        // Each accept loop (a worker's, on one of the sockets) takes an
        // equal share of the connection cap.
        let loops = workers * listeners.len();
        let mut share = config.clone();
        share.max_connections = config.max_connections.div_ceil(loops).max(1);
        let share = Arc::new(share);
        let accepting = |worker: usize| Accepting {
            app: app.clone(),
            setting: Setting {
                config: share.clone(),
                shutdown: shutdown.clone(),
                runtime,
                metrics: metrics.as_ref().map(|m| m.worker(worker)),
                #[cfg(feature = "tls")]
                tls: tls.clone(),
                secure: None,
            },
            per_ip: per_ip.clone(),
        };
        // Every worker's listeners: its own on each address (Linux), or
        // handles to the same sockets.
        let mut per_worker: Vec<Vec<std::net::TcpListener>> = Vec::with_capacity(workers);
        for _ in 1..workers {
            per_worker.push(
                listeners
                    .iter()
                    .map(listen::another)
                    .collect::<io::Result<_>>()?,
            );
        }
        per_worker.insert(0, listeners);
        if workers == 1 {
            let listeners = per_worker.pop().unwrap_or_default();
            let serving = listeners.into_iter().map(|l| (l, accepting(0))).collect();
            return serve_all(runtime, serving).await;
        }
        let mut finished = Vec::with_capacity(workers);
        for (i, listeners) in per_worker.into_iter().enumerate() {
            let (done, finish) = oneshot::channel();
            let serving: Vec<_> = listeners.into_iter().map(|l| (l, accepting(i))).collect();
            std::thread::Builder::new()
                .name(format!("lath-worker-{i}"))
                .spawn(move || {
                    let served = runtime.run(serve_all(runtime, serving));
                    let _ = done.send(served);
                })?;
            finished.push(finish);
        }
        let mut result = Ok(());
        for finish in finished {
            match finish.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(io::Error::other("a worker thread panicked")),
            }
        }
        result
    }
}

/// Runs an accept loop on each listener, on this thread, until all end.
async fn serve_all<A: App>(
    runtime: Runtime,
    serving: Vec<(std::net::TcpListener, Accepting<A>)>,
) -> io::Result<()> {
    let loops = serving
        .into_iter()
        .map(|(listener, serving)| runtime.listen(listener, serving))
        .collect::<io::Result<Vec<_>>>()?;
    future::try_join_all(loops).await.map(drop)
}

/// Workers by default: `LATH_WORKERS`, else one per core.
fn default_workers() -> usize {
    std::env::var("LATH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// What one accept loop serves, on whichever listener its runtime makes.
struct Accepting<A> {
    app: Arc<A>,
    setting: Setting,
    /// Open connections per peer address, shared by every worker.
    per_ip: Arc<PerIp>,
}

/// Open connections per peer address, in shards so that workers seldom
/// wait for each other. Holds an entry only while a connection is open.
#[derive(Debug, Default)]
struct PerIp {
    shards: [std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>; 8],
}

/// One open connection's place in [`PerIp`], given back when dropped.
struct Held {
    per_ip: Arc<PerIp>,
    ip: std::net::IpAddr,
}

impl PerIp {
    fn shard(
        &self,
        ip: &std::net::IpAddr,
    ) -> &std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        ip.hash(&mut hasher);
        &self.shards[hasher.finish() as usize % self.shards.len()]
    }

    /// A place for one more connection from `ip`, if it holds fewer than
    /// `max`.
    fn admit(self: &Arc<Self>, ip: std::net::IpAddr, max: usize) -> Option<Held> {
        let mut counts = self.shard(&ip).lock().unwrap_or_else(|p| p.into_inner());
        let open = counts.entry(ip).or_insert(0);
        if *open >= max {
            return None;
        }
        *open += 1;
        Some(Held {
            per_ip: self.clone(),
            ip,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self
            .per_ip
            .shard(&self.ip)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(open) = counts.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

impl<A: App> Serve for Accepting<A> {
    fn on<L: Listen>(self, listener: L) -> BoxFuture<'static, io::Result<()>> {
        accept_loop(listener, self).boxed()
    }
}

/// Accepts on `listener` and drives every connection inside this future
/// until a shutdown completes.
async fn accept_loop<L: Listen, A: App>(listener: L, serving: Accepting<A>) -> io::Result<()> {
    let runtime = serving.setting.runtime;
    let shutdown = serving.setting.shutdown.clone();
    let config = serving.setting.config.clone();
    let mut open = Open {
        serving,
        connections: FuturesUnordered::new(),
        slots: Slots::default(),
    };
    let max = config.max_connections.max(1);
    let mut incoming = listener.connections();
    // Draining keeps accepting for `drain_delay`; then accepting stops.
    let mut stop = {
        let shutdown = shutdown.clone();
        let delay = config.drain_delay;
        async move {
            shutdown.draining().await;
            if !delay.is_zero() {
                runtime.sleep(delay).await;
            }
            shutdown.stop();
        }
        .boxed()
    };
    let mut paused: Option<BoxFuture<'static, ()>> = None;
    // Polled only when the listener woke, not at every wake of a
    // connection.
    let mut accepting = Part::new();
    loop {
        let step = poll_fn(|cx| {
            while let Poll::Ready(Some(())) = open.connections.poll_next_unpin(cx) {}
            if stop.poll_unpin(cx).is_ready() {
                return Poll::Ready(None);
            }
            if let Some(pause) = paused.as_mut() {
                if pause.poll_unpin(cx).is_pending() {
                    return Poll::Pending;
                }
                paused = None;
            }
            // At the cap with every connection busy, accept nothing until
            // one closes (or goes idle).
            if open.connections.len() >= max && open.slots.poll_idle(cx).is_pending() {
                return Poll::Pending;
            }
            accepting
                .poll(cx, |cx| incoming.poll_next_unpin(cx))
                .map(Some)
        })
        .await;
        match step {
            None | Some(None) => break,
            Some(Some(Ok((stream, peer)))) => open.take::<L>(stream, peer),
            Some(Some(Err(e))) => {
                if is_resource_exhausted(&e) {
                    // Out of file descriptors or memory: pause accepting
                    // for a moment while connections close; never crash.
                    paused = Some(runtime.sleep(Duration::from_millis(50)));
                }
            }
        }
    }
    // Connections the kernel already accepted are served (their answers
    // close them) rather than reset when the listener closes.
    while let Poll::Ready(Some(Ok((stream, peer)))) =
        poll_fn(|cx| Poll::Ready(incoming.poll_next_unpin(cx))).await
    {
        open.take::<L>(stream, peer);
    }
    drop(incoming);
    drop(listener);
    let mut connections = open.connections;
    let drained = async { while connections.next().await.is_some() {} };
    let deadline = runtime.sleep(config.shutdown_timeout);
    // Past the deadline, what is left is dropped: each connection closes.
    let _ = future::select(deadline, drained.boxed()).await;
    drop(connections);
    Ok(())
}

/// An accept loop's connections.
struct Open<A> {
    serving: Accepting<A>,
    connections: FuturesUnordered<BoxFuture<'static, ()>>,
    slots: Slots,
}

impl<A: App> Open<A> {
    /// Serves a connection just accepted, or closes it if it is refused.
    fn take<L: Listen>(&mut self, stream: L::Stream, peer: Option<SocketAddr>) {
        let Accepting {
            app,
            setting,
            per_ip,
        } = &self.serving;
        let config = &setting.config;
        let metrics = setting.metrics.clone();
        if let Some(metrics) = &metrics {
            metrics.accepted();
        }
        let trusted = match (&config.proxy_protocol, peer) {
            (Some(proxies), Some(peer)) => proxies.allows(peer.ip()),
            _ => false,
        };
        // From a trusted proxy, the client's address comes in the PROXY
        // header: the filters judge it once it is read.
        let held = match trusted {
            true => None,
            false => match admit(config, per_ip, peer) {
                Ok(held) => held,
                Err(refused) => {
                    if let Some(metrics) = &metrics {
                        metrics.refused(refused);
                    }
                    // Refused before a byte is read: dropping closes it.
                    return;
                }
            },
        };
        // Make room as nginx does: close the longest-idle keep-alive
        // connection, so the new client is served now.
        if self.connections.len() >= config.max_connections.max(1)
            && self.slots.evict_longest_idle()
        {
            if let Some(metrics) = &metrics {
                metrics.evicted();
            }
        }
        let slot = self.slots.add(self.connections.len());
        let serving = match trusted {
            true => proxied::<L, A>(
                stream,
                peer,
                app.clone(),
                setting.clone(),
                per_ip.clone(),
                slot,
            )
            .boxed(),
            false => {
                let socket: SocketOf<L::Stream> = L::socket;
                conn::serve(
                    stream,
                    app.clone(),
                    setting.clone(),
                    peer,
                    Some(slot),
                    Some(socket),
                )
                .boxed()
            }
        };
        if let Some(metrics) = &metrics {
            metrics.opened();
        }
        let closing = Closing { held, metrics };
        self.connections.push(
            async move {
                serving.await;
                drop(closing);
            }
            .boxed(),
        );
    }
}

/// What a connection gives back when its future ends, whether it
/// finished or was dropped by a shutdown past its deadline: its place
/// under the per-address cap, and its count in the metrics.
struct Closing {
    held: Option<Held>,
    metrics: Option<Arc<WorkerMetrics>>,
}

impl Drop for Closing {
    fn drop(&mut self) {
        self.held.take();
        if let Some(metrics) = &self.metrics {
            metrics.closed();
        }
    }
}

/// Whether the client at `peer` may be served, by the IP filter and the
/// per-address cap: why not, else its place under the cap.
fn admit(
    config: &Config,
    per_ip: &Arc<PerIp>,
    peer: Option<SocketAddr>,
) -> Result<Option<Held>, Refused> {
    if peer.is_some_and(|peer| !config.ip_filter.allows(peer.ip())) {
        return Err(Refused::IpFilter);
    }
    match (config.max_connections_per_ip, peer) {
        (Some(max), Some(peer)) => per_ip.admit(peer.ip(), max).map(Some).ok_or(Refused::PerIp),
        _ => Ok(None),
    }
}

/// A connection from a trusted proxy: its PROXY header first (within the
/// head timeout), then the client it names is filtered and served as if
/// it had connected itself. A malformed header is answered `400` and the
/// connection closed; one that does not come in time is dropped.
async fn proxied<L: Listen, A: App>(
    mut stream: L::Stream,
    peer: Option<SocketAddr>,
    app: Arc<A>,
    setting: Setting,
    per_ip: Arc<PerIp>,
    slot: Arc<Slot>,
) {
    use futures::{AsyncReadExt, AsyncWriteExt};
    let refused = |why: Refused| {
        if let Some(metrics) = &setting.metrics {
            metrics.refused(why);
        }
    };
    let mut buf = Vec::with_capacity(128);
    let read_header = async {
        let mut piece = [0u8; 512];
        loop {
            match proxy::parse(&buf) {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => {}
                Err(e) => return Err(Some(e)),
            }
            match stream.read(&mut piece).await {
                Ok(0) | Err(_) => return Err(None),
                Ok(n) => buf.extend_from_slice(&piece[..n]),
            }
        }
    };
    let deadline = setting.runtime.sleep(setting.config.head_timeout);
    let read = match future::select(std::pin::pin!(read_header), deadline).await {
        Either::Left((read, _)) => read,
        Either::Right(_) => Err(None),
    };
    let (said, len) = match read {
        Ok(found) => found,
        Err(Some(malformed)) => {
            refused(Refused::ProxyHeader);
            let body = malformed.0;
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.close().await;
            return;
        }
        Err(None) => {
            refused(Refused::ProxyHeader);
            return;
        }
    };
    let client = match said {
        proxy::Said::Proxied(client) => Some(client),
        proxy::Said::Local => peer,
    };
    let held = match admit(&setting.config, &per_ip, client) {
        Ok(held) => held,
        Err(why) => return refused(why),
    };
    let rest = bytes::Bytes::from(buf).slice(len..);
    // The PROXY header's bytes are read; writes go to the socket as they
    // are, so a body may still go out by `sendfile`.
    let socket: SocketOf<Prefixed<L::Stream>> = prefixed_socket::<L>;
    let stream = Prefixed { rest, io: stream };
    conn::serve(stream, app, setting, client, Some(slot), Some(socket)).await;
    drop(held);
}

/// The socket under a stream whose first bytes were a PROXY header.
fn prefixed_socket<L: Listen>(stream: &Prefixed<L::Stream>) -> Option<Fd<'_>> {
    L::socket(&stream.io)
}

fn is_resource_exhausted(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux and the BSDs.
    matches!(e.raw_os_error(), Some(23 | 24 | 55 | 105 | 12))
        || e.kind() == io::ErrorKind::OutOfMemory
}

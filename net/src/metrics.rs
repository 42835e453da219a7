//! Counting for the Prometheus text exposition format: each worker counts
//! in its own atomics, with no lock per request, and a scrape sums them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use lath_app::{App, Request, Respond, Response, RouteName, Status};

use crate::ShutdownHandle;

/// Route numbers a table holds (see [`RouteName`]).
const ROUTES: usize = RouteName::OTHER as usize + 1;

/// Upper bounds of the request-duration buckets, in microseconds.
const BUCKETS: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Why a connection was closed at accept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refused {
    /// The IP filter's deny or allow list.
    IpFilter,
    /// `max_connections_per_ip`.
    PerIp,
    /// A trusted proxy's PROXY header was missing or malformed.
    ProxyHeader,
}

const REASONS: [&str; 3] = ["ip_filter", "per_ip_limit", "proxy_header"];

/// A server's counters, and the app that shows them: [`Server::metrics`]
/// turns counting on and returns this. Answers `GET` with every counter
/// in the Prometheus text exposition format (version 0.0.4):
///
/// | metric | labels | what |
/// |---|---|---|
/// | `lath_connections_accepted_total` | `worker` | connections accepted |
/// | `lath_connections_open` | `worker` | connections open now |
/// | `lath_connections_evicted_total` | `worker` | idle connections closed to admit others at `max_connections` |
/// | `lath_connections_refused_total` | `worker`, `reason` | closed at accept: `ip_filter`, `per_ip_limit`, `proxy_header` |
/// | `lath_received_bytes_total`, `lath_sent_bytes_total` | `worker` | bytes of HTTP read and written (over TLS: before encryption) |
/// | `lath_worker_requests_total` | `worker` | requests answered |
/// | `lath_requests_total` | `route`, `status` | requests answered, by route pattern and status class (`2xx`) |
/// | `lath_request_duration_seconds` | `route` | histogram, from the request head to the response's last byte (HTTP/2: to its head) |
/// | `lath_draining` | | 1 once a shutdown began |
/// | `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds` | | the process (Linux) |
///
/// The route is the pattern a router matched, `(none)` when none did
/// (a `404`, or a request the codec refused). Request counters are summed
/// over the workers when scraped. Counting costs a few plain stores to the
/// worker's own counters per read, write and request: no lock, no locked
/// instruction.
///
/// [`Server::metrics`]: crate::Server::metrics
///
/// ```
/// use std::io::{Read, Write};
/// use lath::prelude::*;
/// let (tx, rx) = std::sync::mpsc::channel();
/// std::thread::spawn(move || {
///     lath::net::run(async move {
///         let server = Server::bind("127.0.0.1:0").await?.workers(1);
///         let metrics = server.metrics();
///         let app = Router::new()
///             .get("/metrics", metrics)
///             .get("/users/:id", handler(|_req: Request| async { "a user" }))
///             .build()
///             .unwrap();
///         tx.send(server.local_addr()?).unwrap();
///         server.serve(app).await
///     })
/// });
/// let addr = rx.recv().unwrap();
/// let get = |path: &str| {
///     let mut conn = std::net::TcpStream::connect(addr).unwrap();
///     write!(conn, "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
///     let mut answer = String::new();
///     conn.read_to_string(&mut answer).unwrap();
///     answer
/// };
/// get("/users/7");
/// get("/users/8");
/// let scraped = get("/metrics");
/// assert!(scraped.contains("lath_requests_total{route=\"/users/:id\",status=\"2xx\"} 2\n"), "{scraped}");
/// assert!(scraped.contains("lath_connections_accepted_total{worker=\"0\"} 3\n"));
/// ```
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
}

#[derive(Debug)]
struct Registry {
    workers: Mutex<Vec<Arc<WorkerMetrics>>>,
    shutdown: ShutdownHandle,
}

/// One worker's counters. One task writes them (the worker's accept loop,
/// and the connections driven inside it), so a count goes up with a plain
/// load and store, never a locked read-modify-write; a scrape reads them
/// from anywhere.
#[derive(Debug)]
pub(crate) struct WorkerMetrics {
    accepted: AtomicU64,
    open: AtomicI64,
    evicted: AtomicU64,
    refused: [AtomicU64; 3],
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    requests: AtomicU64,
    /// Made the first time a route is answered.
    routes: Box<[OnceLock<Box<RouteCounters>>]>,
}

#[derive(Debug, Default)]
struct RouteCounters {
    /// By status class: 1xx to 5xx.
    classes: [AtomicU64; 5],
    /// Not cumulative: the scrape adds them up; the last is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    micros: AtomicU64,
}

impl Metrics {
    pub(crate) fn new(shutdown: ShutdownHandle) -> Metrics {
        Metrics {
            registry: Arc::new(Registry {
                workers: Mutex::default(),
                shutdown,
            }),
        }
    }

    /// Worker `i`'s counters, made if need be.
    pub(crate) fn worker(&self, i: usize) -> Arc<WorkerMetrics> {
        let mut workers = self
            .registry
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        while workers.len() <= i {
            workers.push(Arc::new(WorkerMetrics::new()));
        }
        workers[i].clone()
    }

    /// Every counter in the Prometheus text exposition format.
    ///
    /// ```
    /// use lath::net::Server;
    /// # lath::net::run(async {
    /// let server = Server::bind("127.0.0.1:0").await.unwrap();
    /// let text = server.metrics().render();
    /// assert!(text.contains("# TYPE lath_requests_total counter\n"));
    /// assert!(text.contains("lath_draining 0\n"));
    /// # });
    /// ```
    pub fn render(&self) -> String {
        let workers = self
            .registry
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut out = String::with_capacity(4096);
        let per_worker = |out: &mut String,
                          name: &str,
                          kind: &str,
                          help: &str,
                          get: &dyn Fn(&WorkerMetrics) -> i64| {
            family(out, name, kind, help);
            for (i, w) in workers.iter().enumerate() {
                let _ = writeln!(out, "{name}{{worker=\"{i}\"}} {}", get(w));
            }
        };
        per_worker(
            &mut out,
            "lath_connections_accepted_total",
            "counter",
            "Connections accepted.",
            &|w| load(&w.accepted),
        );
        per_worker(
            &mut out,
            "lath_connections_open",
            "gauge",
            "Connections open now.",
            &|w| w.open.load(Relaxed),
        );
        per_worker(
            &mut out,
            "lath_connections_evicted_total",
            "counter",
            "Idle connections closed to admit new ones at max_connections.",
            &|w| load(&w.evicted),
        );
        family(
            &mut out,
            "lath_connections_refused_total",
            "counter",
            "Connections closed at accept, by reason.",
        );
        for (i, w) in workers.iter().enumerate() {
            for (reason, count) in REASONS.iter().zip(&w.refused) {
                let _ = writeln!(
                    out,
                    "lath_connections_refused_total{{worker=\"{i}\",reason=\"{reason}\"}} {}",
                    load(count)
                );
            }
        }
        per_worker(
            &mut out,
            "lath_received_bytes_total",
            "counter",
            "Bytes read from clients.",
            &|w| load(&w.bytes_in),
        );
        per_worker(
            &mut out,
            "lath_sent_bytes_total",
            "counter",
            "Bytes written to clients.",
            &|w| load(&w.bytes_out),
        );
        per_worker(
            &mut out,
            "lath_worker_requests_total",
            "counter",
            "Requests answered by each worker.",
            &|w| load(&w.requests),
        );
        self.render_requests(&mut out, &workers);
        family(
            &mut out,
            "lath_draining",
            "gauge",
            "1 once a graceful shutdown began.",
        );
        let _ = writeln!(
            out,
            "lath_draining {}",
            u8::from(self.registry.shutdown.is_draining())
        );
        process(&mut out);
        out
    }

    /// Requests by route and status class, and their durations, summed
    /// over the workers.
    fn render_requests(&self, out: &mut String, workers: &[Arc<WorkerMetrics>]) {
        let mut totals: Vec<(u32, [u64; 5], [u64; BUCKETS.len() + 1], u64)> = Vec::new();
        for id in 0..ROUTES {
            let mut sum = ([0u64; 5], [0u64; BUCKETS.len() + 1], 0u64);
            let mut seen = false;
            for w in workers {
                if let Some(route) = w.routes[id].get() {
                    seen = true;
                    for (t, c) in sum.0.iter_mut().zip(&route.classes) {
                        *t += c.load(Relaxed);
                    }
                    for (t, c) in sum.1.iter_mut().zip(&route.buckets) {
                        *t += c.load(Relaxed);
                    }
                    sum.2 += route.micros.load(Relaxed);
                }
            }
            if seen {
                totals.push((id as u32, sum.0, sum.1, sum.2));
            }
        }
        let label = |id: u32| match id {
            RouteName::NONE => "(none)".to_owned(),
            RouteName::OTHER => "(other)".to_owned(),
            id => RouteName::by_id(id).map_or_else(|| "(other)".to_owned(), |r| escape(r.as_str())),
        };
        family(
            out,
            "lath_requests_total",
            "counter",
            "Requests answered, by route pattern and status class.",
        );
        for (id, classes, _, _) in &totals {
            let route = label(*id);
            for (class, count) in classes.iter().enumerate() {
                if *count > 0 {
                    let _ = writeln!(
                        out,
                        "lath_requests_total{{route=\"{route}\",status=\"{}xx\"}} {count}",
                        class + 1
                    );
                }
            }
        }
        family(
            out,
            "lath_request_duration_seconds",
            "histogram",
            "Time from a request's head to its response's last byte.",
        );
        for (id, _, buckets, micros) in &totals {
            let route = label(*id);
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(buckets) {
                cumulative += count;
                let _ = writeln!(out, "lath_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {cumulative}", *bound as f64 / 1e6);
            }
            cumulative += buckets[BUCKETS.len()];
            let _ = writeln!(out, "lath_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}");
            let _ = writeln!(
                out,
                "lath_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                *micros as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "lath_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}"
            );
        }
    }
}

impl App for Metrics {
    async fn call(&self, _req: Request, respond: Respond) {
        respond.send(
            Response::new(Status::OK)
                .with_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .with_header("Cache-Control", "no-store")
                .with_body(self.render()),
        );
    }
}

impl WorkerMetrics {
    fn new() -> WorkerMetrics {
        WorkerMetrics {
            accepted: AtomicU64::new(0),
            open: AtomicI64::new(0),
            evicted: AtomicU64::new(0),
            refused: Default::default(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            routes: (0..ROUTES).map(|_| OnceLock::new()).collect(),
        }
    }

    pub(crate) fn accepted(&self) {
        bump(&self.accepted, 1);
    }

    pub(crate) fn opened(&self) {
        self.open.store(self.open.load(Relaxed) + 1, Relaxed);
    }

    pub(crate) fn closed(&self) {
        self.open.store(self.open.load(Relaxed) - 1, Relaxed);
    }

    pub(crate) fn evicted(&self) {
        bump(&self.evicted, 1);
    }

    pub(crate) fn refused(&self, why: Refused) {
        bump(&self.refused[why as usize], 1);
    }

    pub(crate) fn received(&self, bytes: usize) {
        bump(&self.bytes_in, bytes as u64);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        bump(&self.bytes_out, bytes as u64);
    }

    /// One request answered with `status` by the route numbered `route`.
    pub(crate) fn answered(&self, route: u32, status: Status, took: Duration) {
        bump(&self.requests, 1);
        let route = self.routes[(route as usize).min(ROUTES - 1)].get_or_init(Box::default);
        let class = (usize::from(status.code() / 100)).clamp(1, 5) - 1;
        bump(&route.classes[class], 1);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS.partition_point(|bound| *bound < micros);
        bump(&route.buckets[bucket], 1);
        bump(&route.micros, micros);
    }
}

/// Adds `n` to a counter only one task writes (see [`WorkerMetrics`]).
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

fn load(counter: &AtomicU64) -> i64 {
    i64::try_from(counter.load(Relaxed)).unwrap_or(i64::MAX)
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the exposition format writes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The process's resident memory, CPU time and open files, from `/proc`
/// (Linux; nothing elsewhere).
fn process(out: &mut String) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
    if let Some(kib) = rss_kib {
        family(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        );
        let _ = writeln!(out, "process_resident_memory_bytes {}", kib * 1024);
    }
    // Fields 14 and 15 of /proc/self/stat (user and system time, in clock
    // ticks of 1/100 s on Linux), counted after the command's parenthesis.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let ticks: Option<u64> = stat.rsplit_once(')').and_then(|(_, rest)| {
        let fields: Vec<&str> = rest.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    });
    if let Some(ticks) = ticks {
        family(
            out,
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time in seconds.",
        );
        let _ = writeln!(out, "process_cpu_seconds_total {}", ticks as f64 / 100.0);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        family(out, "process_open_fds", "gauge", "Open file descriptors.");
        let _ = writeln!(out, "process_open_fds {}", fds.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_their_buckets_and_routes_are_summed_over_workers() {
        let (handle, _) = crate::shutdown::channel();
        let metrics = Metrics::new(handle);
        let route = RouteName::new("/metrics-test/:id");
        let (a, b) = (metrics.worker(0), metrics.worker(1));
        a.answered(route.id(), Status::OK, Duration::from_micros(900));
        b.answered(route.id(), Status::OK, Duration::from_millis(3));
        b.answered(route.id(), Status::NOT_FOUND, Duration::from_secs(20));
        let text = metrics.render();
        let has = |line: &str| assert!(text.contains(&format!("{line}\n")), "{line} in\n{text}");
        has("lath_requests_total{route=\"/metrics-test/:id\",status=\"2xx\"} 2");
        has("lath_requests_total{route=\"/metrics-test/:id\",status=\"4xx\"} 1");
        has("lath_request_duration_seconds_bucket{route=\"/metrics-test/:id\",le=\"0.001\"} 1");
        has("lath_request_duration_seconds_bucket{route=\"/metrics-test/:id\",le=\"0.0025\"} 1");
        has("lath_request_duration_seconds_bucket{route=\"/metrics-test/:id\",le=\"0.005\"} 2");
        has("lath_request_duration_seconds_bucket{route=\"/metrics-test/:id\",le=\"10\"} 2");
        has("lath_request_duration_seconds_bucket{route=\"/metrics-test/:id\",le=\"+Inf\"} 3");
        has("lath_request_duration_seconds_count{route=\"/metrics-test/:id\"} 3");
        has("lath_worker_requests_total{worker=\"0\"} 1");
        has("lath_worker_requests_total{worker=\"1\"} 2");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

//! Per-client rate limits (titbit's `maxIPRequest` / `unitTime`): the
//! generic cell rate algorithm, one cell per client, in a bounded table.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lath_app::{App, HttpError, Layer, Request, Respond, Response};

use crate::slot::{mapped, Ways};
use crate::RequestExt;

/// How many requests, per how long: the steady rate a client may keep.
///
/// ```
/// use std::time::Duration;
/// use lath::layers::Rate;
/// assert_eq!(Rate::per_second(5), Rate::new(5, Duration::from_secs(1)));
/// assert_eq!(Rate::per_minute(60).interval(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    per: Duration,
}

impl Rate {
    /// `count` requests every `per` (a `count` of 0 counts as 1).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::layers::Rate;
    /// let rate = Rate::new(10, Duration::from_secs(60));
    /// assert_eq!(rate.interval(), Duration::from_secs(6));
    /// ```
    pub fn new(count: u32, per: Duration) -> Rate {
        Rate {
            count: count.max(1),
            per,
        }
    }

    /// `count` requests a second.
    ///
    /// ```
    /// use lath::layers::Rate;
    /// assert_eq!(Rate::per_second(4).interval().as_millis(), 250);
    /// ```
    pub fn per_second(count: u32) -> Rate {
        Rate::new(count, Duration::from_secs(1))
    }

    /// `count` requests a minute.
    ///
    /// ```
    /// use lath::layers::Rate;
    /// assert_eq!(Rate::per_minute(30).interval().as_secs(), 2);
    /// ```
    pub fn per_minute(count: u32) -> Rate {
        Rate::new(count, Duration::from_secs(60))
    }

    /// The time one request's allowance takes to come back.
    ///
    /// ```
    /// use lath::layers::Rate;
    /// assert_eq!(Rate::per_second(2).interval().as_millis(), 500);
    /// ```
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

/// The key requests are counted under: the client's address by default.
type KeyFn = Arc<dyn Fn(&Request) -> Option<String> + Send + Sync>;

/// Clients kept by default; past it, those least recently seen are
/// forgotten (and start again with a full burst).
pub const DEFAULT_MAX_CLIENTS: usize = 100_000;

/// The table's shards: each a lock of its own, so requests from different
/// clients rarely wait for each other and none takes a global lock.
const SHARDS: usize = 16;

/// A layer that limits each client to `rate` with bursts of up to `burst`
/// requests (GCRA: a client that waited long enough may send `burst` at
/// once, then one per interval). Over the limit: `429 Too Many Requests`
/// with `Retry-After`. Every answer carries the `RateLimit-Policy` and
/// `RateLimit` fields of the IETF httpapi draft, so a client can pace
/// itself.
///
/// Clients are told apart by their address as the app sees it
/// ([`RequestExt::ip`]: after trusted proxies), or by a key of your own
/// ([`RateLimitLayer::key`]); requests with no address share one bucket.
/// The table keeps at most [`DEFAULT_MAX_CLIENTS`] clients
/// ([`RateLimitLayer::max_clients`]): a flood of distinct addresses
/// cannot grow memory without bound. Scope it to a branch with
/// `Router::layer`.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{rate_limit, Rate};
///
/// let app = handler(|_req: Request| async { "ok" }).wrap(rate_limit(Rate::per_second(5), 3));
/// let client = Client::new(app);
/// for _ in 0..3 {
///     assert_eq!(client.get("/").send_blocking().unwrap().status.code(), 200);
/// }
/// let refused = client.get("/").send_blocking().unwrap();
/// assert_eq!(refused.status.code(), 429);
/// assert_eq!(refused.header("retry-after"), Some("1"));
/// assert_eq!(refused.header("ratelimit-policy"), Some("\"default\";q=3;w=1"));
/// assert_eq!(refused.header("ratelimit"), Some("\"default\";r=0;t=1"));
/// ```
pub fn rate_limit(rate: Rate, burst: u32) -> RateLimitLayer {
    RateLimitLayer {
        rate,
        burst: burst.max(1),
        key: None,
        max_clients: DEFAULT_MAX_CLIENTS,
    }
}

/// The layer [`rate_limit`] makes; its methods set the key and the
/// table's bound.
#[derive(Clone)]
pub struct RateLimitLayer {
    rate: Rate,
    burst: u32,
    key: Option<KeyFn>,
    max_clients: usize,
}

impl fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("rate", &self.rate)
            .field("burst", &self.burst)
            .field("max_clients", &self.max_clients)
            .finish_non_exhaustive()
    }
}

impl RateLimitLayer {
    /// Counts requests under `key(req)` instead of the client's address
    /// (an API token, a user id); `None` falls back to the address.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{rate_limit, Rate};
    /// let layer = rate_limit(Rate::per_minute(60), 1)
    ///     .key(|req: &Request| req.header("x-api-key").map(str::to_owned));
    /// let client = Client::new(handler(|_req: Request| async { "ok" }).wrap(layer));
    /// let with = |key: &str| client.get("/").header("X-Api-Key", key).send_blocking().unwrap().status.code();
    /// assert_eq!((with("a"), with("b")), (200, 200)); // a bucket each
    /// assert_eq!(with("a"), 429);
    /// ```
    pub fn key(
        mut self,
        key: impl Fn(&Request) -> Option<String> + Send + Sync + 'static,
    ) -> RateLimitLayer {
        self.key = Some(Arc::new(key));
        self
    }

    /// The most clients kept (default [`DEFAULT_MAX_CLIENTS`]).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{rate_limit, Rate};
    /// let small = rate_limit(Rate::per_second(1), 1).max_clients(1_000);
    /// let app = handler(|_req: Request| async { "ok" }).wrap(small);
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 200);
    /// ```
    pub fn max_clients(mut self, max: usize) -> RateLimitLayer {
        self.max_clients = max.max(SHARDS * 2);
        self
    }
}

impl<A: App> Layer<A> for RateLimitLayer {
    type App = RateLimit<A>;

    fn layer(self, app: A) -> RateLimit<A> {
        RateLimit {
            app,
            limiter: Arc::new(Limiter::new(&self)),
            key: self.key,
        }
    }
}

/// The app a [`RateLimitLayer`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{rate_limit, Rate, RateLimit};
/// let app: RateLimit<_> = handler(|_req: Request| async { "ok" }).wrap(rate_limit(Rate::per_second(10), 10));
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(res.header("ratelimit"), Some("\"default\";r=9;t=1"));
/// ```
pub struct RateLimit<A> {
    app: A,
    limiter: Arc<Limiter>,
    key: Option<KeyFn>,
}

impl<A> fmt::Debug for RateLimit<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

/// The cells, and the algorithm's constants.
struct Limiter {
    /// The time one request's allowance takes to come back.
    interval: Duration,
    /// How far ahead of now a cell may run: `interval × (burst − 1)`.
    tolerance: Duration,
    burst: u32,
    per_shard: usize,
    shards: Vec<Mutex<Shard>>,
    /// Random per limiter: clients cannot choose keys that collide.
    keys: RandomState,
    /// The same, for addresses: two random words a folded multiply mixes
    /// in (a tenth of SipHash's work).
    seeds: (u64, u64),
    epoch: Instant,
    /// `RateLimit-Policy`, the same on every answer: made once.
    policy: bytes::Bytes,
}

/// One shard of the table: two generations, so the least recently seen
/// clients are forgotten in O(1) once a generation fills.
#[derive(Default)]
struct Shard {
    current: Cells,
    previous: Cells,
}

/// Cells by a keyed 64-bit hash of the client's key, hashed once per
/// request: the table keeps no key (a named key's string is never
/// stored), and two clients share a cell only if their keyed hashes
/// collide, which they cannot arrange.
type Cells = HashMap<u64, Duration, BuildHasherDefault<Hashed>>;

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Hashed(u64);

impl Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A client: its address, or a key of the app's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(std::net::IpAddr),
    Named(String),
    Unknown,
}

/// What one request was judged.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    allowed: bool,
    remaining: u32,
    /// Seconds until the full burst is back.
    reset: u64,
    /// Seconds to wait before retrying, when refused.
    retry_after: u64,
}

impl Limiter {
    /// An empty table for `layer`'s rate, burst and bound.
    fn new(layer: &RateLimitLayer) -> Limiter {
        let interval = layer.rate.interval();
        Limiter {
            interval,
            tolerance: interval * (layer.burst - 1),
            burst: layer.burst,
            per_shard: layer.max_clients.div_ceil(SHARDS),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            keys: RandomState::new(),
            seeds: {
                let random = RandomState::new();
                (random.hash_one(0u8), random.hash_one(1u8))
            },
            epoch: Instant::now(),
            policy: policy(layer.burst, interval),
        }
    }

    fn judge(&self, key: Key) -> Verdict {
        let now = self.epoch.elapsed();
        let key = self.hash(&key);
        // Bits the shard's own table does not index by.
        let shard = &self.shards[(key >> 40) as usize % SHARDS];
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        // The theoretical arrival time of the client's next request.
        let tat = match shard.current.get(&key) {
            Some(tat) => *tat,
            None => shard.previous.remove(&key).unwrap_or(now),
        }
        .max(now);
        let ahead = tat - now;
        if ahead > self.tolerance {
            let wait = ahead - self.tolerance;
            self.store(&mut shard, key, tat);
            return Verdict {
                allowed: false,
                remaining: 0,
                reset: ceil_secs(ahead),
                retry_after: ceil_secs(wait).max(1),
            };
        }
        let next = tat + self.interval;
        self.store(&mut shard, key, next);
        let used = ceil_div(next - now, self.interval);
        Verdict {
            allowed: true,
            remaining: self.burst.saturating_sub(used),
            reset: ceil_secs(next - now),
            retry_after: 0,
        }
    }

    /// `key` hashed with this limiter's random seeds.
    fn hash(&self, key: &Key) -> u64 {
        let (a, b) = self.seeds;
        match key {
            Key::Ip(std::net::IpAddr::V4(ip)) => fold(u64::from(u32::from(*ip)) ^ a, b),
            Key::Ip(std::net::IpAddr::V6(ip)) => {
                let ip = u128::from(*ip);
                fold(ip as u64 ^ a, (ip >> 64) as u64 ^ b)
            }
            key => self.keys.hash_one(key),
        }
    }

    /// Keeps `key`'s cell in the current generation; a full generation
    /// becomes the previous one, and the previous one, seen least
    /// recently, is forgotten.
    fn store(&self, shard: &mut Shard, key: u64, tat: Duration) {
        if shard.current.len() >= self.per_shard / 2 && !shard.current.contains_key(&key) {
            shard.previous = std::mem::take(&mut shard.current);
        }
        shard.current.insert(key, tat);
    }

    /// The fields of the IETF httpapi rate limit draft.
    fn fields(&self, verdict: &Verdict, res: Response) -> Response {
        // `"default";r=R;t=T`, written by hand on the stack: the
        // formatting machinery cost more than the rest of the layer.
        let mut buf = [0u8; 64];
        let mut len = 0;
        for piece in [
            &b"\"default\";r="[..],
            digits(u64::from(verdict.remaining), &mut [0; 20]),
            b";t=",
            digits(verdict.reset, &mut [0; 20]),
        ] {
            buf[len..len + piece.len()].copy_from_slice(piece);
            len += piece.len();
        }
        res.with_header("RateLimit-Policy", self.policy.clone())
            .with_header("RateLimit", bytes::Bytes::copy_from_slice(&buf[..len]))
    }
}

/// The two halves of `a × b`, mixed: a keyed hash of `a` when `b` is
/// secret (as foldhash does).
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    product as u64 ^ (product >> 64) as u64
}

/// `n` in decimal, in the end of `buf`.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// `RateLimit-Policy`: the burst as the quota, and as the window the
/// seconds a full burst takes to come back.
fn policy(burst: u32, interval: Duration) -> bytes::Bytes {
    let window = (interval * burst).as_secs_f64().ceil().max(1.0) as u64;
    format!("\"default\";q={burst};w={window}").into()
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// How many intervals `d` spans, rounded up.
fn ceil_div(d: Duration, interval: Duration) -> u32 {
    let (d, i) = (d.as_nanos(), interval.as_nanos().max(1));
    d.div_ceil(i).min(u128::from(u32::MAX)) as u32
}

thread_local! {
    static WAYS: Ways<(Arc<Limiter>, Verdict)> = const { lath_app::recycle::KeptArcs::new() };
}

impl<A: App> App for RateLimit<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let key = self
            .key
            .as_ref()
            .and_then(|key| key(&req))
            .map(Key::Named)
            .or_else(|| req.ip().map(Key::Ip))
            .unwrap_or(Key::Unknown);
        let verdict = self.limiter.judge(key);
        if !verdict.allowed {
            let refused = Response::from(HttpError::too_many_requests())
                .with_header("Retry-After", verdict.retry_after.to_string());
            return respond.send(self.limiter.fields(&verdict, refused));
        }
        let state = (self.limiter.clone(), verdict);
        let (respond, _held) = mapped(&WAYS, respond, state, |(limiter, verdict), res| {
            limiter.fields(&verdict, res)
        });
        self.app.call(req, respond).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: Rate, burst: u32, max: usize) -> Limiter {
        Limiter::new(&rate_limit(rate, burst).max_clients(max))
    }

    #[test]
    fn a_burst_then_one_per_interval_and_a_bucket_per_client() {
        // One request a minute: nothing comes back during the test.
        let limiter = limiter(Rate::per_minute(1), 3, 1000);
        let a = || Key::Named("a".into());
        let allowed: Vec<bool> = (0..4).map(|_| limiter.judge(a()).allowed).collect();
        assert_eq!(allowed, [true, true, true, false]);
        let refused = limiter.judge(a());
        assert!(!refused.allowed);
        assert!((59..=60).contains(&refused.retry_after), "{refused:?}");
        assert!(
            limiter.judge(Key::Named("b".into())).allowed,
            "another client"
        );
        assert!(limiter.judge(Key::Unknown).allowed);
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 1_000_000, u64::MAX] {
            assert_eq!(digits(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn the_table_stays_bounded_under_a_flood_of_clients() {
        let limiter = limiter(Rate::per_minute(1), 1, 1000);
        for i in 0..100_000u32 {
            limiter.judge(Key::Ip(std::net::IpAddr::from(i.to_be_bytes())));
        }
        let kept: usize = limiter
            .shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap();
                s.current.len() + s.previous.len()
            })
            .sum();
        assert!(kept <= 1000 + SHARDS, "{kept} kept");
        // A recent client is still remembered: its burst is spent.
        assert!(
            !limiter
                .judge(Key::Ip(std::net::IpAddr::from(99_999u32.to_be_bytes())))
                .allowed
        );
    }
}

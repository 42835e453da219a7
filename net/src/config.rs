//! Settings of a server: the codec's, plus timeouts and connection limits.

use std::time::Duration;

/// Server settings, each with a documented default.
///
/// ```
/// use std::time::Duration;
/// let mut config = lath_net::Config::default();
/// config.head_timeout = Duration::from_secs(5);
/// config.codec.server = None; // no `Server` header
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The codec's limits and automatic headers.
    pub codec: lath_codec::Config,
    /// Time to receive a whole request head once its first byte arrived
    /// (default 10 s); then `408` and close.
    pub head_timeout: Duration,
    /// Time an idle keep-alive connection waits for a next request
    /// (default 60 s); then it closes silently.
    pub idle_timeout: Duration,
    /// Time a request body may stall between two pieces (default 30 s);
    /// then the app's body read fails and the connection closes.
    pub body_timeout: Duration,
    /// Connections served at once (default 10 000); past it the listener
    /// waits for one to close before accepting.
    pub max_connections: usize,
    /// Requests served on one connection before it closes (default none).
    pub max_requests_per_connection: Option<usize>,
    /// Time in-flight requests get to finish after a shutdown begins
    /// (default 30 s); then their connections are closed.
    pub shutdown_timeout: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            codec: lath_codec::Config::default(),
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_requests_per_connection: None,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

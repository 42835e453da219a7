//! Settings of a server: the codec's, plus timeouts and connection limits.

use std::time::Duration;

/// Server settings, each with a documented default.
///
/// ```
/// use std::time::Duration;
/// let mut config = lath::net::Config::default();
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
    /// Time a request body may stall between two pieces while the app
    /// waits for it (default 30 s); then the app's body read fails, the
    /// answer is `408` with `Connection: close` if no response head went
    /// out, and the connection closes.
    pub body_timeout: Duration,
    /// The slowest request body accepted, in bytes per second (default
    /// 1024; 0 turns the check off). Measured over windows of
    /// `body_rate_window` of the time the app spends waiting for body
    /// bytes, from the second window on; a body below it is cut as a stall
    /// is.
    pub min_body_rate: u64,
    /// The window `min_body_rate` is averaged over (default 10 s); the
    /// first window is a grace period.
    pub body_rate_window: Duration,
    /// Time a response may make no write progress (default 30 s), counted
    /// between two successful writes, as nginx's `send_timeout`: a client
    /// that stops reading is cut off, and the app's body stream dropped.
    pub write_timeout: Duration,
    /// Time, in all, a closing connection keeps reading and discarding
    /// what a client still sends (default 30 s), so that the client reads
    /// the answer rather than a reset; it stops sooner after 5 s without
    /// data, or at the client's EOF. Only connections closed while the
    /// client may still be sending linger (an unread body, bytes past the
    /// last request, a malformed request); one cut off for being too slow
    /// lingers at most 5 s.
    pub linger_timeout: Duration,
    /// Connections served at once (default 10 000). At the cap, the
    /// connection idle the longest is closed to admit a new client; only
    /// when every connection is busy does the listener wait for one to
    /// close.
    pub max_connections: usize,
    /// Connections one peer address may hold open at once, across all
    /// workers (default none). Past it, a new connection from that address
    /// is closed at accept, before a byte of it is read.
    pub max_connections_per_ip: Option<usize>,
    /// Requests served on one connection before it closes (default none).
    pub max_requests_per_connection: Option<usize>,
    /// Time in-flight requests get to finish once a shutdown stops
    /// accepting (default 30 s); then their connections are closed.
    pub shutdown_timeout: Duration,
    /// Time a shutdown keeps accepting and serving after it begins
    /// (default 0), every response with `Connection: close`, while the
    /// [`ready`](crate::ShutdownHandle::ready) app answers `503`. Set it to
    /// the load balancer's health-check interval, so the balancer stops
    /// sending new clients before the listener closes.
    pub drain_delay: Duration,
    /// Time an idle keep-alive connection still waits for a request once
    /// a shutdown stops accepting (default 1 s): a request already on its
    /// way is answered, with `Connection: close`, instead of meeting a
    /// closed connection.
    pub idle_grace: Duration,
    /// Which peers may connect (default: all). A connection from any other
    /// address is closed at accept, before a byte of it is read. See also
    /// [`Server::ip_filter`](crate::Server::ip_filter).
    pub ip_filter: lath_app::IpFilter,
    /// Time, from the accept, for a whole TLS handshake (default 10 s):
    /// a client that has not finished it by then is dropped. Only with
    /// [`Server::tls`](crate::Server::tls).
    pub tls_handshake_timeout: Duration,
    /// Limits of HTTP/2 connections (with the `http2` feature).
    pub http2: Http2Config,
    /// The load balancers whose connections start with a PROXY protocol
    /// header (default none): the peers this filter allows. See
    /// [`Server::proxy_protocol`](crate::Server::proxy_protocol).
    pub proxy_protocol: Option<lath_app::IpFilter>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            codec: lath_codec::Config::default(),
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            min_body_rate: 1024,
            body_rate_window: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            linger_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_connections_per_ip: None,
            max_requests_per_connection: None,
            shutdown_timeout: Duration::from_secs(30),
            drain_delay: Duration::ZERO,
            idle_grace: Duration::from_secs(1),
            ip_filter: lath_app::IpFilter::new(),
            proxy_protocol: None,
            tls_handshake_timeout: Duration::from_secs(10),
            http2: Http2Config::default(),
        }
    }
}

/// Limits of HTTP/2 connections, each with a documented default.
///
/// ```
/// let mut config = lath::net::Config::default();
/// config.http2.max_concurrent_streams = 250;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Http2Config {
    /// Streams a client may have open at once on one connection (default
    /// 100, as nginx); more are refused with `REFUSED_STREAM`.
    pub max_concurrent_streams: u32,
    /// The largest request header list, decoded, in bytes (default
    /// 16 KiB, as the HTTP/1.1 head limit); larger is refused.
    pub max_header_list_size: u32,
    /// Each stream's receive window, in bytes (default 1 MiB): how much of
    /// a request body may arrive before the app reads it.
    pub stream_window: u32,
    /// The connection's receive window, in bytes (default 2 MiB).
    pub connection_window: u32,
    /// Streams the client may reset before the app answered them, on one
    /// connection, beyond the streams answered (default 100): past it the
    /// connection is closed with `GOAWAY` `ENHANCE_YOUR_CALM` (the "rapid
    /// reset" attack, CVE-2023-44487).
    pub max_client_resets: usize,
}

impl Default for Http2Config {
    fn default() -> Http2Config {
        Http2Config {
            max_concurrent_streams: 100,
            max_header_list_size: 16 * 1024,
            stream_window: 1 << 20,
            connection_window: 2 << 20,
            max_client_resets: 100,
        }
    }
}

//! Limits and switches for one connection.

use bytes::Bytes;

/// Size limits, each with a documented default. A peer that goes past one
/// gets the status named here and a closed connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of a request or response head, request line and headers
    /// included, complete or not (default 16 KiB → 431).
    pub max_head: usize,
    /// Header field lines in one head (default 100 → 431).
    pub max_headers: usize,
    /// Bytes of the request-target (default 8 KiB → 414).
    pub max_target: usize,
    /// Bytes of a request method (default 32 → 501, RFC 9112 §3: longer
    /// than any method the server implements).
    pub max_method: usize,
    /// Bytes of chunk extensions over one body (default 16 KiB → 400).
    pub max_chunk_ext: usize,
    /// Bytes of the trailer section of one body (default 16 KiB → 431).
    pub max_trailers: usize,
    /// Bytes of an unread request body the server skips to keep the
    /// connection open once the response is done (default 64 KiB); a longer
    /// remainder closes the connection instead.
    pub max_drain: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head: 16 * 1024,
            max_headers: 100,
            max_target: 8 * 1024,
            max_method: 32,
            max_chunk_ext: 16 * 1024,
            max_trailers: 16 * 1024,
            max_drain: 64 * 1024,
        }
    }
}

/// Settings of a connection: limits and the automatic headers. Each automatic
/// header is on by default and can be switched off; a header the caller set
/// itself is never overwritten.
///
/// ```
/// use lath_codec::Config;
/// let mut config = Config::default();
/// config.server = None; // no `Server` header
/// config.limits.max_headers = 50;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Size limits.
    pub limits: Limits,
    /// Add `Date` (RFC 9110 §6.6.1) to responses that lack one.
    pub date: bool,
    /// The `Server` value to add to responses that lack one; `None` adds
    /// none. Default `lath`, without version detail (RFC 9110 §10.2.4).
    pub server: Option<Bytes>,
    /// Add `Content-Length` for bodies of known size.
    pub content_length: bool,
    /// Add `Transfer-Encoding: chunked` for bodies of unknown size on
    /// HTTP/1.1 (on HTTP/1.0 such a body is delimited by closing).
    pub chunked: bool,
    /// Add `Connection: close` or `Connection: keep-alive` as decided.
    pub connection: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            limits: Limits::default(),
            date: true,
            server: Some(Bytes::from_static(b"lath")),
            content_length: true,
            chunked: true,
            connection: true,
        }
    }
}

//! The request an app receives.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use lath_codec::{BodySize, Headers, Method, RequestHead, Version};

use crate::{Body, Extensions, HeaderReads, HttpError, RouteName, RouteWatch, TlsInfo};

/// A request: its head, a body streamed from the connection, the peer's
/// address, and typed extensions for what layers learn.
///
/// ```
/// use lath::app::Request;
/// let req = Request::builder("POST", "/items?sort=asc").header("Content-Type", "text/plain").body("hi");
/// assert_eq!(req.path(), "/items");
/// assert_eq!(req.query_string(), Some("sort=asc"));
/// assert_eq!(req.header("content-type"), Some("text/plain"));
/// ```
#[derive(Debug)]
pub struct Request {
    head: RequestHead,
    body: Body,
    peer: Option<SocketAddr>,
    route: Option<RouteName>,
    /// Told the route's number, for the server's metrics.
    route_watch: Option<Arc<RouteWatch>>,
    /// Told the negotiation fields the app reads, for a lint layer.
    reads: Option<Arc<HeaderReads>>,
    /// The TLS session, over HTTPS.
    tls: Option<Arc<TlsInfo>>,
    params: crate::Params,
    /// The limit of the buffered body helpers; `None` for the default.
    body_limit: Option<u64>,
    extensions: Extensions,
}

/// The limit of the buffered body helpers ([`Request::bytes`],
/// [`Request::text`], and the JSON and form helpers of `lath-layers`) when
/// neither a `limit_body` layer nor [`Request::set_body_limit`] set one:
/// 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1 << 20;

impl Request {
    /// A request from a parsed head and its body.
    ///
    /// ```
    /// use lath::app::{Body, Request};
    /// use lath::codec::{Method, RequestHead};
    /// let head = RequestHead::new(Method::GET, "/hello");
    /// let req = Request::new(head, Body::empty());
    /// assert_eq!(req.path(), "/hello");
    /// ```
    pub fn new(head: RequestHead, body: Body) -> Request {
        Request {
            head,
            body,
            peer: None,
            route: None,
            route_watch: None,
            reads: None,
            tls: None,
            params: crate::Params::new(),
            body_limit: None,
            extensions: Extensions::new(),
        }
    }

    /// A request to build by hand, for tests: `method` and `target`, HTTP/1.1.
    /// An unknown method token is kept; an invalid one becomes `GET`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.path().to_owned() });
    /// let req = Request::builder("GET", "/users/7").build();
    /// let (respond, responded) = lath::app::Respond::channel();
    /// futures::executor::block_on(async {
    ///     app.call(req, respond).await;
    ///     assert_eq!(responded.await.status().code(), 200);
    /// });
    /// ```
    pub fn builder(method: &str, target: &str) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        RequestBuilder {
            head: RequestHead::new(method, Bytes::copy_from_slice(target.as_bytes())),
        }
    }

    /// The method.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.method().to_string() });
    /// let res = Client::new(app).post("/").send_blocking().unwrap();
    /// assert_eq!(res.text(), "POST");
    /// ```
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request-target as sent.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.target().to_owned() });
    /// let res = Client::new(app).get("/search?q=a%20b").send_blocking().unwrap();
    /// assert_eq!(res.text(), "/search?q=a%20b");
    /// ```
    pub fn target(&self) -> &str {
        self.head.target_str()
    }

    /// The path, without the query, still percent-encoded.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.path().to_owned() });
    /// let res = Client::new(app).get("/search?q=1").send_blocking().unwrap();
    /// assert_eq!(res.text(), "/search");
    /// ```
    pub fn path(&self) -> &str {
        self.head.path()
    }

    /// The raw query string after `?`, if any, still percent-encoded
    /// (`lath_layers::RequestExt::query` parses it).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.query_string().unwrap_or("none").to_owned() });
    /// let client = Client::new(app);
    /// assert_eq!(client.get("/search?q=1&page=2").send_blocking().unwrap().text(), "q=1&page=2");
    /// assert_eq!(client.get("/search").send_blocking().unwrap().text(), "none");
    /// ```
    pub fn query_string(&self) -> Option<&str> {
        self.head.query()
    }

    /// The protocol version.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.version().to_string() });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.text(), "HTTP/1.1");
    /// ```
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.headers().get_all("accept").count().to_string() });
    /// let res = Client::new(app)
    ///     .get("/")
    ///     .header("Accept", "text/html")
    ///     .header("Accept", "application/json")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "2");
    /// ```
    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// The header fields, to change them (for layers).
    ///
    /// ```
    /// use lath::prelude::*;
    /// // A layer that adds a field before the app sees the request.
    /// let app = handler(|req: Request| async move { req.header("x-trace").unwrap_or("").to_owned() })
    ///     .wrap(from_fn(|mut req: Request, respond, next| async move {
    ///         req.headers_mut().insert("X-Trace", "abc");
    ///         next.call(req, respond).await
    ///     }));
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "abc");
    /// ```
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.head.headers
    }

    /// The first value of header `name`, if it is UTF-8.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.header("user-agent").unwrap_or("-").to_owned() });
    /// let res = Client::new(app).get("/").header("User-Agent", "curl/8").send_blocking().unwrap();
    /// assert_eq!(res.text(), "curl/8");
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.mark_read(name);
        self.head.headers.get_str(name)
    }

    /// Says the answer depends on header field `name`, for a lint layer
    /// watching ([`watch_reads`](Request::watch_reads)) that the response
    /// names the negotiation fields it varies by in `Vary`.
    /// [`header`](Request::header) calls it; code that chooses a
    /// representation from [`headers`](Request::headers) calls it too.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{HeaderReads, Request};
    /// let reads = Arc::new(HeaderReads::default());
    /// let mut req = Request::builder("GET", "/").build();
    /// req.watch_reads(reads.clone());
    /// req.mark_read("accept-encoding");
    /// assert_eq!(reads.fields(), ["Accept-Encoding"]);
    /// ```
    #[inline]
    pub fn mark_read(&self, name: &str) {
        if let Some(reads) = &self.reads {
            reads.note(name);
        }
    }

    /// Lends the request a [`HeaderReads`] that notes the negotiation
    /// fields the app reads (the `lint` layer does this).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{HeaderReads, Request};
    /// let reads = Arc::new(HeaderReads::default());
    /// let mut req = Request::builder("GET", "/").header("Accept", "text/html").build();
    /// req.watch_reads(reads.clone());
    /// assert_eq!(req.header("accept"), Some("text/html"));
    /// assert_eq!(reads.fields(), ["Accept"]);
    /// ```
    pub fn watch_reads(&mut self, reads: Arc<HeaderReads>) {
        self.reads = Some(reads);
    }

    /// The head as parsed.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.head().headers.len().to_string() });
    /// let res = Client::new(app).get("/").header("X-One", "1").send_blocking().unwrap();
    /// assert!(res.text().parse::<usize>().unwrap() >= 1);
    /// ```
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The peer's address, when the connection has one.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move {
    ///     req.peer_addr().map_or("none".to_owned(), |a| a.ip().to_string())
    /// });
    /// // The test client's in-memory connection has no peer address.
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "none");
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Records the peer's address (drivers do this).
    ///
    /// ```
    /// use lath::app::Request;
    /// let mut req = Request::builder("GET", "/").build();
    /// req.set_peer_addr(Some("127.0.0.1:4000".parse().unwrap()));
    /// assert_eq!(req.peer_addr().unwrap().port(), 4000);
    /// ```
    pub fn set_peer_addr(&mut self, peer: Option<SocketAddr>) {
        self.peer = peer;
    }

    /// The route pattern a router matched (`/users/:id`), for logs and
    /// metrics: unlike the path, it does not vary with the ids in it.
    /// Inside nested routers it is the whole pattern, prefixes included.
    ///
    /// ```
    /// use lath::app::Request;
    /// let mut req = Request::builder("GET", "/users/7").build();
    /// assert_eq!(req.route(), None);
    /// req.set_route("/users/:id");
    /// assert_eq!(req.route(), Some("/users/:id"));
    /// ```
    pub fn route(&self) -> Option<&str> {
        self.route.as_ref().map(RouteName::as_str)
    }

    /// Whether the request came over TLS (HTTPS).
    ///
    /// ```
    /// let req = lath::app::Request::builder("GET", "/").build();
    /// assert!(!req.is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }

    /// The TLS session the request came over: the protocol ALPN chose,
    /// the SNI name, the version. `None` over cleartext.
    ///
    /// ```
    /// let req = lath::app::Request::builder("GET", "/").build();
    /// assert!(req.tls().is_none());
    /// ```
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_deref()
    }

    /// Records the TLS session (servers do this).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{Request, TlsInfo};
    /// let mut req = Request::builder("GET", "/").build();
    /// req.set_tls(Arc::new(TlsInfo::new(None, None, "TLSv1_3")));
    /// assert_eq!(req.tls().unwrap().version(), "TLSv1_3");
    /// ```
    pub fn set_tls(&mut self, tls: Arc<TlsInfo>) {
        self.tls = Some(tls);
    }

    /// Records the route pattern matched (routers do this, with a
    /// [`RouteName`] made when they are built), and tells the server's
    /// [`RouteWatch`] if it lent one.
    ///
    /// ```
    /// use lath::app::{Request, RouteName};
    /// let mut req = Request::builder("GET", "/users/7").build();
    /// req.set_route(RouteName::new("/users/:id"));
    /// assert_eq!(req.route(), Some("/users/:id"));
    /// ```
    pub fn set_route(&mut self, route: impl Into<RouteName>) {
        let route = route.into();
        if let Some(watch) = &self.route_watch {
            watch.set(&route);
        }
        self.route = Some(route);
    }

    /// Lends the request a [`RouteWatch`] that [`set_route`](Request::set_route)
    /// tells the route's number (servers counting requests per route do
    /// this).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{Request, RouteName, RouteWatch};
    /// let watch = Arc::new(RouteWatch::default());
    /// let mut req = Request::builder("GET", "/").build();
    /// req.watch_route(watch.clone());
    /// req.set_route("/");
    /// assert_eq!(watch.take(), RouteName::new("/").id());
    /// ```
    pub fn watch_route(&mut self, watch: Arc<RouteWatch>) {
        self.route_watch = Some(watch);
    }

    /// Every path parameter a router matched, in pattern order.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/users/:id/posts/:post", handler(|req: Request| async move {
    ///         let names: Vec<_> = req.params().iter().map(|(name, value)| format!("{name}={value}")).collect();
    ///         names.join(",")
    ///     }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).get("/users/7/posts/9").send_blocking().unwrap();
    /// assert_eq!(res.text(), "id=7,post=9");
    /// ```
    pub fn params(&self) -> &crate::Params {
        &self.params
    }

    /// Records the path parameters matched (routers do this).
    ///
    /// ```
    /// use lath::app::{Params, Request};
    /// let mut params = Params::new();
    /// params.push("id", "7");
    /// let mut req = Request::builder("GET", "/users/7").build();
    /// req.set_params(params);
    /// assert_eq!(req.param("id"), Some("7"));
    /// ```
    pub fn set_params(&mut self, params: crate::Params) {
        self.params = params;
    }

    /// The path parameter `name` a router matched (`:name` or `*name`),
    /// percent-decoded.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/files/{*path}", handler(|req: Request| async move { req.param("path").unwrap_or("").to_owned() }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).get("/files/a%20b/c.txt").send_blocking().unwrap();
    /// assert_eq!(res.text(), "a b/c.txt");
    /// ```
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// Typed values layers attached to this request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// #[derive(Clone)]
    /// struct UserId(u32);
    /// let app = handler(|req: Request| async move {
    ///     req.extensions().get::<UserId>().map_or(0, |id| id.0).to_string()
    /// })
    /// .wrap(from_fn(|mut req: Request, respond, next| async move {
    ///     req.extensions_mut().insert(UserId(7));
    ///     next.call(req, respond).await
    /// }));
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "7");
    /// ```
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Typed values, to attach some.
    ///
    /// ```
    /// use lath::app::Request;
    /// let mut req = Request::builder("GET", "/").build();
    /// req.extensions_mut().insert(42u32);
    /// assert_eq!(req.extensions().get::<u32>(), Some(&42));
    /// ```
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The body, to read it as a stream.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::prelude::*;
    /// // Counts the body's bytes as they stream in, holding none of them.
    /// let app = handler(|mut req: Request| async move {
    ///     let mut total = 0;
    ///     while let Some(piece) = req.body_mut().next().await {
    ///         total += piece?.len();
    ///     }
    ///     Ok::<_, HttpError>(total.to_string())
    /// });
    /// let res = Client::new(app).post("/").body(vec![0u8; 100_000]).send_blocking().unwrap();
    /// assert_eq!(res.text(), "100000");
    /// ```
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body out, leaving an empty one.
    ///
    /// ```
    /// use lath::prelude::*;
    /// // Echoes the body back as it streams.
    /// let app = handler(|mut req: Request| async move { Response::raw(req.take_body()) });
    /// let res = Client::new(app).post("/").body("ping").send_blocking().unwrap();
    /// assert_eq!(res.text(), "ping");
    /// ```
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// The limit of the buffered body helpers for this request: what
    /// [`set_body_limit`](Request::set_body_limit) (or a `limit_body`
    /// layer) set, else [`DEFAULT_BODY_LIMIT`].
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::limit_body;
    /// let app = handler(|req: Request| async move { req.body_limit().to_string() });
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "1048576");
    /// let app = handler(|req: Request| async move { req.body_limit().to_string() }).wrap(limit_body(1024));
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "1024");
    /// ```
    pub fn body_limit(&self) -> u64 {
        self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT)
    }

    /// Sets the limit of the buffered body helpers for this request — a
    /// per-call override when set right before reading. A `limit_body`
    /// layer around the app still refuses a body past its own limit.
    ///
    /// ```
    /// use lath::app::Request;
    /// # futures::executor::block_on(async {
    /// let mut req = Request::builder("POST", "/").body(vec![b'x'; 2 << 20]);
    /// assert_eq!(req.bytes().await.unwrap_err().status().code(), 413); // past 1 MiB
    /// let mut req = Request::builder("POST", "/").body(vec![b'x'; 2 << 20]);
    /// req.set_body_limit(4 << 20);
    /// assert_eq!(req.bytes().await.unwrap().len(), 2 << 20);
    /// # });
    /// ```
    pub fn set_body_limit(&mut self, limit: u64) {
        self.body_limit = Some(limit);
    }

    /// Collects the whole body under [`body_limit`](Request::body_limit),
    /// refusing more with 413: at once when `Content-Length` says so
    /// (without reading any of it), otherwise as soon as the stream passes
    /// the limit.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let body = req.bytes().await?;
    ///     Ok::<_, HttpError>(format!("{} bytes", body.len()))
    /// });
    /// let client = Client::new(app);
    /// assert_eq!(client.post("/").body("hello").send_blocking().unwrap().text(), "5 bytes");
    /// let res = client.post("/").body(vec![0u8; 2 << 20]).send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 413); // past the 1 MiB default
    /// ```
    pub async fn bytes(&mut self) -> Result<Bytes, HttpError> {
        // Most requests have no body: nothing to wait for.
        if self.body.is_bare_empty() {
            return Ok(Bytes::new());
        }
        let limit = self.body_limit();
        if let BodySize::Known(n) = self.body.size() {
            if n > limit {
                return Err(HttpError::too_large(limit));
            }
        }
        // One piece is the common case: keep it without a copy.
        let mut first: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        let mut total = 0u64;
        while let Some(piece) = self.body.next().await {
            let piece = piece.map_err(|e| match e.status() {
                Some(status) => HttpError::new(status, e.message().to_owned()),
                None => HttpError::bad_request(e.message().to_owned()),
            })?;
            total += piece.len() as u64;
            if total > limit {
                return Err(HttpError::too_large(limit));
            }
            match &first {
                None => first = Some(piece),
                Some(head) => {
                    if joined.is_empty() {
                        joined.extend_from_slice(head);
                    }
                    joined.extend_from_slice(&piece);
                }
            }
        }
        Ok(if joined.is_empty() {
            first.unwrap_or_default()
        } else {
            joined.freeze()
        })
    }

    /// Collects the body as text under [`body_limit`](Request::body_limit),
    /// decoded by the charset of `Content-Type` (UTF-8 when none is named;
    /// also US-ASCII and ISO-8859-1). Invalid text is 400; an unknown
    /// charset is 415.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move { req.text().await.map(|t| t.to_uppercase()) });
    /// let client = Client::new(app);
    /// let res = client.post("/").body("héllo").send_blocking().unwrap();
    /// assert_eq!(res.text(), "HÉLLO");
    /// let res = client
    ///     .post("/")
    ///     .header("Content-Type", "text/plain; charset=iso-8859-1")
    ///     .body(&b"caf\xe9"[..])
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "CAFÉ");
    /// assert_eq!(client.post("/").body(&b"\xff"[..]).send_blocking().unwrap().status.code(), 400);
    /// ```
    pub async fn text(&mut self) -> Result<String, HttpError> {
        let charset = self
            .header("content-type")
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .and_then(|m| {
                m.get_param(mime::CHARSET)
                    .map(|c| c.as_str().to_ascii_lowercase())
            });
        let bytes = self.bytes().await?;
        decode_text(&bytes, charset.as_deref())
    }
}

fn decode_text(bytes: &[u8], charset: Option<&str>) -> Result<String, HttpError> {
    match charset {
        None | Some("utf-8" | "utf8") => String::from_utf8(bytes.to_vec())
            .map_err(|_| HttpError::bad_request("body is not valid utf-8")),
        Some("us-ascii" | "ascii") if bytes.is_ascii() => {
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
        Some("us-ascii" | "ascii") => Err(HttpError::bad_request("body is not valid us-ascii")),
        Some("iso-8859-1" | "latin1" | "latin-1") => Ok(bytes.iter().map(|&b| b as char).collect()),
        Some(other) => Err(HttpError::unsupported_media_type(format!(
            "unsupported charset {other}"
        ))),
    }
}

/// Builds a [`Request`] by hand, for tests and for apps calling apps.
///
/// ```
/// use lath::app::{App, Request, Respond};
/// async fn echo(mut req: Request, respond: Respond) {
///     let body = req.text().await.unwrap_or_default();
///     respond.send(format!("{} {body}", req.header("x-user").unwrap_or("-")));
/// }
/// # futures::executor::block_on(async {
/// // One app calling another, or a unit test without a connection.
/// let req = Request::builder("POST", "/echo").header("X-User", "ada").body("hi");
/// let (respond, responded) = Respond::channel();
/// echo.call(req, respond).await;
/// assert_eq!(responded.await.status().code(), 200);
/// # });
/// ```
#[derive(Debug)]
pub struct RequestBuilder {
    head: RequestHead,
}

impl RequestBuilder {
    /// Adds a header field.
    ///
    /// ```
    /// use lath::app::Request;
    /// let req = Request::builder("GET", "/").header("Accept", "text/html").build();
    /// assert_eq!(req.header("accept"), Some("text/html"));
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> RequestBuilder {
        self.head.headers.append(
            Bytes::copy_from_slice(name.as_bytes()),
            Bytes::copy_from_slice(value.as_bytes()),
        );
        self
    }

    /// Finishes with this body.
    ///
    /// ```
    /// use lath::app::Request;
    /// # futures::executor::block_on(async {
    /// let mut req = Request::builder("POST", "/").body("hello");
    /// assert_eq!(req.text().await.unwrap(), "hello");
    /// # });
    /// ```
    pub fn body(self, body: impl Into<Body>) -> Request {
        Request::new(self.head, body.into())
    }

    /// Finishes with no body.
    ///
    /// ```
    /// use lath::app::Request;
    /// let req = Request::builder("DELETE", "/items/3").build();
    /// assert_eq!(req.method().as_str(), "DELETE");
    /// assert!(req.body_limit() > 0);
    /// ```
    pub fn build(self) -> Request {
        self.body(Body::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn bytes_under_and_over_the_limit() {
        block_on(async {
            let mut req = Request::builder("POST", "/").body("hello");
            req.set_body_limit(5);
            assert_eq!(req.bytes().await.unwrap(), "hello");
            let mut req = Request::builder("POST", "/").body("hello");
            req.set_body_limit(4);
            assert_eq!(req.bytes().await.unwrap_err().status().code(), 413);
        });
    }

    #[test]
    fn a_stream_past_the_limit_is_refused_as_soon_as_it_passes() {
        block_on(async {
            let pieces =
                futures::stream::iter(vec![Ok(Bytes::from("abc")), Ok(Bytes::from("def"))])
                    .chain(futures::stream::pending());
            let mut req = Request::builder("POST", "/").body(crate::Body::stream(pieces));
            // The stream never ends; passing the limit must not wait for it.
            req.set_body_limit(4);
            assert_eq!(req.bytes().await.unwrap_err().status().code(), 413);
        });
    }

    #[test]
    fn text_by_charset() {
        block_on(async {
            let mut req = Request::builder("POST", "/").body("héllo");
            assert_eq!(req.text().await.unwrap(), "héllo");
            let mut req = Request::builder("POST", "/")
                .header("Content-Type", "text/plain; charset=ISO-8859-1")
                .body(&b"caf\xe9"[..]);
            assert_eq!(req.text().await.unwrap(), "café");
            let mut req = Request::builder("POST", "/").body(&b"\xff\xfe"[..]);
            assert_eq!(req.text().await.unwrap_err().status().code(), 400);
            let mut req = Request::builder("POST", "/")
                .header("Content-Type", "text/plain; charset=koi8-r")
                .body("x");
            assert_eq!(req.text().await.unwrap_err().status().code(), 415);
        });
    }
}

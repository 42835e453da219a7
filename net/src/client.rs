//! A client that talks to an app through the real codec over an in-memory
//! pipe: how users unit-test their apps, with no port bound.

use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::lock::Mutex;
use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{App, SharedApp};
use lath_codec::{BodySize, ClientConn, ClientEvent, Headers, Method, RequestHead, Status};

use crate::mem::{duplex, MemStream};
use crate::{conn, Config, Runtime};

/// Bytes each direction of the in-memory pipe buffers.
const PIPE_CAPACITY: usize = 256 * 1024;

/// Sends requests to an app through the real codec, reusing one in-memory
/// connection while the app keeps it open.
///
/// ```
/// use lath::app::{Request, Respond};
/// use lath::net::Client;
///
/// async fn hello(req: Request, respond: Respond) {
///     respond.send(format!("Hello, {}!", req.query_string().unwrap_or("World")));
/// }
///
/// // In a plain #[test]:
/// let client = Client::new(hello);
/// let res = client.get("/?you").send_blocking().unwrap();
/// assert_eq!(res.status.code(), 200);
/// assert_eq!(res.text(), "Hello, you!");
///
/// // Or from async code (#[async_std::test]):
/// # async_std::task::block_on(async {
/// let res = client.post("/").header("X-A", "1").body("data").send().await.unwrap();
/// assert_eq!(res.headers.get_str("content-type"), Some("text/plain; charset=utf-8"));
/// # });
/// ```
#[derive(Clone)]
pub struct Client {
    app: SharedApp,
    config: Arc<Config>,
    conn: Arc<Mutex<Option<Connection>>>,
    /// Cookies the app set, sent back as a browser would; `None` when off.
    jar: Option<Arc<std::sync::Mutex<Jar>>>,
}

/// Cookies kept by a [`Client`]: name, value and path.
#[derive(Debug, Default)]
struct Jar(Vec<(String, String, String)>);

impl Jar {
    /// Keeps or removes what one `Set-Cookie` says (RFC 6265 §5.2, for one
    /// host: `Domain` is not looked at).
    fn set(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let mut path = "/".to_owned();
        let mut expired = false;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            let (key, val) = (key.trim(), val.trim());
            if key.eq_ignore_ascii_case("path") && val.starts_with('/') {
                path = val.to_owned();
            } else if key.eq_ignore_ascii_case("max-age") {
                expired |= val.parse::<i64>().is_ok_and(|age| age <= 0);
            } else if key.eq_ignore_ascii_case("expires") {
                expired |= httpdate::parse_http_date(val)
                    .is_ok_and(|at| at <= std::time::SystemTime::now());
            }
        }
        self.0.retain(|(n, _, p)| !(n == name && *p == path));
        if !expired {
            self.0.push((name.to_owned(), value.to_owned(), path));
        }
    }

    /// The `Cookie` value for a request to `path`, if any cookie applies.
    fn header_for(&self, path: &str) -> Option<String> {
        let applies = |cookie_path: &str| {
            path == cookie_path
                || (path.starts_with(cookie_path)
                    && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/')))
        };
        let pairs: Vec<String> = self
            .0
            .iter()
            .filter(|(_, _, p)| applies(p))
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

struct Connection {
    io: MemStream,
    codec: ClientConn,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// A response as the client saw it.
///
/// ```
/// use lath::prelude::*;
/// let app = handler(|_req: Request| async { (Status::CREATED, "made") });
/// let res = Client::new(app).post("/").send_blocking().unwrap();
/// assert_eq!(res.status, Status::CREATED);
/// assert_eq!(res.headers.get_str("content-length"), Some("4"));
/// assert_eq!(&res.body[..], b"made");
/// assert!(res.trailers.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// The status.
    pub status: Status,
    /// The header fields.
    pub headers: Headers,
    /// The whole body.
    pub body: Bytes,
    /// The trailer fields, if any.
    pub trailers: Headers,
}

impl TestResponse {
    /// The body as text (lossy for bytes that are not UTF-8).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let res = Client::new(handler(|_req: Request| async { "héllo" })).get("/").send_blocking().unwrap();
    /// assert_eq!(res.text(), "héllo");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of header `name`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let res = Client::new(handler(|_req: Request| async { "hi" })).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("Content-Type"), Some("text/plain; charset=utf-8"));
    /// assert!(res.header("date").is_some()); // automatic, as on a socket
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// The body parsed as JSON into `T`.
    ///
    /// ```
    /// use lath::app::{handler, Request, Response};
    /// use lath::net::Client;
    ///
    /// let app = handler(|_req: Request| async {
    ///     Response::typed("application/json", r#"{"id":7}"#)
    /// });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// let value: serde_json::Value = res.json().unwrap();
    /// assert_eq!(value["id"], 7);
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }
}

impl Client {
    /// A client for `app` with default server settings.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.path().to_owned() }));
    /// assert_eq!(client.get("/a").send_blocking().unwrap().text(), "/a");
    /// assert_eq!(client.get("/b").send_blocking().unwrap().text(), "/b"); // same connection
    /// ```
    pub fn new(app: impl App) -> Client {
        Client::with_config(app, Config::default())
    }

    /// A client for `app` served with `config`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::net::Config;
    /// let mut config = Config::default();
    /// config.codec.limits.max_head = 256;
    /// let client = Client::with_config(handler(|_req: Request| async { "hi" }), config);
    /// let res = client.get("/").header("X-Big", &"x".repeat(1000)).send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 431);
    /// ```
    pub fn with_config(app: impl App, config: Config) -> Client {
        Client {
            app: Arc::new(app),
            config: Arc::new(config),
            conn: Arc::new(Mutex::new(None)),
            jar: Some(Arc::default()),
        }
    }

    /// Keeps cookies the app sets and sends them back, as a browser does
    /// (on by default); a request with a `Cookie` header of its own sends
    /// that instead.
    ///
    /// ```
    /// use lath::app::{handler, Request, Response};
    /// use lath::net::Client;
    ///
    /// let app = handler(|req: Request| async move {
    ///     match req.header("cookie") {
    ///         Some(cookie) => Response::text(format!("back: {cookie}")),
    ///         None => Response::text("first").with_header("Set-Cookie", "id=7; Path=/"),
    ///     }
    /// });
    /// let client = Client::new(app);
    /// assert_eq!(client.get("/").send_blocking().unwrap().text(), "first");
    /// assert_eq!(client.get("/").send_blocking().unwrap().text(), "back: id=7");
    /// let forgetful = Client::new(handler(|_req: Request| async { "hi" })).cookies(false);
    /// # let _ = forgetful;
    /// ```
    pub fn cookies(mut self, keep: bool) -> Client {
        self.jar = keep.then(Arc::default);
        self
    }

    /// A request with any method.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.method().to_string() }));
    /// let brew = Method::from_bytes(b"BREW").unwrap();
    /// assert_eq!(client.request(brew, "/pot").send_blocking().unwrap().text(), "BREW");
    /// ```
    pub fn request(&self, method: Method, target: &str) -> TestRequest {
        TestRequest {
            client: self.clone(),
            head: RequestHead::new(method, Bytes::copy_from_slice(target.as_bytes())),
            body: None,
        }
    }

    /// A `GET` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.query_string().unwrap_or("").to_owned() }));
    /// assert_eq!(client.get("/?a=1").send_blocking().unwrap().text(), "a=1");
    /// ```
    pub fn get(&self, target: &str) -> TestRequest {
        self.request(Method::GET, target)
    }

    /// A `HEAD` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|_req: Request| async { "twelve bytes" }));
    /// let res = client.head("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-length"), Some("12"));
    /// assert!(res.body.is_empty());
    /// ```
    pub fn head(&self, target: &str) -> TestRequest {
        self.request(Method::HEAD, target)
    }

    /// A `POST` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|mut req: Request| async move { req.text().await.map(|t| t.len().to_string()) }));
    /// assert_eq!(client.post("/").body("abc").send_blocking().unwrap().text(), "3");
    /// ```
    pub fn post(&self, target: &str) -> TestRequest {
        self.request(Method::POST, target)
    }

    /// A `PUT` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.method().to_string() }));
    /// assert_eq!(client.put("/x").send_blocking().unwrap().text(), "PUT");
    /// ```
    pub fn put(&self, target: &str) -> TestRequest {
        self.request(Method::PUT, target)
    }

    /// A `DELETE` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.method().to_string() }));
    /// assert_eq!(client.delete("/x").send_blocking().unwrap().text(), "DELETE");
    /// ```
    pub fn delete(&self, target: &str) -> TestRequest {
        self.request(Method::DELETE, target)
    }

    /// A `PATCH` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.method().to_string() }));
    /// assert_eq!(client.patch("/x").send_blocking().unwrap().text(), "PATCH");
    /// ```
    pub fn patch(&self, target: &str) -> TestRequest {
        self.request(Method::PATCH, target)
    }

    /// An `OPTIONS` request.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new().get("/x", handler(|_req: Request| async { "x" })).build().unwrap();
    /// let res = Client::new(routes).options("/x").send_blocking().unwrap();
    /// assert_eq!(res.header("allow"), Some("GET, HEAD"));
    /// ```
    pub fn options(&self, target: &str) -> TestRequest {
        self.request(Method::OPTIONS, target)
    }

    /// Sends `bytes` as they are on a fresh connection, half-closes it, and
    /// returns every byte the server wrote until it closed.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|_req: Request| async { "hi" }));
    /// # lath::net::run(async {
    /// let answer = client.raw("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n").await.unwrap();
    /// assert!(answer.starts_with(b"HTTP/1.1 400 ")); // ambiguous framing is refused
    /// # });
    /// ```
    pub async fn raw(&self, bytes: impl AsRef<[u8]>) -> io::Result<Vec<u8>> {
        let mut io = self.connect();
        io.write_all(bytes.as_ref()).await?;
        io.close().await?;
        let mut out = Vec::new();
        io.read_to_end(&mut out).await?;
        Ok(out)
    }

    /// [`Client::raw`] for plain tests.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|_req: Request| async { "hi" }));
    /// let answer = client.raw_blocking("GET / HTTP/1.0\r\n\r\n").unwrap();
    /// assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    /// ```
    pub fn raw_blocking(&self, bytes: impl AsRef<[u8]>) -> io::Result<Vec<u8>> {
        Runtime::default().block_on(self.raw(bytes))
    }

    pub(crate) fn connect(&self) -> MemStream {
        let (server, client) = duplex(PIPE_CAPACITY);
        let runtime = Runtime::default();
        runtime.spawn({
            let (app, config) = (self.app.clone(), self.config.clone());
            async move {
                let setting = conn::Setting::alone(config, runtime);
                let _ = conn::drive(server, app, setting, None, None, None).await;
            }
        });
        client
    }

    async fn send(&self, mut head: RequestHead, body: Option<Bytes>) -> io::Result<TestResponse> {
        let jar = self.jar.as_ref();
        if let (Some(jar), false) = (jar, head.headers.contains("cookie")) {
            let path = head.target_str().split('?').next().unwrap_or("/");
            if let Some(cookie) = lock(jar).header_for(path) {
                head.headers.append("Cookie", cookie);
            }
        }
        let answer = self.exchange(head, body).await;
        if let (Some(jar), Ok(res)) = (jar, &answer) {
            let mut jar = lock(jar);
            for set_cookie in res.headers.get_all("set-cookie") {
                jar.set(&String::from_utf8_lossy(set_cookie));
            }
        }
        answer
    }

    async fn exchange(&self, head: RequestHead, body: Option<Bytes>) -> io::Result<TestResponse> {
        let mut slot = self.conn.lock().await;
        let reuse = slot.as_ref().is_some_and(|c| c.codec.keep_alive());
        if !reuse {
            *slot = Some(Connection {
                io: self.connect(),
                codec: ClientConn::new(Config::default().codec, "localhost"),
            });
        }
        let conn = slot.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        let result = exchange(conn, head, body).await;
        if result.is_err() || !conn.codec.keep_alive() {
            *slot = None;
        }
        result
    }
}

fn lock(jar: &std::sync::Mutex<Jar>) -> std::sync::MutexGuard<'_, Jar> {
    jar.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn exchange(
    conn: &mut Connection,
    head: RequestHead,
    body: Option<Bytes>,
) -> io::Result<TestResponse> {
    let invalid =
        |e: lath_codec::UsageError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    let mut out = Vec::new();
    let size = match &body {
        Some(b) => BodySize::Known(b.len() as u64),
        None => BodySize::EMPTY,
    };
    conn.codec
        .write_request(&head, size, &mut out)
        .map_err(invalid)?;
    if let Some(body) = &body {
        conn.codec.write_data(body, &mut out).map_err(invalid)?;
    }
    conn.codec.write_end(None, &mut out).map_err(invalid)?;
    // A server may answer early and stop reading (a 413 for a body too
    // large): then its answer is still there to read.
    if let Err(e) = conn.io.write_all(&out).await {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(e);
        }
    }

    let mut status = None;
    let mut headers = Headers::new();
    let mut collected = BytesMut::new();
    let mut scratch = vec![0; 16 * 1024];
    loop {
        match conn.codec.next_event() {
            ClientEvent::Head(h)
                if h.status.is_informational() && h.status != Status::SWITCHING_PROTOCOLS => {}
            ClientEvent::Head(h) => {
                status = Some(h.status);
                headers = h.headers;
            }
            ClientEvent::Data(d) => collected.extend_from_slice(&d),
            ClientEvent::End(trailers) => {
                return Ok(TestResponse {
                    status: status.ok_or(io::ErrorKind::InvalidData)?,
                    headers,
                    body: collected.freeze(),
                    trailers,
                });
            }
            ClientEvent::NeedData => {
                let n = conn.io.read(&mut scratch).await?;
                if n == 0 {
                    conn.codec.feed_eof();
                } else {
                    conn.codec.feed(&scratch[..n]);
                }
            }
            ClientEvent::Closed => return Err(io::ErrorKind::UnexpectedEof.into()),
            ClientEvent::Error(e) => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
            }
        }
    }
}

/// A request being built by a [`Client`].
///
/// ```
/// use lath::prelude::*;
/// let client = Client::new(handler(|req: Request| async move { req.header("x-id").unwrap_or("-").to_owned() }));
/// let request: lath::net::TestRequest = client.get("/").header("X-Id", "7");
/// assert_eq!(request.send_blocking().unwrap().text(), "7");
/// ```
#[derive(Debug)]
pub struct TestRequest {
    client: Client,
    head: RequestHead,
    body: Option<Bytes>,
}

impl TestRequest {
    /// Adds a header field.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.headers().get_all("x-tag").count().to_string() }));
    /// let res = client.get("/").header("X-Tag", "a").header("X-Tag", "b").send_blocking().unwrap();
    /// assert_eq!(res.text(), "2");
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        self.head.headers.append(
            Bytes::copy_from_slice(name.as_bytes()),
            Bytes::copy_from_slice(value.as_bytes()),
        );
        self
    }

    /// Sets the body (sent with `Content-Length`).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|req: Request| async move { req.header("content-length").unwrap_or("-").to_owned() }));
    /// assert_eq!(client.post("/").body(vec![1u8, 2, 3]).send_blocking().unwrap().text(), "3");
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> TestRequest {
        self.body = Some(body.into());
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::net::Client;
    ///
    /// let app = handler(|mut req: Request| async move { req.text().await });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .json(&serde_json::json!({"name": "ann"}))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), r#"{"name":"ann"}"#);
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> TestRequest {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.header("Content-Type", "application/json").body(body)
    }

    /// Sends it and reads the whole response.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let client = Client::new(handler(|_req: Request| async { "hi" }));
    /// # lath::net::run(async {
    /// let res = client.get("/").send().await.unwrap();
    /// assert_eq!(res.text(), "hi");
    /// # });
    /// ```
    pub async fn send(self) -> io::Result<TestResponse> {
        self.client.send(self.head, self.body).await
    }

    /// [`TestRequest::send`] for plain tests.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let res = Client::new(handler(|_req: Request| async { "hi" })).get("/").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 200);
    /// ```
    pub fn send_blocking(self) -> io::Result<TestResponse> {
        Runtime::default().block_on(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::Jar;

    #[test]
    fn the_jar_keeps_replaces_scopes_and_expires_cookies() {
        let mut jar = Jar::default();
        jar.set("id=1; Path=/; HttpOnly");
        jar.set("theme=dark");
        jar.set("cart=3; Path=/shop");
        assert_eq!(jar.header_for("/").as_deref(), Some("id=1; theme=dark"));
        assert_eq!(
            jar.header_for("/shop/item").as_deref(),
            Some("id=1; theme=dark; cart=3")
        );
        assert_eq!(
            jar.header_for("/shopping").as_deref(),
            Some("id=1; theme=dark")
        );
        jar.set("id=2; Path=/");
        assert_eq!(jar.header_for("/").as_deref(), Some("theme=dark; id=2"));
        jar.set("id=; Path=/; Max-Age=0");
        jar.set("theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(jar.header_for("/"), None);
        jar.set("garbage without equals");
        assert_eq!(jar.header_for("/"), None);
    }
}

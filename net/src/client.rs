//! A client that talks to an app through the real codec over an in-memory
//! pipe: how users unit-test their apps, with no port bound.

use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::lock::Mutex;
use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::App;
use lath_codec::{BodySize, ClientConn, ClientEvent, Headers, Method, RequestHead, Status};

use crate::mem::{duplex, MemStream};
use crate::shutdown::Shutdown;
use crate::{conn, Config, Runtime};

/// Bytes each direction of the in-memory pipe buffers.
const PIPE_CAPACITY: usize = 256 * 1024;

/// Sends requests to an app through the real codec, reusing one in-memory
/// connection while the app keeps it open.
///
/// ```
/// use lath_app::{Request, Respond};
/// use lath_net::Client;
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
    app: Arc<dyn App>,
    config: Arc<Config>,
    conn: Arc<Mutex<Option<Connection>>>,
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
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }
}

impl Client {
    /// A client for `app` with default server settings.
    pub fn new(app: impl App) -> Client {
        Client::with_config(app, Config::default())
    }

    /// A client for `app` served with `config`.
    pub fn with_config(app: impl App, config: Config) -> Client {
        Client {
            app: Arc::new(app),
            config: Arc::new(config),
            conn: Arc::new(Mutex::new(None)),
        }
    }

    /// A request with any method.
    pub fn request(&self, method: Method, target: &str) -> TestRequest {
        TestRequest {
            client: self.clone(),
            head: RequestHead::new(method, Bytes::copy_from_slice(target.as_bytes())),
            body: None,
        }
    }

    /// A `GET` request.
    pub fn get(&self, target: &str) -> TestRequest {
        self.request(Method::GET, target)
    }

    /// A `HEAD` request.
    pub fn head(&self, target: &str) -> TestRequest {
        self.request(Method::HEAD, target)
    }

    /// A `POST` request.
    pub fn post(&self, target: &str) -> TestRequest {
        self.request(Method::POST, target)
    }

    /// A `PUT` request.
    pub fn put(&self, target: &str) -> TestRequest {
        self.request(Method::PUT, target)
    }

    /// A `DELETE` request.
    pub fn delete(&self, target: &str) -> TestRequest {
        self.request(Method::DELETE, target)
    }

    /// Sends `bytes` as they are on a fresh connection, half-closes it, and
    /// returns every byte the server wrote until it closed.
    pub async fn raw(&self, bytes: impl AsRef<[u8]>) -> io::Result<Vec<u8>> {
        let mut io = self.connect();
        io.write_all(bytes.as_ref()).await?;
        io.close().await?;
        let mut out = Vec::new();
        io.read_to_end(&mut out).await?;
        Ok(out)
    }

    /// [`Client::raw`] for plain tests.
    pub fn raw_blocking(&self, bytes: impl AsRef<[u8]>) -> io::Result<Vec<u8>> {
        Runtime::default().block_on(self.raw(bytes))
    }

    fn connect(&self) -> MemStream {
        let (server, client) = duplex(PIPE_CAPACITY);
        let runtime = Runtime::default();
        runtime.spawn({
            let (app, config) = (self.app.clone(), self.config.clone());
            async move {
                let never = Shutdown::never();
                let _ = conn::drive(server, app, config, None, never, None, runtime).await;
            }
        });
        client
    }

    async fn send(&self, head: RequestHead, body: Option<Bytes>) -> io::Result<TestResponse> {
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
#[derive(Debug)]
pub struct TestRequest {
    client: Client,
    head: RequestHead,
    body: Option<Bytes>,
}

impl TestRequest {
    /// Adds a header field.
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        self.head.headers.append(
            Bytes::copy_from_slice(name.as_bytes()),
            Bytes::copy_from_slice(value.as_bytes()),
        );
        self
    }

    /// Sets the body (sent with `Content-Length`).
    pub fn body(mut self, body: impl Into<Bytes>) -> TestRequest {
        self.body = Some(body.into());
        self
    }

    /// Sends it and reads the whole response.
    pub async fn send(self) -> io::Result<TestResponse> {
        self.client.send(self.head, self.body).await
    }

    /// [`TestRequest::send`] for plain tests.
    pub fn send_blocking(self) -> io::Result<TestResponse> {
        Runtime::default().block_on(self.send())
    }
}

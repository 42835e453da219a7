//! WebSocket routes (RFC 6455): the opening handshake checked here, the
//! framing done by tungstenite over the connection lath hands over after
//! `101 Switching Protocols`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use async_tungstenite::tungstenite::Error as WsError;
use async_tungstenite::WebSocketStream;
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use lath_app::{App, Request, Respond, Response, Status, Upgraded};

pub use async_tungstenite::tungstenite::Message;

/// The largest message accepted by default: 16 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;
/// The largest frame accepted by default: 4 MiB.
pub const DEFAULT_MAX_FRAME: usize = 4 << 20;
/// How long a connection may go without a frame from the client by
/// default (60 s); the server pings at half that.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An app for a WebSocket route: it completes the opening handshake and
/// runs `handler` with the connection.
///
/// The handshake must be a `GET` with `Connection: upgrade`,
/// `Upgrade: websocket` and a `Sec-WebSocket-Key` of 16 bytes, else `400`;
/// a `Sec-WebSocket-Version` other than 13 gets `426` with
/// `Sec-WebSocket-Version: 13`; an `Origin` outside
/// [`origins`](WebSocketApp::origins), when set, gets `403`.
///
/// ```
/// use futures::StreamExt;
/// use lath::layers::{websocket, Message, Router, WebSocket};
///
/// // Echoes every text and binary message.
/// let routes = Router::new()
///     .get("/ws", websocket(|mut ws: WebSocket| async move {
///         while let Some(message) = ws.next().await {
///             if ws.send(message).await.is_err() {
///                 break;
///             }
///         }
///     }))
///     .build()
///     .unwrap();
/// let mut ws = lath::Client::new(routes).websocket_blocking("/ws").unwrap();
/// ws.send_blocking(Message::text("hello")).unwrap();
/// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("hello")));
/// ```
pub fn websocket<F, Fut>(handler: F) -> WebSocketApp
where
    F: Fn(WebSocket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    WebSocketApp {
        handler: Arc::new(move |ws| handler(ws).boxed()),
        origins: None,
        protocols: Vec::new(),
        max_message: DEFAULT_MAX_MESSAGE,
        max_frame: DEFAULT_MAX_FRAME,
        idle_timeout: DEFAULT_IDLE_TIMEOUT,
    }
}

type Handler = dyn Fn(WebSocket) -> futures::future::BoxFuture<'static, ()> + Send + Sync;

/// The app [`websocket`] makes; its methods set the checks and limits.
#[derive(Clone)]
pub struct WebSocketApp {
    handler: Arc<Handler>,
    origins: Option<Vec<String>>,
    protocols: Vec<String>,
    max_message: usize,
    max_frame: usize,
    idle_timeout: Duration,
}

impl fmt::Debug for WebSocketApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketApp")
            .field("origins", &self.origins)
            .field("protocols", &self.protocols)
            .field("max_message", &self.max_message)
            .field("max_frame", &self.max_frame)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl WebSocketApp {
    /// Accepts handshakes only from these origins (`https://example.com`,
    /// compared without case); others get `403`. By default any origin,
    /// and a handshake without `Origin` (not from a browser) is accepted
    /// either way.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// use lath::Client;
    /// let app = websocket(|_ws: WebSocket| async {}).origins(["https://example.com"]);
    /// let res = Client::new(app)
    ///     .get("/")
    ///     .header("Connection", "upgrade")
    ///     .header("Upgrade", "websocket")
    ///     .header("Sec-WebSocket-Version", "13")
    ///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    ///     .header("Origin", "https://evil.example")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.status.code(), 403);
    /// ```
    pub fn origins<I, S>(mut self, origins: I) -> WebSocketApp
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list = origins
            .into_iter()
            .map(|o| o.as_ref().to_ascii_lowercase())
            .collect();
        self.origins = Some(list);
        self
    }

    /// The subprotocols spoken, preferred first: the first of these the
    /// client offers in `Sec-WebSocket-Protocol` is chosen
    /// ([`WebSocket::protocol`]); if it offers none of them, the
    /// connection goes on without one.
    ///
    /// ```
    /// use lath::layers::{websocket, Message, WebSocket};
    /// let app = websocket(|mut ws: WebSocket| async move {
    ///     let chosen = ws.protocol().unwrap_or("none").to_owned();
    ///     let _ = ws.send(Message::text(chosen)).await;
    /// })
    /// .protocols(["chat.v2", "chat.v1"]);
    /// let mut ws = lath::Client::new(app)
    ///     .websocket_with_blocking("/", &[("Sec-WebSocket-Protocol", "chat.v1, chat.v2")])
    ///     .unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("chat.v2")));
    /// ```
    pub fn protocols<I, S>(mut self, protocols: I) -> WebSocketApp
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.protocols = protocols
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        self
    }

    /// The largest message accepted (default [`DEFAULT_MAX_MESSAGE`]);
    /// a larger one closes the connection with code 1009.
    ///
    /// ```
    /// let app = lath::layers::websocket(|_ws| async {}).max_message_size(1 << 20);
    /// # let _ = app;
    /// ```
    pub fn max_message_size(mut self, bytes: usize) -> WebSocketApp {
        self.max_message = bytes;
        self
    }

    /// The largest frame accepted (default [`DEFAULT_MAX_FRAME`]); a
    /// larger one closes the connection with code 1009.
    ///
    /// ```
    /// let app = lath::layers::websocket(|_ws| async {}).max_frame_size(64 << 10);
    /// # let _ = app;
    /// ```
    pub fn max_frame_size(mut self, bytes: usize) -> WebSocketApp {
        self.max_frame = bytes;
        self
    }

    /// How long the client may send nothing (default
    /// [`DEFAULT_IDLE_TIMEOUT`]): the server pings it at half this, and a
    /// client that answers nothing is closed with code 1001.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = lath::layers::websocket(|_ws| async {}).idle_timeout(Duration::from_secs(20));
    /// # let _ = app;
    /// ```
    pub fn idle_timeout(mut self, idle: Duration) -> WebSocketApp {
        self.idle_timeout = idle;
        self
    }

    /// What the `101` needs (the accept key, the subprotocol chosen), or
    /// why the handshake is refused.
    pub(crate) fn answer(&self, req: &Request) -> Result<(String, Option<String>), Refused> {
        let has_token = |name: &str, token: &str| {
            req.headers()
                .get_all(name)
                .filter_map(|v| std::str::from_utf8(v).ok())
                .flat_map(|v| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if *req.method() != lath_app::Method::GET {
            return Err(Refused::Bad("the method is not GET"));
        }
        if !has_token("connection", "upgrade") || !has_token("upgrade", "websocket") {
            return Err(Refused::Bad(
                "no Connection: upgrade and Upgrade: websocket",
            ));
        }
        if req.header("sec-websocket-version").map(str::trim) != Some("13") {
            return Err(Refused::Version);
        }
        let key = req.header("sec-websocket-key").map(str::trim).unwrap_or("");
        if !is_key(key) {
            return Err(Refused::Bad("Sec-WebSocket-Key is not 16 bytes in base64"));
        }
        if let (Some(allowed), Some(origin)) = (&self.origins, req.header("origin")) {
            if !allowed
                .iter()
                .any(|a| a.eq_ignore_ascii_case(origin.trim()))
            {
                return Err(Refused::Origin);
            }
        }
        let offered: Vec<&str> = req
            .headers()
            .get_all("sec-websocket-protocol")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let protocol = self
            .protocols
            .iter()
            .find(|p| offered.contains(&p.as_str()))
            .cloned();
        Ok((derive_accept_key(key.as_bytes()), protocol))
    }
}

/// Why a handshake is refused.
pub(crate) enum Refused {
    /// `400`, and why.
    Bad(&'static str),
    /// `426`: not version 13.
    Version,
    /// `403`: an origin not allowed.
    Origin,
}

impl From<Refused> for Response {
    fn from(refused: Refused) -> Response {
        let (status, text) = match refused {
            Refused::Bad(why) => (
                Status::BAD_REQUEST,
                format!("not a WebSocket handshake: {why}"),
            ),
            Refused::Version => (
                Status::UPGRADE_REQUIRED,
                "WebSocket version 13 only".to_owned(),
            ),
            Refused::Origin => (
                Status::FORBIDDEN,
                "this origin may not open a WebSocket here".to_owned(),
            ),
        };
        let res = Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(text);
        match status {
            Status::UPGRADE_REQUIRED => res.with_header("Sec-WebSocket-Version", "13"),
            _ => res,
        }
    }
}

/// A `Sec-WebSocket-Key`: 16 bytes in base64, so 24 characters ending in
/// `==`.
fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 24
        && b[22..] == *b"=="
        && b[..22]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

impl App for WebSocketApp {
    async fn call(&self, mut req: Request, respond: Respond) {
        let (accept, protocol) = match self.answer(&req) {
            Ok(answer) => answer,
            Err(refused) => return respond.send(Response::from(refused)),
        };
        drop(req.take_body());
        let handler = self.handler.clone();
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message))
            .max_frame_size(Some(self.max_frame));
        let idle = self.idle_timeout;
        let chosen = protocol.clone();
        let mut res = Response::upgrade("websocket", move |io| async move {
            let stream = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
            handler(WebSocket::new(stream, req, chosen, idle)).await;
        })
        .with_header("Sec-WebSocket-Accept", accept);
        if let Some(protocol) = protocol {
            res = res.with_header("Sec-WebSocket-Protocol", protocol);
        }
        respond.send(res);
    }
}

/// One WebSocket connection: a [`Stream`] of the text and binary
/// messages the client sends, and a [`Sink`] (or
/// [`send`](WebSocket::send)) for messages to it. Split it
/// (`StreamExt::split`) to read and write from two tasks.
///
/// Pings are answered, the close handshake is completed, and a protocol
/// error ends the stream after a close frame with its code: 1009 for a
/// message or frame over the limit, 1007 for text that is not UTF-8, 1002
/// for other violations (an unmasked frame), 1001 for a client silent past
/// the idle timeout. Dropping it sends a normal close (1000) if that can
/// go out without waiting.
pub struct WebSocket {
    stream: WebSocketStream<Upgraded>,
    request: Request,
    protocol: Option<String>,
    idle: Duration,
    last_heard: Instant,
    pinged: bool,
    timer: async_io::Timer,
    state: State,
}

/// Where the connection is.
enum State {
    Open,
    /// A close frame of ours goes out, then the stream ends.
    Closing,
    Closed,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("path", &self.request.path())
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    fn new(
        stream: WebSocketStream<Upgraded>,
        request: Request,
        protocol: Option<String>,
        idle: Duration,
    ) -> WebSocket {
        WebSocket {
            stream,
            request,
            protocol,
            idle,
            last_heard: Instant::now(),
            pinged: false,
            timer: async_io::Timer::after(idle / 2),
            state: State::Open,
        }
    }

    /// The handshake request (its path, headers, route parameters; no
    /// body).
    ///
    /// ```
    /// use lath::layers::{websocket, Message, Router, WebSocket};
    /// let routes = Router::new()
    ///     .get("/rooms/:room", websocket(|mut ws: WebSocket| async move {
    ///         let room = ws.request().param("room").unwrap_or("").to_owned();
    ///         let _ = ws.send(Message::text(room)).await;
    ///     }))
    ///     .build()
    ///     .unwrap();
    /// let mut ws = lath::Client::new(routes).websocket_blocking("/rooms/lobby").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("lobby")));
    /// ```
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The subprotocol chosen, if any (see [`WebSocketApp::protocols`]).
    ///
    /// ```
    /// use lath::layers::{websocket, Message, WebSocket};
    /// let app = websocket(|mut ws: WebSocket| async move {
    ///     let _ = ws.send(Message::text(ws.protocol().unwrap_or("none").to_owned())).await;
    /// });
    /// let mut ws = lath::Client::new(app).websocket_blocking("/").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("none")));
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Sends one message.
    ///
    /// ```
    /// use lath::layers::{websocket, Message, WebSocket};
    /// let app = websocket(|mut ws: WebSocket| async move {
    ///     ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    /// });
    /// let mut ws = lath::Client::new(app).websocket_blocking("/").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::binary(vec![1, 2, 3])));
    /// ```
    pub async fn send(&mut self, message: impl Into<Message>) -> io::Result<()> {
        SinkExt::send(self, message.into()).await
    }

    /// Closes with `code` and `reason` and waits for the client's close.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// let app = websocket(|ws: WebSocket| async move {
    ///     ws.close(4000, "bye").await.unwrap();
    /// });
    /// let mut ws = lath::Client::new(app).websocket_blocking("/").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), None, "closed");
    /// assert_eq!(ws.close_code(), Some(4000));
    /// ```
    pub async fn close(mut self, code: u16, reason: &str) -> io::Result<()> {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_owned().into(),
        };
        self.state = State::Closed;
        self.stream.close(Some(frame)).await.map_err(io_error)?;
        // The client's close completes the handshake.
        while let Some(Ok(_)) = self.stream.next().await {}
        Ok(())
    }

    /// Starts sending a close frame with `code`.
    fn begin_close(&mut self, code: CloseCode, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        self.state = match self.stream.start_send_unpin(Message::Close(Some(frame))) {
            Ok(()) => State::Closing,
            Err(_) => State::Closed,
        };
    }
}

fn io_error(e: WsError) -> io::Error {
    match e {
        WsError::Io(e) => e,
        e => io::Error::other(e),
    }
}

impl Stream for WebSocket {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        loop {
            match this.state {
                State::Closed => return Poll::Ready(None),
                State::Closing => {
                    return match this.stream.poll_flush_unpin(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(_) => {
                            this.state = State::Closed;
                            Poll::Ready(None)
                        }
                    };
                }
                State::Open => {}
            }
            match this.stream.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(message))) => {
                    this.last_heard = Instant::now();
                    this.pinged = false;
                    match message {
                        Message::Text(_) | Message::Binary(_) => return Poll::Ready(Some(message)),
                        // Answered by tungstenite; the reply goes out on
                        // the next flush.
                        Message::Close(_) => this.state = State::Closing,
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                Poll::Ready(Some(Err(error))) => match error {
                    WsError::Capacity(_) => this.begin_close(CloseCode::Size, "message too big"),
                    WsError::Utf8(_) => this.begin_close(CloseCode::Invalid, "text is not UTF-8"),
                    WsError::Protocol(_) => this.begin_close(CloseCode::Protocol, "protocol error"),
                    _ => this.state = State::Closed,
                },
                Poll::Ready(None) => this.state = State::Closed,
                Poll::Pending => {
                    if this.timer.poll_unpin(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let silent = this.last_heard.elapsed();
                    if silent >= this.idle {
                        this.begin_close(CloseCode::Away, "idle");
                        continue;
                    }
                    if silent >= this.idle / 2 && !this.pinged {
                        this.pinged = true;
                        let _ = this
                            .stream
                            .start_send_unpin(Message::Ping(Default::default()));
                        let _ = this.stream.poll_flush_unpin(cx);
                    }
                    let next = this.last_heard
                        + if this.pinged {
                            this.idle
                        } else {
                            this.idle / 2
                        };
                    this.timer.set_at(next);
                }
            }
        }
    }
}

impl Sink<Message> for WebSocket {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_ready_unpin(cx).map_err(io_error)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> io::Result<()> {
        self.stream.start_send_unpin(message).map_err(io_error)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_flush_unpin(cx).map_err(io_error)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.state = State::Closed;
        self.stream.poll_close_unpin(cx).map_err(io_error)
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        if let State::Open = self.state {
            // A normal close, if it can go out now.
            let waker = futures::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            let normal = CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            };
            if let Poll::Ready(Ok(())) = self.stream.poll_ready_unpin(&mut cx) {
                if self
                    .stream
                    .start_send_unpin(Message::Close(Some(normal)))
                    .is_ok()
                {
                    let _ = self.stream.poll_flush_unpin(&mut cx);
                }
            }
        }
    }
}

//! The test client's WebSocket: a handshake over the in-memory pipe, then
//! tungstenite in the client role.

use std::io;

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};

use crate::mem::MemStream;
use crate::prefixed::Prefixed;
use crate::{Client, Runtime};

/// The key every test handshake sends (RFC 6455's example).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A WebSocket opened by [`Client::websocket`]: send messages, receive
/// the server's text and binary ones, and see how it closed.
///
/// ```
/// use lath::layers::{websocket, Message, WebSocket};
/// let app = websocket(|mut ws: WebSocket| async move {
///     let _ = ws.send(Message::text("welcome")).await;
/// });
/// let mut ws = lath::Client::new(app).websocket_blocking("/").unwrap();
/// assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("welcome")));
/// ```
#[derive(Debug)]
pub struct TestWebSocket {
    stream: WebSocketStream<Prefixed<MemStream>>,
    close_code: Option<u16>,
}

impl Client {
    /// Opens a WebSocket to `path` on a fresh connection: the opening
    /// handshake, checked (`101` and the right `Sec-WebSocket-Accept`).
    ///
    /// ```
    /// use lath::layers::{websocket, Message, WebSocket};
    /// # lath::net::run(async {
    /// let app = websocket(|mut ws: WebSocket| async move {
    ///     let _ = ws.send(Message::text("hi")).await;
    /// });
    /// let mut ws = lath::Client::new(app).websocket("/").await.unwrap();
    /// assert_eq!(ws.recv().await.unwrap(), Some(Message::text("hi")));
    /// # });
    /// ```
    pub async fn websocket(&self, path: &str) -> io::Result<TestWebSocket> {
        self.websocket_with(path, &[]).await
    }

    /// [`Client::websocket`] with extra request fields (`Origin`,
    /// `Sec-WebSocket-Protocol`); one named as a handshake field
    /// (`Sec-WebSocket-Version`) replaces it.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// # lath::net::run(async {
    /// let app = websocket(|_ws: WebSocket| async {}).origins(["https://a.example"]);
    /// let client = lath::Client::new(app);
    /// assert!(client.websocket_with("/", &[("Origin", "https://a.example")]).await.is_ok());
    /// let refused = client.websocket_with("/", &[("Origin", "https://b.example")]).await;
    /// assert!(refused.unwrap_err().to_string().contains("403"));
    /// # });
    /// ```
    pub async fn websocket_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> io::Result<TestWebSocket> {
        let mut io = self.connect();
        let mut head = format!("GET {path} HTTP/1.1\r\n");
        let defaults = [
            ("Host", "lath.test"),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", KEY),
        ];
        // A field the caller gives replaces the default of that name.
        let given = |name: &str| fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let defaults = defaults.into_iter().filter(|(name, _)| !given(name));
        for (name, value) in defaults.chain(fields.iter().copied()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        io.write_all(head.as_bytes()).await?;
        let mut read = Vec::new();
        let mut piece = [0u8; 1024];
        let end = loop {
            if let Some(at) = read.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = io.read(&mut piece).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            read.extend_from_slice(&piece[..n]);
        };
        let answer = String::from_utf8_lossy(&read[..end]).into_owned();
        if !answer.starts_with("HTTP/1.1 101 ") {
            let status = answer.lines().next().unwrap_or("");
            return Err(io::Error::other(format!(
                "the handshake was answered {status}"
            )));
        }
        let accept = answer.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-accept")
                .then(|| value.trim().to_owned())
        });
        if accept.as_deref() != Some(derive_accept_key(KEY.as_bytes()).as_str()) {
            return Err(io::Error::other("a wrong Sec-WebSocket-Accept"));
        }
        let rest = bytes::Bytes::from(read).slice(end..);
        let stream =
            WebSocketStream::from_raw_socket(Prefixed { rest, io }, Role::Client, None).await;
        Ok(TestWebSocket {
            stream,
            close_code: None,
        })
    }

    /// [`Client::websocket`] for plain tests.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// let ws = lath::Client::new(websocket(|_ws: WebSocket| async {})).websocket_blocking("/");
    /// assert!(ws.is_ok());
    /// ```
    pub fn websocket_blocking(&self, path: &str) -> io::Result<TestWebSocket> {
        Runtime::default().block_on(self.websocket(path))
    }

    /// [`Client::websocket_with`] for plain tests.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// let client = lath::Client::new(websocket(|_ws: WebSocket| async {}));
    /// let refused = client.websocket_with_blocking("/", &[("Sec-WebSocket-Version", "8")]);
    /// assert!(refused.unwrap_err().to_string().contains("426"));
    /// ```
    pub fn websocket_with_blocking(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> io::Result<TestWebSocket> {
        Runtime::default().block_on(self.websocket_with(path, fields))
    }
}

impl TestWebSocket {
    /// Sends a message.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::layers::{websocket, Message, WebSocket};
    /// let app = websocket(|mut ws: WebSocket| async move {
    ///     while let Some(m) = ws.next().await {
    ///         let _ = ws.send(m).await;
    ///     }
    /// });
    /// # lath::net::run(async {
    /// let mut ws = lath::Client::new(app).websocket("/").await.unwrap();
    /// ws.send(Message::text("echo")).await.unwrap();
    /// assert_eq!(ws.recv().await.unwrap(), Some(Message::text("echo")));
    /// # });
    /// ```
    pub async fn send(&mut self, message: Message) -> io::Result<()> {
        self.stream.send(message).await.map_err(io::Error::other)
    }

    /// The next text or binary message, or `None` once the server closed
    /// (its code is then [`close_code`](TestWebSocket::close_code)).
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// # lath::net::run(async {
    /// let app = websocket(|ws: WebSocket| async move { let _ = ws.close(1000, "done").await; });
    /// let mut ws = lath::Client::new(app).websocket("/").await.unwrap();
    /// assert_eq!(ws.recv().await.unwrap(), None);
    /// # });
    /// ```
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Close(frame))) => {
                    self.close_code = Some(frame.map_or(1005, |f| u16::from(f.code)));
                }
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    return Ok(Some(message))
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    use async_tungstenite::tungstenite::Error;
                    return match e {
                        Error::ConnectionClosed | Error::AlreadyClosed => Ok(None),
                        // The server closed the connection after its close
                        // frame, before the reply to it went out.
                        _ if self.close_code.is_some() => Ok(None),
                        e => Err(io::Error::other(e)),
                    };
                }
                None => return Ok(None),
            }
        }
    }

    /// The code of the server's close frame, once one came.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// let app = websocket(|ws: WebSocket| async move { let _ = ws.close(4001, "bye").await; });
    /// let mut ws = lath::Client::new(app).websocket_blocking("/").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), None);
    /// assert_eq!(ws.close_code(), Some(4001));
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// [`send`](TestWebSocket::send) for plain tests.
    ///
    /// ```
    /// use lath::layers::{websocket, Message, WebSocket};
    /// let mut ws = lath::Client::new(websocket(|_ws: WebSocket| async {})).websocket_blocking("/").unwrap();
    /// let _ = ws.send_blocking(Message::text("hello"));
    /// ```
    pub fn send_blocking(&mut self, message: Message) -> io::Result<()> {
        Runtime::default().block_on(self.send(message))
    }

    /// [`recv`](TestWebSocket::recv) for plain tests.
    ///
    /// ```
    /// use lath::layers::{websocket, WebSocket};
    /// let mut ws = lath::Client::new(websocket(|_ws: WebSocket| async {})).websocket_blocking("/").unwrap();
    /// assert_eq!(ws.recv_blocking().unwrap(), None, "the handler returned: closed");
    /// assert_eq!(ws.close_code(), Some(1000));
    /// ```
    pub fn recv_blocking(&mut self) -> io::Result<Option<Message>> {
        Runtime::default().block_on(self.recv())
    }
}

//! Message bodies: empty, one piece of bytes, or a stream of pieces.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::channel::mpsc;
use futures::stream::{BoxStream, Stream, StreamExt};
use lath_codec::{BodySize, Headers};

/// Why a body stream failed: the peer went away, broke framing, stalled, or
/// the producer of a response body gave up.
///
/// ```
/// use lath::prelude::*;
/// // A request body cut short by the client: reading it fails with a
/// // `BodyError`, which `?` turns into a 400.
/// let app = handler(|mut req: Request| async move { req.bytes().await.map(|b| b.len().to_string()) });
/// let answer = Client::new(app)
///     .raw_blocking("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort")
///     .unwrap();
/// assert!(String::from_utf8(answer).unwrap().starts_with("HTTP/1.1 400 "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    message: String,
    status: Option<lath_codec::Status>,
}

impl BodyError {
    /// An error with a short lowercase message.
    ///
    /// ```
    /// use lath::app::BodyError;
    /// let error = BodyError::new("upstream closed");
    /// assert_eq!((error.message(), error.status()), ("upstream closed", None));
    /// ```
    pub fn new(message: impl Into<String>) -> BodyError {
        BodyError {
            message: message.into(),
            status: None,
        }
    }

    /// An error that calls for `status`: `408` for a body that came too
    /// slowly, `400` for one that broke its framing.
    ///
    /// ```
    /// use lath::app::{BodyError, Status};
    /// let error = BodyError::with_status("request body timed out", Status::REQUEST_TIMEOUT);
    /// assert_eq!(error.status(), Some(Status::REQUEST_TIMEOUT));
    /// ```
    pub fn with_status(message: impl Into<String>, status: lath_codec::Status) -> BodyError {
        BodyError {
            message: message.into(),
            status: Some(status),
        }
    }

    /// The body passed a limit of `limit` bytes: the answer is 413.
    ///
    /// ```
    /// use lath::app::BodyError;
    /// assert_eq!(BodyError::too_large(1024).status().map(|s| s.code()), Some(413));
    /// ```
    pub fn too_large(limit: u64) -> BodyError {
        BodyError {
            message: format!("body larger than {limit} bytes"),
            status: Some(lath_codec::Status::CONTENT_TOO_LARGE),
        }
    }

    /// The message.
    ///
    /// ```
    /// use lath::app::BodyError;
    /// assert_eq!(BodyError::new("reset by peer").message(), "reset by peer");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The status this failure calls for, when it names one (413 for a
    /// limit, 408 for a slow body, 400 for broken framing); otherwise the
    /// body was cut short (400).
    ///
    /// ```
    /// use lath::app::{BodyError, Status};
    /// assert_eq!(BodyError::with_status("slow", Status::REQUEST_TIMEOUT).status(), Some(Status::REQUEST_TIMEOUT));
    /// assert_eq!(BodyError::new("cut").status(), None);
    /// ```
    pub fn status(&self) -> Option<lath_codec::Status> {
        self.status
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BodyError {}

enum Kind {
    Empty,
    Full(Bytes),
    Stream(BoxStream<'static, Result<Bytes, BodyError>>),
}

/// A request or response body.
///
/// Empty and full bodies know their size, so responses get a
/// `Content-Length`; streams do not unless given one, and go out chunked.
///
/// ```
/// use futures::StreamExt;
/// use lath::app::Body;
/// # futures::executor::block_on(async {
/// let (mut sender, body) = Body::channel();
/// sender.send("first ").await.unwrap();
/// sender.send("second").await.unwrap();
/// sender.finish();
/// let pieces: Vec<_> = body.map(|piece| piece.unwrap()).collect().await;
/// assert_eq!(pieces, ["first ", "second"]);
/// # });
/// ```
pub struct Body {
    kind: Kind,
    size: BodySize,
    watch: Option<Arc<dyn BodyWatch>>,
    /// Fields that follow the last byte, once its producer sets them.
    trailers: Option<Arc<Trailers>>,
    /// The file the bytes are, for a server that sends them from it.
    span: Option<FileSpan>,
}

/// A span of an open file that a body's bytes are: a server that can send
/// bytes from a file to a socket itself (`sendfile`) sends them from there
/// instead of reading the body, so they are never copied through memory.
/// The body's own stream must yield the same bytes, for every other way
/// out (TLS, HTTP/2, a layer that changes them, the test client).
///
/// ```
/// use std::sync::Arc;
/// use lath::app::FileSpan;
/// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
/// let span = FileSpan::new(file, 10, 20);
/// assert_eq!((span.offset(), span.len()), (10, 20));
/// ```
#[derive(Debug, Clone)]
pub struct FileSpan {
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
}

impl FileSpan {
    /// `len` bytes of `file` from `offset`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// let span = lath::app::FileSpan::new(file, 0, 5);
    /// assert!(!span.is_empty());
    /// ```
    pub fn new(file: Arc<std::fs::File>, offset: u64, len: u64) -> FileSpan {
        FileSpan { file, offset, len }
    }

    /// The open file.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// let span = lath::app::FileSpan::new(file.clone(), 0, 5);
    /// assert!(Arc::ptr_eq(span.file(), &file));
    /// ```
    pub fn file(&self) -> &Arc<std::fs::File> {
        &self.file
    }

    /// Where the bytes start in the file.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert_eq!(lath::app::FileSpan::new(file, 7, 5).offset(), 7);
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How many bytes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert_eq!(lath::app::FileSpan::new(file, 7, 5).len(), 5);
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Is the span zero bytes long?
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(lath::app::FileSpan::new(file, 7, 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The trailer fields of a body (RFC 9110 §6.5): set by the body's
/// producer — the server for a request body, the app for a response
/// body — before the body's end, read after it. Shared between the two
/// sides.
///
/// Trailers go out on HTTP/2 always, and on HTTP/1.1 with a chunked body
/// (a body of unknown length) to a client that sent `TE: trailers`; a
/// request's arrive from a chunked body or an HTTP/2 stream. Fields that
/// frame or route a message (`Content-Length`, `Transfer-Encoding`,
/// `Host`, …) are never taken from a trailer section.
///
/// ```
/// use std::sync::Arc;
/// use lath::app::{Body, Trailers};
/// let trailers = Arc::new(Trailers::default());
/// let body = Body::stream(futures::stream::empty()).with_trailer_slot(trailers.clone());
/// let mut fields = lath::codec::Headers::new();
/// fields.append("X-Checksum", "abc");
/// trailers.set(fields);
/// assert_eq!(body.trailers().unwrap().get_str("x-checksum"), Some("abc"));
/// ```
#[derive(Debug, Default)]
pub struct Trailers(Mutex<Option<Headers>>);

impl Trailers {
    /// Sets the fields (before the body ends).
    ///
    /// ```
    /// use lath::app::Trailers;
    /// let trailers = Trailers::default();
    /// let mut fields = lath::codec::Headers::new();
    /// fields.append("X-Rows", "7");
    /// trailers.set(fields);
    /// assert_eq!(trailers.get().unwrap().len(), 1);
    /// ```
    pub fn set(&self, fields: Headers) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(fields);
    }

    /// The fields, if set.
    ///
    /// ```
    /// use lath::app::Trailers;
    /// assert!(Trailers::default().get().is_none());
    /// ```
    pub fn get(&self) -> Option<Headers> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Told how a body goes by, piece by piece, then its end: what an access
/// log needs to count the bytes sent, set on a body with
/// [`Body::watched`] at no allocation of its own.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use lath::app::{Body, BodyWatch};
///
/// #[derive(Default)]
/// struct Count(AtomicUsize);
/// impl BodyWatch for Count {
///     fn piece(&self, len: usize) {
///         self.0.fetch_add(len, Ordering::Relaxed);
///     }
///     fn end(self: Arc<Self>, complete: bool) {
///         assert!(complete);
///     }
/// }
/// # futures::executor::block_on(async {
/// let count = Arc::new(Count::default());
/// let mut body = Body::full("hello").watched(count.clone());
/// while let Some(_) = body.next().await {}
/// assert_eq!(count.0.load(Ordering::Relaxed), 5);
/// # });
/// ```
pub trait BodyWatch: Send + Sync + 'static {
    /// A piece of `len` bytes went by.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use lath::app::{Body, BodyWatch};
    /// #[derive(Default)]
    /// struct Pieces(AtomicUsize);
    /// impl BodyWatch for Pieces {
    ///     fn piece(&self, _len: usize) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    ///     fn end(self: Arc<Self>, _complete: bool) {}
    /// }
    /// let pieces = Arc::new(Pieces::default());
    /// let stream = futures::stream::iter(["a", "b", "c"].map(|p| Ok(bytes::Bytes::from(p))));
    /// let body = Body::stream(stream).watched(pieces.clone());
    /// futures::executor::block_on(futures::StreamExt::collect::<Vec<_>>(body));
    /// assert_eq!(pieces.0.load(Ordering::Relaxed), 3);
    /// ```
    fn piece(&self, len: usize);

    /// The body ended, once: `complete` when all of it went by, `false`
    /// when it failed or was dropped before its end (a `HEAD` answer, a
    /// client gone).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use lath::app::{Body, BodyWatch};
    /// #[derive(Default)]
    /// struct Ended(Mutex<Option<bool>>);
    /// impl BodyWatch for Ended {
    ///     fn piece(&self, _len: usize) {}
    ///     fn end(self: Arc<Self>, complete: bool) {
    ///         *self.0.lock().unwrap() = Some(complete);
    ///     }
    /// }
    /// let ended = Arc::new(Ended::default());
    /// drop(Body::full("never sent").watched(ended.clone()));
    /// assert_eq!(*ended.0.lock().unwrap(), Some(false));
    /// ```
    fn end(self: Arc<Self>, complete: bool);
}

impl Body {
    /// No body.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::new(Status::OK).with_body(Body::empty()) });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-length"), Some("0"));
    /// ```
    pub fn empty() -> Body {
        Body {
            kind: Kind::Empty,
            size: BodySize::EMPTY,
            watch: None,
            trailers: None,
            span: None,
        }
    }

    /// Empty, and watched by nothing: reading it would only say so.
    pub(crate) fn is_bare_empty(&self) -> bool {
        matches!(self.kind, Kind::Empty) && self.watch.is_none()
    }

    /// Nothing more to read and nothing after it: the next read would end
    /// the body, no one watches it and no trailers can follow. A server
    /// may then end the message without reading again — a full body is
    /// spent once its one piece was read.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::Body;
    /// # futures::executor::block_on(async {
    /// let mut body = Body::full("hi");
    /// assert!(!body.is_spent());
    /// assert_eq!(body.next().await.unwrap().unwrap(), "hi");
    /// assert!(body.is_spent());
    /// let (_sender, streamed) = Body::channel();
    /// assert!(!streamed.is_spent());
    /// # });
    /// ```
    pub fn is_spent(&self) -> bool {
        self.is_bare_empty() && self.trailers.is_none()
    }

    /// The whole body, when it is already in memory as one piece (or
    /// none) that no one watches and no trailers follow: what
    /// [`Body::full`] and [`Body::empty`] make. Any other body comes back
    /// as it was. A server can then send it without reading it as a
    /// stream.
    ///
    /// ```
    /// use lath::app::Body;
    /// assert_eq!(Body::full("hi").try_into_bytes().unwrap(), "hi");
    /// assert!(Body::empty().try_into_bytes().unwrap().is_empty());
    /// let (_sender, streamed) = Body::channel();
    /// assert!(streamed.try_into_bytes().is_err());
    /// ```
    pub fn try_into_bytes(mut self) -> Result<Bytes, Body> {
        if self.watch.is_some() || self.trailers.is_some() {
            return Err(self);
        }
        match std::mem::replace(&mut self.kind, Kind::Empty) {
            Kind::Full(bytes) => Ok(bytes),
            Kind::Empty => Ok(Bytes::new()),
            stream => {
                self.kind = stream;
                Err(self)
            }
        }
    }

    /// One piece of bytes.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::raw(Body::full(vec![b'x'; 10])) });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-length"), Some("10"));
    /// ```
    pub fn full(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        Body {
            size: BodySize::Known(bytes.len() as u64),
            kind: Kind::Full(bytes),
            watch: None,
            trailers: None,
            span: None,
        }
    }

    /// A stream of pieces whose total size is unknown (sent chunked).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     let lines = (1..=3).map(|n| Ok(bytes::Bytes::from(format!("line {n}\n"))));
    ///     Response::text(Body::stream(futures::stream::iter(lines)))
    /// });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    /// assert_eq!(res.text(), "line 1\nline 2\nline 3\n");
    /// ```
    pub fn stream<S>(stream: S) -> Body
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Send + 'static,
    {
        Body {
            kind: Kind::Stream(stream.boxed()),
            size: BodySize::Unknown,
            watch: None,
            trailers: None,
            span: None,
        }
    }

    /// A stream of pieces that add up to exactly `len` bytes.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     let pieces = ["hello, ", "world"].map(|p| Ok(bytes::Bytes::from(p)));
    ///     Response::text(Body::sized_stream(12, futures::stream::iter(pieces)))
    /// });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-length"), Some("12"));
    /// assert_eq!(res.text(), "hello, world");
    /// ```
    pub fn sized_stream<S>(len: u64, stream: S) -> Body
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Send + 'static,
    {
        Body {
            kind: Kind::Stream(stream.boxed()),
            size: BodySize::Known(len),
            watch: None,
            trailers: None,
            span: None,
        }
    }

    /// A body fed through a channel, for pushing pieces as they come. The
    /// body ends when [`BodySender::finish`] is called; a sender dropped
    /// without finishing ends the body with an error, so a half-written
    /// body is never mistaken for a whole one.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = |_req: Request, respond: Respond| async move {
    ///     let (mut sender, body) = Body::channel();
    ///     respond.send(Response::text(body));
    ///     for n in 1..=3 {
    ///         // Waits while the client is behind: memory stays bounded.
    ///         if sender.send(format!("event {n}\n")).await.is_err() {
    ///             return; // the client left
    ///         }
    ///     }
    ///     sender.finish();
    /// };
    /// let res = Client::new(app).get("/events").send_blocking().unwrap();
    /// assert_eq!(res.text(), "event 1\nevent 2\nevent 3\n");
    /// ```
    pub fn channel() -> (BodySender, Body) {
        let (tx, rx) = mpsc::channel(4);
        let trailers = Arc::new(Trailers::default());
        let body = Body::stream(rx).with_trailer_slot(trailers.clone());
        (
            BodySender {
                tx: Some(tx),
                trailers,
            },
            body,
        )
    }

    /// The size, when known in advance.
    ///
    /// ```
    /// use lath::app::{Body, BodySize};
    /// assert_eq!(Body::full("abc").size(), BodySize::Known(3));
    /// assert_eq!(Body::channel().1.size(), BodySize::Unknown);
    /// ```
    pub fn size(&self) -> BodySize {
        self.size
    }

    /// This body, with `watch` told of every piece that goes by and of
    /// its end. The first watch costs nothing; a second one wraps the
    /// body (and its watch) in a stream.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use lath::prelude::*;
    /// use lath::app::BodyWatch;
    /// /// Bytes sent in answers, counted as they go out.
    /// #[derive(Default)]
    /// struct Sent(AtomicU64);
    /// impl BodyWatch for Sent {
    ///     fn piece(&self, len: usize) {
    ///         self.0.fetch_add(len as u64, Ordering::Relaxed);
    ///     }
    ///     fn end(self: Arc<Self>, _complete: bool) {}
    /// }
    /// let sent = Arc::new(Sent::default());
    /// let counter = sent.clone();
    /// let app = handler(|_req: Request| async { "Hello, World!" }).wrap(from_fn(move |req, respond: Respond, next| {
    ///     let counter = counter.clone();
    ///     async move {
    ///         let respond = respond.map(move |mut res| {
    ///             let body = res.take_body().watched(counter);
    ///             res.with_body(body)
    ///         });
    ///         next.call(req, respond).await
    ///     }
    /// }));
    /// Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(sent.0.load(Ordering::Relaxed), 13);
    /// ```
    pub fn watched(mut self, watch: Arc<dyn BodyWatch>) -> Body {
        if self.watch.is_some() {
            let size = self.size;
            let trailers = self.trailers.clone();
            let mut body = match size {
                BodySize::Known(n) => Body::sized_stream(n, self),
                BodySize::Unknown => Body::stream(self),
            };
            body.watch = Some(watch);
            body.trailers = trailers;
            return body;
        }
        self.watch = Some(watch);
        self
    }

    /// Is this a body with nothing in it, known in advance?
    ///
    /// ```
    /// use lath::app::Body;
    /// assert!(Body::empty().is_empty());
    /// assert!(Body::full("").is_empty());
    /// assert!(!Body::full("x").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.size == BodySize::EMPTY
    }

    /// The trailer fields that followed the body, once it has been read
    /// to its end (`None` before, or when there were none). See
    /// [`Trailers`].
    ///
    /// ```
    /// use lath::prelude::*;
    /// use futures::StreamExt;
    /// let app = handler(|mut req: Request| async move {
    ///     let mut body = req.take_body();
    ///     while let Some(piece) = body.next().await {
    ///         piece?;
    ///     }
    ///     let checksum = body.trailers().and_then(|t| t.get_str("x-checksum").map(str::to_owned));
    ///     Ok::<_, HttpError>(checksum.unwrap_or_default())
    /// });
    /// let res = Client::new(app).raw_blocking(
    ///     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
    ///      2\r\nhi\r\n0\r\nX-Checksum: abc\r\n\r\n",
    /// ).unwrap();
    /// assert!(String::from_utf8(res).unwrap().ends_with("\r\n\r\nabc"));
    /// ```
    pub fn trailers(&self) -> Option<Headers> {
        self.trailers.as_ref().and_then(|t| t.get())
    }

    /// The body with trailer fields known in advance. On HTTP/1.1 it goes
    /// out chunked (its length is no longer announced), as trailers need.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     let mut fields = lath::codec::Headers::new();
    ///     fields.append("X-Checksum", "abc");
    ///     Response::text("").with_body(Body::full("hello").with_trailers(fields))
    /// });
    /// let res = Client::new(app).get("/").header("TE", "trailers").send_blocking().unwrap();
    /// assert_eq!(res.text(), "hello");
    /// assert_eq!(res.trailers.get_str("x-checksum"), Some("abc"));
    /// ```
    pub fn with_trailers(self, fields: Headers) -> Body {
        let slot = Arc::new(Trailers::default());
        slot.set(fields);
        let body = match self.size {
            BodySize::Unknown => self,
            BodySize::Known(_) => Body::stream(self),
        };
        body.with_trailer_slot(slot)
    }

    /// Where this body's trailers will be, to hand on: a response that
    /// streams a request body back can carry its trailers too.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let body = req.take_body();
    ///     let trailers = body.trailer_slot();
    ///     let echoed = Body::stream(body);
    ///     Response::text("").with_body(match trailers {
    ///         Some(slot) => echoed.with_trailer_slot(slot),
    ///         None => echoed,
    ///     })
    /// });
    /// let res = Client::new(app).raw_blocking(
    ///     "POST / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
    ///      2\r\nhi\r\n0\r\nX-Sum: 7\r\n\r\n",
    /// ).unwrap();
    /// let wire = String::from_utf8(res).unwrap().to_ascii_lowercase();
    /// assert!(wire.ends_with("2\r\nhi\r\n0\r\nx-sum: 7\r\n\r\n"), "{wire}");
    /// ```
    pub fn trailer_slot(&self) -> Option<Arc<Trailers>> {
        self.trailers.clone()
    }

    /// The body with trailers its producer sets while it streams (before
    /// its last piece): a checksum, a row count.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::prelude::*;
    /// use lath::app::Trailers;
    /// let app = handler(|_req: Request| async {
    ///     let slot = Arc::new(Trailers::default());
    ///     let filler = slot.clone();
    ///     let pieces = futures::stream::iter(["a", "b"]).map(move |piece| {
    ///         if piece == "b" {
    ///             let mut fields = lath::codec::Headers::new();
    ///             fields.append("X-Pieces", "2");
    ///             filler.set(fields);
    ///         }
    ///         Ok::<_, lath::app::BodyError>(bytes::Bytes::from(piece))
    ///     });
    ///     Response::text("").with_body(Body::stream(pieces).with_trailer_slot(slot))
    /// });
    /// # use futures::StreamExt;
    /// let res = Client::new(app).get("/").header("TE", "trailers").send_blocking().unwrap();
    /// assert_eq!((res.text().as_str(), res.trailers.get_str("x-pieces")), ("ab", Some("2")));
    /// ```
    pub fn with_trailer_slot(mut self, slot: Arc<Trailers>) -> Body {
        self.trailers = Some(slot);
        self
    }

    /// The body, known to be the bytes of `span` (its stream must yield
    /// exactly those): the server may send them from the file itself. A
    /// span whose length is not the body's known size is ignored.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{Body, FileSpan};
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// let bytes = std::fs::read("Cargo.toml").unwrap();
    /// let len = bytes.len() as u64;
    /// let body = Body::full(bytes).with_file_span(FileSpan::new(file, 0, len));
    /// assert_eq!(body.file_span().map(|s| s.len()), Some(len));
    /// ```
    pub fn with_file_span(mut self, span: FileSpan) -> Body {
        if self.size == BodySize::Known(span.len) {
            self.span = Some(span);
        }
        self
    }

    /// The file span the body's bytes are, when it has one and has not
    /// been read from.
    ///
    /// ```
    /// use lath::app::Body;
    /// assert!(Body::full("x").file_span().is_none());
    /// ```
    pub fn file_span(&self) -> Option<&FileSpan> {
        self.span.as_ref()
    }

    /// Says the body's bytes went out from its file span: they count as
    /// read (a watching layer sees them, and a complete end), and the body
    /// is over.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{Body, FileSpan};
    /// let file = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// let mut body = Body::full("abc").with_file_span(FileSpan::new(file, 0, 3));
    /// body.sent_from_file();
    /// assert!(body.file_span().is_none());
    /// let rest = futures::executor::block_on(futures::StreamExt::next(&mut body));
    /// assert!(rest.is_none());
    /// ```
    pub fn sent_from_file(&mut self) {
        let Some(span) = self.span.take() else {
            return;
        };
        self.kind = Kind::Empty;
        if let Some(watch) = &self.watch {
            if span.len > 0 {
                watch.piece(span.len as usize);
            }
        }
        self.end_watch(true);
    }
}

impl Body {
    /// Ends the data (it is not polled again) and takes the trailers, for
    /// `http_body`, which hands them on as a last frame.
    #[cfg(feature = "tower")]
    pub(crate) fn end_data_take_trailers(&mut self) -> Option<Headers> {
        self.kind = Kind::Empty;
        self.trailers.take().and_then(|trailers| trailers.get())
    }

    fn end_watch(&mut self, complete: bool) {
        if let Some(watch) = self.watch.take() {
            watch.end(complete);
        }
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.end_watch(false);
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Once read from, the body's bytes are its stream's.
        self.span = None;
        let polled = match &mut self.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => match std::mem::replace(&mut self.kind, Kind::Empty) {
                Kind::Full(bytes) if !bytes.is_empty() => Poll::Ready(Some(Ok(bytes))),
                _ => Poll::Ready(None),
            },
            Kind::Stream(stream) => stream.poll_next_unpin(cx),
        };
        if let Some(watch) = &self.watch {
            match &polled {
                Poll::Ready(Some(Ok(piece))) => watch.piece(piece.len()),
                Poll::Ready(Some(Err(_))) => self.end_watch(false),
                Poll::Ready(None) => self.end_watch(true),
                Poll::Pending => {}
            }
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.kind {
            Kind::Empty => (0, Some(0)),
            Kind::Full(_) => (1, Some(1)),
            Kind::Stream(stream) => stream.size_hint(),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Stream(_) => "stream",
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("size", &self.size)
            .field("watched", &self.watch.is_some())
            .finish()
    }
}

macro_rules! full_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Body {
            fn from(value: $t) -> Body {
                Body::full(value)
            }
        }
    )*};
}

full_from!(Bytes, Vec<u8>, String, &'static str, &'static [u8]);

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}

/// The sending end of [`Body::channel`].
///
/// ```
/// use lath::prelude::*;
/// let app = |_req: Request, respond: Respond| async move {
///     let (mut sender, body) = Body::channel();
///     respond.send(Response::text(body));
///     let _ = sender.send("partial").await;
///     drop(sender); // not finished: the client sees the body cut short
/// };
/// let answer = Client::new(app).raw_blocking("GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
/// let answer = String::from_utf8(answer).unwrap();
/// assert!(answer.contains("partial"));
/// assert!(!answer.ends_with("0\r\n\r\n")); // no last chunk
/// ```
#[derive(Debug)]
pub struct BodySender {
    tx: Option<mpsc::Sender<Result<Bytes, BodyError>>>,
    trailers: Arc<Trailers>,
}

impl BodySender {
    /// Sends one piece, waiting while the connection is behind. Fails when
    /// the receiving side is gone (the client left).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::Body;
    /// # futures::executor::block_on(async {
    /// let (mut sender, mut body) = Body::channel();
    /// sender.send("one").await.unwrap();
    /// assert_eq!(&body.next().await.unwrap().unwrap()[..], b"one");
    /// drop(body);
    /// assert!(sender.send("two").await.is_err()); // nobody reads any more
    /// # });
    /// ```
    pub async fn send(&mut self, piece: impl Into<Bytes>) -> Result<(), BodyError> {
        use futures::SinkExt;
        let gone = || BodyError::new("body receiver gone");
        let tx = self.tx.as_mut().ok_or_else(gone)?;
        tx.send(Ok(piece.into())).await.map_err(|_| gone())
    }

    /// Ends the body normally.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::Body;
    /// # futures::executor::block_on(async {
    /// let (mut sender, body) = Body::channel();
    /// sender.send("all").await.unwrap();
    /// sender.finish();
    /// let pieces: Vec<_> = body.collect().await;
    /// assert!(pieces.iter().all(|piece| piece.is_ok()));
    /// # });
    /// ```
    pub fn finish(mut self) {
        self.tx = None;
    }

    /// Ends the body with trailer fields (see [`Trailers`]).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     let (mut sender, body) = Body::channel();
    ///     // The channel holds a few pieces: no other task needed here.
    ///     let _ = sender.send("rows").await;
    ///     let mut fields = lath::codec::Headers::new();
    ///     fields.append("X-Rows", "1");
    ///     sender.finish_with_trailers(fields);
    ///     Response::text("").with_body(body)
    /// });
    /// let res = Client::new(app).get("/").header("TE", "trailers").send_blocking().unwrap();
    /// assert_eq!(res.trailers.get_str("x-rows"), Some("1"));
    /// ```
    pub fn finish_with_trailers(self, fields: Headers) {
        self.trailers.set(fields);
        self.finish();
    }

    /// Ends the body with an error: the peer sees it cut short.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::{Body, BodyError};
    /// # futures::executor::block_on(async {
    /// let (sender, body) = Body::channel();
    /// sender.abort(BodyError::new("source failed"));
    /// let pieces: Vec<_> = body.collect().await;
    /// assert_eq!(pieces[0].as_ref().unwrap_err().message(), "source failed");
    /// # });
    /// ```
    pub fn abort(mut self, error: BodyError) {
        if let Some(mut tx) = self.tx.take() {
            let _ = tx.try_send(Err(error));
        }
    }
}

impl Drop for BodySender {
    fn drop(&mut self) {
        if let Some(mut tx) = self.tx.take() {
            let _ = tx.try_send(Err(BodyError::new("body sender dropped before finish")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    /// Records what a watch is told.
    #[derive(Default)]
    struct Log(std::sync::Mutex<Vec<String>>);

    impl BodyWatch for Log {
        fn piece(&self, len: usize) {
            self.0.lock().unwrap().push(format!("piece {len}"));
        }
        fn end(self: Arc<Self>, complete: bool) {
            self.0.lock().unwrap().push(format!("end {complete}"));
        }
    }

    fn told(log: &Log) -> Vec<String> {
        log.0.lock().unwrap().clone()
    }

    #[test]
    fn a_watch_sees_every_piece_then_one_end() {
        let log = Arc::new(Log::default());
        let stream = futures::stream::iter([Ok(Bytes::from("ab")), Ok(Bytes::from("cde"))]);
        let body = Body::sized_stream(5, stream).watched(log.clone());
        assert_eq!(body.size(), BodySize::Known(5));
        let pieces: Vec<_> = block_on(body.collect());
        assert_eq!(pieces.len(), 2);
        assert_eq!(told(&log), ["piece 2", "piece 3", "end true"]);
    }

    #[test]
    fn a_body_dropped_or_failed_before_its_end_ends_incomplete() {
        let dropped = Arc::new(Log::default());
        drop(Body::full("abc").watched(dropped.clone()));
        assert_eq!(told(&dropped), ["end false"]);

        let failed = Arc::new(Log::default());
        let stream = futures::stream::iter([Ok(Bytes::from("a")), Err(BodyError::new("cut"))]);
        let mut body = Body::stream(stream).watched(failed.clone());
        block_on(async { while body.next().await.is_some() {} });
        drop(body);
        assert_eq!(told(&failed), ["piece 1", "end false"]);
    }

    #[test]
    fn two_watches_both_see_the_body() {
        let (inner, outer) = (Arc::new(Log::default()), Arc::new(Log::default()));
        let body = Body::full("hello")
            .watched(inner.clone())
            .watched(outer.clone());
        assert_eq!(body.size(), BodySize::Known(5));
        let _: Vec<_> = block_on(body.collect());
        assert_eq!(told(&inner), ["piece 5", "end true"]);
        assert_eq!(told(&outer), ["piece 5", "end true"]);
    }

    #[test]
    fn sizes() {
        assert_eq!(Body::empty().size(), BodySize::EMPTY);
        assert_eq!(Body::from("abc").size(), BodySize::Known(3));
        assert_eq!(
            Body::stream(futures::stream::empty()).size(),
            BodySize::Unknown
        );
    }

    #[test]
    fn full_yields_once_and_empty_never() {
        block_on(async {
            let mut body = Body::from("abc");
            assert_eq!(body.next().await, Some(Ok(Bytes::from("abc"))));
            assert_eq!(body.next().await, None);
            assert_eq!(Body::from("").next().await, None);
        });
    }

    #[test]
    fn a_dropped_sender_is_an_error_not_an_end() {
        block_on(async {
            let (mut tx, body) = Body::channel();
            tx.send("part").await.unwrap();
            drop(tx);
            let items: Vec<_> = body.collect().await;
            assert_eq!(items.len(), 2);
            assert!(items[1].is_err());
        });
    }
}

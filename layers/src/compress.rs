//! Response compression: zstd, brotli and gzip, streaming, negotiated by
//! `Accept-Encoding` (RFC 9110 §12.5.3, §8.4).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::futures::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
use async_compression::Level;
use bytes::Bytes;
use futures::io::AsyncRead;
use futures::{Stream, TryStreamExt};
use lath_app::{App, Body, BodyError, BodySize, Layer, Method, Request, Respond, Response, Status};

use crate::files::{ETag, Representation};
use crate::slot::{mapped, Ways};
use lath_app::recycle::KeptArcs;

/// Bodies smaller than this go out as they are: compression would save
/// little and cost a chunked framing.
const MIN_SIZE: u64 = 1024;

/// The most compressed output handed on at once.
const PIECE: usize = 16 * 1024;

/// A content coding and its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Zstd,
    Brotli,
    Gzip,
}

impl Coding {
    fn token(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }
}

/// A layer that compresses answers for clients that accept it: zstd,
/// brotli or gzip by the client's `Accept-Encoding` q-values (on a tie,
/// zstd, then brotli, then gzip: fastest first).
///
/// Streaming, in constant memory; a compressed answer goes out chunked
/// (its length is not known in advance). Left as they are: bodies under
/// 1 KiB, bodies already encoded, media types that are compressed already
/// (images but SVG, audio, video, archives, fonts in WOFF) and
/// `text/event-stream`, `206`, `204` and `304`-style answers without a
/// body, and `Cache-Control: no-transform`. Every answer it could
/// compress gets `Vary: Accept-Encoding`; a compressed one's strong `ETag`
/// becomes weak. `HEAD` answers, and the `304`s of
/// [`serve_dir`](crate::serve_dir), carry the same `Content-Encoding`,
/// `Vary` and `ETag` the `200` would.
///
/// Levels, chosen for speed on a busy server (each set with a method):
/// zstd 3 (its default: better and faster than gzip's best), brotli 4
/// (about gzip 9's size at a fraction of the time; brotli's own default,
/// 11, is for precompressing), gzip 1 (nginx's default: most of the gain
/// for the least time).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::compress;
///
/// let page = "<p>Hello, World!</p>".repeat(200);
/// let app = handler(move |_req: Request| {
///     let page = page.clone();
///     async move { Response::html(page) }
/// })
/// .wrap(compress());
/// let res = Client::new(app).get("/").header("Accept-Encoding", "gzip").send_blocking().unwrap();
/// assert_eq!(res.header("content-encoding"), Some("gzip"));
/// assert_eq!(res.header("vary"), Some("Accept-Encoding"));
/// assert!(res.body.len() < 200);
/// ```
pub fn compress() -> CompressLayer {
    CompressLayer {
        zstd: Some(3),
        brotli: Some(4),
        gzip: Some(1),
    }
}

/// The layer [`compress`] makes; its methods set each coding's level, or
/// turn it off.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{compress, CompressLayer};
/// // brotli at quality 6, no zstd: for a site whose clients mostly take br.
/// let layer: CompressLayer = compress().brotli(Some(6)).zstd(None);
/// let app = handler(|_req: Request| async { Response::html("<p>hi</p>".repeat(500)) }).wrap(layer);
/// let res = Client::new(app).get("/").header("Accept-Encoding", "zstd, br").send_blocking().unwrap();
/// assert_eq!(res.header("content-encoding"), Some("br"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CompressLayer {
    zstd: Option<i32>,
    brotli: Option<i32>,
    gzip: Option<i32>,
}

impl CompressLayer {
    /// zstd's level (1 to 22; `None` turns zstd off).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::compress;
    /// let app = handler(|_req: Request| async { "x".repeat(4096) }).wrap(compress().zstd(None));
    /// let res = Client::new(app).get("/").header("Accept-Encoding", "zstd, gzip;q=0.5").send_blocking().unwrap();
    /// assert_eq!(res.header("content-encoding"), Some("gzip"));
    /// ```
    pub fn zstd(mut self, level: Option<i32>) -> CompressLayer {
        self.zstd = level;
        self
    }

    /// brotli's quality (0 to 11; `None` turns brotli off).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::compress;
    /// let app = handler(|_req: Request| async { "x".repeat(4096) }).wrap(compress().brotli(Some(9)));
    /// let res = Client::new(app).get("/").header("Accept-Encoding", "br").send_blocking().unwrap();
    /// assert_eq!(res.header("content-encoding"), Some("br"));
    /// ```
    pub fn brotli(mut self, level: Option<i32>) -> CompressLayer {
        self.brotli = level;
        self
    }

    /// gzip's level (1 to 9; `None` turns gzip off).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::compress;
    /// let app = handler(|_req: Request| async { "x".repeat(4096) }).wrap(compress().gzip(None));
    /// let res = Client::new(app).get("/").header("Accept-Encoding", "gzip").send_blocking().unwrap();
    /// assert_eq!(res.header("content-encoding"), None);
    /// ```
    pub fn gzip(mut self, level: Option<i32>) -> CompressLayer {
        self.gzip = level;
        self
    }

    /// The codings on, fastest first.
    fn offered(&self) -> Vec<&'static str> {
        [
            (self.zstd, Coding::Zstd),
            (self.brotli, Coding::Brotli),
            (self.gzip, Coding::Gzip),
        ]
        .iter()
        .filter(|(level, _)| level.is_some())
        .map(|(_, coding)| coding.token())
        .collect()
    }

    fn level(&self, coding: Coding) -> i32 {
        match coding {
            Coding::Zstd => self.zstd,
            Coding::Brotli => self.brotli,
            Coding::Gzip => self.gzip,
        }
        .unwrap_or(1)
    }
}

impl<A: App> Layer<A> for CompressLayer {
    type App = Compress<A>;

    fn layer(self, app: A) -> Compress<A> {
        Compress {
            offered: self.offered(),
            levels: self,
            app,
        }
    }
}

/// The app a [`CompressLayer`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{compress, Compress};
/// let app: Compress<_> = handler(|_req: Request| async { "tiny" }).wrap(compress());
/// // Under 1 KiB: sent as it is.
/// let res = Client::new(app).get("/").header("Accept-Encoding", "gzip").send_blocking().unwrap();
/// assert_eq!((res.header("content-encoding"), res.text().as_str()), (None, "tiny"));
/// ```
pub struct Compress<A> {
    app: A,
    levels: CompressLayer,
    offered: Vec<&'static str>,
}

impl<A> fmt::Debug for Compress<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compress")
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

impl<A: App> App for Compress<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let chosen = crate::encoding::preferred(req.headers(), &self.offered).map(|token| {
            let coding = match token {
                "zstd" => Coding::Zstd,
                "br" => Coding::Brotli,
                _ => Coding::Gzip,
            };
            (coding, self.levels.level(coding))
        });
        let head = *req.method() == Method::HEAD;
        let (respond, _held) = mapped(&WAYS, respond, (chosen, head), |(chosen, head), res| {
            transform(res, chosen, head)
        });
        self.app.call(req, respond).await
    }
}

thread_local! {
    static WAYS: Ways<(Option<(Coding, i32)>, bool)> = const { KeptArcs::new() };
}

/// Could a response of this type and size be compressed at all?
fn compressible(res: &Response, content_type: Option<&str>, size: Option<u64>) -> bool {
    let status = res.status();
    let bodiless = status.code() < 200 || status == Status::NO_CONTENT;
    if bodiless || status == Status::PARTIAL_CONTENT {
        return false;
    }
    if res.headers().get("content-encoding").is_some()
        || res.headers().has_token("cache-control", "no-transform")
    {
        return false;
    }
    if size.is_some_and(|n| n < MIN_SIZE) {
        return false;
    }
    match content_type {
        Some(kind) => !compressed_already(kind),
        None => false,
    }
}

/// Media types whose bytes are compressed already, or must stream as
/// they come.
fn compressed_already(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let essence = match essence.bytes().any(|b| b.is_ascii_uppercase()) {
        true => std::borrow::Cow::Owned(essence.to_ascii_lowercase()),
        false => std::borrow::Cow::Borrowed(essence),
    };
    let (kind, subtype) = essence.split_once('/').unwrap_or((&essence, ""));
    match kind {
        "image" => subtype != "svg+xml" && subtype != "bmp",
        "audio" | "video" => true,
        "font" => subtype.starts_with("woff"),
        "text" => subtype == "event-stream",
        "application" => matches!(
            subtype,
            "zip"
                | "gzip"
                | "x-gzip"
                | "zstd"
                | "x-bzip2"
                | "x-xz"
                | "x-7z-compressed"
                | "x-rar-compressed"
                | "vnd.rar"
                | "x-tar"
                | "octet-stream"
                | "pdf"
                | "wasm-compressed"
        ),
        _ => false,
    }
}

/// `res`, compressed with `chosen` when it may be.
fn transform(mut res: Response, chosen: Option<(Coding, i32)>, head: bool) -> Response {
    if res.status() == Status::NOT_MODIFIED {
        return not_modified(res, chosen);
    }
    let size = match res.body().size() {
        BodySize::Known(n) => Some(n),
        BodySize::Unknown => None,
    };
    if !compressible(&res, res.headers().get_str("content-type"), size) {
        return res;
    }
    res = res.vary("Accept-Encoding");
    let Some((coding, level)) = chosen else {
        return res;
    };
    mark(&mut res, coding);
    let body = res.take_body();
    let body = if head {
        // The same head a GET would get, and no body.
        Body::stream(futures::stream::empty())
    } else {
        encode(body, coding, level)
    };
    res.with_body(body)
}

/// The fields of a compressed representation: `Content-Encoding`, no
/// `Content-Length` of the original, a weak `ETag`.
fn mark(res: &mut Response, coding: Coding) {
    let headers = res.headers_mut();
    headers.remove("content-length");
    headers.insert("Content-Encoding", coding.token());
    if let Some(etag) = headers.get_str("etag").and_then(ETag::parse) {
        headers.insert("ETag", etag.into_weak().to_string());
    }
}

/// A `304` gets what the `200` to the same request would have carried,
/// when the app said what that was ([`Representation`]).
fn not_modified(mut res: Response, chosen: Option<(Coding, i32)>) -> Response {
    let Some(representation) = res.extension::<Representation>().cloned() else {
        return res;
    };
    if representation.content_encoding.is_some() {
        return res;
    }
    // Judged as the 200 would be: its type, its length, this status.
    let probe = Response::new(Status::OK);
    if !compressible(
        &probe,
        Some(&representation.content_type),
        Some(representation.length),
    ) || res.headers().has_token("cache-control", "no-transform")
    {
        return res;
    }
    res = res.vary("Accept-Encoding");
    if let Some((coding, _)) = chosen {
        mark(&mut res, coding);
    }
    res
}

/// `body` through the encoder for `coding`, as a stream of pieces.
fn encode(body: Body, coding: Coding, level: i32) -> Body {
    let input = body
        .map_err(|e| io::Error::other(e.message().to_owned()))
        .into_async_read();
    let level = Level::Precise(level);
    let reader: Pin<Box<dyn AsyncRead + Send>> = match coding {
        Coding::Zstd => Box::pin(ZstdEncoder::with_quality(input, level)),
        Coding::Brotli => Box::pin(BrotliEncoder::with_quality(input, level)),
        Coding::Gzip => Box::pin(GzipEncoder::with_quality(input, level)),
    };
    Body::stream(Encoded {
        reader,
        buf: vec![0; PIECE],
        done: false,
    })
}

/// An encoder's output as body pieces.
struct Encoded {
    reader: Pin<Box<dyn AsyncRead + Send>>,
    buf: Vec<u8>,
    done: bool,
}

impl Stream for Encoded {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.reader.as_mut().poll_read(cx, &mut this.buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(0)) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Ok(n)) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(&this.buf[..n])))),
            Poll::Ready(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(BodyError::new(e.to_string()))))
            }
        }
    }
}

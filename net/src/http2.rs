//! HTTP/2 with the h2 crate: every stream runs the same [`App`] as an
//! HTTP/1.1 request would, and all of a connection's streams are driven
//! inside its one task, as HTTP/1.1 connections are.
//!
//! Pseudo-headers become the method, the target and `Host`;
//! connection-specific fields are dropped from responses (h2 refuses them
//! in requests); bodies stream both ways under h2's flow control; `Date`
//! and `Server` are added as the codec adds them. A response never sent
//! is a `500`, a panic after the head went out resets the stream.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use futures::future::{self, poll_fn, CatchUnwind, Either, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use lath_app::{
    App, Body, BodyError, BodySize, FutureSlot, Headers, Io, Request, Response, ResponseSlot,
    RouteWatch, SlotFuture, Status, Trailers,
};

use crate::admit::Slot;
use crate::conn::Setting;
use crate::deadline::Deadline;

/// Fields that only mean something on one HTTP/1.1 connection (RFC 9113
/// §8.2.2): never sent over HTTP/2.
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// Serves one HTTP/2 connection until the client closes it, it idles past
/// `idle_timeout`, a shutdown ends it (`GOAWAY`, open streams finish), the
/// accept loop closes it while idle to admit another client at
/// `max_connections` (`GOAWAY`), or the client misbehaves.
pub(crate) async fn serve<IO: Io, A: App>(
    io: IO,
    app: &A,
    setting: &Setting,
    peer: Option<SocketAddr>,
    slot: Option<&Slot>,
) {
    let config = &setting.config;
    let limits = &config.http2;
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(limits.max_header_list_size)
        .initial_window_size(limits.stream_window)
        .initial_connection_window_size(limits.connection_window);
    let io = Tokio {
        io,
        metrics: setting.metrics.clone(),
    };
    let handshake = builder.handshake::<_, Bytes>(io);
    let deadline = setting.runtime.sleep(config.head_timeout);
    let mut conn = match future::select(handshake, deadline).await {
        Either::Left((Ok(conn), _)) => conn,
        Either::Left((Err(error), _)) => {
            tracing::debug!(?peer, %error, "HTTP/2 handshake failed");
            return;
        }
        Either::Right(_) => return,
    };
    // Each stream's future is kept in the set's own allocation, unboxed.
    let mut streams = FuturesUnordered::new();
    // The places of finished streams, for the next ones: a stream costs no
    // channel or route watch of its own.
    let mut spare: Vec<Places> = Vec::new();
    let mut stopping = setting.shutdown.stopping();
    let mut closing = false;
    let mut timer = Deadline::new(setting.runtime);
    let mut idle_since = Instant::now();
    let mut answered = 0usize;
    let mut resets = 0usize;
    let mut idle = false;
    poll_fn(|cx| loop {
        while let Poll::Ready(Some((outcome, places))) = streams.poll_next_unpin(cx) {
            if spare.len() < limits.max_concurrent_streams as usize && Places::reusable(&places) {
                spare.push(places);
            }
            match outcome {
                Outcome::Answered => answered += 1,
                Outcome::ResetByClient => resets += 1,
            }
            idle_since = Instant::now();
        }
        if !closing && resets > answered + limits.max_client_resets {
            tracing::debug!(?peer, resets, "HTTP/2 client resets too many streams");
            conn.abrupt_shutdown(Reason::ENHANCE_YOUR_CALM);
            closing = true;
        }
        if !closing && stopping.poll_unpin(cx).is_ready() {
            conn.graceful_shutdown();
            closing = true;
        }
        // Every stream the read bytes opened is taken before any runs, so
        // their answers leave together on the next call: one write for a
        // batch of requests, not one each.
        let mut accepted = false;
        loop {
            match conn.poll_accept(cx) {
                Poll::Ready(Some(Ok((req, send)))) => {
                    if let (true, Some(slot)) = (std::mem::take(&mut idle), slot) {
                        slot.set_busy();
                    }
                    let places = spare
                        .pop()
                        .unwrap_or_else(|| Places::new(setting.metrics.is_some()));
                    streams.push(stream(app, req, send, setting, &peer, places));
                    accepted = true;
                }
                Poll::Ready(Some(Err(error))) => {
                    tracing::debug!(?peer, %error, "HTTP/2 connection error");
                    return Poll::Ready(());
                }
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => break,
            }
        }
        if accepted {
            continue;
        }
        if streams.is_empty() && !closing {
            // No stream open: the connection may be closed to make room.
            if let Some(slot) = slot {
                if !idle {
                    slot.set_idle();
                    idle = true;
                }
                if slot.poll_evicted(cx).is_ready() {
                    conn.graceful_shutdown();
                    closing = true;
                    continue;
                }
            }
            let deadline = idle_since + config.idle_timeout;
            if timer.poll_until(deadline, cx).is_ready() {
                conn.graceful_shutdown();
                closing = true;
                continue;
            }
        }
        return Poll::Pending;
    })
    .await;
    if let (true, Some(slot)) = (idle, slot) {
        slot.set_busy();
    }
}

/// How a stream ended, for the connection's count of resets.
enum Outcome {
    Answered,
    ResetByClient,
}

/// Where a stream's response arrives and, when the server counts, where
/// its route is noted: made for one stream, reused by later ones.
struct Places {
    slot: Arc<ResponseSlot>,
    watch: Option<Arc<RouteWatch>>,
    /// Where the app's future for the stream runs: its memory is reused,
    /// and a layer that only forwards (a disabled `lint`) adds no future.
    future: FutureSlot,
}

impl Places {
    fn new(metrics: bool) -> Places {
        Places {
            slot: Arc::default(),
            watch: metrics.then(Arc::default),
            future: FutureSlot::new(),
        }
    }

    /// Whether another stream may use these: nothing of the app's (a
    /// `Respond`, a request) still points at them. The slot is emptied of
    /// whatever a dropped `Respond` put there.
    fn reusable(&self) -> bool {
        let unshared = Arc::strong_count(&self.slot) == 1
            && self
                .watch
                .as_ref()
                .is_none_or(|w| Arc::strong_count(w) == 1);
        if unshared {
            let waker = futures::task::noop_waker();
            let _ = self
                .slot
                .poll_take(&mut std::task::Context::from_waker(&waker));
            if let Some(watch) = &self.watch {
                watch.take();
            }
        }
        unshared
    }
}

/// One stream: the request to the app, its response back through
/// `places` (handed back with the outcome, for another stream).
async fn stream<A: App>(
    app: &A,
    req: http::Request<RecvStream>,
    mut send: SendResponse<Bytes>,
    setting: &Setting,
    peer: &Option<SocketAddr>,
    mut places: Places,
) -> (Outcome, Places) {
    let head_only = req.method() == http::Method::HEAD;
    let Places {
        slot,
        watch,
        future,
    } = &mut places;
    let outcome = match start(app, req, setting, *peer, slot, watch, future) {
        Some(run) => exchange(run, head_only, &mut send, setting, slot, watch).await,
        None => {
            let _ = send.send_response(bare(Status::BAD_REQUEST), true);
            Outcome::Answered
        }
    };
    (outcome, places)
}

/// The exchange itself, once the app runs; see [`stream`]. Its future
/// holds little across its waits: the request is in the app's slot, and
/// the response head goes out before the second wait.
async fn exchange(
    run: CatchUnwind<AssertUnwindSafe<SlotFuture<'_>>>,
    head_only: bool,
    send: &mut SendResponse<Bytes>,
    setting: &Setting,
    slot: &ResponseSlot,
    watch: &Option<Arc<RouteWatch>>,
) -> Outcome {
    // Counted as HTTP/1.1 requests are: by route, status and duration.
    let began = Instant::now();
    let mut run = std::pin::pin!(run);
    let mut ran = None;
    let mut body = {
        // Until the app answers, a reset from the client drops its work at
        // once: a client cannot keep the server busy with streams it
        // cancelled (the "rapid reset" attack).
        let waited = poll_fn(|cx| {
            if ran.is_none() {
                if let Poll::Ready(result) = run.as_mut().poll(cx) {
                    ran = Some(result);
                }
            }
            if let Poll::Ready(res) = slot.poll_take(cx) {
                return Poll::Ready(Some(res));
            }
            match send.poll_reset(cx) {
                Poll::Ready(_) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        let Some(res) = waited else {
            return Outcome::ResetByClient;
        };
        if let (Some(metrics), Some(watch)) = (&setting.metrics, watch) {
            // When the head goes out: a stream's body may last long.
            metrics.answered(watch.take(), res.status(), began.elapsed());
        }
        // The head goes out now; the body, and the app's end, are waited
        // for together.
        match send_head(send, res, head_only, setting) {
            Ok(body) => body,
            Err(error) => return failed(send, &error),
        }
    };
    let mut sent = None;
    let sent = poll_fn(|cx| {
        if ran.is_none() {
            if let Poll::Ready(result) = run.as_mut().poll(cx) {
                ran = Some(result);
            }
        }
        if sent.is_none() {
            if let Poll::Ready(result) = body.as_mut().map_or(Poll::Ready(Ok(())), |b| b.poll(cx)) {
                sent = Some(result);
            }
        }
        match (&ran, sent.take()) {
            (Some(_), Some(result)) => Poll::Ready(result),
            (_, result) => {
                sent = result;
                Poll::Pending
            }
        }
    })
    .await;
    match sent {
        Ok(()) if matches!(ran, Some(Ok(()))) => Outcome::Answered,
        Ok(()) => {
            // A panic after the response: the client must not take what
            // it got for whole.
            send.send_reset(Reason::INTERNAL_ERROR);
            Outcome::Answered
        }
        Err(error) => failed(send, &error),
    }
}

/// The app's future for the request an h2 stream opened; `None` when it
/// cannot be a request (then it is a `400`). Apart from [`stream`], so
/// the request never takes room in its future.
fn start<'a, A: App>(
    app: &'a A,
    req: http::Request<RecvStream>,
    setting: &Setting,
    peer: Option<SocketAddr>,
    slot: &Arc<ResponseSlot>,
    watch: &Option<Arc<RouteWatch>>,
    future: &'a mut FutureSlot,
) -> Option<CatchUnwind<AssertUnwindSafe<SlotFuture<'a>>>> {
    let (parts, recv) = req.into_parts();
    let length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let body = request_body(recv, length);
    let mut req = Request::try_from(http::Request::from_parts(parts, body)).ok()?;
    req.set_peer_addr(peer);
    if let Some(secure) = &setting.secure {
        req.set_tls(secure.clone());
    }
    if let Some(watch) = watch {
        req.watch_route(watch.clone());
    }
    Some(AssertUnwindSafe(app.call_in(req, slot.respond(), future)).catch_unwind())
}

/// How a stream whose answer failed ended: the client's reset (or
/// cancel), or a reset of ours.
fn failed(send: &mut SendResponse<Bytes>, error: &h2::Error) -> Outcome {
    if error.is_remote() || error.reason() == Some(Reason::CANCEL) {
        return Outcome::ResetByClient;
    }
    send.send_reset(Reason::INTERNAL_ERROR);
    Outcome::Answered
}

/// Fields never taken from, or sent in, a trailer section (RFC 9110
/// §6.5.1): framing, routing, and what HTTP/2 forbids.
const NOT_TRAILERS: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
    "te",
    "trailer",
];

/// The request body as the app reads it: flow-control credit goes back
/// to the client only as the app takes the pieces; trailers, when the
/// stream ends with them, are on the body after its end.
fn request_body(mut recv: RecvStream, length: Option<u64>) -> Body {
    if recv.is_end_stream() {
        return Body::empty();
    }
    let trailers = Arc::new(Trailers::default());
    let slot = trailers.clone();
    let mut data_done = false;
    let pieces = futures::stream::poll_fn(move |cx| {
        if !data_done {
            match recv.poll_data(cx) {
                Poll::Ready(Some(Ok(piece))) => {
                    let _ = recv.flow_control().release_capacity(piece.len());
                    return Poll::Ready(Some(Ok(piece)));
                }
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(BodyError::new(error.to_string()))))
                }
                Poll::Ready(None) => data_done = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        match recv.poll_trailers(cx) {
            Poll::Ready(Ok(Some(map))) => {
                let mut fields = Headers::new();
                for (name, value) in &map {
                    if !NOT_TRAILERS.contains(&name.as_str()) {
                        fields.append(
                            Bytes::copy_from_slice(name.as_str().as_bytes()),
                            Bytes::copy_from_slice(value.as_bytes()),
                        );
                    }
                }
                slot.set(fields);
                Poll::Ready(None)
            }
            Poll::Ready(Ok(None)) => Poll::Ready(None),
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(BodyError::new(error.to_string())))),
            Poll::Pending => Poll::Pending,
        }
    });
    let body = match length {
        Some(len) => Body::sized_stream(len, pieces),
        None => Body::stream(pieces),
    };
    body.with_trailer_slot(trailers)
}

/// The app's trailer fields as HTTP/2 sends them.
fn trailer_map(fields: &Headers) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in fields.iter_shared() {
        let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(&name),
            http::header::HeaderValue::from_maybe_shared(value),
        ) else {
            continue;
        };
        if !NOT_TRAILERS.contains(&name.as_str()) {
            map.append(name, value);
        }
    }
    map
}

/// A response with no body and nothing but its status.
fn bare(status: Status) -> http::Response<()> {
    let mut res = http::Response::new(());
    *res.status_mut() = http::StatusCode::from_u16(status.code())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    res
}

/// Sends the head of `res`, with the fields HTTP/1.1 would add: `Date`,
/// `Server` and `Content-Length`, as configured. What is left to send
/// comes back: `None` when the head said it all.
fn send_head(
    send: &mut SendResponse<Bytes>,
    mut res: Response,
    head_only: bool,
    setting: &Setting,
) -> Result<Option<Box<SendBody>>, h2::Error> {
    let codec = &setting.config.codec;
    let body = res.take_body();
    let size = body.size();
    // An upgrade has no meaning on a stream (RFC 9113 §8.6).
    if res.status().code() < 200 {
        send.send_response(bare(Status::NOT_IMPLEMENTED), true)?;
        return Ok(None);
    }
    let mut head = bare(res.status());
    // Room for the app's fields and the three added here, so the map is
    // allocated once.
    let fields = head.headers_mut();
    fields.reserve(res.headers().len() + 3);
    let (mut date, mut server, mut length) = (codec.date, codec.server.is_some(), true);
    // Values go over as they are stored, without a copy.
    for (name, value) in res.headers().iter_shared() {
        let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(&name),
            http::header::HeaderValue::from_maybe_shared(value),
        ) else {
            continue;
        };
        if CONNECTION_SPECIFIC.contains(&name.as_str()) {
            continue;
        }
        // The app's own `Date`, `Server` or `Content-Length` stands.
        date &= name != http::header::DATE;
        server &= name != http::header::SERVER;
        length &= name != http::header::CONTENT_LENGTH;
        fields.append(name, value);
    }
    if date {
        fields.append(http::header::DATE, date_now());
    }
    if let (true, Some(value)) = (server, &codec.server) {
        if let Ok(value) = http::header::HeaderValue::from_maybe_shared(value.clone()) {
            fields.append(http::header::SERVER, value);
        }
    }
    if let (true, BodySize::Known(len)) = (length, size) {
        fields.append(http::header::CONTENT_LENGTH, length_value(len));
    }
    let bodiless = head_only || matches!(size, BodySize::Known(0)) || no_body(res.status());
    let out = send.send_response(head, bodiless)?;
    if bodiless {
        return Ok(None);
    }
    // A body of known length without trailers ends with its last piece,
    // in the same DATA frame (not an empty one after it).
    let left = match size {
        BodySize::Known(len) if body.trailer_slot().is_none() => Some(len),
        _ => None,
    };
    // A small body in memory in one piece, with nothing after it, goes
    // with the head: h2 holds it until the client's window lets it pass.
    // (Such a body's size is its length, so `left` is all of it.)
    let body = match left {
        Some(len) if len <= ONE_PIECE => match body.try_into_bytes() {
            Ok(bytes) => {
                let mut out = out;
                out.send_data(bytes, true)?;
                return Ok(None);
            }
            Err(body) => body,
        },
        _ => body,
    };
    // Boxed, which keeps a stream's future small enough for the
    // allocator's per-thread cache (1 KiB with glibc).
    Ok(Some(Box::new(SendBody {
        out,
        body,
        left,
        piece: Bytes::new(),
    })))
}

/// The largest body sent with its head, without waiting for the client's
/// window: well within the 64 KiB every stream starts with (RFC 9113
/// §6.9.2).
const ONE_PIECE: u64 = 16 * 1024;

/// A response body going out under h2's flow control.
struct SendBody {
    out: h2::SendStream<Bytes>,
    body: Body,
    /// What is left to send of a body of known length without trailers.
    left: Option<u64>,
    /// What is left of the piece being sent.
    piece: Bytes,
}

impl SendBody {
    /// Sends what the body and the client's window allow; ready once the
    /// stream ended (with the body's last piece, its trailers, or a
    /// reset when the body failed).
    fn poll(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), h2::Error>> {
        loop {
            if self.piece.is_empty() {
                self.piece = match self.body.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(piece))) => piece,
                    Poll::Ready(Some(Err(_))) => {
                        // Cut short: the client must see it was not whole.
                        self.out.send_reset(Reason::INTERNAL_ERROR);
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Ready(None) => {
                        return Poll::Ready(match self.body.trailers() {
                            Some(fields) => self.out.send_trailers(trailer_map(&fields)),
                            None => self.out.send_data(Bytes::new(), true),
                        })
                    }
                };
                continue;
            }
            self.out.reserve_capacity(self.piece.len());
            let granted = match self.out.poll_capacity(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(granted)) => granted?,
                Poll::Ready(None) => return Poll::Ready(Err(h2::Error::from(Reason::CANCEL))),
            };
            let now = self.piece.split_to(granted.min(self.piece.len()));
            self.left = self.left.map(|left| left.saturating_sub(now.len() as u64));
            let last = self.left == Some(0);
            self.out.send_data(now, last)?;
            if last {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

/// A field value kept per thread beside the key it was made for, and made
/// again only for another key.
type Kept = std::cell::RefCell<(u64, http::header::HeaderValue)>;

/// The value `kept` holds for `key`, made by `make` when it holds another.
fn kept_value(
    kept: &'static std::thread::LocalKey<Kept>,
    key: u64,
    make: impl FnOnce() -> Option<http::header::HeaderValue>,
) -> http::header::HeaderValue {
    kept.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.0 != key {
            if let Some(value) = make() {
                *kept = (key, value);
            }
        }
        kept.1.clone()
    })
}

/// The `Date` value, made once a second per thread.
fn date_now() -> http::header::HeaderValue {
    thread_local! {
        static DATE: Kept = const {
            std::cell::RefCell::new((u64::MAX, http::header::HeaderValue::from_static("")))
        };
    }
    let now = SystemTime::now();
    let second = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    kept_value(&DATE, second, || {
        http::header::HeaderValue::from_str(&httpdate::fmt_http_date(now)).ok()
    })
}

/// The `Content-Length` value for `len`. The last one made on this thread
/// is kept: answers often repeat their sizes, and a kept value is shared,
/// not made again.
fn length_value(len: u64) -> http::header::HeaderValue {
    thread_local! {
        static LAST: Kept = const {
            std::cell::RefCell::new((0, http::header::HeaderValue::from_static("0")))
        };
    }
    kept_value(&LAST, len, || Some(len.into()))
}

/// 204 and 304 carry no content (RFC 9110 §15.3.5, §15.4.5).
fn no_body(status: Status) -> bool {
    matches!(status.code(), 204 | 304)
}

thread_local! {
    /// Where reads land before they are copied into h2's buffer.
    static SCRATCH: std::cell::RefCell<Box<[u8]>> =
        std::cell::RefCell::new(vec![0; 16 * 1024].into_boxed_slice());
}

/// A futures-io stream seen through tokio's I/O traits, as h2 wants it.
/// Reads go through a scratch buffer initialised once per thread: handing
/// h2's uninitialised buffer to a futures-io read would mean zeroing all
/// of it on every read (a tenth of the instructions of a request).
struct Tokio<IO> {
    io: IO,
    /// The worker's counters, for the bytes read and written.
    metrics: Option<Arc<crate::metrics::WorkerMetrics>>,
}

impl<IO: Io> tokio::io::AsyncRead for Tokio<IO> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let room = buf.remaining().min(scratch.len());
            match std::pin::Pin::new(&mut self.io).poll_read(cx, &mut scratch[..room]) {
                Poll::Ready(Ok(n)) => {
                    if let Some(metrics) = &self.metrics {
                        metrics.received(n);
                    }
                    buf.put_slice(&scratch[..n]);
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }
}

impl<IO> Tokio<IO> {
    fn count(&self, written: &Poll<std::io::Result<usize>>) {
        if let (Some(metrics), Poll::Ready(Ok(n))) = (&self.metrics, written) {
            metrics.sent(*n);
        }
    }
}

impl<IO: Io> tokio::io::AsyncWrite for Tokio<IO> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        self.count(&written);
        written
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.count(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_length_is_the_one_asked_for() {
        for len in [13, 13, 0, 7, 13, u64::MAX] {
            assert_eq!(length_value(len), len.to_string().as_str());
        }
    }
}

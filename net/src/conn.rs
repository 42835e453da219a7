//! Driving the codec over one byte stream: read a head, run the app, write
//! its response, repeat; then close, lingering when the client may still
//! be sending.
//!
//! One task per connection, the only owner of its socket and codec. The
//! app, the request body's reads and the response's writes are all driven
//! from it (see `exchange.rs`). Output is flushed only before the task
//! waits, so pipelined responses leave in as few writes as possible and a
//! small response goes out in one. Every wait has a deadline: idle, head,
//! body (stall and minimum rate), write progress, linger.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Buf, Bytes};
use futures::future::{poll_fn, CatchUnwind, FutureExt};
use lath_app::{
    App, FutureSlot, Io, Request, ResponseSlot, RouteName, RouteWatch, SlotFuture, Upgraded,
};
use lath_codec::{ProtocolError, RequestHead, ServerConn, ServerEvent};

use crate::admit::Slot;
use crate::deadline::Deadline;
use crate::exchange::{Ended, Exchange};
use crate::feed::Feed;
use crate::metrics::WorkerMetrics;
use crate::rt::SocketOf;
use crate::shutdown::{PhaseWait, Shutdown};
use crate::{Config, Runtime};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A lingering close stops after this long without data from the client.
const LINGER_IDLE: Duration = Duration::from_secs(5);

thread_local! {
    static SCRATCH: std::cell::RefCell<Box<[u8]>> =
        std::cell::RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// Serves `app` on one connection — any `AsyncRead + AsyncWrite`: a TCP or
/// Unix socket, a TLS stream, an in-memory pipe — until the peer or the
/// protocol closes it.
///
/// Closing goes through `poll_close`, which should shut the write side
/// down while reading still works (as a TCP half-close does): when the
/// client may still be sending, the connection keeps reading and
/// discarding for up to `linger_timeout` before the stream is dropped, so
/// the client reads the answer instead of a reset.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use lath::app::{Request, Respond};
/// use lath::net::{mem, serve_connection, Config};
///
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// # async_std::task::block_on(async {
/// let (server, mut client) = mem::duplex(64 * 1024);
/// async_std::task::spawn(serve_connection(server, hello, Config::default()));
/// client.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").await.unwrap();
/// let mut response = String::new();
/// client.read_to_string(&mut response).await.unwrap();
/// assert!(response.ends_with("\r\n\r\nHello, World!"));
/// # });
/// ```
pub async fn serve_connection<IO, A>(io: IO, app: A, config: Config) -> io::Result<()>
where
    IO: Io,
    A: App,
{
    let setting = Setting::alone(Arc::new(config), Runtime::default());
    drive(io, app, setting, None, None, None).await
}

/// The socket, the codec and the bytes waiting to go out: the connection's
/// own, touched by its task alone.
pub(crate) struct Wire<IO> {
    /// `None` once handed off after a protocol switch.
    io: Option<IO>,
    pub(crate) codec: ServerConn,
    pub(crate) out: Vec<u8>,
    /// A large body piece that goes out after `out`, uncopied, and what
    /// must follow it (a chunk's CRLF). Nothing is added to `out` while
    /// one waits: it is flushed first.
    pub(crate) piece: Option<(Bytes, &'static [u8])>,
    pub(crate) config: Arc<Config>,
    pub(crate) timer: Deadline,
    /// Since when writing has made no progress.
    write_blocked: Option<Instant>,
    /// The client was cut off for being too slow.
    pub(crate) too_slow: bool,
    /// The worker's counters, when the server counts.
    pub(crate) metrics: Option<Arc<WorkerMetrics>>,
    /// The last wait for a request head had to wait for bytes.
    waited: bool,
    /// Finds the socket under `io`, for bodies sent by `sendfile`.
    pub(crate) socket: Option<SocketOf<IO>>,
    /// The time read for the heads written since the task last waited:
    /// pipelined answers share one clock read (their `Date` has one-second
    /// resolution).
    now: Option<SystemTime>,
}

impl<IO: Io> Wire<IO> {
    /// The stream, until it is handed off.
    pub(crate) fn io(&self) -> Option<&IO> {
        self.io.as_ref()
    }

    /// Reads what the socket has into the codec; EOF is fed as EOF. The
    /// read goes through one scratch buffer per thread, so an idle
    /// connection holds no read buffer beyond the bytes it has buffered.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(io) = self.io.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            match Pin::new(io).poll_read(cx, &mut scratch[..]) {
                Poll::Ready(Ok(0)) => {
                    self.codec.feed_eof();
                    Poll::Ready(Ok(0))
                }
                Poll::Ready(Ok(n)) => {
                    if let Some(metrics) = &self.metrics {
                        metrics.received(n);
                    }
                    self.codec.feed(&scratch[..n]);
                    Poll::Ready(Ok(n))
                }
                Poll::Ready(Err(e)) => {
                    // The peer reset: nothing more will come.
                    self.codec.feed_eof();
                    Poll::Ready(Err(e))
                }
                Poll::Pending => Poll::Pending,
            }
        })
    }

    /// Writes out everything waiting, then flushes the stream. Fails with
    /// `TimedOut` once no byte could be written for `write_timeout` (as
    /// nginx's `send_timeout`: between two successful writes, not for a
    /// whole response).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = self.io.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while !self.out.is_empty() || self.piece.is_some() {
            let written = match &self.piece {
                // The bytes before the piece and the piece, in one write.
                Some((piece, _)) if !self.out.is_empty() => Pin::new(&mut *io)
                    .poll_write_vectored(cx, &[IoSlice::new(&self.out), IoSlice::new(piece)]),
                Some((piece, _)) => Pin::new(&mut *io).poll_write(cx, piece),
                None => Pin::new(&mut *io).poll_write(cx, &self.out),
            };
            match written {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.write_blocked = None;
                    if let Some(metrics) = &self.metrics {
                        metrics.sent(n);
                    }
                    let from_out = n.min(self.out.len());
                    drop(self.out.drain(..from_out));
                    let rest = n - from_out;
                    if let Some((piece, after)) = &mut self.piece {
                        piece.advance(rest);
                        if piece.is_empty() {
                            self.out.extend_from_slice(after);
                            self.piece = None;
                        }
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    let since = *self.write_blocked.get_or_insert_with(Instant::now);
                    let deadline = since + self.config.write_timeout;
                    return match self.timer.poll_until(deadline, cx) {
                        Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no write progress within the write timeout",
                        ))),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
        Pin::new(io).poll_flush(cx)
    }

    async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// The time for a head written now: read once until the task next
    /// waits.
    pub(crate) fn now(&mut self) -> SystemTime {
        *self.now.get_or_insert_with(SystemTime::now)
    }

    /// The task is about to wait: the next head reads the clock again.
    pub(crate) fn waits(&mut self) {
        self.now = None;
    }

    /// Writes the codec's canned answer to `error`, if no head went out.
    /// Counted as a request no route claimed.
    pub(crate) fn write_error(&mut self, error: &ProtocolError) {
        if let Some(metrics) = &self.metrics {
            metrics.answered(RouteName::NONE, error.status(), Duration::ZERO);
        }
        let now = self.now();
        self.codec.write_error(error, now, &mut self.out);
    }

    /// Ends the connection: flush, half-close, linger if the client may
    /// still be sending, close.
    async fn finish(&mut self) -> io::Result<()> {
        self.flush().await?;
        let Some(mut io) = self.io.take() else {
            return Ok(());
        };
        poll_fn(|cx| Pin::new(&mut io).poll_close(cx)).await?;
        if self.codec.should_linger() {
            // A client cut off for being slow gets a moment to read its
            // 408, not the full linger.
            let total = match self.too_slow {
                true => self.config.linger_timeout.min(LINGER_IDLE),
                false => self.config.linger_timeout,
            };
            linger(&mut io, total, &mut self.timer).await;
        }
        Ok(())
    }
}

/// Reads and discards until the client's EOF, an error, `total` in all or
/// [`LINGER_IDLE`] without data (RFC 9112 §9.6: a server that closes
/// while the client may still send should not close both halves at once,
/// or the client's unread answer is lost to a reset).
async fn linger<IO: Io>(io: &mut IO, total: Duration, timer: &mut Deadline) {
    let start = Instant::now();
    let mut last_data = start;
    poll_fn(|cx| loop {
        let read =
            SCRATCH.with(|scratch| Pin::new(&mut *io).poll_read(cx, &mut scratch.borrow_mut()[..]));
        match read {
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Ready(Ok(_)) => last_data = Instant::now(),
            Poll::Pending => {
                let deadline = (start + total).min(last_data + LINGER_IDLE);
                return timer.poll_until(deadline, cx);
            }
        }
    })
    .await
}

/// What a connection shares with the others its accept loop serves.
#[derive(Clone)]
pub(crate) struct Setting {
    pub(crate) config: Arc<Config>,
    pub(crate) shutdown: Shutdown,
    pub(crate) runtime: Runtime,
    /// The worker's counters, when the server counts.
    pub(crate) metrics: Option<Arc<WorkerMetrics>>,
    /// HTTPS: handshakes first.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::TlsConfig>,
    /// The connection's TLS session, once its handshake is done.
    pub(crate) secure: Option<Arc<lath_app::TlsInfo>>,
}

impl Setting {
    /// A connection served on its own: no shutdown reaches it and nothing
    /// counts it.
    pub(crate) fn alone(config: Arc<Config>, runtime: Runtime) -> Setting {
        Setting {
            config,
            shutdown: Shutdown::never(),
            runtime,
            metrics: None,
            #[cfg(feature = "tls")]
            tls: None,
            secure: None,
        }
    }
}

/// Serves a connection just admitted: through a TLS handshake first when
/// the server has certificates. `socket` finds the socket under the
/// stream, when bodies may go out by `sendfile` (never through TLS).
pub(crate) async fn serve<IO: Io, A: App>(
    stream: IO,
    app: Arc<A>,
    setting: Setting,
    peer: Option<SocketAddr>,
    slot: Option<Arc<Slot>>,
    socket: Option<SocketOf<IO>>,
) {
    #[cfg(feature = "tls")]
    if let Some(tls) = setting.tls.clone() {
        return crate::tls::serve(stream, app, setting, tls, peer, slot).await;
    }
    let _ = drive(stream, app, setting, peer, slot, socket).await;
}

/// Serves requests on `io` until it closes; `socket` finds the socket
/// under `io` when `io` writes to it as it is.
pub(crate) async fn drive<IO: Io, A: App>(
    io: IO,
    app: A,
    setting: Setting,
    peer: Option<SocketAddr>,
    slot: Option<Arc<Slot>>,
    socket: Option<SocketOf<IO>>,
) -> io::Result<()> {
    #[cfg(feature = "http2")]
    let for_http2 = setting.clone();
    let Setting {
        config,
        shutdown,
        runtime,
        metrics,
        secure,
        ..
    } = setting;
    let mut wire = Wire {
        io: Some(io),
        codec: ServerConn::new(config.codec.clone()),
        out: Vec::new(),
        piece: None,
        config: config.clone(),
        timer: Deadline::new(runtime),
        write_blocked: None,
        too_slow: false,
        metrics,
        waited: false,
        socket,
        now: None,
    };
    let mut stop = Stop::Waiting(shutdown.stopping());
    // One place for the response and one for the app's future, reused by
    // every request.
    let responded = Arc::new(ResponseSlot::default());
    let mut running = FutureSlot::new();
    let watch = wire
        .metrics
        .as_ref()
        .map(|_| Arc::new(RouteWatch::default()));
    let mut served = 0usize;
    // When the last response ended: a pipelined request, already read,
    // starts then, which saves a clock read.
    let mut last_end: Option<Instant> = None;
    'requests: loop {
        wire.waited = false;
        let first = served == 0;
        let told = Told {
            peer,
            watch: &watch,
            secure: &secure,
        };
        // The head, and what it was read into, end with this block: the
        // connection's future holds no room for them while the app runs.
        let (run, feed) = 'started: {
            // A request read with the one before it starts at once, without
            // the wait's future (before the first, the bytes may be the
            // HTTP/2 preface: `next_head` looks).
            let next = 'next: {
                if !first {
                    // Straight from the codec to the app: a head passed on
                    // through the wait's result would be copied twice more.
                    match wire.codec.next_event() {
                        ServerEvent::Head(head) => {
                            break 'started start(&app, head, told, &responded, &mut running)
                        }
                        event => {
                            if let Some(next) = after_event(&mut wire, event) {
                                break 'next Ok(next);
                            }
                        }
                    }
                }
                let looked = !first;
                // The head goes to the app where it is read, not through
                // the wait's result: a copy or two fewer.
                let begin = |head, running| start(&app, head, told, &responded, running);
                next_head(
                    &mut wire,
                    &mut stop,
                    slot.as_deref(),
                    &mut running,
                    first,
                    looked,
                    begin,
                )
                .await
            };
            match next {
                #[cfg(feature = "http2")]
                Ok(Next::Http2) => {
                    // Prior knowledge: the connection speaks HTTP/2 from its
                    // first byte.
                    let rest = wire.codec.hand_over();
                    if let Some(io) = wire.io.take() {
                        let io = crate::prefixed::Prefixed { rest, io };
                        crate::http2::serve(io, &app, &for_http2, peer, slot.as_deref()).await;
                    }
                    return Ok(());
                }
                #[cfg(not(feature = "http2"))]
                Ok(Next::Http2) => unreachable!("only asked for with HTTP/2"),
                Ok(Next::Head(started)) => started,
                Ok(Next::Closed) => break 'requests,
                Err(e) => return Err(e),
            }
        };
        let began = match (&wire.metrics, last_end) {
            (None, _) => None,
            (Some(_), Some(end)) if !wire.waited => Some(end),
            (Some(_), _) => Some(Instant::now()),
        };
        served += 1;
        let last = config
            .max_requests_per_connection
            .is_some_and(|max| served >= max);
        if last || shutdown.is_draining() {
            wire.codec.close_after_response();
        }
        // A failed write (the client went away or stopped reading) drops
        // the app and its body with the exchange.
        let mut status = None;
        let ended = Exchange::new(&mut wire, run, &responded, feed, &shutdown, &mut status).await;
        if let (Some(metrics), Some(status), Some(began)) = (&wire.metrics, status, began) {
            let route = watch.as_ref().map_or(RouteName::NONE, |w| w.take());
            let end = Instant::now();
            metrics.answered(route, status, end - began);
            last_end = Some(end);
        }
        match ended? {
            Ended::Open => {}
            Ended::Close => break,
            Ended::Upgraded(buffered, then) => {
                wire.flush().await?;
                if let Some(io) = wire.io.take() {
                    then(Upgraded::new(Box::new(io), buffered)).await;
                }
                return Ok(());
            }
        }
    }
    wire.finish().await
}

/// What every request on a connection is told about it.
#[derive(Clone, Copy)]
struct Told<'a> {
    peer: Option<SocketAddr>,
    watch: &'a Option<Arc<RouteWatch>>,
    secure: &'a Option<Arc<lath_app::TlsInfo>>,
}

/// The app's future for one request, and the feed of its body. Apart from
/// `drive`, so the request is built on the stack and never takes room in
/// the connection's future.
fn start<'a, A: App>(
    app: &'a A,
    head: RequestHead,
    told: Told<'_>,
    responded: &Arc<ResponseSlot>,
    running: &'a mut FutureSlot,
) -> (
    CatchUnwind<AssertUnwindSafe<SlotFuture<'a>>>,
    Option<Arc<Feed>>,
) {
    let (body, feed) = Feed::body(head.body_size());
    let mut req = Request::new(head, body);
    req.set_peer_addr(told.peer);
    if let Some(watch) = told.watch {
        req.watch_route(watch.clone());
    }
    if let Some(secure) = told.secure {
        req.set_tls(secure.clone());
    }
    let run = AssertUnwindSafe(app.call_in(req, responded.respond(), running)).catch_unwind();
    (run, feed)
}

/// What ended a wait for bytes.
enum Woke {
    Read(io::Result<usize>),
    Deadline,
    Stop,
    Evicted,
}

/// What a wait for a request head ended with.
enum Next<S> {
    /// What the head was handed to made of it: the app, started.
    Head(S),
    Closed,
    /// The HTTP/2 preface opened the connection.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    Http2,
}

/// A connection's view of the shutdown's stopping phase.
enum Stop {
    Waiting(PhaseWait),
    /// Stopping began: an idle connection still waits until then for a
    /// request already on its way.
    Grace(Instant),
}

/// What an event other than a head means for the wait: the end of the
/// connection, or (`None`) a need for more bytes.
fn after_event<IO: Io, S>(wire: &mut Wire<IO>, event: ServerEvent) -> Option<Next<S>> {
    match event {
        ServerEvent::Closed => Some(Next::Closed),
        ServerEvent::Error(e) => {
            wire.write_error(&e);
            Some(Next::Closed)
        }
        _ => None,
    }
}

/// The next request head, or `None` when the connection is over. Waits at
/// most `idle_timeout` for a first byte and `head_timeout` for the rest;
/// the accept loop making room closes a connection with nothing in
/// flight, and so does a shutdown's stopping phase after `idle_grace`.
/// `looked`: the bytes already read were just found to hold no head, so
/// the first look is a wait. The head goes to `begin` as soon as it is
/// read.
async fn next_head<'r, IO: Io, S>(
    wire: &mut Wire<IO>,
    stop: &mut Stop,
    slot: Option<&Slot>,
    running: &'r mut FutureSlot,
    first: bool,
    mut looked: bool,
    begin: impl FnOnce(RequestHead, &'r mut FutureSlot) -> S,
) -> io::Result<Next<S>> {
    let mut idle_since: Option<Instant> = None;
    let mut head_started: Option<Instant> = None;
    loop {
        // Before the first request, the HTTP/2 preface hands the
        // connection over (RFC 9113 §3.4); while the bytes could still
        // be it, the codec is not asked.
        let preface = match (cfg!(feature = "http2") && first, wire.codec.http2_preface()) {
            (true, Some(true)) => return Ok(Next::Http2),
            (true, None) => true,
            _ => false,
        };
        if !preface && !std::mem::take(&mut looked) {
            match wire.codec.next_event() {
                ServerEvent::Head(head) => return Ok(Next::Head(begin(head, running))),
                event => {
                    if let Some(next) = after_event(wire, event) {
                        return Ok(next);
                    }
                }
            }
        }
        wire.flush().await?;
        let idle = wire.codec.is_idle();
        let deadline = if idle {
            let deadline = *idle_since.get_or_insert_with(Instant::now) + wire.config.idle_timeout;
            match stop {
                Stop::Grace(until) => deadline.min(*until),
                Stop::Waiting(_) => deadline,
            }
        } else {
            *head_started.get_or_insert_with(Instant::now) + wire.config.head_timeout
        };
        if idle {
            // An idle connection holds no memory for an app's future.
            running.lend();
        }
        if let (true, Some(slot)) = (idle, slot) {
            slot.set_idle();
        }
        wire.waited = true;
        wire.waits();
        let woke = poll_fn(|cx| {
            if let Poll::Ready(read) = wire.poll_fill(cx) {
                return Poll::Ready(Woke::Read(read));
            }
            if idle {
                if let Stop::Waiting(stopping) = stop {
                    if stopping.poll_unpin(cx).is_ready() {
                        return Poll::Ready(Woke::Stop);
                    }
                }
                if slot.is_some_and(|slot| slot.poll_evicted(cx).is_ready()) {
                    return Poll::Ready(Woke::Evicted);
                }
            }
            match wire.timer.poll_until(deadline, cx) {
                Poll::Ready(()) => Poll::Ready(Woke::Deadline),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        if let Some(slot) = slot {
            slot.set_busy();
        }
        match woke {
            Woke::Read(Ok(_)) => {}
            // The peer reset the connection, or the accept loop closes it
            // to make room: nothing to answer.
            Woke::Read(Err(_)) | Woke::Evicted => return Ok(Next::Closed),
            Woke::Stop if matches!(stop, Stop::Grace(_)) => return Ok(Next::Closed),
            Woke::Stop => {
                *stop = Stop::Grace(Instant::now() + wire.config.idle_grace);
            }
            Woke::Deadline => {
                wire.too_slow = true;
                if let Some(error) = wire.codec.timed_out() {
                    wire.write_error(&error);
                }
                return Ok(Next::Closed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lath_app::{Request, Respond};

    /// Most of what an idle connection holds is its future (`KiB per
    /// idle` in `benches/runtimes.sh`): no head, response or body may
    /// keep room in it while it waits. 3 296–3 336 bytes with each
    /// runtime; a head kept across the wait made it 3 504.
    #[test]
    fn a_connections_future_stays_small() {
        let (io, _peer) = crate::mem::duplex(1024);
        let app = |_req: Request, respond: Respond| async move { respond.send("hi") };
        let setting = Setting::alone(Arc::new(Config::default()), Runtime::default());
        let future = drive(io, app, setting, None, None, None);
        let size = std::mem::size_of_val(&future);
        assert!(size <= 3456, "{size} bytes");
    }
}

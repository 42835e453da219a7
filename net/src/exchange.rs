//! One exchange: the app, its response and the request body, all driven
//! from the connection's task.
//!
//! Each poll runs three steps until none makes progress: poll the app;
//! write what its response has ready; if the app waits for request body
//! bytes, read them from the socket and hand one piece over. The
//! response's head is written only after its body was polled once, so an
//! app that streams the request body back gets `100 Continue` out before
//! its own head (RFC 9110 §10.1.1).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use lath_app::{Body, BodyError, Io, OnUpgrade, ResponseParts, ResponseSlot};
use lath_codec::{HeadWritten, Headers, ResponseHead, ServerEvent, Status, Version};

use crate::conn::Wire;
use crate::feed::{body_error, Feed};
use crate::shutdown::Shutdown;

/// Output is flushed mid-body once this much is waiting.
const FLUSH_AT: usize = 64 * 1024;

/// Body pieces this large are written as they are rather than copied into
/// the output buffer.
const DIRECT: usize = 16 * 1024;

/// How an exchange ended.
pub(crate) enum Ended {
    /// Completely; the connection may carry another request.
    Open,
    /// The connection must close.
    Close,
    /// Switched protocols: the stream and the bytes read past the request
    /// belong to the app now.
    Upgraded(Bytes, OnUpgrade),
}

/// Where the response is.
enum Out {
    Awaiting,
    Streaming {
        body: Body,
        /// The result of the body's first poll, taken before the head.
        first: Option<Poll<Option<Result<Bytes, BodyError>>>>,
    },
    /// A body that is a span of a file, going out by `sendfile` after
    /// what is waiting; then `after` (a chunk's CRLF).
    #[cfg(target_os = "linux")]
    File {
        body: Body,
        after: &'static [u8],
        sending: Option<crate::sendfile::Sending>,
    },
    Ended(Ended),
}

/// Whether `body` goes out by `sendfile`: a large enough file span, on a
/// connection whose socket takes it as it is (Linux, no TLS).
fn by_file<IO>(wire: &Wire<IO>, body: &Body) -> bool {
    #[cfg(target_os = "linux")]
    if wire.socket.is_some() {
        return body
            .file_span()
            .is_some_and(|span| span.len() >= crate::sendfile::AT_LEAST);
    }
    let _ = (wire, body);
    false
}

/// Ends the message, with `trailers` if the framing carries them: the
/// connection stays open unless the codec decided to close it.
fn end<IO>(wire: &mut Wire<IO>, trailers: Option<&Headers>) -> Ended {
    match wire.codec.write_end(trailers, &mut wire.out) {
        Ok(()) if !wire.codec.is_closed() => Ended::Open,
        _ => Ended::Close,
    }
}

/// The app's future, caught for panics.
type Run<F> = futures::future::CatchUnwind<std::panic::AssertUnwindSafe<F>>;

/// One exchange as a future of how it ended.
pub(crate) struct Exchange<'a, IO, F> {
    wire: &'a mut Wire<IO>,
    app: Option<Run<F>>,
    panicked: bool,
    out: Out,
    /// Where the app's `Respond` puts the response.
    responded: &'a ResponseSlot,
    feed: Option<Arc<Feed>>,
    clock: BodyClock,
    shutdown: &'a Shutdown,
    /// The status that went out, for the metrics.
    status: &'a mut Option<Status>,
}

impl<'a, IO: Io, F> Exchange<'a, IO, F>
where
    F: Future<Output = ()> + Unpin,
{
    pub(crate) fn new(
        wire: &'a mut Wire<IO>,
        app: Run<F>,
        responded: &'a ResponseSlot,
        feed: Option<Arc<Feed>>,
        shutdown: &'a Shutdown,
        status: &'a mut Option<Status>,
    ) -> Self {
        Exchange {
            wire,
            app: Some(app),
            panicked: false,
            out: Out::Awaiting,
            responded,
            feed,
            clock: BodyClock::default(),
            shutdown,
            status,
        }
    }

    /// Writes what the response has ready; says whether anything moved.
    fn poll_response(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut moved = false;
        loop {
            match &mut self.out {
                Out::Awaiting => {
                    let Poll::Ready(res) = self.responded.poll_take(cx) else {
                        return Ok(moved);
                    };
                    moved = true;
                    if self.shutdown.is_draining() {
                        self.wire.codec.close_after_response();
                    }
                    let ResponseParts {
                        status,
                        headers,
                        mut body,
                        on_upgrade,
                    } = res.into_parts();
                    *self.status = Some(status);
                    let head = ResponseHead {
                        status,
                        reason: None,
                        version: Version::Http11,
                        headers,
                    };
                    // The first poll may ask for the request body: then
                    // `100 Continue` goes out ahead of this head. A body
                    // that goes out by `sendfile` is not read at all.
                    let file = by_file(self.wire, &body);
                    let first = match file {
                        true => Poll::Pending,
                        false => body.poll_next_unpin(cx),
                    };
                    self.continue_if_wanted(cx);
                    let wire = &mut *self.wire;
                    let now = wire.now();
                    let written =
                        wire.codec
                            .write_response_head(&head, body.size(), now, &mut wire.out);
                    self.out = match written {
                        HeadWritten::Replaced(status) => {
                            *self.status = Some(status);
                            Out::Ended(Ended::Close)
                        }
                        HeadWritten::App => match wire.codec.take_upgraded() {
                            Some(buffered) => Out::Ended(match on_upgrade {
                                Some(then) => Ended::Upgraded(buffered, then),
                                None => Ended::Close,
                            }),
                            None if file => Out::Streaming { body, first: None },
                            None => match first {
                                // The whole body in one piece, or none, and
                                // nothing after it: its end goes out now.
                                Poll::Ready(Some(Ok(bytes)))
                                    if bytes.len() < DIRECT && body.is_spent() =>
                                {
                                    Out::Ended(match wire.codec.write_data(&bytes, &mut wire.out) {
                                        Ok(()) => end(wire, None),
                                        Err(_) => Ended::Close,
                                    })
                                }
                                first => Out::Streaming {
                                    body,
                                    first: Some(first),
                                },
                            },
                        },
                    };
                }
                #[cfg(target_os = "linux")]
                Out::Streaming { body, first: None } if by_file(self.wire, body) => {
                    let len = body.file_span().map_or(0, |span| span.len()) as usize;
                    let wire = &mut *self.wire;
                    let body = std::mem::take(body);
                    self.out = match wire.codec.frame_data(len, &mut wire.out) {
                        Ok(Some(after)) => Out::File {
                            body,
                            after,
                            sending: None,
                        },
                        // Not to be sent (the answer to HEAD).
                        Ok(None) => {
                            let mut body = body;
                            body.sent_from_file();
                            Out::Streaming { body, first: None }
                        }
                        Err(_) => Out::Ended(Ended::Close),
                    };
                    moved = true;
                }
                #[cfg(target_os = "linux")]
                Out::File {
                    body,
                    after,
                    sending,
                } => {
                    if sending.is_none() {
                        // The head (and a chunk's size line) first.
                        match self.wire.poll_flush(cx) {
                            Poll::Ready(Ok(())) => {}
                            Poll::Ready(Err(e)) => return Err(e),
                            Poll::Pending => return Ok(moved),
                        }
                        let wire = &*self.wire;
                        let socket = wire.socket.zip(wire.io()).and_then(|(find, io)| find(io));
                        let (Some(socket), Some(span)) = (socket, body.file_span()) else {
                            self.out = Out::Ended(Ended::Close);
                            continue;
                        };
                        let stall = wire.config.write_timeout;
                        *sending =
                            Some(crate::sendfile::Sending::start(socket, span.clone(), stall));
                    }
                    let Some(job) = sending else { continue };
                    match job.poll(cx) {
                        Poll::Pending => return Ok(moved),
                        Poll::Ready(Ok(sent)) => {
                            moved = true;
                            if let Some(metrics) = &self.wire.metrics {
                                metrics.sent(sent as usize);
                            }
                            let mut body = std::mem::take(body);
                            body.sent_from_file();
                            self.wire.out.extend_from_slice(after);
                            self.out = Out::Streaming { body, first: None };
                        }
                        // Cut short: the connection closes, so the client
                        // sees the body was not whole.
                        Poll::Ready(Err(error)) => {
                            moved = true;
                            if error.kind() == io::ErrorKind::TimedOut {
                                self.wire.too_slow = true;
                            }
                            self.out = Out::Ended(Ended::Close);
                        }
                    }
                }
                Out::Streaming { body, first } => {
                    if self.wire.out.len() >= FLUSH_AT || self.wire.piece.is_some() {
                        match self.wire.poll_flush(cx) {
                            Poll::Ready(Ok(())) => {}
                            Poll::Ready(Err(e)) => return Err(e),
                            Poll::Pending => return Ok(moved),
                        }
                    }
                    let piece = match first.take() {
                        Some(piece) => piece,
                        None => body.poll_next_unpin(cx),
                    };
                    let wire = &mut *self.wire;
                    match piece {
                        // A large piece goes out as it is, after what is
                        // waiting: no copy into the output buffer.
                        Poll::Ready(Some(Ok(bytes))) if bytes.len() >= DIRECT => {
                            moved = true;
                            match wire.codec.frame_data(bytes.len(), &mut wire.out) {
                                Ok(Some(after)) => wire.piece = Some((bytes, after)),
                                Ok(None) => {}
                                Err(_) => self.out = Out::Ended(Ended::Close),
                            }
                        }
                        Poll::Ready(Some(Ok(bytes))) => {
                            moved = true;
                            if wire.codec.write_data(&bytes, &mut wire.out).is_err() {
                                // Longer than its declared length: never
                                // truncate silently.
                                self.out = Out::Ended(Ended::Close);
                            }
                        }
                        // The body failed half-way: the client must see it
                        // cut short.
                        Poll::Ready(Some(Err(_))) => self.out = Out::Ended(Ended::Close),
                        Poll::Ready(None) => {
                            self.out = Out::Ended(end(wire, body.trailers().as_ref()));
                        }
                        Poll::Pending => {
                            // Flush before waiting, so a slow producer's
                            // pieces still reach the client as they come.
                            if !wire.out.is_empty() {
                                if let Poll::Ready(Err(e)) = wire.poll_flush(cx) {
                                    return Err(e);
                                }
                            }
                            return Ok(moved);
                        }
                    }
                }
                Out::Ended(_) => {
                    // The response is out: the request body goes with it.
                    if let Some(feed) = self.feed.take() {
                        feed.close();
                    }
                    return Ok(moved);
                }
            }
        }
    }

    /// `100 Continue` when the app asks for the body before any head went
    /// out (the codec writes it at most once, RFC 9110 §10.1.1).
    fn continue_if_wanted(&mut self, cx: &Context<'_>) {
        if let Some(feed) = &self.feed {
            if feed.lock().wants(cx) {
                let wire = &mut *self.wire;
                wire.codec.write_continue(&mut wire.out);
            }
        }
    }

    /// Reads request body bytes if the app waits for them; says whether a
    /// piece (or the end) was handed over.
    fn poll_feed(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let Some(feed) = &self.feed else {
            return Ok(false);
        };
        let mut state = feed.lock();
        if !state.wants(cx) {
            return Ok(false);
        }
        let wire = &mut *self.wire;
        wire.codec.write_continue(&mut wire.out);
        if !wire.out.is_empty() {
            // The client may wait for `100 Continue` before it sends.
            match wire.poll_flush(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(false),
            }
        }
        loop {
            match wire.codec.next_event() {
                ServerEvent::Data(piece) => {
                    self.clock.got(piece.len());
                    state.give(piece, cx.waker());
                    return Ok(true);
                }
                ServerEvent::End(trailers) => {
                    feed.keep_trailers(trailers);
                    state.end(Ok(()), cx.waker());
                    return Ok(true);
                }
                // The codec keeps the error to answer in place of the app.
                ServerEvent::Error(e) => {
                    state.end(Err(body_error(&e)), cx.waker());
                    return Ok(true);
                }
                ServerEvent::NeedData => match wire.poll_fill(cx) {
                    // EOF is fed too: the codec tells a cut-short body.
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => {
                        state.end(Err(BodyError::new(e.to_string())), cx.waker());
                        return Ok(true);
                    }
                    Poll::Pending => {
                        if self.clock.poll_expired(wire, cx).is_pending() {
                            return Ok(false);
                        }
                        wire.too_slow = true;
                        let error = wire.codec.timed_out();
                        let error = error.map_or_else(
                            || BodyError::new("request body timed out"),
                            |e| body_error(&e),
                        );
                        state.end(Err(error), cx.waker());
                        return Ok(true);
                    }
                },
                _ => {
                    state.end(
                        Err(BodyError::new("request body no longer available")),
                        cx.waker(),
                    );
                    return Ok(true);
                }
            }
        }
    }
}

impl<IO: Io, F> Future for Exchange<'_, IO, F>
where
    F: Future<Output = ()> + Unpin,
{
    type Output = io::Result<Ended>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Ended>> {
        let this = self.get_mut();
        loop {
            let mut moved = false;
            if let Some(app) = &mut this.app {
                if let Poll::Ready(ran) = app.poll_unpin(cx) {
                    this.app = None;
                    this.panicked = ran.is_err();
                    moved = true;
                }
            }
            moved |= this.poll_response(cx)?;
            moved |= this.poll_feed(cx)?;
            if let (None, Out::Ended(ended)) = (&this.app, &mut this.out) {
                // Only the small `Ended` moves out, not the whole `Out`;
                // what stays behind is a closed end, never read again.
                let ended = std::mem::replace(ended, Ended::Close);
                // A panic after the response went out: close.
                return Poll::Ready(Ok(match ended {
                    Ended::Open if this.panicked => Ended::Close,
                    ended => ended,
                }));
            }
            if !moved {
                this.wire.waits();
                return Poll::Pending;
            }
        }
    }
}

impl<IO, F> Drop for Exchange<'_, IO, F> {
    fn drop(&mut self) {
        if let Some(feed) = self.feed.take() {
            feed.close();
        }
    }
}

/// The request body's deadlines, on the time the app spends waiting for
/// body bytes: a stall of `body_timeout`, and a rate under
/// `min_body_rate` over a window of `body_rate_window` (the first window
/// is a grace period).
#[derive(Debug, Default)]
struct BodyClock {
    /// When the current wait began.
    waiting_since: Option<Instant>,
    /// Time waited before the current wait.
    waited: Duration,
    /// Windows checked so far.
    windows: u32,
    /// Bytes received in the current window.
    window_bytes: u64,
}

impl BodyClock {
    fn got(&mut self, bytes: usize) {
        if let Some(since) = self.waiting_since.take() {
            self.waited += since.elapsed();
        }
        self.window_bytes += bytes as u64;
    }

    /// Ready once the body is too slow; call while waiting for bytes.
    fn poll_expired<IO: Io>(&mut self, wire: &mut Wire<IO>, cx: &mut Context<'_>) -> Poll<()> {
        let config = &*wire.config;
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        loop {
            let mut deadline = since + config.body_timeout;
            let window = config.body_rate_window;
            let rate_checked = config.min_body_rate > 0 && !window.is_zero();
            if rate_checked {
                let window_end = window * (self.windows + 1);
                deadline = deadline.min(since + window_end.saturating_sub(self.waited));
            }
            if wire.timer.poll_until(deadline, cx).is_pending() {
                return Poll::Pending;
            }
            let now = Instant::now();
            if now >= since + config.body_timeout || !rate_checked {
                return Poll::Ready(());
            }
            // A window ended: after the grace window, it must have brought
            // `min_body_rate` per second.
            let needed = config.min_body_rate as f64 * window.as_secs_f64();
            if self.windows > 0 && (self.window_bytes as f64) < needed {
                return Poll::Ready(());
            }
            self.windows += 1;
            self.window_bytes = 0;
        }
    }
}

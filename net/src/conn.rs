//! Driving the codec over one byte stream: read a head, run the app, write
//! its response, repeat.
//!
//! One task per connection. The app and the writing of its response run
//! side by side in that task; the request body is pulled from the socket
//! only as the app reads it (backpressure). Output is flushed only before
//! the task waits for input, so pipelined responses leave in as few writes
//! as possible and a small response goes out in one.

use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures::future::{self, poll_fn, BoxFuture, FutureExt};
use futures::stream::{Stream, StreamExt};
use lath_app::{App, Body, BodyError, Io, OnUpgrade, Request, Respond, Responded, Upgraded};
use lath_codec::{
    BodySize, ProtocolError, RequestHead, ResponseHead, ServerConn, ServerEvent, Status,
};

use crate::shutdown::Shutdown;
use crate::{rt, Config};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

thread_local! {
    static SCRATCH: std::cell::RefCell<Box<[u8]>> =
        std::cell::RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}
/// Output is flushed mid-body once this much is waiting.
const FLUSH_AT: usize = 64 * 1024;

/// Serves `app` on one connection — any `AsyncRead + AsyncWrite`: a TCP or
/// Unix socket, a TLS stream, an in-memory pipe — until the peer or the
/// protocol closes it.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use lath_app::{Request, Respond};
/// use lath_net::{mem, serve_connection, Config};
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
    let app: Arc<dyn App> = Arc::new(app);
    drive(io, app, Arc::new(config), None, Shutdown::never()).await
}

/// The state both the writer and the request body reach: the stream, the
/// codec and the bytes waiting to go out. The lock is only ever held inside
/// one poll, never across a wait.
struct Wire<IO> {
    /// `None` once handed off after a protocol switch.
    io: Option<IO>,
    codec: ServerConn,
    out: Vec<u8>,
    /// A protocol error met while the app read the body: its status is the
    /// truthful answer, whatever the app says.
    body_error: Option<ProtocolError>,
}

impl<IO: Io> Wire<IO> {
    /// Reads what the socket has into the codec; EOF is fed as EOF. The
    /// read goes through one scratch buffer per thread, so an idle
    /// connection holds no read buffer beyond the bytes it has buffered.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
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
                    self.codec.feed(&scratch[..n]);
                    Poll::Ready(Ok(n))
                }
                other => other,
            }
        })
    }

    /// Writes out everything waiting, then flushes the stream.
    fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = self.io.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while !self.out.is_empty() {
            match Pin::new(&mut *io).poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => drop(self.out.drain(..n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Pin::new(io).poll_flush(cx)
    }

    /// Writes the codec's canned answer to `error`, if no head went out.
    fn write_error(&mut self, error: &ProtocolError) -> bool {
        self.codec
            .write_error(error, SystemTime::now(), &mut self.out)
    }
}

struct Shared<IO>(Arc<Mutex<Wire<IO>>>);

impl<IO> Clone for Shared<IO> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<IO: Io> Shared<IO> {
    fn lock(&self) -> MutexGuard<'_, Wire<IO>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn flush(&self) -> io::Result<()> {
        poll_fn(|cx| self.lock().poll_flush_out(cx)).await
    }
}

/// How a response went out.
enum Written {
    /// Completely; the connection may carry another request.
    Done,
    /// The connection must close.
    Close,
    /// Switched protocols: the stream belongs to the app now.
    Upgraded(Upgraded, OnUpgrade),
}

/// Serves requests on `io` until it closes.
pub(crate) async fn drive<IO: Io>(
    io: IO,
    app: Arc<dyn App>,
    config: Arc<Config>,
    peer: Option<SocketAddr>,
    shutdown: Shutdown,
) -> io::Result<()> {
    let shared = Shared(Arc::new(Mutex::new(Wire {
        io: Some(io),
        codec: ServerConn::new(config.codec.clone()),
        out: Vec::new(),
        body_error: None,
    })));
    let mut served = 0usize;
    let mut waits = Waits {
        deadline: Deadline { armed: None },
        stop: {
            let shutdown = shutdown.clone();
            async move { shutdown.wait().await }.boxed()
        },
    };
    loop {
        let Some(head) = next_head(&shared, &config, &mut waits).await? else {
            break;
        };
        served += 1;
        let last = config
            .max_requests_per_connection
            .is_some_and(|max| served >= max);
        if last || shutdown.is_triggered() {
            shared.lock().codec.close_after_response();
        }
        let body = request_body(&shared, &head, config.body_timeout);
        let mut req = Request::new(head, body);
        req.set_peer_addr(peer);
        let (respond, responded) = Respond::channel();
        // Through `dyn App` directly: one boxed future per request.
        let run = AssertUnwindSafe((*app).call(req, respond)).catch_unwind();
        let write = write_response(&shared, responded, &shutdown);
        let (ran, written) = future::join(run, write).await;
        match written? {
            Written::Done if ran.is_ok() => {}
            // A panic after the head went out, or a broken response: close.
            Written::Done | Written::Close => break,
            Written::Upgraded(upgraded, then) => {
                then(upgraded).await;
                return Ok(());
            }
        }
    }
    shared.flush().await?;
    let io = shared.lock().io.take();
    if let Some(mut io) = io {
        poll_fn(|cx| Pin::new(&mut io).poll_close(cx)).await?;
    }
    Ok(())
}

/// What a connection waits on besides its socket, kept across requests so
/// that waiting for the next request costs no timer set-up.
struct Waits {
    deadline: Deadline,
    stop: BoxFuture<'static, ()>,
}

/// One timer per connection, re-armed lazily: when it fires before the
/// current deadline (which moved later since), it is set for the rest.
struct Deadline {
    armed: Option<(Instant, BoxFuture<'static, ()>)>,
}

impl Deadline {
    /// Ready once `deadline` has passed.
    fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.armed {
                // Armed to fire no later than needed: wait for it.
                Some((at, timer)) if *at <= deadline => {
                    if timer.poll_unpin(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        self.armed = None;
                        return Poll::Ready(());
                    }
                    self.armed = Some((deadline, rt::sleep(deadline - now)));
                }
                // None yet, or armed too late for an earlier deadline.
                _ => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    self.armed = Some((deadline, rt::sleep(wait)));
                }
            }
        }
    }
}

/// What ended a wait for bytes.
enum Woke {
    Read(io::Result<usize>),
    Deadline,
    Stop,
}

/// The next request head, or `None` when the connection is over. Waits at
/// most `idle_timeout` for a first byte and `head_timeout` for the rest;
/// a shutdown closes a connection with nothing in flight.
async fn next_head<IO: Io>(
    shared: &Shared<IO>,
    config: &Config,
    waits: &mut Waits,
) -> io::Result<Option<RequestHead>> {
    let idle_since = Instant::now();
    let mut head_started: Option<Instant> = None;
    loop {
        let partial = {
            let mut wire = shared.lock();
            match wire.codec.next_event() {
                ServerEvent::Head(head) => return Ok(Some(head)),
                ServerEvent::Closed => None,
                ServerEvent::Error(e) => {
                    wire.write_error(&e);
                    None
                }
                _ => Some(!wire.codec.read_buf().is_empty()),
            }
        };
        let Some(partial) = partial else {
            shared.flush().await?;
            return Ok(None);
        };
        shared.flush().await?;
        let deadline = if partial {
            *head_started.get_or_insert_with(Instant::now) + config.head_timeout
        } else {
            idle_since + config.idle_timeout
        };
        let woke = poll_fn(|cx| {
            if let Poll::Ready(read) = shared.lock().poll_fill(cx) {
                return Poll::Ready(Woke::Read(read));
            }
            if !partial && waits.stop.poll_unpin(cx).is_ready() {
                return Poll::Ready(Woke::Stop);
            }
            match waits.deadline.poll_until(deadline, cx) {
                Poll::Ready(()) => Poll::Ready(Woke::Deadline),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        match woke {
            Woke::Read(Ok(_)) => {}
            // The peer reset the connection: nothing to answer.
            Woke::Read(Err(_)) | Woke::Stop => return Ok(None),
            Woke::Deadline if partial => {
                const SLOW: ProtocolError =
                    ProtocolError::new(Status::REQUEST_TIMEOUT, "request head timed out");
                let _ = shared.lock().write_error(&SLOW);
                shared.flush().await?;
                return Ok(None);
            }
            Woke::Deadline => return Ok(None),
        }
    }
}

fn request_body<IO: Io>(shared: &Shared<IO>, head: &RequestHead, stall: Duration) -> Body {
    let stream = RequestBody {
        shared: shared.clone(),
        done: false,
        stall,
        timer: None,
    };
    match head.body_size() {
        BodySize::Known(0) => Body::empty(),
        BodySize::Known(n) => Body::sized_stream(n, stream),
        BodySize::Unknown => Body::stream(stream),
    }
}

/// The request body, read from the connection as the app asks for it.
struct RequestBody<IO> {
    shared: Shared<IO>,
    done: bool,
    stall: Duration,
    timer: Option<BoxFuture<'static, ()>>,
}

impl<IO: Io> Stream for RequestBody<IO> {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut wire = this.shared.lock();
        // RFC 9110 §10.1.1: `100 Continue` once the app reads, never before.
        let Wire { codec, out, .. } = &mut *wire;
        codec.write_continue(out);
        if !wire.out.is_empty() {
            match wire.poll_flush_out(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(BodyError::new(e.to_string()))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        loop {
            match wire.codec.next_event() {
                ServerEvent::Data(piece) => {
                    this.timer = None;
                    return Poll::Ready(Some(Ok(piece)));
                }
                ServerEvent::NeedData => match wire.poll_fill(cx) {
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(BodyError::new(e.to_string()))));
                    }
                    Poll::Pending => break,
                },
                ServerEvent::Error(e) => {
                    this.done = true;
                    wire.body_error = Some(e);
                    return Poll::Ready(Some(Err(BodyError::new(e.reason()))));
                }
                // End, or the exchange moved on without this body.
                _ => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
        drop(wire);
        let stall = this.stall;
        let timer = this.timer.get_or_insert_with(|| rt::sleep(stall));
        if timer.poll_unpin(cx).is_ready() {
            this.done = true;
            this.shared.lock().codec.close_after_response();
            return Poll::Ready(Some(Err(BodyError::new("request body timed out"))));
        }
        Poll::Pending
    }
}

/// Writes the app's response once it is sent.
async fn write_response<IO: Io>(
    shared: &Shared<IO>,
    responded: Responded,
    shutdown: &Shutdown,
) -> io::Result<Written> {
    let mut res = responded.await;
    if shutdown.is_triggered() {
        shared.lock().codec.close_after_response();
    }
    let body_failed = {
        let mut wire = shared.lock();
        match wire.body_error.take() {
            Some(error) => {
                wire.write_error(&error);
                true
            }
            None => false,
        }
    };
    if body_failed {
        shared.flush().await?;
        return Ok(Written::Close);
    }
    let mut body = res.take_body();
    let on_upgrade = res.take_on_upgrade();
    let mut head = ResponseHead::new(res.status());
    head.headers = std::mem::take(res.headers_mut());
    let upgraded = {
        let mut wire = shared.lock();
        let Wire { codec, out, .. } = &mut *wire;
        if codec
            .write_head(&head, body.size(), SystemTime::now(), out)
            .is_err()
        {
            // The app's head cannot go out as given (a field that could
            // split the message, contradictory framing): answer 500.
            let mut fallback = ResponseHead::new(Status::INTERNAL_SERVER_ERROR);
            fallback
                .headers
                .append("Content-Type", "text/plain; charset=utf-8");
            let message = b"invalid response head\n";
            let written = codec
                .write_head(
                    &fallback,
                    BodySize::Known(message.len() as u64),
                    SystemTime::now(),
                    out,
                )
                .and_then(|()| codec.write_data(message, out))
                .and_then(|()| codec.write_end(None, out));
            return Ok(if written.is_ok() {
                Written::Done
            } else {
                Written::Close
            });
        }
        codec.take_upgraded()
    };
    if let Some(buffered) = upgraded {
        shared.flush().await?;
        let io = shared.lock().io.take();
        return Ok(match (io, on_upgrade) {
            (Some(io), Some(then)) => {
                Written::Upgraded(Upgraded::new(Box::new(io), buffered), then)
            }
            _ => Written::Close,
        });
    }
    loop {
        // Take what the body has ready; flush before waiting for more, so
        // a slow producer's pieces still reach the client as they come.
        let ready = poll_fn(|cx| Poll::Ready(body.poll_next_unpin(cx))).await;
        let piece = match ready {
            Poll::Ready(piece) => piece,
            Poll::Pending => {
                shared.flush().await?;
                body.next().await
            }
        };
        match piece {
            Some(Ok(bytes)) => {
                let (written, backlog) = {
                    let mut wire = shared.lock();
                    let Wire { codec, out, .. } = &mut *wire;
                    (codec.write_data(&bytes, out), out.len())
                };
                if written.is_err() {
                    // Longer than its declared length: never truncate silently.
                    shared.flush().await?;
                    return Ok(Written::Close);
                }
                if backlog >= FLUSH_AT {
                    shared.flush().await?;
                }
            }
            // The body failed half-way: the client must see it cut short.
            Some(Err(_)) => {
                shared.flush().await?;
                return Ok(Written::Close);
            }
            None => break,
        }
    }
    let mut wire = shared.lock();
    let Wire { codec, out, .. } = &mut *wire;
    let ended = codec.write_end(None, out).is_ok();
    Ok(if ended && !codec.is_closed() {
        Written::Done
    } else {
        Written::Close
    })
}

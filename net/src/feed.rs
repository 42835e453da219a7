//! The request body as the app sees it: a handle the connection feeds.
//!
//! The connection's task alone owns the socket and the codec. Reading the
//! body only says "I want more" and waits; the connection reads the socket
//! when it sees that demand (backpressure: nothing is read ahead of the
//! app), hands over one piece, and wakes the reader. When the exchange is
//! over the handle answers with an error, never with silence.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures::Stream;
use lath_app::{Body, BodyError, Trailers};
use lath_codec::{BodySize, ProtocolError};

/// What the reader and the connection share.
#[derive(Debug, Default)]
pub(crate) struct Feed {
    state: Mutex<State>,
    /// Where a chunked body's trailer fields go.
    trailers: Option<Arc<Trailers>>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// The reader asked for a piece and has none.
    wants: bool,
    /// A piece handed over and not taken yet.
    piece: Option<Bytes>,
    /// How the body ended: `Ok` at its clean end.
    end: Option<Result<(), BodyError>>,
    /// The exchange is over: later reads fail.
    over: bool,
    /// The reader waiting for a piece.
    reader: Option<Waker>,
    /// The connection waiting for demand (when the reader runs in another
    /// task).
    conn: Option<Waker>,
}

/// The error of a read after the exchange ended.
fn gone() -> BodyError {
    BodyError::new("request body no longer available")
}

impl Feed {
    /// The body of a request with `size`, and the feed behind it (none for
    /// an empty body).
    pub(crate) fn body(size: BodySize) -> (Body, Option<Arc<Feed>>) {
        match size {
            BodySize::Known(0) => (Body::empty(), None),
            BodySize::Known(n) => {
                let feed = Arc::new(Feed::default());
                let reader = Reader {
                    feed: feed.clone(),
                    done: false,
                };
                (Body::sized_stream(n, reader), Some(feed))
            }
            // Only a chunked body has a trailer section.
            BodySize::Unknown => {
                let trailers = Arc::new(Trailers::default());
                let feed = Arc::new(Feed {
                    state: Mutex::default(),
                    trailers: Some(trailers.clone()),
                });
                let reader = Reader {
                    feed: feed.clone(),
                    done: false,
                };
                (Body::stream(reader).with_trailer_slot(trailers), Some(feed))
            }
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps the trailer fields of the body, for the app to read after
    /// its end.
    pub(crate) fn keep_trailers(&self, fields: lath_codec::Headers) {
        if let (Some(slot), false) = (&self.trailers, fields.is_empty()) {
            slot.set(fields);
        }
    }

    /// Ends the exchange: pending and later reads fail.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.over = true;
        state.piece = None;
        if let Some(reader) = state.reader.take() {
            reader.wake();
        }
    }
}

impl State {
    /// Does the reader wait for a piece the connection should fetch?
    pub(crate) fn wants(&mut self, cx: &Context<'_>) -> bool {
        if self.over || self.end.is_some() {
            return false;
        }
        if !self.wants {
            // Woken when the reader (perhaps in another task) asks.
            match &self.conn {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => self.conn = Some(cx.waker().clone()),
            }
        }
        self.wants
    }

    /// Hands over a piece; `current` is the connection's own waker, not
    /// woken (it polls the reader again itself).
    pub(crate) fn give(&mut self, piece: Bytes, current: &Waker) {
        self.wants = false;
        self.piece = Some(piece);
        self.wake_reader(current);
    }

    /// Ends the body: cleanly, or with the error to report.
    pub(crate) fn end(&mut self, end: Result<(), BodyError>, current: &Waker) {
        self.wants = false;
        self.end = Some(end);
        self.wake_reader(current);
    }

    fn wake_reader(&mut self, current: &Waker) {
        if let Some(reader) = self.reader.take() {
            if !reader.will_wake(current) {
                reader.wake();
            }
        }
    }
}

/// The error a protocol failure of the body reports to the app.
pub(crate) fn body_error(error: &ProtocolError) -> BodyError {
    BodyError::with_status(error.reason(), error.status())
}

/// The app's end: a stream of body pieces.
struct Reader {
    feed: Arc<Feed>,
    done: bool,
}

impl Stream for Reader {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut state = this.feed.lock();
        if let Some(piece) = state.piece.take() {
            return Poll::Ready(Some(Ok(piece)));
        }
        if let Some(end) = state.end.take() {
            this.done = true;
            return Poll::Ready(end.err().map(Err));
        }
        if state.over {
            this.done = true;
            return Poll::Ready(Some(Err(gone())));
        }
        state.wants = true;
        match &state.reader {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.reader = Some(cx.waker().clone()),
        }
        if let Some(conn) = &state.conn {
            if !conn.will_wake(cx.waker()) {
                conn.wake_by_ref();
            }
        }
        Poll::Pending
    }
}

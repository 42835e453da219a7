//! The one-shot way out of an app.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures::channel::oneshot;

use crate::Response;

type Callback = Box<dyn FnOnce(Response) + Send>;

/// Where a [`Respond`] sends.
enum Way {
    /// A function of the response (layers, channels).
    Callback(Callback),
    /// A slot its driver owns and reuses, request after request.
    Slot(Arc<ResponseSlot>),
    /// A layer's own place (see [`Respond::forwarding`]).
    Shared(Arc<dyn Forward>),
}

/// Where a layer takes the responses of the [`Respond`]s it hands to the
/// app it wraps, with [`Respond::forwarding`]: a shared value of the
/// layer's, so no callback is boxed per request. It receives the `Respond`'s
/// own handle, so a value reused from request to request (see
/// [`recycle`](crate::recycle)) can be given back by
/// whoever holds it last.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use lath::prelude::*;
/// use lath::app::Forward;
///
/// /// Counts the statuses that went out through it.
/// #[derive(Default)]
/// struct Statuses(Mutex<Vec<u16>>);
///
/// /// One request's way out: the outer `Respond` and where to count.
/// struct Counting(Mutex<Option<Respond>>, Arc<Statuses>);
///
/// impl Forward for Counting {
///     fn forward(self: Arc<Self>, response: Response) {
///         self.1 .0.lock().unwrap().push(response.status().code());
///         if let Some(outer) = self.0.lock().unwrap().take() {
///             outer.send(response);
///         }
///     }
/// }
///
/// let seen = Arc::new(Statuses::default());
/// let counted = seen.clone();
/// let app = handler(|req: Request| async move {
///     if req.path() == "/" { Ok("home") } else { Err(HttpError::not_found()) }
/// })
/// .wrap(from_fn(move |req, respond, next| {
///     let way = Arc::new(Counting(Mutex::new(Some(respond)), counted.clone()));
///     async move { next.call(req, Respond::forwarding(way)).await }
/// }));
/// let client = Client::new(app);
/// client.get("/").send_blocking().unwrap();
/// client.get("/nope").send_blocking().unwrap();
/// assert_eq!(*seen.0.lock().unwrap(), [200, 404]);
/// ```
pub trait Forward: Send + Sync + 'static {
    /// Takes the response sent (or the 500 of a `Respond` dropped unsent).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use lath::app::{Forward, Respond, Response};
    /// /// Keeps the last status it saw.
    /// #[derive(Default)]
    /// struct Last(Mutex<Option<u16>>);
    /// impl Forward for Last {
    ///     fn forward(self: Arc<Self>, response: Response) {
    ///         *self.0.lock().unwrap() = Some(response.status().code());
    ///     }
    /// }
    /// let last = Arc::new(Last::default());
    /// drop(Respond::forwarding(last.clone())); // dropped unsent: a 500 still arrives
    /// assert_eq!(*last.0.lock().unwrap(), Some(500));
    /// ```
    fn forward(self: Arc<Self>, response: Response);
}

/// Sends the response for one request, once.
///
/// Anything that converts into a [`Response`] can be sent. A `Respond`
/// dropped unsent answers `500 Internal Server Error` with
/// `Connection: close`, so no request is left hanging. A layer sees
/// responses on their way out by wrapping it, as creationix's `web` logger
/// does:
///
/// ```
/// use lath::app::{Respond, Response};
/// let (respond, responded) = Respond::channel();
/// let respond = respond.map(|res| res.with_header("X-Seen", "yes"));
/// respond.send("hello");
/// let res = futures::executor::block_on(responded);
/// assert_eq!(res.headers().get_str("x-seen"), Some("yes"));
/// ```
pub struct Respond {
    way: Option<Way>,
}

impl Respond {
    /// A `Respond` that hands the response to `callback`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use lath::app::{Respond, Response};
    /// let got = Arc::new(Mutex::new(None));
    /// let into = got.clone();
    /// let respond = Respond::new(move |res: Response| *into.lock().unwrap() = Some(res.status().code()));
    /// respond.send("hi");
    /// assert_eq!(*got.lock().unwrap(), Some(200));
    /// ```
    pub fn new(callback: impl FnOnce(Response) + Send + 'static) -> Respond {
        Respond {
            way: Some(Way::Callback(Box::new(callback))),
        }
    }

    /// A `Respond` that hands the response to `target`: a value the layer
    /// shares with the app's side, costing no allocation per `Respond`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use lath::app::{Forward, Respond, Response};
    ///
    /// #[derive(Default)]
    /// struct Last(Mutex<Option<u16>>);
    /// impl Forward for Last {
    ///     fn forward(self: Arc<Self>, response: Response) {
    ///         *self.0.lock().unwrap() = Some(response.status().code());
    ///     }
    /// }
    /// let last = Arc::new(Last::default());
    /// Respond::forwarding(last.clone()).send("hi");
    /// assert_eq!(*last.0.lock().unwrap(), Some(200));
    /// ```
    pub fn forwarding(target: Arc<dyn Forward>) -> Respond {
        Respond {
            way: Some(Way::Shared(target)),
        }
    }

    /// A `Respond` and the future of the response it will send.
    ///
    /// ```
    /// use lath::app::{App, Request, Respond};
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("Hello");
    /// }
    /// # futures::executor::block_on(async {
    /// let (respond, responded) = Respond::channel();
    /// hello.call(Request::builder("GET", "/").build(), respond).await;
    /// assert_eq!(responded.await.status().code(), 200);
    /// # });
    /// ```
    pub fn channel() -> (Respond, Responded) {
        let (tx, rx) = oneshot::channel();
        let respond = Respond::new(move |res| {
            // The receiver may be gone when the connection closed first.
            let _ = tx.send(res);
        });
        (respond, Responded { rx })
    }

    /// Sends the response.
    ///
    /// ```
    /// use lath::prelude::*;
    /// async fn created(_req: Request, respond: Respond) {
    ///     respond.send((Status::CREATED, "made"));
    /// }
    /// let res = Client::new(created).post("/items").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.text().as_str()), (201, "made"));
    /// ```
    pub fn send(mut self, response: impl Into<Response>) {
        match self.way.take() {
            // Made where it is kept: a response is a few hundred bytes,
            // and each move copies them.
            Some(Way::Slot(slot)) => slot.put_with(|| response.into()),
            Some(way) => way.send(response.into()),
            None => {}
        }
    }

    /// A `Respond` that passes every response through `f` first — also
    /// the 500 of a `Respond` dropped unsent. It boxes `f`: a layer on a
    /// hot path forwards to a reused value instead
    /// ([`Respond::forwarding`]).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { "hi" }).wrap(from_fn(|req, respond: Respond, next| async move {
    ///     next.call(req, respond.map(|res| res.with_header("X-Powered-By", "lath"))).await
    /// }));
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("x-powered-by"), Some("lath"));
    /// ```
    pub fn map(mut self, f: impl FnOnce(Response) -> Response + Send + 'static) -> Respond {
        // Kept as a `Respond`: should `f` panic, dropping it answers 500
        // rather than leaving the client waiting.
        let inner = Respond {
            way: self.way.take(),
        };
        Respond::new(move |res| inner.send(f(res)))
    }
}

impl Way {
    fn send(self, response: Response) {
        match self {
            Way::Callback(callback) => callback(response),
            Way::Slot(slot) => slot.put(response),
            Way::Shared(target) => target.forward(response),
        }
    }
}

/// A place for one response at a time, owned by a driver and reused for
/// every request on a connection: a [`Respond`] made from it costs no
/// allocation, where [`Respond::channel`] allocates a channel and a
/// callback per request.
///
/// The driver must take each response (or see its `Respond` dropped,
/// which puts a 500) before it hands out the next `Respond`.
///
/// ```
/// use std::sync::Arc;
/// use std::task::{Context, Poll};
/// use lath::app::ResponseSlot;
///
/// let slot = Arc::new(ResponseSlot::default());
/// let waker = futures::task::noop_waker();
/// let mut cx = Context::from_waker(&waker);
/// for body in ["first", "second"] {
///     let respond = slot.respond();
///     assert!(slot.poll_take(&mut cx).is_pending());
///     respond.send(body);
///     let Poll::Ready(res) = slot.poll_take(&mut cx) else { panic!() };
///     assert_eq!(res.status().code(), 200);
/// }
/// ```
#[derive(Debug, Default)]
pub struct ResponseSlot {
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    response: Option<Response>,
    waker: Option<Waker>,
}

impl ResponseSlot {
    /// A `Respond` that puts its response here.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::ResponseSlot;
    /// let slot = Arc::new(ResponseSlot::default());
    /// slot.respond().send("first");
    /// let waker = futures::task::noop_waker();
    /// let taken = slot.poll_take(&mut std::task::Context::from_waker(&waker));
    /// assert!(taken.is_ready());
    /// ```
    pub fn respond(self: &Arc<Self>) -> Respond {
        Respond {
            way: Some(Way::Slot(self.clone())),
        }
    }

    /// The response, once sent.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::ResponseSlot;
    /// # futures::executor::block_on(async {
    /// let slot = Arc::new(ResponseSlot::default());
    /// let respond = slot.respond();
    /// std::thread::spawn(move || respond.send("from another thread"));
    /// let res = futures::future::poll_fn(|cx| slot.poll_take(cx)).await;
    /// assert_eq!(res.status().code(), 200);
    /// # });
    /// ```
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Response> {
        let mut state = self.lock();
        match state.response.take() {
            Some(response) => Poll::Ready(response),
            None => {
                match &state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => state.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    fn put(&self, response: Response) {
        self.put_with(|| response);
    }

    /// Puts the response `make` makes, made in place.
    #[inline]
    fn put_with(&self, make: impl FnOnce() -> Response) {
        let waker = {
            let mut state = self.lock();
            state.response = Some(make());
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The answer of an app that never answered: it failed (often by
/// panicking), so the connection it ran on is closed as well. An
/// [`HttpError`](crate::HttpError), so an error layer renders it like any
/// other 500.
fn unanswered() -> Response {
    Response::from(crate::HttpError::internal()).with_header("Connection", "close")
}

impl Drop for Respond {
    fn drop(&mut self) {
        if let Some(way) = self.way.take() {
            way.send(unanswered());
        }
    }
}

impl fmt::Debug for Respond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Respond")
            .field("sent", &self.way.is_none())
            .finish()
    }
}

/// The response a [`Respond::channel`] will carry.
///
/// ```
/// use lath::app::Respond;
/// # futures::executor::block_on(async {
/// let (respond, responded) = Respond::channel();
/// drop(respond); // never sent
/// assert_eq!(responded.await.status().code(), 500);
/// # });
/// ```
#[derive(Debug)]
pub struct Responded {
    rx: oneshot::Receiver<Response>,
}

impl Future for Responded {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|res| res.unwrap_or_else(|_| unanswered()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use lath_codec::Status;

    #[test]
    fn dropped_unsent_answers_500_through_every_map() {
        let (respond, responded) = Respond::channel();
        let respond = respond.map(|res| res.with_header("X-Layer", "1"));
        drop(respond);
        let res = block_on(responded);
        assert_eq!(res.status(), Status::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers().get_str("x-layer"), Some("1"));
        // An error an error layer can render, like any other.
        assert_eq!(
            res.error().map(|e| e.status()),
            Some(Status::INTERNAL_SERVER_ERROR)
        );
    }

    #[test]
    fn sends_once() {
        let (respond, responded) = Respond::channel();
        respond.send((Status::CREATED, "made"));
        assert_eq!(block_on(responded).status(), Status::CREATED);
    }
}

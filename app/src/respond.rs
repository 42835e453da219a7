//! The one-shot way out of an app.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::oneshot;
use lath_codec::Status;

use crate::Response;

type Callback = Box<dyn FnOnce(Response) + Send>;

/// Sends the response for one request, once.
///
/// Anything that converts into a [`Response`] can be sent. A `Respond`
/// dropped unsent answers `500 Internal Server Error` with
/// `Connection: close`, so no request is left hanging. A layer sees
/// responses on their way out by wrapping it, as creationix's `web` logger
/// does:
///
/// ```
/// use lath_app::{Respond, Response};
/// let (respond, responded) = Respond::channel();
/// let respond = respond.map(|res| res.with_header("X-Seen", "yes"));
/// respond.send("hello");
/// let res = futures::executor::block_on(responded);
/// assert_eq!(res.headers().get_str("x-seen"), Some("yes"));
/// ```
pub struct Respond {
    callback: Option<Callback>,
}

impl Respond {
    /// A `Respond` that hands the response to `callback`.
    pub fn new(callback: impl FnOnce(Response) + Send + 'static) -> Respond {
        Respond {
            callback: Some(Box::new(callback)),
        }
    }

    /// A `Respond` and the future of the response it will send.
    pub fn channel() -> (Respond, Responded) {
        let (tx, rx) = oneshot::channel();
        let respond = Respond::new(move |res| {
            // The receiver may be gone when the connection closed first.
            let _ = tx.send(res);
        });
        (respond, Responded { rx })
    }

    /// Sends the response.
    pub fn send(mut self, response: impl Into<Response>) {
        if let Some(callback) = self.callback.take() {
            callback(response.into());
        }
    }

    /// A `Respond` that passes every response through `f` first — also
    /// the 500 of a `Respond` dropped unsent.
    pub fn map(mut self, f: impl FnOnce(Response) -> Response + Send + 'static) -> Respond {
        let inner = self.callback.take();
        Respond::new(move |res| {
            if let Some(inner) = inner {
                inner(f(res));
            }
        })
    }
}

/// The answer of an app that never answered: it failed (often by
/// panicking), so the connection it ran on is closed as well.
fn unanswered() -> Response {
    Response::text("internal server error\n")
        .with_status(Status::INTERNAL_SERVER_ERROR)
        .with_header("Connection", "close")
}

impl Drop for Respond {
    fn drop(&mut self) {
        if let Some(callback) = self.callback.take() {
            callback(unanswered());
        }
    }
}

impl fmt::Debug for Respond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Respond")
            .field("sent", &self.callback.is_none())
            .finish()
    }
}

/// The response a [`Respond::channel`] will carry.
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

    #[test]
    fn dropped_unsent_answers_500_through_every_map() {
        let (respond, responded) = Respond::channel();
        let respond = respond.map(|res| res.with_header("X-Layer", "1"));
        drop(respond);
        let res = block_on(responded);
        assert_eq!(res.status(), Status::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers().get_str("x-layer"), Some("1"));
    }

    #[test]
    fn sends_once() {
        let (respond, responded) = Respond::channel();
        respond.send((Status::CREATED, "made"));
        assert_eq!(block_on(responded).status(), Status::CREATED);
    }
}

//! Panics become 500s.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use lath_app::{App, HttpError, Request, Respond, Response};

use crate::slot::Slot;

/// Answers a panic in `app` with `500 Internal Server Error` — while
/// nothing has been sent; once a response has started, the connection
/// closes instead. The panic is a `tracing` error event with the method,
/// target and panic message; the message reaches the client only in debug
/// mode.
///
/// ```
/// use lath::app::{AppExt, Request, Respond};
/// use lath::layers::recover;
/// use lath::net::Client;
///
/// async fn buggy(_req: Request, _respond: Respond) {
///     panic!("bug");
/// }
/// let app = buggy.wrap(recover);
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(res.status.code(), 500);
/// assert_eq!(res.text(), "Internal Server Error");
/// ```
pub fn recover<A: App>(app: A) -> Recover<A> {
    Recover { app, debug: false }
}

/// The app returned by [`recover`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{recover, Recover};
/// let app: Recover<_> = handler(|req: Request| async move {
///     if req.path() == "/boom" {
///         panic!("bug");
///     }
///     "fine"
/// })
/// .wrap(recover);
/// let client = Client::new(app);
/// assert_eq!(client.get("/boom").send_blocking().unwrap().status.code(), 500);
/// assert_eq!(client.get("/").send_blocking().unwrap().text(), "fine");
/// ```
#[derive(Debug)]
pub struct Recover<A> {
    app: A,
    debug: bool,
}

impl<A> Recover<A> {
    /// In debug mode the panic message is the body of the 500.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::recover;
    /// let app = recover(handler(|req: Request| async move {
    ///     let items: Vec<u8> = Vec::new();
    ///     items[req.path().len()].to_string() // a bug: panics
    /// }))
    /// .debug(true);
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 500);
    /// assert!(res.text().contains("index out of bounds")); // never in production
    /// ```
    pub fn debug(mut self, on: bool) -> Recover<A> {
        self.debug = on;
        self
    }
}

/// The message of a panic payload, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

impl<A: App> App for Recover<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let (method, target) = (req.method().clone(), req.head().target.clone());
        if !self.debug {
            // The app's `Respond`, dropped unsent as its future unwinds,
            // answers the same 500 (an `HttpError`, with the connection
            // closing) that this layer would: no slot is needed.
            let ran = AssertUnwindSafe(self.app.call(req, respond))
                .catch_unwind()
                .await;
            if let Err(payload) = ran {
                let target = String::from_utf8_lossy(&target);
                let message = panic_message(&*payload);
                tracing::error!(%method, %target, panic = message, "panic while serving");
            }
            return;
        }
        let slot = Slot::new(respond);
        let ran = AssertUnwindSafe(self.app.call(req, slot.respond()))
            .catch_unwind()
            .await;
        if let Err(payload) = ran {
            let message = panic_message(&*payload);
            let target = String::from_utf8_lossy(&target);
            tracing::error!(%method, %target, panic = message, "panic while serving");
            let error = if self.debug {
                HttpError::internal().with_message(message.to_owned())
            } else {
                HttpError::internal()
            };
            // Nothing sent yet: a 500 (an error value, so an error layer
            // renders it), and the connection closes after it since the
            // app's state is in doubt.
            slot.send(Response::from(error).with_header("Connection", "close"));
        }
    }
}

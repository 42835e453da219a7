//! A time limit on an app.

use std::time::Duration;

use futures::future::{self, Either};
use lath_app::{App, HttpError, Layer, Request, Respond, Status};

use crate::slot::Slot;

/// Answers `503 Service Unavailable` when `app` has not responded within
/// `duration`, and drops the app's future so its work stops. A response
/// that already started is cut off and its connection closed.
///
/// ```
/// use std::time::Duration;
/// use lath::app::{AppExt, Request, Respond};
/// use lath::layers::timeout;
/// use lath::net::Client;
///
/// let slow = |_req: Request, respond: Respond| async move {
///     async_std::task::sleep(Duration::from_secs(10)).await;
///     respond.send("too late");
/// };
/// let app = slow.wrap(timeout(Duration::from_millis(50)));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 503);
/// ```
pub fn timeout(duration: Duration) -> TimeoutLayer {
    TimeoutLayer {
        duration,
        status: Status::SERVICE_UNAVAILABLE,
    }
}

/// The layer [`timeout`] makes.
///
/// ```
/// use std::time::Duration;
/// use lath::prelude::*;
/// use lath::layers::{timeout, TimeoutLayer};
/// let slow: TimeoutLayer = timeout(Duration::from_millis(50));
/// // An app that never answers.
/// let app = handler(|_req: Request| async { futures::future::pending::<&str>().await }).wrap(slow);
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 503);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    duration: Duration,
    status: Status,
}

impl TimeoutLayer {
    /// Answers with `status` instead of 503 (504 is the other common one).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::prelude::*;
    /// use lath::layers::timeout;
    /// let app = handler(|_req: Request| async { futures::future::pending::<&str>().await })
    ///     .wrap(timeout(Duration::from_millis(50)).status(Status::GATEWAY_TIMEOUT));
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 504);
    /// ```
    pub fn status(mut self, status: Status) -> TimeoutLayer {
        self.status = status;
        self
    }
}

impl<A: App> Layer<A> for TimeoutLayer {
    type App = Timeout<A>;

    fn layer(self, app: A) -> Timeout<A> {
        Timeout {
            app,
            duration: self.duration,
            status: self.status,
        }
    }
}

/// The app a [`timeout`] layer makes.
///
/// ```
/// use std::time::Duration;
/// use lath::prelude::*;
/// use lath::layers::{timeout, Timeout};
/// let app: Timeout<_> = handler(|_req: Request| async { "quick" }).wrap(timeout(Duration::from_secs(1)));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "quick");
/// ```
#[derive(Debug)]
pub struct Timeout<A> {
    app: A,
    duration: Duration,
    status: Status,
}

impl<A: App> App for Timeout<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let slot = Slot::new(respond);
        let mut run = std::pin::pin!(Some(self.app.call(req, slot.respond())));
        // async-io's timer runs under every runtime (its own reactor thread
        // drives it where no async-io executor does).
        let timer = async_io::Timer::after(self.duration);
        let expired = match run.as_mut().as_pin_mut() {
            Some(running) => matches!(future::select(running, timer).await, Either::Right(_)),
            None => false,
        };
        if expired {
            // Take the way out first, so the app's dropped `Respond` finds
            // nobody to answer, then drop the app's future: its work stops.
            let outer = slot.take();
            run.set(None);
            if let Some(outer) = outer {
                outer.send(HttpError::new(self.status, "request timed out"));
            }
        }
    }
}

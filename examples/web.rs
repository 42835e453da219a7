//! creationix's `web`: an app is a function of a request and `respond`; a
//! layer wraps `respond` to see what goes out — here a logger and a layer
//! that adds a header to every response (and, as in every example, `lint`
//! in debug builds, which checks each response the app makes); the
//! automatic `Date`, `Server` and `Content-Length` come from the codec.
//!
//! `cargo run --example web -- --port 3000`

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use lath::{App, AppExt, Request, Respond};

async fn hello(req: Request, respond: Respond) {
    respond.send(format!("Hello from {}\n", req.path()));
}

/// Logs method, path, status and latency when the response is sent.
fn logger(app: impl App) -> impl App {
    let app = Arc::new(app);
    move |req: Request, respond: Respond| {
        let app = app.clone();
        async move {
            let start = Instant::now();
            let line = format!("{} {}", req.method(), req.path());
            let respond = respond.map(move |res| {
                eprintln!("{line} {} {:?}", res.status().code(), start.elapsed());
                res
            });
            app.call(req, respond).await
        }
    }
}

/// Adds `X-Powered-By` on the way out.
fn powered_by(app: impl App) -> impl App {
    let app = Arc::new(app);
    move |req: Request, respond: Respond| {
        let app = app.clone();
        async move {
            app.call(
                req,
                respond.map(|res| res.with_header("X-Powered-By", "lath")),
            )
            .await
        }
    }
}

/// The example's app, for `main` and the tests (without the logger).
pub fn app() -> impl App {
    hello.wrap(powered_by)
}

#[allow(dead_code)]
fn main() {
    support::run(support::port(3000), app().wrap(logger));
}

//! The demo server: a few routes behind a logger layer.
//!
//! `cargo run --release --example demo` (port 8080, or `PORT`, or `--port N`;
//! `--quiet` turns the request log off, as the load benchmark does)
//!
//! - `GET /` — a page linking the routes
//! - `GET /hello` — `Hello, World!`
//! - `GET /json` — `{"message":"Hello, World!"}`
//! - `POST /echo` — streams the request body back with its Content-Type

mod support;

use std::sync::Arc;
use std::time::Instant;

use lath::layers::Routes;
use lath::{handler, App, AppExt, Body, Request, Respond, Response, Router, Status};

const INDEX: &str = "<!doctype html>
<title>lath demo</title>
<h1>lath demo</h1>
<ul>
  <li><a href=\"/hello\">/hello</a> — Hello, World!</li>
  <li><a href=\"/json\">/json</a> — a JSON message</li>
  <li>POST /echo — streams your body back:
    <form method=\"post\" action=\"/echo\" enctype=\"text/plain\"><input name=\"say\" value=\"hi\"><button>echo</button></form></li>
</ul>
";

async fn echo(mut req: Request, respond: Respond) {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    // The body streams straight back: no buffering.
    respond.send(
        Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_body(Body::stream(req.take_body())),
    );
}

fn routes() -> Routes {
    Router::new()
        .get(
            "/",
            handler(|_req: Request| async { Response::html(INDEX) }),
        )
        .get(
            "/hello",
            handler(|_req: Request| async { Response::text("Hello, World!") }),
        )
        .get(
            "/json",
            handler(|_req: Request| async {
                Response::typed("application/json", r#"{"message":"Hello, World!"}"#)
            }),
        )
        .post("/echo", echo)
        .build()
        .expect("valid routes")
}

/// One line per request — method, target, status, latency — written when
/// the response goes out: the logger of creationix's `web`, as a layer
/// that wraps `respond`.
fn logger(app: impl App) -> impl App {
    let app = Arc::new(app);
    move |req: Request, respond: Respond| {
        let app = app.clone();
        async move {
            let start = Instant::now();
            let line = format!("{} {}", req.method(), req.target());
            let respond = respond.map(move |res| {
                eprintln!("{line} {} {:?}", res.status().code(), start.elapsed());
                res
            });
            app.call(req, respond).await
        }
    }
}

fn main() {
    let port = support::port(8080);
    if std::env::args().any(|a| a == "--quiet") {
        support::run(port, routes());
    } else {
        support::run(port, routes().wrap(logger));
    }
}

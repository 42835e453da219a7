//! The app HTTP/1.1 conformance testers expect behind a server, answered
//! through the router so that `OPTIONS *` (200 with `Allow`) and `CONNECT`
//! (405 with `Allow`) get the answers RFC 9110 asks for: `GET /` → `OK`;
//! `POST /` → the body echoed; `/echo` → the request's headers, one
//! `Name: value` per line; `/cookie` → each cookie as `name=value`, one
//! per line.
//!
//! `cargo run --release --example conformance -- --port 8080`

#[path = "support/mod.rs"]
mod support;

use lath::{handler, Request, Response, Router};

fn main() {
    let routes = Router::new()
        .post(
            "/",
            handler(|mut req: Request| async move {
                req.set_body_limit(16 << 20);
                req.bytes().await.map(Response::bytes)
            }),
        )
        .any("/", handler(|_req: Request| async { "OK" }))
        .any(
            "/echo",
            handler(|req: Request| async move {
                req.headers()
                    .iter()
                    .map(|(name, value)| format!("{name}: {}\n", String::from_utf8_lossy(value)))
                    .collect::<String>()
            }),
        )
        .any(
            "/cookie",
            handler(|req: Request| async move {
                req.headers()
                    .get_all("cookie")
                    .flat_map(|v| {
                        String::from_utf8_lossy(v)
                            .split(';')
                            .map(|c| c.trim().to_owned())
                            .collect::<Vec<_>>()
                    })
                    .filter(|pair| pair.contains('='))
                    .map(|pair| format!("{pair}\n"))
                    .collect::<String>()
            }),
        )
        .build()
        .expect("valid routes");
    support::run(support::port(8080), routes);
}

//! The demo server.
//!
//! `cargo run --release --example demo` (port 8080, or `PORT`, or `--port N`;
//! `--workers N` or `LATH_WORKERS` threads, one per core by default;
//! `--runtime NAME` among those the build enables;
//! `--debug` shows panic and 5xx messages; `--quiet` turns the request log
//! off, as the load benchmark does; `--allow CIDR` and `--deny CIDR`,
//! repeatable, filter peers at accept; `--trusted-proxy CIDR`, repeatable,
//! names the proxies whose `X-Forwarded-For` is believed, and with
//! `--proxy-protocol` whose connections start with a PROXY header;
//! `--drain-delay SECONDS` keeps serving that long after SIGTERM, with
//! `/readyz` answering 503, before accepting stops; `--tls-cert PATH
//! --tls-key PATH` serves HTTPS). Under systemd socket
//! activation (`LISTEN_FDS`) it serves the inherited socket.
//! `GET /` shows every feature with a sentence on each; `/metrics` and
//! `/readyz` are the server's. The `/admin` user and password are made at
//! start-up, printed, and shown on the index.

mod app;
#[path = "../support/mod.rs"]
mod support;

use lath::layers::{trusted_proxy_ranges, Router};
use lath::{App, AppExt, Server};

fn main() {
    let port = support::port(8080);
    let debug = std::env::args().any(|a| a == "--debug");
    // Behind trusted proxies, the client is the address they report.
    let proxies = support::trusted_proxies().unwrap_or_default();
    let admin = app::Admin::random();
    println!(
        "/admin/dashboard: user {} password {} (HTTP Basic)",
        admin.user, admin.password
    );
    let app = app::app_with(debug, &admin, None).wrap(trusted_proxy_ranges(proxies));
    if std::env::args().any(|a| a == "--quiet") {
        support::run_with(port, |server| with_server_routes(server, app));
    } else {
        let app = app.wrap(app::logger);
        support::run_with(port, |server| with_server_routes(server, app));
    }
}

/// `/metrics` (Prometheus) and `/readyz` (503 while draining) from the
/// server, in front of the demo's routes.
fn with_server_routes(server: &Server, app: impl App) -> impl App {
    Router::new()
        .get("/metrics", server.metrics())
        .get("/readyz", server.shutdown_handle().ready())
        .fallback(app)
        .build()
        .expect("valid routes")
}

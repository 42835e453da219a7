//! The demo server.
//!
//! `cargo run --release --example demo` (port 8080, or `PORT`, or `--port N`;
//! `--workers N` or `LATH_WORKERS` threads, one per core by default;
//! `--runtime NAME` among those the build enables;
//! `--debug` shows panic and 5xx messages; `--quiet` turns the request log
//! off, as the load benchmark does; `--allow CIDR` and `--deny CIDR`,
//! repeatable, filter peers at accept; `--trusted-proxy CIDR`, repeatable,
//! names the proxies whose `X-Forwarded-For` is believed, and with
//! `--proxy-protocol` whose connections start with a PROXY header).
//! `GET /` lists the routes.

mod app;
#[path = "../support/mod.rs"]
mod support;

use lath::layers::trusted_proxy_ranges;
use lath::AppExt;

fn main() {
    let port = support::port(8080);
    let debug = std::env::args().any(|a| a == "--debug");
    // Behind trusted proxies, the client is the address they report.
    let proxies = support::trusted_proxies().unwrap_or_default();
    let app = app::app(debug).wrap(trusted_proxy_ranges(proxies));
    if std::env::args().any(|a| a == "--quiet") {
        support::run(port, app);
    } else {
        support::run(port, app.wrap(app::logger));
    }
}

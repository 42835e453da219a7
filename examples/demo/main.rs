//! The demo server.
//!
//! `cargo run --release --example demo` (port 8080, or `PORT`, or `--port N`;
//! `--workers N` or `LATH_WORKERS` threads, one per core by default;
//! `--runtime NAME` among those the build enables;
//! `--debug` shows panic and 5xx messages; `--quiet` turns the request log
//! off, as the load benchmark does; `--allow CIDR` and `--deny CIDR`,
//! repeatable, filter peers at accept). `GET /` lists the routes.

mod app;
#[path = "../support/mod.rs"]
mod support;

use lath::AppExt;

fn main() {
    let port = support::port(8080);
    let debug = std::env::args().any(|a| a == "--debug");
    if std::env::args().any(|a| a == "--quiet") {
        support::run(port, app::app(debug));
    } else {
        support::run(port, app::app(debug).wrap(app::logger));
    }
}

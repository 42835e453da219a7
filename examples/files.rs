//! A static file server: `DIR` at `/`, with index files, precompressed
//! siblings (`x.js.br`, `x.js.zst`, `x.js.gz`), conditional and range
//! requests, compression, and CORS for one origin when asked.
//!
//! `cargo run --release --example files -- --root DIR --port N [--cors-origin ORIGIN]`
//!
//! `--quiet` leaves out the access log (for load tests).

#[path = "support/mod.rs"]
mod support;

use lath::layers::{compress, cors, logger, serve_dir};
use lath::{App, AppExt};

fn main() {
    let root = support::flag("--root").unwrap_or_else(|| ".".to_owned());
    if !std::path::Path::new(&root).is_dir() {
        eprintln!("--root {root}: not a directory");
        std::process::exit(2);
    }
    let files = serve_dir(&root).precompressed(true).wrap(compress());
    match support::flag("--cors-origin") {
        Some(origin) => {
            let policy = cors().allow_origins([origin]).build().unwrap_or_else(|e| {
                eprintln!("--cors-origin: {e}");
                std::process::exit(2)
            });
            launch(files.wrap(policy));
        }
        None => launch(files),
    }
}

/// Serves `app` on the port asked for, with an access log on stdout
/// unless `--quiet`.
fn launch(app: impl App) {
    let port = support::port(8080);
    match std::env::args().any(|a| a == "--quiet") {
        true => support::run(port, app),
        false => support::run(port, logger(app).to(std::io::stdout())),
    }
}

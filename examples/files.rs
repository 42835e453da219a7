//! A static file server: `DIR` at `/`, with index files, precompressed
//! siblings (`x.js.br`, `x.js.zst`, `x.js.gz`), conditional and range
//! requests, compression, and CORS for one origin when asked.
//!
//! `cargo run --release --example files -- --root DIR --port N [--cors-origin ORIGIN]`
//!
//! `--cache SECONDS` keeps small files in memory that long (nginx's
//! `open_file_cache`); `--quiet` leaves out the access log (for load
//! tests).

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
    let mut files = serve_dir(&root).precompressed(true);
    if let Some(seconds) = support::flag("--cache").and_then(|s| s.parse().ok()) {
        files = files.cache(std::time::Duration::from_secs(seconds));
    }
    let files = files.wrap(compress());
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

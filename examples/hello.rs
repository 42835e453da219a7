//! The smallest app: reads the whole request body and answers
//! `Hello, World!` to any method and path.
//!
//! `cargo run --release --example hello -- --port 3000`

#[path = "support/mod.rs"]
mod support;

use lath::{Request, Respond};

async fn hello(mut req: Request, respond: Respond) {
    let _ = req.bytes().await;
    respond.send("Hello, World!");
}

fn main() {
    support::run(support::port(8080), hello);
}

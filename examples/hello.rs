//! The smallest app: reads the whole request body and answers
//! `Hello, World!` to any method and path.
//!
//! `cargo run --release --example hello -- --port 3000`
//!
//! `--behind-proxy` believes the `X-Forwarded-For` of a proxy on
//! 127.0.0.1; `--rate-limit` adds `rate_limit` too, with a limit no
//! client reaches: what the layer costs, for `benches/edge.sh`.
//! `--metrics` turns the server's counting on (`Server::metrics`), its
//! cost for the same script.

#[path = "support/mod.rs"]
mod support;

use lath::{Request, Respond};

async fn hello(mut req: Request, respond: Respond) {
    let _ = req.bytes().await;
    respond.send("Hello, World!");
}

fn main() {
    use lath::layers::{rate_limit, trusted_proxies, Rate};
    use lath::AppExt;
    let port = support::port(8080);
    let flag = |name: &str| std::env::args().any(|a| a == name);
    let proxy = || trusted_proxies(["127.0.0.1".parse().expect("an address")]);
    if flag("--rate-limit") {
        let limited = hello.wrap(rate_limit(Rate::per_second(1_000_000), 1_000_000));
        support::run(port, limited.wrap(proxy()));
    } else if flag("--behind-proxy") {
        support::run(port, hello.wrap(proxy()));
    } else if flag("--metrics") {
        support::run_with(port, |server| {
            let _counting = server.metrics();
            hello
        });
    } else {
        support::run(port, hello);
    }
}

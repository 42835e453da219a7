//! wsgiLite: nested sub-routes, a per-route timeout, caught exceptions.
//!
//! `cargo run --example wsgilite -- --port 3000`, then try
//! `/test/change/for/it`, `/slow` and `/crash`.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use lath::layers::{errors, recover, timeout, Router};
use lath::{handler, AppExt, Request, Respond, Status};

async fn slow(_req: Request, respond: Respond) {
    async_std::task::sleep(Duration::from_secs(5)).await;
    respond.send("done");
}

async fn crash(_req: Request, _respond: Respond) {
    panic!("caught by recover");
}

fn main() {
    // defSubRoute: each level adds a prefix.
    let for_ = Router::new().get("/it", handler(|_req: Request| async { "Here we go\n" }));
    let change = Router::new().branch("/for", for_);
    let routes = Router::new()
        .branch("/test", Router::new().branch("/change", change))
        // A timeout on this route only, answering 504 as wsgiLite does.
        .get(
            "/slow",
            slow.wrap(timeout(Duration::from_secs(1)).status(Status::GATEWAY_TIMEOUT)),
        )
        .get("/crash", crash)
        .build()
        .expect("valid routes");
    support::run(support::port(3000), routes.wrap(recover).wrap(errors));
}

//! wsgiLite: nested sub-routes, a per-route timeout, caught exceptions,
//! WebSocket routes.
//!
//! `cargo run --example wsgilite -- --port 3000`, then try
//! `/test/change/for/it`, `/slow` and `/crash`, and
//! `wscat -c ws://localhost:3000/wss1` (echoes) or `/wss2` (answers in
//! capitals).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use futures::StreamExt;
use lath::layers::{errors, recover, timeout, websocket, Message, Router, WebSocket};
use lath::{handler, AppExt, Request, Respond, Status};

async fn slow(_req: Request, respond: Respond) {
    async_std::task::sleep(Duration::from_secs(5)).await;
    respond.send("done");
}

async fn crash(_req: Request, _respond: Respond) {
    panic!("caught by recover");
}

/// `/wss1`: each message comes back as it was.
async fn wss1(mut ws: WebSocket) {
    while let Some(message) = ws.next().await {
        if ws.send(message).await.is_err() {
            break;
        }
    }
}

/// `/wss2`: each text message comes back in capitals.
async fn wss2(mut ws: WebSocket) {
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message {
            if ws.send(Message::text(text.to_uppercase())).await.is_err() {
                break;
            }
        }
    }
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
        .get("/wss1", websocket(wss1))
        .get("/wss2", websocket(wss2))
        .build()
        .expect("valid routes");
    support::run(support::port(3000), routes.wrap(recover).wrap(errors));
}

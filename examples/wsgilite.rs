//! wsgiLite: nested sub-routes, a per-route timeout, caught exceptions,
//! templates, static files and WebSocket routes.
//!
//! `cargo run --example wsgilite -- --port 3000`, then try
//! `/test/change/for/it`, `/slow`, `/crash`, `/hello/ann` (a template),
//! `/assets/hello.txt`, and `wscat -c ws://localhost:3000/wss1` (echoes)
//! or `/wss2` (answers in capitals).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use futures::StreamExt;
use lath::layers::{
    errors, recover, serve_dir, timeout, websocket, Message, Router, Templates, WebSocket,
};
use lath::{handler, App, AppExt, Request, Respond, Status};

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

/// The example's app, for `main` and the tests.
pub fn app() -> impl App {
    let templates = Templates::from_dir(support::folder("templates"));
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
        .get(
            "/hello/:name",
            handler(move |req: Request| {
                let templates = templates.clone();
                async move {
                    templates.render("hello.html", serde_json::json!({"name": req.param("name")}))
                }
            }),
        )
        .get("/assets/*path", serve_dir(support::folder("assets")))
        .get("/wss1", websocket(wss1))
        .get("/wss2", websocket(wss2))
        .build()
        .expect("valid routes");
    routes.wrap(recover).wrap(errors)
}

#[allow(dead_code)]
fn main() {
    support::run(support::port(3000), app());
}

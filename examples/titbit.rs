//! titbit: route groups with group-scoped middleware, body parsing and a
//! body limit per group, shared services, a rate limit and an IP list.
//!
//! `cargo run --example titbit -- --port 3000`, then
//! `curl -X POST --data 'hello' -H 'X-Key: secret' localhost:3000/api/notes`
//! (10 a second per client, bursts of 20, then 429) and
//! `curl localhost:3000/internal/stats` (loopback clients only).

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use lath::app::IpFilter;
use lath::layers::{ip_filter, limit_body, rate_limit, state, state_of, Rate, Router};
use lath::{from_fn, handler, App, AppExt, HttpError, Next, Request, Respond};

struct Notes(AtomicUsize);

/// The `/api` group's middleware: a key, checked for this group only.
fn api_key<A: App>(app: A) -> impl App {
    app.wrap(from_fn(
        |req: Request, respond: Respond, next: Next<A>| async move {
            if req.header("x-key") == Some("secret") {
                next.call(req, respond).await
            } else {
                respond.send(HttpError::forbidden().with_message("missing X-Key"))
            }
        },
    ))
}

/// The example's app, for `main` and the tests.
pub fn app() -> impl App {
    let api = Router::new()
        .post(
            "/notes",
            handler(|mut req: Request| async move {
                let text = req.text().await?;
                let notes = state_of::<Notes>(&req).expect("notes service");
                let n = notes.0.fetch_add(1, Ordering::SeqCst) + 1;
                Ok::<_, HttpError>(format!("note {n}: {text}\n"))
            }),
        )
        // Group-scoped: a body limit and the key check run only under /api.
        .layer(limit_body(1024))
        .layer(api_key)
        .layer(rate_limit(Rate::per_second(10), 20));
    // titbit's allow list, for one group.
    let loopback = IpFilter::new()
        .allow("127.0.0.0/8")
        .and_then(|f| f.allow("::1"))
        .expect("valid ranges");
    let internal = Router::new()
        .get(
            "/stats",
            handler(|req: Request| async move {
                let notes = state_of::<Notes>(&req).expect("notes service");
                format!("notes: {}\n", notes.0.load(Ordering::SeqCst))
            }),
        )
        .layer(ip_filter(loopback));
    let routes = Router::new()
        .get("/", handler(|_req: Request| async { "public\n" }))
        .branch("/api", api)
        .branch("/internal", internal)
        .build()
        .expect("valid routes");
    routes.wrap(state(Notes(AtomicUsize::new(0))))
}

#[allow(dead_code)]
fn main() {
    support::run(support::port(3000), app());
}

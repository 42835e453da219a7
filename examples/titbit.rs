//! titbit: route groups with group-scoped middleware, body parsing and a
//! body limit per group, shared services.
//!
//! `cargo run --example titbit -- --port 3000`, then
//! `curl -X POST --data 'hello' -H 'X-Key: secret' localhost:3000/api/notes`.

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use lath::layers::{limit_body, state, state_of, Router};
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

fn main() {
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
        .layer(api_key);
    let routes = Router::new()
        .get("/", handler(|_req: Request| async { "public\n" }))
        .branch("/api", api)
        .build()
        .expect("valid routes");
    support::run(
        support::port(3000),
        routes.wrap(state(Notes(AtomicUsize::new(0)))),
    );
}

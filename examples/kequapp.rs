//! kequapp: branches and routes, errors as values, and an error handler
//! that renders them by `Accept`.
//!
//! `cargo run --example kequapp -- --port 3000`, then
//! `curl -H 'Authorization: mike' localhost:3000/admin/dashboard` or
//! `curl -H 'Accept: application/json' localhost:3000/users/7`.

#[path = "support/mod.rs"]
mod support;

use lath::layers::{errors, Json, Router};
use lath::{from_fn, handler, App, AppExt, HttpError, Next, Request, Respond};

/// kequapp's per-branch action: only `Authorization: mike` gets in.
fn logged_in<A: App>(app: A) -> impl App {
    app.wrap(from_fn(
        |req: Request, respond: Respond, next: Next<A>| async move {
            match req.header("authorization") {
                Some("mike") => next.call(req, respond).await,
                _ => respond.send(HttpError::unauthorized()),
            }
        },
    ))
}

fn main() {
    let admin = Router::new()
        .get(
            "/dashboard",
            handler(|req: Request| async move {
                format!("Hello admin {}!", req.header("authorization").unwrap_or(""))
            }),
        )
        .layer(logged_in);
    let routes = Router::new()
        .get("/", handler(|_req: Request| async { "Hello world!" }))
        .get(
            "/users/:id",
            handler(|req: Request| async move {
                match req.param("id").and_then(|id| id.parse::<u32>().ok()) {
                    Some(id) if id < 100 => {
                        Ok(Json(serde_json::json!({"id": id, "name": "someone"})))
                    }
                    Some(_) => Err(HttpError::not_found().with_message("no such user")),
                    None => Err(HttpError::bad_request("user ids are numbers")),
                }
            }),
        )
        .branch("/admin", admin)
        .build()
        .expect("valid routes");
    support::run(support::port(3000), errors(routes));
}

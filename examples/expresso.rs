//! expresso: the express-style response helpers — status, headers,
//! cookies, content types, redirects, `Vary`, status bodies.
//!
//! `cargo run --example expresso -- --port 3000`

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use lath::layers::{back, json, Cookie, RequestExt, ResponseExt, Router, SameSite};
use lath::{handler, Request, Response, Status};

fn main() {
    let routes = Router::new()
        .get(
            "/",
            handler(|req: Request| async move {
                match req.accepts(&["html", "json"]) {
                    Some("json") => json(&serde_json::json!({"hello": "world"})),
                    _ => Response::html("<h1>hello world</h1>"),
                }
                .vary("Accept")
            }),
        )
        .get(
            "/login",
            handler(|_req: Request| async {
                Response::redirect("/")
                    .cookie(
                        Cookie::new("session", "abc123")
                            .path("/")
                            .max_age(Duration::from_secs(3600))
                            .http_only(true)
                            .same_site(SameSite::Lax),
                    )
                    .set("X-Login", "ok")
            }),
        )
        .get(
            "/logout",
            handler(|_req: Request| async { Response::redirect("/").clear_cookie("session", "/") }),
        )
        .get(
            "/created",
            handler(|_req: Request| async { Response::text("made").with_status(Status::CREATED) }),
        )
        .get(
            "/teapot",
            handler(|_req: Request| async { Response::send_status(418) }),
        )
        .get(
            "/data.csv",
            handler(|_req: Request| async { Response::raw("a,b\n1,2\n").type_("csv") }),
        )
        .get("/back", handler(|req: Request| async move { back(&req) }))
        .build()
        .expect("valid routes");
    support::run(support::port(3000), routes);
}

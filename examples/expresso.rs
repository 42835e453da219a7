//! expresso: the express-style response helpers — status, headers,
//! cookies, content types, redirects, `Vary`, status bodies — and static
//! files with range requests.
//!
//! `cargo run --example expresso -- --port 3000`, then
//! `curl -r 0-4 localhost:3000/static/hello.txt` (a `206`).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use lath::layers::{back, json, serve_dir, Cookie, RequestExt, ResponseExt, Router, SameSite};
use lath::{handler, App, Request, Response, Status};

/// The example's app, for `main` and the tests.
pub fn app() -> impl App {
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
            handler(|req: Request| async move {
                let host = req.host().unwrap_or("localhost").to_owned();
                Response::text("made")
                    .with_status(Status::CREATED)
                    .set("Location", format!("http://{host}/created/1"))
            }),
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
        // express.static, with validators and range requests.
        .get("/static/*path", serve_dir(support::folder("assets")))
        .build()
        .expect("valid routes");
    routes
}

#[allow(dead_code)]
fn main() {
    support::run(support::port(3000), app());
}

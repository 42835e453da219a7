//! kequapp: branches and routes, errors as values, renderers by content
//! type, an error handler that renders errors by `Accept` (an HTML page
//! for browsers), and static files.
//!
//! `cargo run --example kequapp -- --port 3000`, then
//! `curl -H 'Authorization: mike' localhost:3000/admin/dashboard`,
//! `curl -H 'Accept: application/json' localhost:3000/users/7` (or open
//! `/users/7` in a browser: the same data as a page) and
//! `curl localhost:3000/assets/hello.txt`.

#[path = "support/mod.rs"]
mod support;

use lath::layers::{errors, renderers, serve_dir, Router, Templates, View};
use lath::{from_fn, handler, App, AppExt, HttpError, Next, Request, Respond};

/// kequapp's per-branch action: only `Authorization: mike` gets in.
fn logged_in<A: App>(app: A) -> impl App {
    app.wrap(from_fn(
        |req: Request, respond: Respond, next: Next<A>| async move {
            match req.header("authorization") {
                Some("mike") => next.call(req, respond).await,
                _ => respond.send(
                    lath::Response::from(HttpError::unauthorized())
                        .with_header("WWW-Authenticate", "Mike realm=\"admin\""),
                ),
            }
        },
    ))
}

/// `/users/:id`: one value, a page for browsers (the `text/html`
/// renderer) and JSON for the rest.
async fn user(req: Request) -> Result<View, HttpError> {
    match req.param("id").and_then(|id| id.parse::<u32>().ok()) {
        Some(id) if id < 100 => Ok(View::new(
            "user.html",
            serde_json::json!({"id": id, "name": "someone"}),
        )),
        Some(_) => Err(HttpError::not_found().with_message("no such user")),
        None => Err(HttpError::bad_request("user ids are numbers")),
    }
}

/// The example's app, for `main` and the tests.
pub fn app() -> impl App {
    let templates = Templates::from_dir(support::folder("templates"));
    let pages = templates.clone();
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
        .get("/users/:id", handler(user))
        .branch("/admin", admin)
        .get("/assets/*path", serve_dir(support::folder("assets")))
        .layer(renderers(templates))
        .build()
        .expect("valid routes");
    errors(routes).render(move |error, format| pages.render_error(error, format))
}

#[allow(dead_code)]
fn main() {
    support::run(support::port(3000), app());
}

//! Errors rendered by Accept, with recover and the router.

use lath_app::{handler, AppExt, HttpError, Request, Respond, Response, Status};
use lath_layers::{errors, recover, ErrorFormat, Json, Router};
use lath_net::Client;

fn failing() -> impl lath_app::App {
    handler(|req: Request| async move {
        match req.path() {
            "/missing" => Err(HttpError::not_found()),
            "/db" => Err(HttpError::internal()
                .with_message("connection to db-7 refused")
                .with_detail("pool exhausted after 30 s")),
            "/teapot" => Err(HttpError::code(418, "I'm a teapot")),
            "/invalid" => Err(HttpError::unprocessable_content()
                .with_message("invalid user")
                .with_json(serde_json::json!({"errors": [{"field": "age"}]}))),
            "/secret-json" => {
                Err(HttpError::internal()
                    .with_json(serde_json::json!({"errors": ["db-7 password"]})))
            }
            _ => Ok("fine"),
        }
    })
}

#[test]
fn json_when_the_client_prefers_it_text_otherwise() {
    let client = Client::new(errors(failing()));
    let json = client
        .get("/missing")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(json.status, Status::NOT_FOUND);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(
        json.text(),
        r#"{"error":{"message":"Not Found","status":404}}"#
    );
    // A browser gets a small page, the message escaped.
    let page = client
        .get("/missing")
        .header("Accept", "text/html,*/*;q=0.8")
        .send_blocking()
        .unwrap();
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("<h1>404 Not Found</h1>"));
    // RFC 9110 §12.5.5: the format followed Accept.
    assert_eq!(page.header("vary"), Some("Accept"));
    let text = client
        .get("/missing")
        .header("Accept", "text/plain, */*;q=0.8")
        .send_blocking()
        .unwrap();
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text.text(), "Not Found");
    assert_eq!(
        client.get("/missing").send_blocking().unwrap().text(),
        "Not Found"
    );
    assert_eq!(
        client.get("/teapot").send_blocking().unwrap().text(),
        "I'm a teapot"
    );
    assert_eq!(
        client.get("/").send_blocking().unwrap().text(),
        "fine",
        "successes pass untouched"
    );
}

#[test]
fn server_errors_are_generic_unless_debug_and_details_never_leave() {
    let client = Client::new(errors(failing()));
    let res = client.get("/db").send_blocking().unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "Internal Server Error");
    let debug = Client::new(errors(failing()).debug(true));
    let res = debug.get("/db").send_blocking().unwrap();
    assert_eq!(res.text(), "connection to db-7 refused");
    assert!(!res.text().contains("pool exhausted"));
}

#[test]
fn the_renderer_can_be_replaced() {
    let app = errors(failing()).render(|error, format| {
        let kind = if format == ErrorFormat::Json {
            "json"
        } else {
            "text"
        };
        Response::text(format!("{kind}:{}", error.status().code())).with_status(error.status())
    });
    let client = Client::new(app);
    assert_eq!(
        client.get("/missing").send_blocking().unwrap().text(),
        "text:404"
    );
    let res = client
        .get("/missing")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(res.text(), "json:404");
}

#[test]
fn a_structured_error_body_reaches_json_clients() {
    let client = Client::new(errors(failing()));
    let json = client
        .get("/invalid")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(json.status, Status::UNPROCESSABLE_CONTENT);
    assert_eq!(json.text(), r#"{"errors":[{"field":"age"}]}"#);
    let text = client.get("/invalid").send_blocking().unwrap();
    assert_eq!(text.text(), "invalid user");
    // A 5xx body is as private as its message, unless in debug mode.
    let secret = client
        .get("/secret-json")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert!(!secret.text().contains("db-7"), "{}", secret.text());
}

#[test]
fn a_renderer_cannot_turn_an_error_into_a_success() {
    // The renderer forgets the status: the error's own goes out.
    let app = errors(failing()).render(|error, _| Response::text(error.message().to_owned()));
    let res = Client::new(app).get("/missing").send_blocking().unwrap();
    assert_eq!(res.status, Status::NOT_FOUND);
    // A renderer may still choose another error status.
    let app = errors(failing()).render(|_, _| Response::text("gone").with_status(Status::GONE));
    let res = Client::new(app).get("/missing").send_blocking().unwrap();
    assert_eq!(res.status, Status::GONE);
}

#[test]
fn a_json_api_answers_json_errors_without_an_accept() {
    let client = Client::new(errors(failing()).always(ErrorFormat::Json));
    let res = client.get("/missing").send_blocking().unwrap();
    assert_eq!(res.header("content-type"), Some("application/json"));
    let text = client
        .get("/missing")
        .header("Accept", "text/plain")
        .send_blocking()
        .unwrap();
    assert!(text.text().starts_with('{'), "always JSON: {}", text.text());
}

#[test]
fn router_errors_keep_their_headers() {
    let routes = Router::new()
        .get("/heartbeat", handler(|_req: Request| async { "ok" }))
        .build()
        .unwrap();
    let client = Client::new(errors(routes));
    let res = client
        .delete("/heartbeat")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        res.text(),
        r#"{"error":{"message":"Method Not Allowed","status":405}}"#
    );
}

#[test]
fn panics_render_like_any_error() {
    // An async fn moves every argument into its future, so the `Respond`
    // is dropped while unwinding, which is what recover looks for.
    async fn buggy(_req: Request, _respond: Respond) {
        panic!("secret internals");
    }
    let client = Client::new(buggy.wrap(recover).wrap(errors));
    let res = client
        .get("/")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
    assert_eq!(
        res.text(),
        r#"{"error":{"message":"Internal Server Error","status":500}}"#
    );
    assert_eq!(res.header("connection"), Some("close"));
}

#[test]
fn handlers_return_serde_values_as_json() {
    let app = handler(|req: Request| async move {
        Json(serde_json::json!({"id": req.path().trim_start_matches('/'), "ok": true}))
    });
    let res = Client::new(app).get("/7").send_blocking().unwrap();
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"id":"7","ok":true}"#);
}

//! CSRF through the in-memory client (which keeps no cookies: the tests
//! carry them by hand).

use lath_app::{handler, Method, Request, Status};
use lath_layers::{csrf, csrf_input, csrf_token, BodyExt, Router};
use lath_net::Client;

const SECRET: &[u8] = b"a server secret of at least 32 bytes!";

fn client() -> Client {
    let routes = Router::new()
        .get(
            "/token",
            handler(|req: Request| async move { csrf_token(&req).unwrap_or("").to_owned() }),
        )
        .get(
            "/form",
            handler(|req: Request| async move { csrf_input(&req) }),
        )
        .post(
            "/upload",
            handler(|mut req: Request| async move {
                // The form is still whole after the check read it.
                req.form_pairs()
                    .await
                    .map(|p| format!("CSRF_token ok ({} fields)", p.len()))
            }),
        )
        .post(
            "/upload2",
            handler(|_req: Request| async { "x-csrf-token ok" }),
        )
        .post("/hooks/github", handler(|_req: Request| async { "hook" }))
        .build()
        .unwrap();
    Client::new(csrf(SECRET, routes).unwrap().skip(["/hooks"]))
}

/// A client's cookie pair and a token for it.
fn session(client: &Client) -> (String, String) {
    let res = client.get("/token").send_blocking().unwrap();
    let cookie = res
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(res
        .header("set-cookie")
        .unwrap()
        .contains("HttpOnly; SameSite=Lax"));
    let token = client
        .get("/token")
        .header("Cookie", &cookie)
        .send_blocking()
        .unwrap()
        .text();
    (cookie, token)
}

#[test]
fn safe_methods_pass_and_get_a_secret_cookie() {
    let c = client();
    let res = c.get("/form").send_blocking().unwrap();
    assert_eq!(res.status, Status::OK);
    assert!(res
        .text()
        .starts_with("<input type=\"hidden\" name=\"_csrf\" value=\""));
    assert!(res.header("set-cookie").unwrap().starts_with("_csrf="));
    let (cookie, _) = session(&c);
    let again = c
        .get("/form")
        .header("Cookie", &cookie)
        .send_blocking()
        .unwrap();
    assert_eq!(
        again.header("set-cookie"),
        None,
        "a client keeps its secret"
    );
}

#[test]
fn a_valid_token_in_the_form_or_the_header_passes() {
    let c = client();
    let (cookie, token) = session(&c);
    let form = c
        .post("/upload")
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("name=ann&_csrf={token}"))
        .send_blocking()
        .unwrap();
    assert_eq!(form.text(), "CSRF_token ok (2 fields)");
    let header = c
        .post("/upload2")
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &token)
        .send_blocking()
        .unwrap();
    assert_eq!(header.text(), "x-csrf-token ok");
    let put = c
        .request(Method::PUT, "/upload2")
        .header("Cookie", &cookie)
        .send_blocking()
        .unwrap();
    assert_eq!(put.status, Status::FORBIDDEN);
}

#[test]
fn missing_or_wrong_tokens_are_403() {
    let c = client();
    let (cookie, token) = session(&c);
    let no_cookie = c
        .post("/upload2")
        .header("X-CSRF-Token", &token)
        .send_blocking()
        .unwrap();
    assert_eq!(
        (no_cookie.status, no_cookie.text().as_str()),
        (Status::FORBIDDEN, "missing csrf cookie")
    );
    let no_token = c
        .post("/upload2")
        .header("Cookie", &cookie)
        .send_blocking()
        .unwrap();
    assert_eq!(
        (no_token.status, no_token.text().as_str()),
        (Status::FORBIDDEN, "missing csrf token")
    );
    let wrong = c
        .post("/upload2")
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", "abc.def")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (wrong.status, wrong.text().as_str()),
        (Status::FORBIDDEN, "invalid csrf token")
    );
    let mut altered = token.clone();
    altered.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    let altered = c
        .post("/upload2")
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &altered)
        .send_blocking()
        .unwrap();
    assert_eq!(altered.status, Status::FORBIDDEN);
}

#[test]
fn a_token_does_not_work_for_another_client() {
    let c = client();
    let (_, ann_token) = session(&c);
    let (bob_cookie, _) = session(&c);
    let res = c
        .post("/upload2")
        .header("Cookie", &bob_cookie)
        .header("X-CSRF-Token", &ann_token)
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::FORBIDDEN);
}

#[test]
fn skipped_paths_and_short_secrets() {
    assert_eq!(
        client()
            .post("/hooks/github")
            .send_blocking()
            .unwrap()
            .text(),
        "hook"
    );
    assert!(csrf(b"short", handler(|_req: Request| async { "" })).is_err());
}

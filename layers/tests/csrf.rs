//! CSRF through the in-memory client, its cookie jar off: the tests carry
//! cookies by hand.

use lath_app::{handler, AppExt, Method, Request, Status};
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
        .post("/hooks-admin", handler(|_req: Request| async { "admin" }))
        .post("/hooksy/x", handler(|_req: Request| async { "x" }))
        .post("/multipart", handler(multipart_fields))
        .build()
        .unwrap();
    Client::new(routes.wrap(csrf(SECRET).unwrap().skip(["/hooks"]))).cookies(false)
}

/// The multipart form's fields, read after the check: `name=text` for
/// short ones, the name alone for the token.
#[cfg(feature = "multipart")]
async fn multipart_fields(mut req: Request) -> Result<String, lath_app::HttpError> {
    let mut parts = lath_layers::parts(&mut req, lath_layers::MultipartLimits::default())?;
    let mut seen = Vec::new();
    while let Some(mut part) = parts.next_part().await? {
        let name = part.name().to_owned();
        let mut value = Vec::new();
        while let Some(chunk) = part.chunk(&mut parts).await? {
            value.extend_from_slice(&chunk);
        }
        seen.push(match name.as_str() {
            "_csrf" => name,
            _ => format!("{name}={}", String::from_utf8_lossy(&value)),
        });
    }
    Ok(seen.join(", "))
}

#[cfg(not(feature = "multipart"))]
async fn multipart_fields(_req: Request) -> &'static str {
    "multipart is off"
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

#[cfg(feature = "multipart")]
#[test]
fn a_token_in_a_multipart_form_passes_and_the_form_stays_whole() {
    let c = client();
    let (cookie, token) = session(&c);
    let upload = |token: &str| {
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--XyZ--\r\n"
        );
        c.post("/multipart")
            .header("Cookie", &cookie)
            .header("Content-Type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send_blocking()
            .unwrap()
    };
    let ok = upload(&token);
    assert_eq!(ok.status, Status::OK, "{}", ok.text());
    assert_eq!(ok.text(), "note=hi, _csrf");
    assert_eq!(upload("forged").status, Status::FORBIDDEN);
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
    // A skipped prefix covers its own path segments only.
    for path in ["/hooks-admin", "/hooksy/x"] {
        let res = client().post(path).send_blocking().unwrap();
        assert_eq!(res.status, Status::FORBIDDEN, "{path}");
    }
    assert!(csrf(b"short").is_err());
}

//! Every route of the demo, through the in-memory client.

#[allow(dead_code)]
#[path = "../examples/demo/app.rs"]
mod demo;

use lath::{Client, Status};

fn client() -> Client {
    Client::new(demo::app(false))
}

#[test]
fn hello_json_and_the_index() {
    let c = client();
    assert_eq!(
        c.get("/hello").send_blocking().unwrap().text(),
        "Hello, World!"
    );
    let json = c.get("/json").send_blocking().unwrap();
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.text(), r#"{"message":"Hello, World!"}"#);
    assert!(c
        .get("/")
        .send_blocking()
        .unwrap()
        .text()
        .contains("/admin/dashboard"));
}

#[test]
fn echo_streams_back_with_the_content_type() {
    let res = client()
        .post("/echo")
        .header("Content-Type", "text/x-demo")
        .body("ping")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (res.text().as_str(), res.header("content-type")),
        ("ping", Some("text/x-demo"))
    );
}

#[test]
fn params_and_nested_branches() {
    let c = client();
    assert_eq!(
        c.get("/user/42").send_blocking().unwrap().text(),
        r#"{"id":"42"}"#
    );
    assert_eq!(
        c.get("/test/change/for/it").send_blocking().unwrap().text(),
        "Here we go"
    );
}

#[test]
fn heartbeats_and_redirects() {
    let c = client();
    assert_eq!(c.get("/heartbeat").send_blocking().unwrap().text(), "ok");
    let two = c.get("/heartbeat2").send_blocking().unwrap();
    assert_eq!(
        (two.status, two.header("location")),
        (Status::FOUND, Some("/heartbeat"))
    );
    let three = c.get("/heartbeat3").send_blocking().unwrap();
    assert_eq!(three.header("location"), Some("/heartbeat999"));
    assert_eq!(
        c.get("/heartbeat999").send_blocking().unwrap().status,
        Status::NOT_FOUND
    );
}

#[test]
fn a_panic_is_500_and_its_message_shows_only_in_debug() {
    let res = client().get("/exception").send_blocking().unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "Internal Server Error");
    let debug = Client::new(demo::app(true))
        .get("/exception")
        .send_blocking()
        .unwrap();
    assert_eq!(debug.text(), "this handler always fails");
}

#[test]
fn the_slow_handler_times_out_with_503() {
    let started = std::time::Instant::now();
    let res = client().get("/timeout").send_blocking().unwrap();
    assert_eq!(res.status, Status::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn the_admin_branch_is_guarded() {
    let c = client();
    let denied = c.get("/admin/dashboard").send_blocking().unwrap();
    assert_eq!(denied.status, Status::UNAUTHORIZED);
    assert_eq!(
        denied.text(),
        r#"{"error":{"message":"Unauthorized","status":401}}"#
    );
    let allowed = c
        .get("/admin/dashboard")
        .header("Authorization", "mike")
        .send_blocking()
        .unwrap();
    assert_eq!(allowed.text(), "Hello admin mike!");
    // The guard stays in its branch.
    assert_eq!(c.get("/hello").send_blocking().unwrap().status, Status::OK);
}

#[test]
fn the_query_as_json() {
    let res = client()
        .get("/query?a=1&a=2&b=x&c[]=y")
        .send_blocking()
        .unwrap();
    assert_eq!(res.text(), r#"{"a":["1","2"],"b":"x","c":["y"]}"#);
}

#[test]
fn visits_count_with_a_cookie() {
    let c = client();
    let first = c.get("/visits").send_blocking().unwrap();
    assert_eq!(first.text(), "visits: 1");
    assert_eq!(
        first.header("set-cookie"),
        Some("visits=1; Path=/; HttpOnly")
    );
    let third = c
        .get("/visits")
        .header("Cookie", "visits=2")
        .send_blocking()
        .unwrap();
    assert_eq!(third.text(), "visits: 3");
    let junk = c
        .get("/visits")
        .header("Cookie", "visits=lots; ;=")
        .send_blocking()
        .unwrap();
    assert_eq!(junk.text(), "visits: 1", "a malformed count starts over");
    let most = c
        .get("/visits")
        .header("Cookie", "visits=18446744073709551615")
        .send_blocking()
        .unwrap();
    assert_eq!(most.text(), "visits: 18446744073709551615", "no wrap to 0");
}

#[test]
fn back_redirects_to_the_referer() {
    let c = client();
    let res = c
        .get("/back")
        .header("Referer", "/hello")
        .send_blocking()
        .unwrap();
    assert_eq!(res.header("location"), Some("/hello"));
    assert_eq!(
        c.get("/back").send_blocking().unwrap().header("location"),
        Some("/")
    );
    let elsewhere = c
        .get("/back")
        .header("Referer", "//evil.example/")
        .send_blocking()
        .unwrap();
    assert_eq!(elsewhere.header("location"), Some("/"), "never off-site");
}

#[test]
fn not_found_and_method_not_allowed() {
    let c = client();
    assert_eq!(
        c.get("/nope").send_blocking().unwrap().status,
        Status::NOT_FOUND
    );
    let res = c.delete("/heartbeat").send_blocking().unwrap();
    assert_eq!(res.status, Status::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
}

/// A client session with the demo's CSRF cookie and a token.
fn csrf_session(c: &Client) -> (String, String) {
    let page = c.get("/csrf").send_blocking().unwrap();
    let cookie = page
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = c
        .get("/csrf")
        .header("Cookie", &cookie)
        .send_blocking()
        .unwrap()
        .text();
    let token = page
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    (cookie, token)
}

#[test]
fn csrf_protects_the_upload_forms() {
    let c = client();
    let (cookie, token) = csrf_session(&c);
    let form = c
        .post("/upload")
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("note=hi&_csrf={token}"))
        .send_blocking()
        .unwrap();
    assert_eq!(form.text(), "CSRF_token ok");
    let header = c
        .post("/upload2")
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &token)
        .send_blocking()
        .unwrap();
    assert_eq!(header.text(), "x-csrf-token ok");
    assert_eq!(
        c.post("/upload")
            .header("Cookie", &cookie)
            .send_blocking()
            .unwrap()
            .status,
        Status::FORBIDDEN
    );
    assert_eq!(
        c.post("/upload2").send_blocking().unwrap().status,
        Status::FORBIDDEN
    );
    // Other POST routes are not behind CSRF.
    assert_eq!(
        c.post("/echo").body("x").send_blocking().unwrap().text(),
        "x"
    );
}

#[test]
fn users_are_normalized_from_json_or_forms() {
    let c = client();
    let json = c
        .post("/users")
        .header("Content-Type", "application/json")
        .body(r#"{"name":"ann","age":"41","ownedPets":"cat"}"#)
        .send_blocking()
        .unwrap();
    assert_eq!(
        json.text(),
        r#"{"age":41,"name":"ann","ownedPets":["cat"]}"#
    );
    let form = c
        .post("/users")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=bo&ownedPets=a&ownedPets=b")
        .send_blocking()
        .unwrap();
    assert_eq!(form.text(), r#"{"name":"bo","ownedPets":["a","b"]}"#);
    let bad = c
        .post("/users")
        .header("Content-Type", "application/json")
        .body(r#"{"age":"x"}"#)
        .send_blocking()
        .unwrap();
    assert_eq!(
        (bad.status, bad.text().as_str()),
        (
            Status::UNPROCESSABLE_CONTENT,
            "missing required fields: name"
        )
    );
}

#[test]
fn files_list_the_uploads() {
    let body = "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--\r\n";
    let res = client()
        .post("/files")
        .header("Content-Type", "multipart/form-data; boundary=B")
        .body(body)
        .send_blocking()
        .unwrap();
    assert_eq!(
        res.text(),
        r#"[{"content_type":"text/plain","field":"doc","filename":"a.txt","size":5}]"#
    );
}

#[test]
fn static_files_a_large_download_and_ranges() {
    let c = client();
    let page = c.get("/").send_blocking().unwrap().text();
    for link in [
        "/static/style.css",
        "/download/large.bin",
        "id=\"range-button\"",
        "/static/range.js",
    ] {
        assert!(page.contains(link), "{link}");
    }
    let css = c
        .get("/static/style.css")
        .header("Accept-Encoding", "gzip")
        .send_blocking()
        .unwrap();
    assert_eq!(css.status.code(), 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let etag = css.header("etag").unwrap().to_owned();
    let again = c
        .get("/static/style.css")
        .header("Accept-Encoding", "gzip")
        .header("If-None-Match", &etag)
        .send_blocking()
        .unwrap();
    assert_eq!(again.status.code(), 304);
    assert_eq!(
        c.get("/static/robots.txt")
            .send_blocking()
            .unwrap()
            .status
            .code(),
        200
    );
    assert_eq!(
        c.get("/static/../app.rs")
            .send_blocking()
            .unwrap()
            .status
            .code(),
        404
    );
    let head = c.head("/download/large.bin").send_blocking().unwrap();
    assert_eq!(head.header("content-length"), Some("16777216"));
    let part = c
        .get("/download/large.bin")
        .header("Range", "bytes=1000000-1000099")
        .send_blocking()
        .unwrap();
    assert_eq!(part.status.code(), 206);
    assert_eq!(
        part.header("content-range"),
        Some("bytes 1000000-1000099/16777216")
    );
    assert_eq!(part.body.len(), 100);
}

#[test]
fn ip_shows_the_client_address_as_the_app_sees_it() {
    // In memory there is no peer address.
    assert_eq!(
        client().get("/ip").send_blocking().unwrap().text(),
        "unknown"
    );
}

#[test]
fn limited_allows_a_burst_of_five_then_429() {
    let c = client();
    for _ in 0..5 {
        assert_eq!(
            c.get("/limited").send_blocking().unwrap().status.code(),
            200
        );
    }
    let refused = c.get("/limited").send_blocking().unwrap();
    assert_eq!(refused.status.code(), 429);
    assert_eq!(refused.header("retry-after"), Some("1"));
}

#[test]
fn ws_echoes_and_the_chat_reaches_every_tab() {
    use lath::layers::Message;
    let client = client();
    let mut ws = client.websocket_blocking("/ws").unwrap();
    ws.send_blocking(Message::text("hi")).unwrap();
    assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("hi")));
    ws.send_blocking(Message::binary(vec![7, 8])).unwrap();
    assert_eq!(
        ws.recv_blocking().unwrap(),
        Some(Message::binary(vec![7, 8]))
    );

    let page = client.get("/chat").send_blocking().unwrap();
    assert!(page.text().contains("id=\"chat-log\""));
    let mut a = client.websocket_blocking("/chat/ws").unwrap();
    let mut b = client.websocket_blocking("/chat/ws").unwrap();
    // Reads until `text` comes: both have joined once each heard itself.
    let until = |ws: &mut lath::net::TestWebSocket, text: &str| loop {
        match ws.recv_blocking().unwrap() {
            Some(Message::Text(got)) if got.as_str() == text => break,
            Some(_) => {}
            None => panic!("closed before {text:?}"),
        }
    };
    a.send_blocking(Message::text("a here")).unwrap();
    until(&mut a, "a here");
    b.send_blocking(Message::text("b here")).unwrap();
    until(&mut b, "b here");
    until(&mut a, "b here");
    a.send_blocking(Message::text("hello, all")).unwrap();
    until(&mut b, "hello, all");
    until(&mut a, "hello, all");
}

//! Every route of the demo, through the in-memory client.

#[allow(dead_code)]
#[path = "../examples/demo/app.rs"]
mod demo;

use lath::layers::LintReport;
use lath::{Client, Status};

fn client() -> Client {
    Client::new(demo::app(false))
}

/// What a browser sends as `Accept` for a page.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn admin() -> demo::Admin {
    demo::Admin {
        user: "root".to_owned(),
        password: "pa:ss".to_owned(),
    }
}

/// The text of the element with `id` in `page` (tags stripped).
fn element(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let open = start + page[start..].find('>').unwrap() + 1;
    let tag = page[..start].rsplit('<').next().unwrap();
    let name = tag.split_whitespace().next().unwrap();
    let close = open + page[open..].find(&format!("</{name}>")).unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[open..close].chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
fn the_admin_branch_asks_for_basic_credentials() {
    let c = Client::new(demo::app_with(false, &admin(), None));
    let denied = c.get("/admin/dashboard").send_blocking().unwrap();
    assert_eq!(denied.status, Status::UNAUTHORIZED);
    // RFC 9110 §11.6.1: a 401 carries the challenge.
    assert_eq!(
        denied.header("www-authenticate"),
        Some(r#"Basic realm="lath demo""#)
    );
    let wrong = c
        .get("/admin/dashboard")
        .header("Authorization", "Basic cm9vdDpwYQ==") // root:pa
        .send_blocking()
        .unwrap();
    assert_eq!(wrong.status, Status::UNAUTHORIZED);
    let allowed = c
        .get("/admin/dashboard")
        .header("Authorization", "Basic cm9vdDpwYTpzcw==") // root:pa:ss
        .send_blocking()
        .unwrap();
    assert_eq!(allowed.status, Status::OK);
    assert_eq!(
        element(&allowed.text(), "admin-greeting"),
        "Hello admin root!"
    );
    // The index shows the credentials as a link a browser can follow.
    let index = c
        .get("/")
        .header("Host", "127.0.0.1:8080")
        .send_blocking()
        .unwrap()
        .text();
    assert!(index.contains(r#"<a href="http://root:pa:ss@127.0.0.1:8080/admin/dashboard">"#));
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
        .split(r#"name="_csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
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
    assert_eq!(form.text(), r#"{"message":"CSRF token ok","note":"hi"}"#);
    let page = c
        .post("/upload")
        .header("Cookie", &cookie)
        .header("Accept", BROWSER)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("note=%3Ci%3Ehi&_csrf={token}"))
        .send_blocking()
        .unwrap();
    assert_eq!(
        element(&page.text(), "csrf-result"),
        "CSRF token ok: your note &lt;i&gt;hi was accepted."
    );
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
    assert_eq!(bad.status, Status::UNPROCESSABLE_CONTENT);
    assert_eq!(
        bad.text(),
        r#"{"error":{"fields":{"age":"age is not a number","name":"missing required fields: name"},"message":"age is not a number; missing required fields: name","status":422},"values":{}}"#
    );
}

#[test]
fn a_browser_gets_the_users_form_back_with_each_error_by_its_field() {
    let c = client();
    let ok = c
        .post("/users")
        .header("Accept", BROWSER)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=%3Cb%3Eann&age=41&ownedPets=cat")
        .send_blocking()
        .unwrap();
    assert_eq!(ok.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(ok.header("vary"), Some("Accept"));
    let page = ok.text();
    // Auto-escaped: the name cannot inject markup.
    assert_eq!(element(&page, "users-result-name"), "&lt;b&gt;ann");
    assert_eq!(element(&page, "users-result-age"), "41");
    let bad = c
        .post("/users")
        .header("Accept", BROWSER)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=&age=old&ownedPets=cat")
        .send_blocking()
        .unwrap();
    assert_eq!(bad.status, Status::UNPROCESSABLE_CONTENT);
    let page = bad.text();
    assert_eq!(
        element(&page, "users-name-error"),
        "missing required fields: name"
    );
    assert_eq!(element(&page, "users-age-error"), "age is not a number");
    assert!(
        page.contains(r#"name="age" value="old""#),
        "kept to correct"
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

#[test]
fn a_browser_sees_uploads_echoes_cookies_and_error_pages_as_html() {
    let c = client();
    let none = "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--B--\r\n";
    let empty = c
        .post("/files")
        .header("Accept", BROWSER)
        .header("Content-Type", "multipart/form-data; boundary=B")
        .body(none)
        .send_blocking()
        .unwrap();
    assert_eq!(
        element(&empty.text(), "files-result"),
        "No file was chosen."
    );
    let api = c
        .post("/files")
        .header("Content-Type", "multipart/form-data; boundary=B")
        .body(none)
        .send_blocking()
        .unwrap();
    assert_eq!(api.text(), "[]", "no phantom file");

    let echoed = c
        .post("/echo")
        .header("Accept", BROWSER)
        .header("Content-Type", "text/plain")
        .body("say=<hi>")
        .send_blocking()
        .unwrap();
    assert_eq!(element(&echoed.text(), "echo-result"), "say=&lt;hi&gt;");

    let cookies = c
        .get("/cookies")
        .header("Accept", BROWSER)
        .header("Cookie", "visits=3; theme=dark")
        .send_blocking()
        .unwrap();
    assert_eq!(
        element(&cookies.text(), "cookies-list"),
        "Name Value visits 3 theme dark"
    );
    let json = c
        .get("/cookies")
        .header("Cookie", "visits=3")
        .send_blocking()
        .unwrap();
    assert_eq!(
        json.text(),
        r#"{"cookies":[{"name":"visits","value":"3"}]}"#
    );

    let missing = c
        .get("/nope")
        .header("Accept", BROWSER)
        .send_blocking()
        .unwrap();
    assert_eq!(missing.status, Status::NOT_FOUND);
    assert_eq!(element(&missing.text(), "error-status"), "404 Not Found");
    assert!(missing
        .text()
        .contains(r#"<link rel="stylesheet" href="/static/style.css">"#));
}

#[test]
fn every_page_is_a_template_with_the_stylesheet_lang_and_viewport() {
    let c = client();
    for path in ["/", "/csrf", "/chat", "/cookies"] {
        let res = c
            .get(path)
            .header("Accept", BROWSER)
            .send_blocking()
            .unwrap();
        assert_eq!(res.status, Status::OK, "{path}");
        let page = res.text();
        for needed in [
            r#"<html lang="en">"#,
            r#"<meta name="viewport""#,
            r#"<link rel="stylesheet" href="/static/style.css">"#,
        ] {
            assert!(page.contains(needed), "{path} lacks {needed}");
        }
    }
    let index = c.get("/").send_blocking().unwrap().text();
    for id in ["users-form", "files-form", "echo-form", "admin-credentials"] {
        assert!(index.contains(&format!("id=\"{id}\"")), "index lacks #{id}");
    }
    // Every input has a label.
    for input in index.split("<input").skip(1) {
        let id = input
            .split("id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            index.contains(&format!("<label for=\"{id}\">")),
            "#{id} unlabelled"
        );
    }
}

/// Every route, as a browser and as an API client, through the lint
/// layer: the demo makes no protocol mistake it can see.
#[test]
fn the_lint_finds_nothing_on_any_route() {
    let report = LintReport::default();
    let c = Client::new(demo::app_with(false, &admin(), Some(report.clone())));
    let gets = [
        "/",
        "/hello",
        "/json",
        "/user/42",
        "/test/change/for/it",
        "/heartbeat",
        "/heartbeat2",
        "/heartbeat3",
        "/exception",
        "/query?a=1",
        "/visits",
        "/back",
        "/ip",
        "/limited",
        "/chat",
        "/cookies",
        "/csrf",
        "/csrf/token",
        "/nope",
        "/admin/dashboard",
        "/static/style.css",
        "/static/chat.js",
        "/ws",
    ];
    for accept in [BROWSER, "*/*", "application/json"] {
        for path in gets {
            c.get(path)
                .header("Accept", accept)
                .send_blocking()
                .unwrap();
            c.head(path)
                .header("Accept", accept)
                .send_blocking()
                .unwrap();
        }
        for path in ["/users", "/files", "/echo", "/upload", "/hello"] {
            c.post(path)
                .header("Accept", accept)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("name=a&age=1")
                .send_blocking()
                .unwrap();
        }
        c.get("/download/large.bin")
            .header("Range", "bytes=0-9")
            .send_blocking()
            .unwrap();
        c.get("/admin/dashboard")
            .header("Accept", accept)
            .header("Authorization", "Basic cm9vdDpwYTpzcw==")
            .send_blocking()
            .unwrap();
    }
    report.assert_clean();
}

/// `/echo` hands the request's trailers back (RFC 9112 §7.1.2): to a
/// client that said `TE: trailers`, and to no other.
#[test]
fn echo_sends_the_trailers_back_to_a_client_that_accepts_them() {
    let c = client();
    let request = |te: &str| {
        format!(
            "POST /echo HTTP/1.1\r\nHost: a\r\n{te}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"
        )
    };
    let with = String::from_utf8(c.raw_blocking(request("TE: trailers\r\n")).unwrap()).unwrap();
    assert!(
        with.to_ascii_lowercase()
            .ends_with("5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n"),
        "{with}"
    );
    let without = String::from_utf8(c.raw_blocking(request("")).unwrap()).unwrap();
    assert!(without.ends_with("5\r\nhello\r\n0\r\n\r\n"), "{without}");
}

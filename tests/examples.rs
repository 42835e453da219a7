//! The seed examples, each through the in-memory client: what each
//! framework offers that lath now has, and no lint on the way.

// Each example brings its own copy of `examples/support`, as it does when
// built alone.
#![allow(clippy::duplicate_mod)]

use std::sync::Arc;

use lath::layers::{lint, LintReport, Message};
use lath::{App, Client, Request, Respond, Status};

mod support;

#[allow(dead_code)]
#[path = "../examples/web.rs"]
mod web;

#[allow(dead_code)]
#[path = "../examples/kequapp.rs"]
mod kequapp;

#[allow(dead_code)]
#[path = "../examples/titbit.rs"]
mod titbit;

#[allow(dead_code)]
#[path = "../examples/wsgilite.rs"]
mod wsgilite;

#[allow(dead_code)]
#[path = "../examples/expresso.rs"]
mod expresso;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A client for `app`, with a lint report the test checks at the end.
fn linted(app: impl App) -> (Client, LintReport) {
    let report = LintReport::default();
    (Client::new(lint(app).report_to(report.clone())), report)
}

#[test]
fn web_wraps_respond_and_gets_automatic_headers() {
    let (c, report) = linted(web::app());
    let res = c.get("/hi").send_blocking().unwrap();
    assert_eq!(res.text(), "Hello from /hi\n");
    assert_eq!(res.header("x-powered-by"), Some("lath"));
    assert_eq!(res.header("content-length"), Some("15"));
    assert!(res.header("date").is_some());
    report.assert_clean();
}

#[test]
fn kequapp_renders_by_content_type_with_an_html_error_page_and_static_files() {
    let (c, report) = linted(kequapp::app());
    let page = c
        .get("/users/7")
        .header("Accept", BROWSER)
        .send_blocking()
        .unwrap();
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains(r#"<h1 id="user-name">someone</h1>"#));
    let json = c
        .get("/users/7")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(json.text(), r#"{"id":7,"name":"someone"}"#);
    let missing = c
        .get("/users/700")
        .header("Accept", BROWSER)
        .send_blocking()
        .unwrap();
    assert_eq!(missing.status, Status::NOT_FOUND);
    assert!(missing
        .text()
        .contains(r#"<h1 id="error-status">404 Not Found</h1>"#));
    assert!(missing.text().contains("<p>no such user</p>"));
    let api_missing = c
        .get("/users/700")
        .header("Accept", "application/json")
        .send_blocking()
        .unwrap();
    assert_eq!(
        api_missing.text(),
        r#"{"error":{"message":"no such user","status":404}}"#
    );
    let denied = c.get("/admin/dashboard").send_blocking().unwrap();
    assert_eq!(denied.status, Status::UNAUTHORIZED);
    let admin = c
        .get("/admin/dashboard")
        .header("Authorization", "mike")
        .send_blocking()
        .unwrap();
    assert_eq!(admin.text(), "Hello admin mike!");
    let file = c.get("/assets/hello.txt").send_blocking().unwrap();
    assert!(file.text().starts_with("Hello from a static file."));
    assert!(file.header("etag").is_some());
    report.assert_clean();
}

#[test]
fn titbit_groups_have_their_own_limits_rates_and_ip_lists() {
    let (c, report) = linted(titbit::app());
    let note = |body: &str| {
        c.post("/api/notes")
            .header("X-Key", "secret")
            .header("Content-Type", "text/plain")
            .body(body.to_owned())
            .send_blocking()
            .unwrap()
    };
    assert_eq!(note("hello").text(), "note 1: hello\n");
    assert_eq!(note(&"x".repeat(2000)).status, Status::CONTENT_TOO_LARGE);
    // The in-memory client comes from no address: the loopback-only
    // group refuses it.
    let stats = c.get("/internal/stats").send_blocking().unwrap();
    assert_eq!(stats.status, Status::FORBIDDEN);
    let app = Arc::new(titbit::app());
    let loopback = Client::new(move |mut req: Request, respond: Respond| {
        let app = app.clone();
        async move {
            req.set_peer_addr(Some("127.0.0.1:5000".parse().unwrap()));
            app.call(req, respond).await
        }
    });
    let stats = loopback.get("/internal/stats").send_blocking().unwrap();
    assert_eq!(stats.text(), "notes: 0\n");
    // A burst of 20, then 429.
    let statuses: Vec<u16> = (0..25).map(|_| note("n").status.code()).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    report.assert_clean();
}

#[test]
fn wsgilite_renders_templates_serves_files_and_catches_exceptions() {
    let (c, report) = linted(wsgilite::app());
    assert_eq!(
        c.get("/test/change/for/it").send_blocking().unwrap().text(),
        "Here we go\n"
    );
    let hello = c.get("/hello/%3Cann%3E").send_blocking().unwrap();
    assert!(hello
        .text()
        .contains(r#"<h1 id="greeting">Hello, &lt;ann&gt;!</h1>"#));
    assert_eq!(
        c.get("/crash").send_blocking().unwrap().status,
        Status::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        c.get("/slow").send_blocking().unwrap().status,
        Status::GATEWAY_TIMEOUT
    );
    let file = c.get("/assets/style.css").send_blocking().unwrap();
    assert_eq!(file.header("content-type"), Some("text/css; charset=utf-8"));
    let mut ws = c.websocket_blocking("/wss2").unwrap();
    ws.send_blocking(Message::text("shout")).unwrap();
    assert_eq!(ws.recv_blocking().unwrap(), Some(Message::text("SHOUT")));
    report.assert_clean();
}

#[test]
fn expresso_serves_ranges_and_sets_cookies() {
    let (c, report) = linted(expresso::app());
    let part = c
        .get("/static/hello.txt")
        .header("Range", "bytes=0-4")
        .send_blocking()
        .unwrap();
    assert_eq!(part.status, Status::PARTIAL_CONTENT);
    assert_eq!(part.text(), "Hello");
    assert!(part
        .header("content-range")
        .unwrap()
        .starts_with("bytes 0-4/"));
    let login = c.get("/login").send_blocking().unwrap();
    assert!(login
        .header("set-cookie")
        .unwrap()
        .starts_with("session=abc123"));
    let created = c
        .get("/created")
        .header("Host", "example.com")
        .send_blocking()
        .unwrap();
    assert_eq!(
        created.header("location"),
        Some("http://example.com/created/1")
    );
    report.assert_clean();
}

/// wscat (npm), the client wsgiLite's README uses, against `/wss1` and
/// `/wss2` over a real socket. wscat prints what it receives only to a
/// terminal, so it runs under `script`, which gives it one.
#[test]
fn wscat_talks_to_the_wsgilite_routes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wscat");
    let wscat = dir.join("node_modules/.bin/wscat");
    if !wscat.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let installed = std::process::Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "wscat@6"])
            .current_dir(&dir)
            .status();
        if !installed.is_ok_and(|s| s.success()) || !wscat.exists() {
            eprintln!("SKIPPED: wscat cannot be installed with npm here");
            return;
        }
    }
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no `script` command to give wscat a terminal");
        return;
    }
    let addr = support::serve_on_thread(|server| server, |_server| wsgilite::app());
    for (path, expected) in [("/wss1", "hello"), ("/wss2", "HELLO")] {
        let command = format!("{} -c ws://{addr}{path} -x hello -w 1", wscat.display());
        let out = std::process::Command::new("script")
            .args(["-qc", &command, "/dev/null"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.lines().any(|line| line.contains(expected)),
            "{path}: {text:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

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

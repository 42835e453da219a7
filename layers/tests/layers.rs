//! recover, timeout, limit_body and state through the in-memory client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lath_app::{handler, AppExt, Body, Request, Respond, Response, Status};
use lath_layers::{limit_body, recover, state, state_of, timeout};
use lath_net::Client;

async fn panics(req: Request, respond: Respond) {
    if req.path() == "/boom" {
        panic!("the answer was not 42");
    }
    respond.send("fine");
}

#[test]
fn recover_answers_500_and_keeps_the_message_private() {
    let client = Client::new(panics.wrap(recover));
    let res = client.get("/boom").send_blocking().unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "Internal Server Error");
    assert_eq!(
        client.get("/").send_blocking().unwrap().text(),
        "fine",
        "the server goes on"
    );
}

#[test]
fn recover_shows_the_message_in_debug_mode() {
    let client = Client::new(recover(panics).debug(true));
    assert_eq!(
        client.get("/boom").send_blocking().unwrap().text(),
        "the answer was not 42"
    );
}

#[test]
fn recover_after_the_head_went_out_cuts_the_response() {
    let app = |_req: Request, respond: Respond| async move {
        let (mut tx, body) = Body::channel();
        respond.send(Response::new(Status::OK).with_body(body));
        tx.send("partial").await.unwrap();
        panic!("mid-body");
    };
    let client = Client::new(recover(app));
    let raw = String::from_utf8(
        client
            .raw_blocking(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap(),
    )
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(!raw.ends_with("0\r\n\r\n"), "no terminating chunk: {raw}");
}

/// Sets its flag when dropped: shows that an app's work was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn timeout_answers_503_and_drops_the_apps_work() {
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let (d, f) = (dropped.clone(), finished.clone());
    let slow = move |_req: Request, respond: Respond| {
        let (d, f) = (d.clone(), f.clone());
        async move {
            let _guard = DropFlag(d);
            async_std::task::sleep(Duration::from_secs(10)).await;
            f.store(true, Ordering::SeqCst);
            respond.send("too late");
        }
    };
    let client = Client::new(slow.wrap(timeout(Duration::from_millis(50))));
    let res = client.get("/").send_blocking().unwrap();
    assert_eq!(res.status, Status::SERVICE_UNAVAILABLE);
    assert_eq!(res.text(), "request timed out");
    assert!(
        dropped.load(Ordering::SeqCst),
        "the app's future was dropped"
    );
    assert!(!finished.load(Ordering::SeqCst));
}

#[test]
fn timeout_status_is_configurable_and_fast_apps_pass() {
    let slow = |_req: Request, respond: Respond| async move {
        async_std::task::sleep(Duration::from_secs(10)).await;
        respond.send("late");
    };
    let client =
        Client::new(slow.wrap(timeout(Duration::from_millis(20)).status(Status::GATEWAY_TIMEOUT)));
    assert_eq!(
        client.get("/").send_blocking().unwrap().status,
        Status::GATEWAY_TIMEOUT
    );
    let fast = Client::new(
        handler(|_req: Request| async { "quick" }).wrap(timeout(Duration::from_secs(5))),
    );
    assert_eq!(fast.get("/").send_blocking().unwrap().text(), "quick");
}

#[test]
fn limit_body_refuses_a_declared_length_without_calling_the_app() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = handler(move |mut req: Request| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            req.bytes().await.map(|b| format!("{} bytes", b.len()))
        }
    });
    let client = Client::new(app.wrap(limit_body(10)));
    assert_eq!(
        client
            .post("/")
            .body("0123456789")
            .send_blocking()
            .unwrap()
            .text(),
        "10 bytes"
    );
    let res = client
        .post("/")
        .body("0123456789X")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::CONTENT_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn limit_body_stops_a_chunked_body_at_the_limit() {
    let app = handler(|mut req: Request| async move {
        req.bytes().await.map(|b| format!("{} bytes", b.len()))
    });
    let client = Client::new(app.wrap(limit_body(10)));
    let raw = client
        .raw_blocking(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
        "{text}"
    );
    let raw = client
        .raw_blocking(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n0\r\n\r\n")
        .unwrap();
    assert!(String::from_utf8(raw).unwrap().ends_with("8 bytes"));
}

#[test]
fn state_is_shared_by_every_request() {
    struct Visits(AtomicUsize);
    let app = handler(|req: Request| async move {
        let visits = state_of::<Visits>(&req).expect("state");
        format!("visit {}", visits.0.fetch_add(1, Ordering::SeqCst) + 1)
    })
    .wrap(state(Visits(AtomicUsize::new(0))));
    let client = Client::new(app);
    assert_eq!(client.get("/").send_blocking().unwrap().text(), "visit 1");
    assert_eq!(client.get("/").send_blocking().unwrap().text(), "visit 2");
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn logger_writes_common_log_format_with_latency() {
    use lath_layers::{logger, Format};
    let lines = Lines::default();
    let app = logger(handler(|_req: Request| async { "Hello, World!" })).to(lines.clone());
    let client = Client::new(app);
    client.get("/hello?x=1").send_blocking().unwrap();
    client
        .get("/gone")
        .header("Accept", "*/*")
        .send_blocking()
        .unwrap();
    let text = lines.text();
    let first = text.lines().next().unwrap();
    // - - - [22/Nov/2026:04:15:27 +0000] "GET /hello?x=1 HTTP/1.1" 200 13 0.123ms
    assert!(first.starts_with("- - - ["), "{first}");
    assert!(
        first.contains("] \"GET /hello?x=1 HTTP/1.1\" 200 13 "),
        "{first}"
    );
    assert!(first.ends_with("ms"), "{first}");
    assert_eq!(text.lines().count(), 2);

    let lines = Lines::default();
    let app = logger(handler(|_req: Request| async {
        (Status::NOT_FOUND, "nope")
    }))
    .format(Format::Combined)
    .to(lines.clone());
    Client::new(app)
        .get("/x")
        .header("Referer", "/from")
        .header("User-Agent", "tester/1")
        .send_blocking()
        .unwrap();
    assert!(
        lines.text().contains("\" 404 4 \"/from\" \"tester/1\" "),
        "{}",
        lines.text()
    );
}

#[test]
fn logger_writes_when_the_response_has_gone_out() {
    use lath_layers::logger;
    let lines = Lines::default();
    let probe = lines.clone();
    let app = logger(move |_req: Request, respond: Respond| {
        let probe = probe.clone();
        async move {
            let (mut tx, body) = Body::channel();
            respond.send(Response::new(Status::OK).with_body(body));
            tx.send("part one ").await.unwrap();
            // The response is still going out: nothing is logged yet.
            assert!(probe.text().is_empty());
            tx.send("part two").await.unwrap();
            tx.finish();
        }
    })
    .to(lines.clone());
    let res = Client::new(app).get("/stream").send_blocking().unwrap();
    assert_eq!(res.text(), "part one part two");
    assert!(
        lines.text().contains("\"GET /stream HTTP/1.1\" 200 17 "),
        "{}",
        lines.text()
    );
}

#[test]
fn logger_logs_the_500_of_a_respond_dropped_unsent_and_each_request_once() {
    use lath_layers::logger;
    let lines = Lines::default();
    let app = logger(|req: Request, respond: Respond| async move {
        if req.path() == "/ok" {
            respond.send("fine");
        }
    })
    .to(lines.clone());
    let client = Client::new(app);
    for _ in 0..3 {
        assert_eq!(
            client.get("/ok").send_blocking().unwrap().status.code(),
            200
        );
        assert_eq!(
            client.get("/lost").send_blocking().unwrap().status.code(),
            500
        );
    }
    let text = lines.text();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert_eq!(
        text.matches("\"GET /ok HTTP/1.1\" 200 4 ").count(),
        3,
        "{text}"
    );
    assert_eq!(
        text.matches("\"GET /lost HTTP/1.1\" 500 ").count(),
        3,
        "{text}"
    );
}

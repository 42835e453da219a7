//! The connection driver through the in-memory client and raw bytes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{Body, Request, Respond, Response};
use lath_codec::Status;
use lath_net::{mem, serve_connection, Client, Config};

async fn hello(_req: Request, respond: Respond) {
    respond.send("Hello, World!");
}

async fn echo(mut req: Request, respond: Respond) {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    let body = req.take_body();
    respond.send(
        Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_body(Body::stream(body)),
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_plain_test_with_the_blocking_helper() {
    let client = Client::new(hello);
    let res = client.get("/").send_blocking().unwrap();
    assert_eq!(res.status, Status::OK);
    assert_eq!(res.text(), "Hello, World!");
    assert_eq!(res.header("content-length"), Some("13"));
    assert_eq!(res.header("server"), Some("lath"));
    assert!(res.header("date").is_some());
}

#[async_std::test]
async fn requests_reuse_one_connection() {
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    let app = move |req: Request, respond: Respond| {
        let seen = seen.clone();
        async move {
            // A fresh connection starts with a first request of its own.
            if req.path() == "/first" {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            respond.send("ok");
        }
    };
    let client = Client::new(app);
    client.get("/first").send().await.unwrap();
    for _ in 0..5 {
        assert_eq!(client.get("/again").send().await.unwrap().text(), "ok");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[async_std::test]
async fn an_unsent_respond_answers_500() {
    let client = Client::new(|_req: Request, _respond: Respond| async {});
    let res = client.get("/").send().await.unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
}

#[async_std::test]
async fn a_panic_answers_500_and_the_server_goes_on() {
    let app = |req: Request, respond: Respond| async move {
        if req.path() == "/boom" {
            panic!("boom");
        }
        respond.send("fine");
    };
    let client = Client::new(app);
    assert_eq!(
        client.get("/boom").send().await.unwrap().status,
        Status::INTERNAL_SERVER_ERROR
    );
    assert_eq!(client.get("/").send().await.unwrap().text(), "fine");
}

#[async_std::test]
async fn a_panic_after_the_head_went_out_closes_the_connection() {
    let app = |_req: Request, respond: Respond| async move {
        let (mut tx, body) = Body::channel();
        respond.send(Response::new(Status::OK).with_body(body));
        tx.send("partial").await.unwrap();
        panic!("mid-body");
    };
    let raw = Client::new(app)
        .raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let text = text(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK"));
    assert!(text.contains("7\r\npartial\r\n"));
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "no terminating chunk: the client sees it cut short"
    );
}

#[async_std::test]
async fn echo_streams_the_body_back() {
    let client = Client::new(echo);
    let res = client
        .post("/echo")
        .header("Content-Type", "text/x-demo")
        .body("ping pong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text(), "ping pong");
    assert_eq!(res.header("content-type"), Some("text/x-demo"));
    assert_eq!(res.header("transfer-encoding"), Some("chunked"));
}

#[async_std::test]
async fn chunked_request_bodies_arrive_whole() {
    let app = |mut req: Request, respond: Respond| async move {
        respond.send(req.text().await.map(|t| t.to_uppercase()));
    };
    let raw = Client::new(app)
        .raw(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        .await
        .unwrap();
    assert!(text(&raw).ends_with("\r\n\r\nABCDE"), "{}", text(&raw));
}

#[async_std::test]
async fn a_body_over_the_limit_is_413_without_reading_it() {
    let app = |mut req: Request, respond: Respond| async move {
        req.set_body_limit(4);
        respond.send(req.bytes().await.map(|_| "fits"));
    };
    let client = Client::new(app);
    let res = client.post("/").body("too long").send().await.unwrap();
    assert_eq!(res.status, Status::CONTENT_TOO_LARGE);
    assert_eq!(
        client.post("/").body("ok").send().await.unwrap().text(),
        "fits"
    );
}

#[async_std::test]
async fn continue_is_written_when_the_app_reads() {
    let app = |mut req: Request, respond: Respond| async move {
        respond.send(req.text().await);
    };
    let raw = Client::new(app)
        .raw(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
        .await
        .unwrap();
    let text = text(&raw);
    assert!(
        text.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{text}"
    );
    assert!(text.ends_with("hi"));
}

#[async_std::test]
async fn no_continue_when_the_app_answers_first() {
    let app = |_req: Request, respond: Respond| async move {
        respond.send((Status::UNAUTHORIZED, "no"));
    };
    let raw = Client::new(app)
        .raw(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        .await
        .unwrap();
    let text = text(&raw);
    assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{text}");
    assert!(!text.contains("100 Continue"));
    assert!(text.contains("Connection: close\r\n"));
}

#[async_std::test]
async fn pipelined_requests_are_answered_in_order() {
    let app = |req: Request, respond: Respond| async move {
        respond.send(req.path().to_owned());
    };
    let mut input = Vec::new();
    for i in 0..10 {
        input.extend_from_slice(format!("GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
    }
    let raw = text(&Client::new(app).raw(&input).await.unwrap());
    let bodies: Vec<&str> = raw
        .split("HTTP/1.1 200 OK")
        .skip(1)
        .map(|r| r.rsplit("\r\n\r\n").next().unwrap())
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("/{i}")).collect();
    assert_eq!(bodies, want);
}

/// A malformed request read in the same bytes as a good one: the good one
/// is answered, then the bad one gets its 400 and the connection closes
/// (RFC 9112 §3.2: no Host), and nothing after it is served.
#[async_std::test]
async fn a_malformed_request_pipelined_behind_a_good_one_is_answered_after_it() {
    let app = |req: Request, respond: Respond| async move {
        respond.send(req.path().to_owned());
    };
    let input = b"GET /good HTTP/1.1\r\nHost: a\r\n\r\n\
                  GET /bad HTTP/1.1\r\n\r\n\
                  GET /never HTTP/1.1\r\nHost: a\r\n\r\n";
    let raw = text(&Client::new(app).raw(input).await.unwrap());
    let (good, bad) = raw.split_once("HTTP/1.1 400 Bad Request\r\n").expect(&raw);
    assert!(
        good.starts_with("HTTP/1.1 200 OK\r\n") && good.ends_with("/good"),
        "{raw}"
    );
    assert!(bad.contains("Connection: close\r\n"), "{raw}");
    assert!(!raw.contains("/never"), "{raw}");
}

#[async_std::test]
async fn an_unread_body_is_drained_and_the_connection_kept() {
    let client = Client::new(hello);
    for _ in 0..3 {
        let res = client
            .post("/")
            .body(vec![b'x'; 10_000])
            .send()
            .await
            .unwrap();
        assert_eq!(res.text(), "Hello, World!");
    }
}

#[async_std::test]
async fn bad_requests_get_the_codecs_answer() {
    let raw = Client::new(hello)
        .raw(b"GET / HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let text = text(&raw);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    assert!(text.ends_with("missing host\n"));
    // A framing error met while the app reads the body: the codec's status
    // is the answer, whatever the app makes of its failed read.
    let reader = |mut req: Request, respond: Respond| async move {
        respond.send(req.bytes().await.map(|_| "read"));
    };
    let raw = Client::new(reader)
        .raw(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.ends_with("invalid chunk size\n"));
    // Once a response is under way, a framing error can only cut it short.
    let raw = Client::new(echo)
        .raw(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n")
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("3\r\nabc\r\n"),
        "{text}"
    );
    assert!(!text.ends_with("0\r\n\r\n"), "{text}");
}

#[async_std::test]
async fn server_push_through_a_channel_body() {
    let app = |_req: Request, respond: Respond| async move {
        let (mut tx, body) = Body::channel();
        respond.send(Response::new(Status::OK).with_body(body));
        for i in 0..3 {
            tx.send(format!("event {i}\n")).await.unwrap();
        }
        tx.finish();
    };
    let res = Client::new(app).get("/events").send().await.unwrap();
    assert_eq!(res.text(), "event 0\nevent 1\nevent 2\n");
}

#[async_std::test]
async fn upgrade_hands_the_raw_stream_to_the_app() {
    // A tiny echo protocol: after the switch, every byte comes back.
    let app = |_req: Request, respond: Respond| async move {
        respond.send(Response::upgrade("echo", |mut io| async move {
            let mut buf = [0u8; 64];
            loop {
                match io.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }));
    };
    let raw = Client::new(app)
        .raw(b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nhello, raw world")
        .await
        .unwrap();
    let text = text(&raw);
    assert!(
        text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\nhello, raw world"), "{text}");
}

#[async_std::test]
async fn a_slow_head_gets_408_then_close_while_others_are_served() {
    let mut config = Config::default();
    config.head_timeout = Duration::from_millis(200);
    let (server, mut slow) = mem::duplex(4096);
    async_std::task::spawn(serve_connection(server, hello, config.clone()));
    slow.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
    // Meanwhile another connection is served at once.
    let other = Client::with_config(hello, config);
    assert_eq!(other.get("/").send().await.unwrap().status, Status::OK);
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
}

#[async_std::test]
async fn an_idle_connection_closes_silently() {
    let mut config = Config::default();
    config.idle_timeout = Duration::from_millis(100);
    let (server, mut idle) = mem::duplex(4096);
    async_std::task::spawn(serve_connection(server, hello, config));
    let mut answer = Vec::new();
    idle.read_to_end(&mut answer).await.unwrap();
    assert!(answer.is_empty());
}

#[async_std::test]
async fn max_requests_per_connection_closes_after_the_last() {
    let mut config = Config::default();
    config.max_requests_per_connection = Some(2);
    let raw = Client::with_config(hello, config)
        .raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let text = text(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2);
    assert_eq!(text.matches("Connection: close").count(), 1);
}

#[async_std::test]
async fn an_invalid_response_head_becomes_500() {
    let app = |_req: Request, respond: Respond| async move {
        respond.send(Response::text("x").with_header("X-Bad", "a\r\nInjected: 1"));
    };
    let res = Client::new(app).get("/").send().await.unwrap();
    assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
    assert!(res.header("injected").is_none());
}

#[async_std::test]
async fn boxed_and_shared_apps_mix_in_one_table() {
    use lath_app::{handler, App, AppExt, DynApp, SharedApp};
    let apps: Vec<Box<dyn DynApp>> = vec![
        hello.boxed(),
        handler(|_req: Request| async { "handled" }).boxed(),
    ];
    let shared: Vec<SharedApp> = vec![echo.shared()];
    let table = Arc::new((apps, shared));
    let app = move |req: Request, respond: Respond| {
        let table = table.clone();
        async move {
            match req.path() {
                "/0" => table.0[0].call(req, respond).await,
                "/1" => table.0[1].call(req, respond).await,
                _ => table.1[0].call(req, respond).await,
            }
        }
    };
    let client = Client::new(app);
    assert_eq!(
        client.get("/0").send().await.unwrap().text(),
        "Hello, World!"
    );
    assert_eq!(client.get("/1").send().await.unwrap().text(), "handled");
    assert_eq!(
        client
            .post("/2")
            .body("mirror")
            .send()
            .await
            .unwrap()
            .text(),
        "mirror"
    );
}

#[async_std::test]
async fn an_unread_body_past_the_drain_limit_closes_and_says_so() {
    let client = Client::new(hello);
    let res = client
        .post("/")
        .body(vec![b'x'; 200_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.text(), "Hello, World!");
    assert_eq!(res.header("connection"), Some("close"));
    // The client opens a fresh connection and carries on.
    assert_eq!(
        client.get("/").send().await.unwrap().text(),
        "Hello, World!"
    );
}

/// A client that ends before a request, or inside what could be the
/// HTTP/2 preface, ends the connection: nothing waits for bytes that
/// cannot come.
#[async_std::test]
async fn a_connection_ended_before_or_inside_the_preface_closes() {
    for sent in [
        &b""[..],
        b"P",
        b"PRI * HTTP/2.0\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM",
    ] {
        let (server, mut client) = mem::duplex(64 * 1024);
        let serving = async_std::task::spawn(serve_connection(server, hello, Config::default()));
        client.write_all(sent).await.unwrap();
        client.close().await.unwrap();
        let mut rest = Vec::new();
        let _ = client.read_to_end(&mut rest).await;
        async_std::future::timeout(Duration::from_secs(5), serving)
            .await
            .unwrap_or_else(|_| panic!("the connection outlived its client after {sent:?}"))
            .unwrap();
    }
}

/// A layer whose `respond.map` callback panics: the client still gets a
/// 500 (the wrapped `Respond` answers as it unwinds), never a hang.
#[test]
fn a_panic_inside_a_respond_map_answers_500() {
    let app = |_req: Request, respond: Respond| async move {
        let respond = respond.map(|_res| panic!("a layer's callback failed"));
        respond.send("never seen");
    };
    let (done, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let res = Client::new(app).get("/").send_blocking();
        let _ = done.send(res.map(|r| r.status));
    });
    let status = answer
        .recv_timeout(Duration::from_secs(20))
        .expect("an answer, not a hang")
        .unwrap();
    assert_eq!(status, Status::INTERNAL_SERVER_ERROR);
}

//! The connection lifecycle through in-memory pipes: body deadlines, write
//! progress, the request body's tie to its exchange, `100 Continue` before
//! a streaming head, and nothing left behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::channel::oneshot;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use lath_app::{Body, Request, Respond, Response};
use lath_codec::Status;
use lath_net::{mem, serve_connection, Config};

/// Reads the whole body, answering what the body read said.
async fn count(mut req: Request, respond: Respond) {
    match req.bytes().await {
        Ok(body) => respond.send(format!("{} bytes", body.len())),
        // The app's own answer to a failed read: the codec's wins.
        Err(_) => respond.send((Status::BAD_REQUEST, "the app says 400")),
    }
}

async fn echo(mut req: Request, respond: Respond) {
    respond.send(Response::new(Status::OK).with_body(Body::stream(req.take_body())));
}

async fn read_all(client: &mut mem::MemStream) -> String {
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[async_std::test]
async fn a_stalled_body_is_answered_408_and_closed_whatever_the_app_says() {
    // RFC 9110 §15.5.9: the server would not wait any longer.
    let mut config = Config::default();
    config.body_timeout = Duration::from_millis(100);
    let (server, mut client) = mem::duplex(4096);
    async_std::task::spawn(serve_connection(server, count, config));
    client
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        .await
        .unwrap();
    let answer = read_all(&mut client).await;
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Connection: close\r\n"));
    assert!(answer.ends_with("request body timed out\n"));
}

#[async_std::test]
async fn a_body_trickling_below_the_minimum_rate_is_cut_with_408() {
    // One byte at a time keeps every stall short, but the rate is far
    // below the minimum: the body is cut after the grace window.
    let mut config = Config::default();
    config.body_timeout = Duration::from_secs(10);
    config.min_body_rate = 1000;
    config.body_rate_window = Duration::from_millis(200);
    let (server, mut client) = mem::duplex(4096);
    let served = async_std::task::spawn(serve_connection(server, count, config));
    client
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = client.split();
    let answered = Arc::new(AtomicBool::new(false));
    let stop = answered.clone();
    let trickle = async_std::task::spawn(async move {
        let mut sent = 0;
        while sent < 1000 && !stop.load(Ordering::SeqCst) && writer.write_all(b"x").await.is_ok() {
            sent += 1;
            async_std::task::sleep(Duration::from_millis(20)).await;
        }
        let _ = writer.close().await;
        sent
    });
    let mut answer = Vec::new();
    reader.read_to_end(&mut answer).await.unwrap();
    answered.store(true, Ordering::SeqCst);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("Connection: close\r\n"));
    assert!(trickle.await < 1000, "cut before the whole body came");
    // The server lingered until the client's EOF, then let go.
    served.await.unwrap();
}

#[async_std::test]
async fn a_body_at_a_fair_rate_is_never_cut() {
    let mut config = Config::default();
    config.min_body_rate = 100;
    config.body_rate_window = Duration::from_millis(100);
    let (server, mut client) = mem::duplex(4096);
    async_std::task::spawn(serve_connection(server, count, config));
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    for _ in 0..10 {
        client.write_all(&[b'x'; 100]).await.unwrap();
        async_std::task::sleep(Duration::from_millis(50)).await;
    }
    let answer = read_all(&mut client).await;
    assert!(answer.ends_with("1000 bytes"), "{answer}");
}

#[async_std::test]
async fn a_body_read_after_its_exchange_fails_clearly_and_the_connection_goes_on() {
    // The body moves into a task that reads it after the answer went out:
    // it gets an error, never "0 bytes, clean end", and the next request
    // on the connection is answered.
    let (tx, rx) = oneshot::channel::<Result<Bytes, String>>();
    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
    let app = move |mut req: Request, respond: Respond| {
        let tx = tx.clone();
        async move {
            if req.path() == "/later" {
                let mut body = req.take_body();
                async_std::task::spawn(async move {
                    async_std::task::sleep(Duration::from_millis(50)).await;
                    let read = match body.next().await {
                        Some(Ok(piece)) => Ok(piece),
                        Some(Err(e)) => Err(e.to_string()),
                        None => Ok(Bytes::new()),
                    };
                    let _ = tx.lock().unwrap().take().unwrap().send(read);
                });
            }
            respond.send(format!("answered {}", req.path()));
        }
    };
    let (server, mut client) = mem::duplex(64 * 1024);
    async_std::task::spawn(serve_connection(server, app, Config::default()));
    client
        .write_all(
            b"POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\
              GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let answer = read_all(&mut client).await;
    assert!(answer.contains("answered /later"), "{answer}");
    assert!(answer.ends_with("answered /next"), "{answer}");
    assert_eq!(
        rx.await.unwrap(),
        Err("request body no longer available".to_owned())
    );
}

#[async_std::test]
async fn continue_goes_out_before_a_streaming_head() {
    // RFC 9110 §10.1.1: the echo app reads the body before any byte of
    // its answer, so the client gets `100` first and never waits.
    let (server, mut client) = mem::duplex(64 * 1024);
    async_std::task::spawn(serve_connection(server, echo, Config::default()));
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut first = [0u8; 25];
    client.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 100 Continue\r\n\r\n");
    client.write_all(b"hello").await.unwrap();
    let answer = read_all(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("5\r\nhello\r\n0\r\n\r\n"), "{answer}");
}

#[async_std::test]
async fn a_client_that_stops_reading_is_cut_off_after_the_write_timeout() {
    // The app streams forever; the client never reads. No write progress
    // for `write_timeout` ends the connection and drops the app's stream.
    let dropped = Arc::new(AtomicBool::new(false));
    struct Endless(Arc<AtomicBool>);
    impl futures::Stream for Endless {
        type Item = Result<Bytes, lath_app::BodyError>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(Some(Ok(Bytes::from_static(&[b'z'; 16 * 1024]))))
        }
    }
    impl Drop for Endless {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let flag = dropped.clone();
    let app = move |_req: Request, respond: Respond| {
        let flag = flag.clone();
        async move { respond.send(Response::new(Status::OK).with_body(Body::stream(Endless(flag)))) }
    };
    let mut config = Config::default();
    config.write_timeout = Duration::from_millis(200);
    let (server, mut client) = mem::duplex(64 * 1024);
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let served = async_std::future::timeout(
        Duration::from_secs(10),
        serve_connection(server, app, config),
    )
    .await
    .expect("the connection ended by itself");
    assert_eq!(served.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(dropped.load(Ordering::SeqCst), "the app's body was dropped");
    drop(client);
}

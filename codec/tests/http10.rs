//! HTTP/1.0 peers (RFC 9112 §9.3, Appendix C.2.2; RFC 9110 §15.2).

mod common;

use common::{head, now, run};
use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status};

#[test]
fn http10_closes_by_default() {
    let run = run(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    assert_eq!(run.heads().len(), 1);
    let text = String::from_utf8_lossy(&run.output);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n"),
        "we answer as HTTP/1.1"
    );
    assert!(text.contains("Connection: close\r\n"));
    assert_eq!(run.events.last(), Some(&common::Ev::Closed));
}

#[test]
fn http10_keep_alive_is_honoured_and_echoed() {
    let run = run(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(run.heads().len(), 2);
    let text = String::from_utf8_lossy(&run.output);
    assert_eq!(text.matches("Connection: keep-alive\r\n").count(), 2);
}

fn http10_conn(keep_alive: bool) -> ServerConn {
    let mut conn = ServerConn::default();
    if keep_alive {
        conn.feed(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    } else {
        conn.feed(b"GET / HTTP/1.0\r\n\r\n");
    }
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn
}

#[test]
fn unknown_length_body_to_http10_is_close_delimited() {
    let mut conn = http10_conn(true);
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Unknown, &mut out).unwrap();
    conn.write_data(b"streamed", &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("Transfer-Encoding"));
    assert!(!text.contains("Content-Length"));
    assert!(text.contains("Connection: close\r\n"));
    assert!(
        text.ends_with("\r\n\r\nstreamed"),
        "raw bytes, no chunk framing"
    );
    assert!(conn.is_closed());
}

#[test]
fn no_1xx_to_http10() {
    let mut conn = http10_conn(false);
    let mut out = Vec::new();
    head(&mut conn, Status::EARLY_HINTS, BodySize::EMPTY, &mut out).unwrap();
    assert!(out.is_empty(), "1xx skipped for HTTP/1.0");
    head(&mut conn, Status::OK, BodySize::EMPTY, &mut out).unwrap();
    assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[test]
fn no_100_continue_to_http10() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(!req.expects_continue());
    let mut out = Vec::new();
    assert!(!conn.write_continue(&mut out));
    assert!(out.is_empty());
}

#[test]
fn upgrade_is_http11_only() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n");
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(!req.wants_upgrade());
    let mut out = Vec::new();
    let head = ResponseHead::new(Status::SWITCHING_PROTOCOLS);
    assert!(conn
        .write_head(&head, BodySize::EMPTY, now(), &mut out)
        .is_err());
}

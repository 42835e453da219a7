//! `Expect: 100-continue` (RFC 9110 §10.1.1).

mod common;

use common::head;
use lath_codec::{BodySize, ServerConn, ServerEvent, Status};

fn conn_with(request: &[u8]) -> ServerConn {
    let mut conn = ServerConn::default();
    conn.feed(request);
    conn
}

const EXPECTING: &[u8] =
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";

#[test]
fn it_is_reported_and_100_is_written_once_when_the_body_is_read() {
    let mut conn = conn_with(EXPECTING);
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(req.expects_continue());
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    let mut out = Vec::new();
    assert!(conn.write_continue(&mut out));
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(!conn.write_continue(&mut out), "only once");
    conn.feed(b"hello");
    assert_eq!(conn.next_event(), ServerEvent::Data("hello".into()));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::EMPTY, &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    assert!(conn.keep_alive(), "the body was read, the connection stays");
}

#[test]
fn no_100_once_a_response_has_started() {
    let mut conn = conn_with(EXPECTING);
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    head(
        &mut conn,
        Status::CONTENT_TOO_LARGE,
        BodySize::EMPTY,
        &mut out,
    )
    .unwrap();
    assert!(!conn.write_continue(&mut out));
    assert!(!String::from_utf8_lossy(&out).contains("100 Continue"));
}

#[test]
fn answering_first_closes_because_the_body_may_never_come() {
    let mut conn = conn_with(EXPECTING);
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::UNAUTHORIZED, BodySize::EMPTY, &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    assert!(String::from_utf8_lossy(&out).contains("Connection: close\r\n"));
    assert_eq!(conn.next_event(), ServerEvent::Closed);
}

#[test]
fn never_for_an_empty_body() {
    let mut conn = conn_with(
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
    );
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(!req.expects_continue());
    assert!(!conn.write_continue(&mut Vec::new()));
}

#[test]
fn chunked_bodies_expect_too() {
    let mut conn = conn_with(
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(req.expects_continue());
}

#[test]
fn an_app_written_100_counts_as_sent() {
    let mut conn = conn_with(EXPECTING);
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::CONTINUE, BodySize::EMPTY, &mut out).unwrap();
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(!conn.write_continue(&mut out));
}

#[test]
fn unknown_expectation_is_417() {
    let mut conn =
        conn_with(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx");
    let ServerEvent::Error(e) = conn.next_event() else {
        panic!()
    };
    assert_eq!(e.status(), Status::EXPECTATION_FAILED);
}

//! Persistent connections (RFC 9112 §9.3, §9.6).

mod common;

use common::{answer, now, run, run_eof};
use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status};

fn head_of(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[test]
fn http11_stays_open_without_connection_close() {
    let run = run(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(run.heads().len(), 2);
    let text = String::from_utf8_lossy(&run.output);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2);
    assert!(
        !text.contains("Connection:"),
        "no Connection header on a persistent 1.1 exchange"
    );
}

#[test]
fn connection_close_gets_one_response_then_close_and_later_bytes_are_ignored() {
    let run = run(b"GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(run.heads().len(), 1);
    assert_eq!(run.events.last(), Some(&common::Ev::Closed));
    assert!(head_of(&run.output).contains("Connection: close"));
    assert_eq!(
        String::from_utf8_lossy(&run.output)
            .matches("HTTP/1.1")
            .count(),
        1
    );
}

#[test]
fn connection_tokens_are_a_case_insensitive_list() {
    let run = run(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n");
    assert!(!run.first().unwrap().0.keep_alive());
    assert_eq!(run.events.last(), Some(&common::Ev::Closed));
}

#[test]
fn peer_eof_after_a_complete_request_still_gets_the_response() {
    // Our choice (RFC 9112 §9.6): a half-closed client still gets its answer.
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    conn.feed_eof();
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    let mut out = Vec::new();
    answer(&mut conn, &mut out);
    assert!(out.ends_with(b"ok"));
    assert!(
        head_of(&out).contains("Connection: close"),
        "no more requests can come"
    );
    assert_eq!(conn.next_event(), ServerEvent::Closed);
}

#[test]
fn eof_on_an_idle_connection_is_a_clean_close() {
    let run = run_eof(b"");
    assert_eq!(run.events, vec![common::Ev::Closed]);
    assert!(run.output.is_empty());
}

#[test]
fn eof_inside_a_head_is_an_error() {
    let run = run_eof(b"GET / HTTP/1.1\r\nHo");
    assert_eq!(run.error().unwrap().reason(), "incomplete request head");
}

#[test]
fn content_length_body_cut_short_by_eof_is_never_complete() {
    // RFC 9112 §6.3 r6, §8.
    let run = run_eof(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello");
    assert_eq!(run.error().unwrap().reason(), "incomplete body");
    assert!(!run.events.iter().any(|e| matches!(e, common::Ev::End(_))));
}

fn respond_without_reading(conn: &mut ServerConn, out: &mut Vec<u8>) {
    let head = ResponseHead::new(Status::OK);
    conn.write_head(&head, BodySize::EMPTY, now(), out).unwrap();
    conn.write_end(None, out).unwrap();
}

#[test]
fn small_unread_body_is_drained_and_the_connection_kept() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
    conn.feed(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    respond_without_reading(&mut conn, &mut out);
    assert!(conn.keep_alive());
    let ServerEvent::Head(next) = conn.next_event() else {
        panic!("next request expected")
    };
    assert_eq!(next.path(), "/next");
}

#[test]
fn unread_chunked_body_is_drained_too() {
    let mut conn = ServerConn::default();
    conn.feed(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    conn.feed(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    respond_without_reading(&mut conn, &mut out);
    let ServerEvent::Head(next) = conn.next_event() else {
        panic!("next request expected")
    };
    assert_eq!(next.path(), "/next");
}

#[test]
fn large_unread_body_closes_instead_of_draining() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nxxxx");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    respond_without_reading(&mut conn, &mut out);
    assert!(
        head_of(&out).contains("Connection: close"),
        "the client is told"
    );
    assert_eq!(conn.next_event(), ServerEvent::Closed);
    assert!(conn.is_closed());
}

#[test]
fn unread_chunked_body_past_the_drain_limit_closes() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    respond_without_reading(&mut conn, &mut out);
    let chunk = format!("{:x}\r\n{}\r\n", 70_000, "x".repeat(70_000));
    conn.feed(chunk.as_bytes());
    assert_eq!(conn.next_event(), ServerEvent::Closed);
}

#[test]
fn the_response_after_answering_is_ready_for_the_next_request() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    assert_eq!(conn.next_event(), ServerEvent::Paused);
    let mut out = Vec::new();
    answer(&mut conn, &mut out);
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    assert!(!conn.is_closed());
}

#[test]
fn close_after_response_makes_this_response_the_last() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn.close_after_response();
    let mut out = Vec::new();
    answer(&mut conn, &mut out);
    assert!(head_of(&out).contains("Connection: close"));
    assert_eq!(conn.next_event(), ServerEvent::Closed);
    let mut idle = ServerConn::default();
    idle.close_after_response();
    assert_eq!(
        idle.next_event(),
        ServerEvent::Closed,
        "an idle connection closes at once"
    );
}

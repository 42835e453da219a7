//! The connection's lifecycle policy, one scenario per row of the table at
//! the top of `server.rs`: time-outs, which answer wins, lingering.

use std::time::SystemTime;

use lath_codec::{BodySize, HeadWritten, ResponseHead, ServerConn, ServerEvent, Status};

fn head_of(conn: &mut ServerConn) {
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
}

/// Writes an empty `200` to the request in progress.
fn answer_empty(conn: &mut ServerConn) {
    let mut out = Vec::new();
    let head = ResponseHead::new(Status::OK);
    conn.write_head(&head, BodySize::Known(0), SystemTime::now(), &mut out)
        .unwrap();
    conn.write_end(None, &mut out).unwrap();
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn an_idle_connection_times_out_silently() {
    // RFC 9112 §9.5: an idle connection may close at any time.
    let mut conn = ServerConn::default();
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    assert_eq!(conn.timed_out(), None);
    assert!(conn.is_closed());
    assert!(!conn.should_linger());
}

#[test]
fn a_partial_head_times_out_with_408() {
    // RFC 9110 §15.5.9.
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHo");
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    let error = conn.timed_out().unwrap();
    assert_eq!(error.status(), Status::REQUEST_TIMEOUT);
    let mut out = Vec::new();
    assert!(conn.write_error(&error, SystemTime::now(), &mut out));
    assert!(text(&out).starts_with("HTTP/1.1 408 Request Timeout\r\n"));
    assert!(text(&out).contains("Connection: close\r\n"));
    assert!(conn.should_linger());
}

#[test]
fn a_slow_body_gets_408_in_place_of_the_app_answer() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    head_of(&mut conn);
    assert!(matches!(conn.next_event(), ServerEvent::Data(_)));
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    assert_eq!(conn.timed_out().unwrap().status(), Status::REQUEST_TIMEOUT);
    let mut out = Vec::new();
    let written = conn.write_response_head(
        &ResponseHead::new(Status::OK),
        BodySize::Known(2),
        SystemTime::now(),
        &mut out,
    );
    assert_eq!(written, HeadWritten::Replaced(Status::REQUEST_TIMEOUT));
    assert!(text(&out).starts_with("HTTP/1.1 408 "));
    assert!(conn.is_closed());
    assert!(conn.should_linger());
}

#[test]
fn a_malformed_body_is_answered_400_whatever_the_app_says() {
    // RFC 9112 §7.1: a bad chunk size; the body's error is the answer.
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    head_of(&mut conn);
    assert!(matches!(conn.next_event(), ServerEvent::Error(_)));
    let mut out = Vec::new();
    let written = conn.write_response_head(
        &ResponseHead::new(Status::OK),
        BodySize::Known(0),
        SystemTime::now(),
        &mut out,
    );
    assert_eq!(written, HeadWritten::Replaced(Status::BAD_REQUEST));
    assert!(text(&out).starts_with("HTTP/1.1 400 "));
}

#[test]
fn an_invalid_app_head_is_answered_500() {
    // RFC 9112 §11.1: a field that could split the response never goes out.
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    head_of(&mut conn);
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("X-Split", "a\r\nSet-Cookie: b");
    let mut out = Vec::new();
    let written = conn.write_response_head(&head, BodySize::Known(0), SystemTime::now(), &mut out);
    assert_eq!(
        written,
        HeadWritten::Replaced(Status::INTERNAL_SERVER_ERROR)
    );
    assert!(text(&out).starts_with("HTTP/1.1 500 "));
    assert!(!text(&out).contains("Set-Cookie"));
}

#[test]
fn an_early_answer_to_a_large_body_closes_and_lingers() {
    // RFC 9112 §9.6: more unread body than the drain limit: close, but
    // linger so the client reads the answer rather than a reset.
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\nxxxx");
    head_of(&mut conn);
    let mut out = Vec::new();
    let mut head = ResponseHead::new(Status::CONTENT_TOO_LARGE);
    head.headers.append("Content-Type", "text/plain");
    let written = conn.write_response_head(&head, BodySize::Known(0), SystemTime::now(), &mut out);
    assert_eq!(written, HeadWritten::App);
    assert!(text(&out).contains("Connection: close\r\n"));
    conn.write_end(None, &mut out).unwrap();
    assert!(conn.is_closed());
    assert!(conn.should_linger());
}

#[test]
fn a_complete_exchange_ending_the_connection_does_not_linger() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    head_of(&mut conn);
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    answer_empty(&mut conn);
    assert!(conn.is_closed());
    assert!(!conn.should_linger());
}

#[test]
fn bytes_after_a_closing_request_make_it_linger() {
    // The client pipelined past `Connection: close`: those bytes are never
    // read, and closing on them would reset the connection.
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\n");
    head_of(&mut conn);
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    answer_empty(&mut conn);
    assert!(conn.should_linger());
    conn.feed_eof();
    assert!(
        !conn.should_linger(),
        "the peer closed: nothing more to wait for"
    );
}

#[test]
fn a_closing_answer_to_a_bodiless_request_does_not_linger() {
    // The empty body's end was never pulled: nothing more is coming.
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    head_of(&mut conn);
    answer_empty(&mut conn);
    assert!(conn.is_closed());
    assert!(!conn.should_linger());
}

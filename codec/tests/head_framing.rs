//! Which responses carry framing fields and body bytes (RFC 9112 §6.1–§6.3;
//! RFC 9110 §9.3.2, §15.3.5, §15.4.5).

mod common;

use common::{head, now};
use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status, UsageError};

fn conn_for(request: &str) -> ServerConn {
    common::conn_after(request.as_bytes())
}

/// Writes `status` with `body` to `request` and returns the bytes.
fn respond(request: &str, status: Status, size: BodySize, body: &[u8]) -> String {
    let mut conn = conn_for(request);
    let mut out = Vec::new();
    head(&mut conn, status, size, &mut out).unwrap();
    conn.write_data(body, &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

const GET: &str = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const HEAD: &str = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";

#[test]
fn head_keeps_gets_framing_fields_and_sends_no_body() {
    let get = respond(GET, Status::OK, BodySize::Known(5), b"hello");
    let head = respond(HEAD, Status::OK, BodySize::Known(5), b"hello");
    assert!(get.ends_with("\r\n\r\nhello"));
    assert!(head.contains("Content-Length: 5\r\n"));
    assert!(head.ends_with("\r\n\r\n"), "zero body bytes: {head:?}");
    assert_eq!(get.strip_suffix("hello").unwrap(), head);
}

#[test]
fn head_of_a_streamed_body_says_chunked_and_sends_nothing() {
    let head = respond(HEAD, Status::OK, BodySize::Unknown, b"hello");
    assert!(head.contains("Transfer-Encoding: chunked\r\n"));
    assert!(head.ends_with("\r\n\r\n"));
}

#[test]
fn no_content_has_no_framing_fields_and_no_body() {
    let out = respond(GET, Status::NO_CONTENT, BodySize::EMPTY, b"");
    assert!(
        !out.contains("Content-Length") && !out.contains("Transfer-Encoding"),
        "{out}"
    );
    let mut conn = conn_for(GET);
    let mut out = Vec::new();
    head(&mut conn, Status::NO_CONTENT, BodySize::Known(3), &mut out).unwrap();
    assert_eq!(
        conn.write_data(b"abc", &mut out),
        Err(UsageError::BodyNotAllowed)
    );
}

#[test]
fn app_framing_fields_on_204_are_dropped() {
    let mut conn = conn_for(GET);
    let mut head = ResponseHead::new(Status::NO_CONTENT);
    head.headers.append("Content-Length", "0");
    let mut out = Vec::new();
    conn.write_head(&head, BodySize::EMPTY, now(), &mut out)
        .unwrap();
    assert!(!String::from_utf8_lossy(&out).contains("Content-Length"));
}

#[test]
fn not_modified_has_no_body_and_no_transfer_encoding() {
    let out = respond(GET, Status::NOT_MODIFIED, BodySize::Unknown, b"");
    assert!(
        !out.contains("Transfer-Encoding") && !out.contains("Content-Length"),
        "{out}"
    );
    assert!(out.ends_with("\r\n\r\n"));
}

#[test]
fn not_modified_keeps_a_content_length_the_app_gave() {
    let mut conn = conn_for(GET);
    let mut head = ResponseHead::new(Status::NOT_MODIFIED);
    head.headers.append("Content-Length", "1234");
    let mut out = Vec::new();
    conn.write_head(&head, BodySize::EMPTY, now(), &mut out)
        .unwrap();
    conn.write_end(None, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("Content-Length: 1234\r\n") && out.ends_with("\r\n\r\n"));
    assert!(conn.keep_alive());
}

#[test]
fn interim_responses_have_no_framing_fields() {
    let mut conn = conn_for(GET);
    let mut out = Vec::new();
    let mut hints = ResponseHead::new(Status::EARLY_HINTS);
    hints.headers.append("Link", "</a.css>; rel=preload");
    conn.write_head(&hints, BodySize::Known(5), now(), &mut out)
        .unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    );
    assert!(conn.awaits_response(), "the final response is still due");
}

#[test]
fn known_length_gets_content_length_and_unknown_gets_chunked() {
    let known = respond(GET, Status::OK, BodySize::Known(5), b"hello");
    assert!(known.contains("Content-Length: 5\r\n") && !known.contains("Transfer-Encoding"));
    let unknown = respond(GET, Status::OK, BodySize::Unknown, b"hello");
    assert!(
        unknown.contains("Transfer-Encoding: chunked\r\n") && !unknown.contains("Content-Length")
    );
    assert!(unknown.ends_with("\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
}

#[test]
fn never_both_content_length_and_transfer_encoding() {
    let mut conn = conn_for(GET);
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Content-Length", "5");
    head.headers.append("Transfer-Encoding", "chunked");
    let mut out = Vec::new();
    assert_eq!(
        conn.write_head(&head, BodySize::Known(5), now(), &mut out),
        Err(UsageError::ConflictingFraming)
    );
    assert!(out.is_empty());
}

#[test]
fn app_content_length_must_match_the_body() {
    let mut conn = conn_for(GET);
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Content-Length", "5");
    let mut out = Vec::new();
    assert_eq!(
        conn.write_head(&head, BodySize::Known(6), now(), &mut out),
        Err(UsageError::ConflictingFraming)
    );
    conn.write_head(&head, BodySize::Unknown, now(), &mut out)
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out)
            .matches("Content-Length")
            .count()
            == 1
    );
}

#[test]
fn app_body_longer_than_declared_is_an_error_not_a_truncation() {
    let mut conn = conn_for(GET);
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Known(3), &mut out).unwrap();
    let before = out.len();
    assert_eq!(
        conn.write_data(b"abcd", &mut out),
        Err(UsageError::BodyTooLong { declared: 3 })
    );
    assert_eq!(out.len(), before);
}

#[test]
fn app_body_shorter_than_declared_is_an_error_and_closes() {
    let mut conn = conn_for(GET);
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Known(3), &mut out).unwrap();
    conn.write_data(b"ab", &mut out).unwrap();
    assert_eq!(
        conn.write_end(None, &mut out),
        Err(UsageError::BodyTooShort {
            declared: 3,
            written: 2
        })
    );
    assert!(!conn.keep_alive());
    assert_eq!(conn.next_event(), ServerEvent::Closed);
}

#[test]
fn two_responses_for_one_request_is_misuse() {
    let mut conn = conn_for(GET);
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::EMPTY, &mut out).unwrap();
    assert_eq!(
        head(&mut conn, Status::OK, BodySize::EMPTY, &mut out),
        Err(UsageError::UnexpectedHead)
    );
}

#[test]
fn writing_without_a_request_is_misuse() {
    let mut conn = ServerConn::default();
    let mut out = Vec::new();
    assert_eq!(
        head(&mut conn, Status::OK, BodySize::EMPTY, &mut out),
        Err(UsageError::UnexpectedHead)
    );
    assert_eq!(
        conn.write_data(b"x", &mut out),
        Err(UsageError::NoMessageInProgress)
    );
    assert_eq!(
        conn.write_end(None, &mut out),
        Err(UsageError::NoMessageInProgress)
    );
}

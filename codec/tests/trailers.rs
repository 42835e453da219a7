//! Trailer sections (RFC 9112 §7.1.2, §7.4; RFC 9110 §6.5).

mod common;

use common::{head, run};
use lath_codec::{BodySize, Headers, ServerConn, ServerEvent, Status};

const HEAD: &str = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

#[test]
fn request_trailers_parse_like_fields() {
    let run =
        run(format!("{HEAD}2\r\nhi\r\n0\r\nX-Checksum:  abc \r\nX-Other: 1\r\n\r\n").as_bytes());
    let (head, body, trailers) = run.first().unwrap();
    assert_eq!(body, b"hi");
    assert_eq!(trailers.get("x-checksum"), Some(&b"abc"[..]));
    assert_eq!(trailers.len(), 2);
    assert!(
        !head.headers.contains("x-checksum"),
        "trailers never merge into the head"
    );
}

#[test]
fn framing_and_routing_fields_in_trailers_are_ignored() {
    let run = run(format!(
        "{HEAD}2\r\nhi\r\n0\r\nContent-Length: 99\r\nTransfer-Encoding: gzip\r\nHost: evil\r\nX-Ok: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    .as_bytes());
    let (head, body, trailers) = run.first().unwrap();
    assert_eq!(body, b"hi");
    assert_eq!(trailers.len(), 1);
    assert_eq!(trailers.get("x-ok"), Some(&b"1"[..]));
    assert_eq!(head.headers.get("host"), Some(&b"a"[..]));
    assert_eq!(
        run.heads().len(),
        2,
        "framing unchanged: the next request parses"
    );
}

#[test]
fn trailer_section_past_its_limit_is_431() {
    let big = format!("{HEAD}0\r\nX: {}\r\n\r\n", "v".repeat(17 * 1024));
    assert_eq!(
        run(big.as_bytes()).error().unwrap().status(),
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}

fn chunked_response(request: &[u8]) -> Vec<u8> {
    let mut conn = ServerConn::default();
    conn.feed(request);
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Unknown, &mut out).unwrap();
    conn.write_data(b"data", &mut out).unwrap();
    let mut trailers = Headers::new();
    trailers.append("X-Checksum", "abc");
    trailers.append("Content-Length", "4");
    conn.write_end(Some(&trailers), &mut out).unwrap();
    out
}

#[test]
fn response_trailers_only_when_the_client_sent_te_trailers() {
    let with = chunked_response(b"GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n");
    assert!(
        with.ends_with(b"4\r\ndata\r\n0\r\nX-Checksum: abc\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&with)
    );
    let without = chunked_response(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(without.ends_with(b"4\r\ndata\r\n0\r\n\r\n"));
}

#[test]
fn invalid_trailer_values_are_refused() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Unknown, &mut out).unwrap();
    let mut trailers = Headers::new();
    trailers.append("X", "a\r\nInjected: 1");
    assert!(conn.write_end(Some(&trailers), &mut out).is_err());
}

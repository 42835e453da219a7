//! Upgrade and CONNECT hand-off (RFC 9110 §7.8, §9.3.6; h11 trailing_data).

mod common;

use common::{answer, head, now};
use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status, UsageError};

#[test]
fn after_101_the_codec_returns_the_unparsed_bytes_and_stops() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nraw bytes\r\n\r\nGET / HTTP/1.1\r\n");
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert!(req.wants_upgrade());
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    assert_eq!(
        conn.next_event(),
        ServerEvent::Paused,
        "the rest is not parsed as HTTP"
    );
    let mut out = Vec::new();
    let mut head = ResponseHead::new(Status::SWITCHING_PROTOCOLS);
    head.headers.append("Connection", "upgrade");
    head.headers.append("Upgrade", "echo");
    conn.write_head(&head, BodySize::EMPTY, now(), &mut out)
        .unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n"
    );
    assert!(conn.is_upgraded());
    assert_eq!(
        conn.take_upgraded().unwrap(),
        &b"raw bytes\r\n\r\nGET / HTTP/1.1\r\n"[..]
    );
    assert_eq!(conn.take_upgraded(), None);
    assert_eq!(conn.next_event(), ServerEvent::Closed);
    assert_eq!(conn.write_data(b"x", &mut out), Err(UsageError::Closed));
}

#[test]
fn declining_an_upgrade_carries_on_as_http() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    answer(&mut conn, &mut Vec::new());
    let ServerEvent::Head(next) = conn.next_event() else {
        panic!()
    };
    assert_eq!(next.path(), "/2");
}

#[test]
fn connect_2xx_hands_off_without_framing_fields() {
    let mut conn = ServerConn::default();
    conn.feed(b"CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n\x00\x01tunnel");
    let ServerEvent::Head(req) = conn.next_event() else {
        panic!()
    };
    assert_eq!(req.authority(), Some("db:5432"));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::OK, BodySize::Known(10), &mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(
        !text.contains("Content-Length") && !text.contains("Transfer-Encoding"),
        "{text}"
    );
    assert_eq!(conn.take_upgraded().unwrap(), &b"\x00\x01tunnel"[..]);
}

#[test]
fn connect_refused_stays_http() {
    let mut conn = ServerConn::default();
    conn.feed(b"CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    assert!(matches!(conn.next_event(), ServerEvent::End(_)));
    let mut out = Vec::new();
    head(&mut conn, Status::FORBIDDEN, BodySize::EMPTY, &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    assert!(!conn.is_upgraded());
    assert!(String::from_utf8_lossy(&out).contains("Content-Length: 0"));
}

#[test]
fn a_101_nobody_asked_for_is_refused() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    let result = head(
        &mut conn,
        Status::SWITCHING_PROTOCOLS,
        BodySize::EMPTY,
        &mut out,
    );
    assert_eq!(result, Err(UsageError::UnexpectedUpgrade));
    assert!(out.is_empty());
}

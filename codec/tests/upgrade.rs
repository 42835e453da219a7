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

/// RFC 9113 §3.4: a client with prior knowledge opens with the 24-byte
/// preface. However it is split, the codec says "not yet" until all of it
/// is here, never "no"; then a driver that speaks HTTP/2 takes every byte.
#[test]
fn the_http2_preface_is_recognised_however_it_is_split() {
    let opening: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04";
    for split in 1..opening.len() {
        let mut conn = lath_codec::ServerConn::default();
        conn.feed(&opening[..split]);
        let expected = if split >= 24 { Some(true) } else { None };
        let mut cut = lath_codec::ServerConn::default();
        cut.feed(&opening[..split]);
        cut.feed_eof();
        let ended = if split >= 24 { Some(true) } else { Some(false) };
        assert_eq!(
            cut.http2_preface(),
            ended,
            "no more will come after {split}"
        );
        assert_eq!(conn.http2_preface(), expected, "split at {split}");
        conn.feed(&opening[split..]);
        assert_eq!(conn.http2_preface(), Some(true), "split at {split}");
        assert_eq!(&conn.hand_over()[..], opening);
        assert!(conn.is_closed());
    }
    // Anything else is no preface, from the first differing byte; nothing
    // yet is not a preface either (the codec may wait as it always does).
    for other in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"PRX",
        b"PRI * HTTP/1.1\r\n",
        b"",
    ] {
        let mut conn = lath_codec::ServerConn::default();
        conn.feed(other);
        assert_eq!(conn.http2_preface(), Some(false), "{other:?}");
    }
}

//! What happens after a protocol error (RFC 9112 §6.3, §11.2).

mod common;

use common::now;
use lath_codec::{ServerConn, ServerEvent, Status};

#[test]
fn the_error_is_reported_once_then_the_connection_is_closed() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let ServerEvent::Error(e) = conn.next_event() else {
        panic!()
    };
    assert_eq!(e.status(), Status::BAD_REQUEST);
    assert_eq!(e.reason(), "differing content-length values");
    assert!(e.must_close());
    assert_eq!(conn.next_event(), ServerEvent::Closed);
    assert_eq!(conn.next_event(), ServerEvent::Closed);
}

#[test]
fn the_canned_answer_is_written_once() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n");
    let ServerEvent::Error(e) = conn.next_event() else {
        panic!()
    };
    let mut out = Vec::new();
    assert!(conn.write_error(&e, now(), &mut out));
    let text = String::from_utf8(out.clone()).unwrap();
    assert_eq!(
        text,
        "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 25\r\nConnection: close\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n\
         Server: lath\r\n\r\nunsupported http version\n"
    );
    assert!(!conn.write_error(&e, now(), &mut out));
    assert_eq!(out.len(), text.len());
    assert!(conn.is_closed());
}

#[test]
fn no_canned_answer_once_a_response_has_started() {
    let mut conn = ServerConn::default();
    conn.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    let head = lath_codec::ResponseHead::new(Status::OK);
    conn.write_head(&head, lath_codec::BodySize::Unknown, now(), &mut out)
        .unwrap();
    conn.feed(b"zz\r\n");
    let ServerEvent::Error(e) = conn.next_event() else {
        panic!()
    };
    let before = out.len();
    assert!(
        !conn.write_error(&e, now(), &mut out),
        "headers already went out"
    );
    assert_eq!(out.len(), before);
    assert!(!conn.keep_alive());
}

#[test]
fn every_error_status_is_one_the_design_names() {
    let inputs: [&[u8]; 7] = [
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: a\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n",
        b"\x16\x03\x01",
        b"GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
    ];
    for input in inputs {
        let run = common::run(input);
        let code = run.error().unwrap().status().code();
        assert!(
            [400, 413, 414, 417, 431, 501, 505].contains(&code),
            "{code}"
        );
    }
}

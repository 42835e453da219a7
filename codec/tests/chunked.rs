//! Chunked request bodies (RFC 9112 §7.1).

mod common;

use common::{run, run_with};
use lath_codec::{Config, ServerConn, ServerEvent};

const HEAD: &str = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

#[test]
fn split_at_every_byte_position_decodes_the_same() {
    // h11 test_chunk_boundaries: every single cut, and every pair of cuts.
    let input = format!(
        "{HEAD}5;ext=\"q\"\r\nhello\r\n1A\r\n{}\r\n0\r\nX-Sum: 7\r\n\r\n",
        "z".repeat(26)
    );
    let input = input.as_bytes();
    let whole = run(input);
    let (_, body, trailers) = whole.first().unwrap();
    assert_eq!(body, [&b"hello"[..], &[b'z'; 26]].concat());
    assert_eq!(trailers.get("x-sum"), Some(&b"7"[..]));
    for i in 0..input.len() {
        assert_eq!(
            run_with(Config::default(), input, &[i], false),
            whole,
            "cut at {i}"
        );
        for j in (i..input.len()).step_by(7) {
            assert_eq!(
                run_with(Config::default(), input, &[i, j], false),
                whole,
                "cuts {i},{j}"
            );
        }
    }
}

#[test]
fn data_comes_as_soon_as_it_arrives() {
    let mut conn = ServerConn::default();
    conn.feed(HEAD.as_bytes());
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn.feed(b"a\r\nhel");
    assert_eq!(conn.next_event(), ServerEvent::Data("hel".into()));
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    conn.feed(b"lo worl");
    assert_eq!(conn.next_event(), ServerEvent::Data("lo worl".into()));
    conn.feed(b"\r\n");
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    conn.feed(b"0\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::End(t) if t.is_empty()));
}

#[test]
fn huge_chunk_sizes_stream_without_buffering() {
    let mut conn = ServerConn::default();
    conn.feed(format!("{HEAD}ffffffffffffffff\r\n").as_bytes());
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn.feed(&[b'x'; 4096]);
    assert!(matches!(conn.next_event(), ServerEvent::Data(d) if d.len() == 4096));
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
}

#[test]
fn eof_inside_a_chunked_body_is_an_error() {
    let run = common::run_eof(format!("{HEAD}5\r\nhel").as_bytes());
    assert_eq!(run.error().unwrap().reason(), "incomplete body");
}

//! Pipelined requests (RFC 9112 §9.3.2): released one at a time, answered
//! in order.

mod common;

use common::{answer, run};
use lath_codec::{ServerConn, ServerEvent};

#[test]
fn requests_are_released_one_at_a_time() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut out = Vec::new();
    for n in 1..=3 {
        let ServerEvent::Head(req) = conn.next_event() else {
            panic!("head {n}")
        };
        assert_eq!(req.path(), format!("/{n}"));
        assert!(matches!(conn.next_event(), ServerEvent::End(_)));
        // Until the response ends, the next request stays buffered.
        assert_eq!(conn.next_event(), ServerEvent::Paused);
        assert_eq!(conn.next_event(), ServerEvent::Paused);
        answer(&mut conn, &mut out);
    }
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3);
}

/// A request without a body answered before its end was pulled (as a
/// server does when the app never reads the body): once the answer ends
/// the exchange is over, with nothing to drain, and the next request
/// comes out; a lone one leaves the connection idle at once.
#[test]
fn a_request_without_a_body_answered_before_its_end_is_over_with_the_answer() {
    let mut conn = ServerConn::default();
    conn.feed(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut out = Vec::new();
    for n in 1..=2 {
        let ServerEvent::Head(req) = conn.next_event() else {
            panic!("head {n}")
        };
        assert_eq!(req.path(), format!("/{n}"));
        answer(&mut conn, &mut out);
    }
    assert!(conn.is_idle());
    assert_eq!(conn.next_event(), ServerEvent::NeedData);
    assert_eq!(
        String::from_utf8_lossy(&out)
            .matches("HTTP/1.1 200 OK")
            .count(),
        2
    );
}

#[test]
fn pipelined_bodies_stay_with_their_requests() {
    let run = run(b"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ndef\r\n0\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
    use common::Ev::*;
    let shape: Vec<String> = run
        .events
        .iter()
        .map(|e| match e {
            Head(h) => h.path().to_owned(),
            Data(d) => String::from_utf8_lossy(d).into_owned(),
            End(_) => "end".to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(shape, ["/1", "abc", "end", "/2", "def", "end", "/3", "end"]);
}

#[test]
fn a_body_is_never_parsed_as_a_request() {
    // RFC 9112 §6.3: the GET's body looks like a request but is only data.
    let smuggled = b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
    let run = run(smuggled);
    assert_eq!(run.heads().len(), 1);
    assert_eq!(
        run.first().unwrap().1,
        b"GET /admin HTTP/1.1\r\nHost: a\r\n"
    );
}

#[test]
fn a_valid_request_then_garbage_is_answered_then_refused() {
    // RFC 9112 §9.3.2: the first request is answered; the garbage gets 400.
    let run = run(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x00\x01garbage\r\n\r\n");
    assert_eq!(run.heads().len(), 1);
    assert_eq!(run.error().unwrap().status().code(), 400);
    let text = String::from_utf8_lossy(&run.output);
    let ok = text.find("HTTP/1.1 200 OK").unwrap();
    let bad = text.find("HTTP/1.1 400 Bad Request").unwrap();
    assert!(ok < bad, "answers keep request order");
}

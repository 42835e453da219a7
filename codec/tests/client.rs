//! The client role: reading responses (RFC 9112 §6.3) and writing requests.

use lath_codec::{
    BodySize, ClientConn, ClientEvent, Config, Headers, Method, RequestHead, UsageError,
};

fn send(conn: &mut ClientConn, method: Method, target: &'static str) {
    let mut out = Vec::new();
    conn.write_request(&RequestHead::new(method, target), BodySize::EMPTY, &mut out)
        .unwrap();
    conn.write_end(None, &mut out).unwrap();
}

/// Reads one whole response: the statuses of its heads, body and trailers.
fn response(conn: &mut ClientConn) -> Result<(Vec<u16>, Vec<u8>, Headers), String> {
    let mut statuses = Vec::new();
    let mut body = Vec::new();
    loop {
        match conn.next_event() {
            ClientEvent::Head(h) => statuses.push(h.status.code()),
            ClientEvent::Data(d) => body.extend_from_slice(&d),
            ClientEvent::End(t) => return Ok((statuses, body, t)),
            other => return Err(format!("{other:?}")),
        }
    }
}

fn client() -> ClientConn {
    ClientConn::new(Config::default(), "example.org")
}

#[test]
fn interim_responses_come_before_the_final_one() {
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    assert_eq!(
        response(&mut conn).unwrap(),
        (vec![100, 103, 200], b"hi".to_vec(), Headers::new())
    );
}

#[test]
fn head_responses_have_no_body_whatever_they_say() {
    let mut conn = client();
    send(&mut conn, Method::HEAD, "/");
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    assert_eq!(response(&mut conn).unwrap().1, b"");
    assert_eq!(response(&mut conn).unwrap().1, b"hi");
}

#[test]
fn no_content_and_not_modified_have_no_body() {
    let mut conn = client();
    send(&mut conn, Method::GET, "/a");
    send(&mut conn, Method::GET, "/b");
    conn.feed(
        b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    );
    assert_eq!(response(&mut conn).unwrap().0, [204]);
    assert_eq!(response(&mut conn).unwrap().0, [304]);
}

#[test]
fn chunked_with_trailers() {
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
    );
    let (_, body, trailers) = response(&mut conn).unwrap();
    assert_eq!(body, b"abc");
    assert_eq!(trailers.get("x-sum"), Some(&b"1"[..]));
    assert!(conn.keep_alive());
}

#[test]
fn close_delimited_bodies_end_at_eof() {
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.0 200 OK\r\n\r\nall of it");
    assert!(matches!(conn.next_event(), ClientEvent::Head(_)));
    assert_eq!(conn.next_event(), ClientEvent::Data("all of it".into()));
    assert_eq!(conn.next_event(), ClientEvent::NeedData);
    conn.feed_eof();
    assert!(matches!(conn.next_event(), ClientEvent::End(_)));
    assert_eq!(conn.next_event(), ClientEvent::Closed);
    assert!(!conn.keep_alive());
}

#[test]
fn malformed_responses_are_errors() {
    for bad in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    ] {
        let mut conn = client();
        send(&mut conn, Method::GET, "/");
        conn.feed(bad);
        assert!(
            response(&mut conn).unwrap_err().starts_with("Error"),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn a_response_nobody_asked_for_is_an_error() {
    let mut conn = client();
    conn.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert!(matches!(conn.next_event(), ClientEvent::Error(_)));
}

#[test]
fn requests_get_host_and_framing() {
    let mut conn = client();
    let mut out = Vec::new();
    let mut head = RequestHead::new(Method::POST, "/upload");
    head.headers.append("Content-Type", "text/plain");
    conn.write_request(&head, BodySize::Unknown, &mut out)
        .unwrap();
    conn.write_data(b"abc", &mut out).unwrap();
    conn.write_end(None, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /upload HTTP/1.1\r\nHost: example.org\r\nContent-Type: text/plain\r\n\
         Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    let mut out = Vec::new();
    conn.write_request(
        &RequestHead::new(Method::GET, "http://other:81/x"),
        BodySize::EMPTY,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out,
        b"GET http://other:81/x HTTP/1.1\r\nHost: other:81\r\n\r\n"
    );
}

#[test]
fn request_misuse_is_refused() {
    let mut conn = client();
    let mut out = Vec::new();
    let bad_target = RequestHead::new(Method::GET, "/a b");
    assert_eq!(
        conn.write_request(&bad_target, BodySize::EMPTY, &mut out),
        Err(UsageError::InvalidTarget)
    );
    let mut injected = RequestHead::new(Method::GET, "/");
    injected.headers.append("X", "1\r\nHost: evil");
    assert!(conn
        .write_request(&injected, BodySize::EMPTY, &mut out)
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn switching_protocols_hands_back_the_rest() {
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\nhello");
    assert!(matches!(conn.next_event(), ClientEvent::Head(h) if h.status.code() == 101));
    assert_eq!(conn.take_upgraded().unwrap(), &b"hello"[..]);
}

#[test]
fn a_reason_phrase_with_obs_text_is_kept_as_sent() {
    // Found by fuzzing: httparse drops a non-UTF-8 reason, which once sent
    // the codec's offsets astray.
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.1 200 caf\xe9 ok\r\nContent-Length: 2\r\n\r\nhi");
    let ClientEvent::Head(res) = conn.next_event() else {
        panic!()
    };
    assert_eq!(res.reason(), b"caf\xe9 ok");
    assert_eq!(conn.next_event(), ClientEvent::Data("hi".into()));
    let mut conn = client();
    send(&mut conn, Method::GET, "/");
    conn.feed(b"HTTP/1.1 200 \xed\xed:\r\n\r\nhi");
    assert!(matches!(conn.next_event(), ClientEvent::Head(h) if h.reason() == b"\xed\xed:"));
}

//! Client writes a request, server parses it, server writes a response,
//! client parses it back: for every framing kind.

mod common;

use common::now;
use lath_codec::{
    BodySize, ClientConn, ClientEvent, Config, Headers, Method, RequestHead, ResponseHead,
    ServerConn, ServerEvent, Status, Version,
};

struct Exchange {
    method: Method,
    request_body: Option<Vec<u8>>,
    request_size: BodySize,
    status: Status,
    response_size: BodySize,
    response_body: Vec<u8>,
    http10: bool,
    te_trailers: bool,
}

fn exchange(
    method: Method,
    request_size: BodySize,
    request_body: &[u8],
    status: Status,
    response_size: BodySize,
    response_body: &[u8],
) -> Exchange {
    Exchange {
        method,
        request_body: Some(request_body.to_vec()),
        request_size,
        status,
        response_size,
        response_body: response_body.to_vec(),
        http10: false,
        te_trailers: false,
    }
}

/// Runs one exchange; returns what the client saw: status, body, trailers.
fn round_trip(x: &Exchange) -> (Status, Vec<u8>, Headers) {
    let mut client = ClientConn::new(Config::default(), "test");
    let mut server = ServerConn::default();
    let mut wire = Vec::new();

    let mut head = RequestHead::new(x.method.clone(), "/path?q=1");
    if x.http10 {
        head.version = Version::Http10;
    }
    if x.te_trailers {
        head.headers.append("TE", "trailers");
    }
    client
        .write_request(&head, x.request_size, &mut wire)
        .unwrap();
    let body = x.request_body.clone().unwrap_or_default();
    for piece in body.chunks(3) {
        client.write_data(piece, &mut wire).unwrap();
    }
    let mut req_trailers = Headers::new();
    req_trailers.append("X-Req-Trailer", "1");
    client.write_end(Some(&req_trailers), &mut wire).unwrap();

    server.feed(&wire);
    let ServerEvent::Head(req) = server.next_event() else {
        panic!("request head")
    };
    assert_eq!(req.method, x.method);
    assert_eq!(req.path(), "/path");
    assert_eq!(req.query(), Some("q=1"));
    assert_eq!(req.headers.get("host"), Some(&b"test"[..]));
    let mut got = Vec::new();
    let trailers = loop {
        match server.next_event() {
            ServerEvent::Data(d) => got.extend_from_slice(&d),
            ServerEvent::End(t) => break t,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(got, body, "request body");
    if x.request_size == BodySize::Unknown {
        assert_eq!(trailers.get("x-req-trailer"), Some(&b"1"[..]));
    }

    let mut wire = Vec::new();
    let mut res = ResponseHead::new(x.status);
    res.headers.append("X-Kind", "test");
    server
        .write_head(&res, x.response_size, now(), &mut wire)
        .unwrap();
    for piece in x.response_body.chunks(4) {
        server.write_data(piece, &mut wire).unwrap();
    }
    let mut res_trailers = Headers::new();
    res_trailers.append("X-Res-Trailer", "2");
    server.write_end(Some(&res_trailers), &mut wire).unwrap();

    client.feed(&wire);
    if server.is_closed() {
        client.feed_eof();
    }
    let ClientEvent::Head(res) = client.next_event() else {
        panic!("response head")
    };
    assert_eq!(res.headers.get("x-kind"), Some(&b"test"[..]));
    let mut got = Vec::new();
    loop {
        match client.next_event() {
            ClientEvent::Data(d) => got.extend_from_slice(&d),
            ClientEvent::End(t) => return (res.status, got, t),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn empty_bodies() {
    let x = exchange(
        Method::GET,
        BodySize::EMPTY,
        b"",
        Status::OK,
        BodySize::EMPTY,
        b"",
    );
    assert_eq!(round_trip(&x), (Status::OK, vec![], Headers::new()));
}

#[test]
fn known_lengths() {
    let x = exchange(
        Method::POST,
        BodySize::Known(11),
        b"hello world",
        Status::CREATED,
        BodySize::Known(5),
        b"done!",
    );
    assert_eq!(round_trip(&x).1, b"done!");
}

#[test]
fn chunked_both_ways_with_trailers() {
    let mut x = exchange(
        Method::PUT,
        BodySize::Unknown,
        b"streamed request",
        Status::OK,
        BodySize::Unknown,
        b"streamed response",
    );
    x.te_trailers = true;
    let (_, body, trailers) = round_trip(&x);
    assert_eq!(body, b"streamed response");
    assert_eq!(trailers.get("x-res-trailer"), Some(&b"2"[..]));
}

#[test]
fn chunked_response_without_te_trailers_drops_them() {
    let x = exchange(
        Method::GET,
        BodySize::EMPTY,
        b"",
        Status::OK,
        BodySize::Unknown,
        b"abc",
    );
    assert!(round_trip(&x).2.is_empty());
}

#[test]
fn head_responses() {
    let x = exchange(
        Method::HEAD,
        BodySize::EMPTY,
        b"",
        Status::OK,
        BodySize::Known(5),
        b"hello",
    );
    assert_eq!(round_trip(&x).1, b"");
}

#[test]
fn no_content_and_not_modified() {
    for status in [Status::NO_CONTENT, Status::NOT_MODIFIED] {
        let x = exchange(
            Method::GET,
            BodySize::EMPTY,
            b"",
            status,
            BodySize::EMPTY,
            b"",
        );
        assert_eq!(round_trip(&x).0, status);
    }
}

#[test]
fn close_delimited_for_http10() {
    let mut x = exchange(
        Method::GET,
        BodySize::EMPTY,
        b"",
        Status::OK,
        BodySize::Unknown,
        b"until the end",
    );
    x.http10 = true;
    x.request_body = None;
    assert_eq!(round_trip(&x).1, b"until the end");
}

#[test]
fn close_delimited_without_automatic_length() {
    let mut client = ClientConn::new(Config::default(), "test");
    let mut config = Config::default();
    config.content_length = false;
    let mut server = ServerConn::new(config);
    let mut wire = Vec::new();
    client
        .write_request(
            &RequestHead::new(Method::GET, "/"),
            BodySize::EMPTY,
            &mut wire,
        )
        .unwrap();
    client.write_end(None, &mut wire).unwrap();
    server.feed(&wire);
    assert!(matches!(server.next_event(), ServerEvent::Head(_)));
    let mut wire = Vec::new();
    server
        .write_head(
            &ResponseHead::new(Status::OK),
            BodySize::Known(3),
            now(),
            &mut wire,
        )
        .unwrap();
    server.write_data(b"abc", &mut wire).unwrap();
    server.write_end(None, &mut wire).unwrap();
    assert!(server.is_closed());
    client.feed(&wire);
    client.feed_eof();
    assert!(matches!(client.next_event(), ClientEvent::Head(_)));
    assert_eq!(client.next_event(), ClientEvent::Data("abc".into()));
    assert!(matches!(client.next_event(), ClientEvent::End(_)));
}

#[test]
fn interim_then_final() {
    let mut client = ClientConn::new(Config::default(), "test");
    let mut server = ServerConn::default();
    let mut wire = Vec::new();
    let mut head = RequestHead::new(Method::POST, "/");
    head.headers.append("Expect", "100-continue");
    client
        .write_request(&head, BodySize::Known(2), &mut wire)
        .unwrap();
    server.feed(&wire);
    assert!(matches!(server.next_event(), ServerEvent::Head(_)));
    let mut back = Vec::new();
    assert!(server.write_continue(&mut back));
    client.feed(&back);
    assert!(matches!(client.next_event(), ClientEvent::Head(h) if h.status == Status::CONTINUE));
    let mut wire = Vec::new();
    client.write_data(b"ok", &mut wire).unwrap();
    client.write_end(None, &mut wire).unwrap();
    server.feed(&wire);
    assert_eq!(server.next_event(), ServerEvent::Data("ok".into()));
    assert!(matches!(server.next_event(), ServerEvent::End(_)));
    let mut back = Vec::new();
    server
        .write_head(
            &ResponseHead::new(Status::OK),
            BodySize::EMPTY,
            now(),
            &mut back,
        )
        .unwrap();
    server.write_end(None, &mut back).unwrap();
    client.feed(&back);
    assert!(matches!(client.next_event(), ClientEvent::Head(h) if h.status == Status::OK));
    assert!(matches!(client.next_event(), ClientEvent::End(_)));
    assert!(client.keep_alive() && server.keep_alive());
}

#[test]
fn upgrade_both_sides_hand_off() {
    let mut client = ClientConn::new(Config::default(), "test");
    let mut server = ServerConn::default();
    let mut wire = Vec::new();
    let mut head = RequestHead::new(Method::GET, "/chat");
    head.headers.append("Connection", "upgrade");
    head.headers.append("Upgrade", "echo");
    client
        .write_request(&head, BodySize::EMPTY, &mut wire)
        .unwrap();
    wire.extend_from_slice(b"ping");
    server.feed(&wire);
    assert!(matches!(server.next_event(), ServerEvent::Head(_)));
    assert!(matches!(server.next_event(), ServerEvent::End(_)));
    let mut back = Vec::new();
    server
        .write_head(
            &ResponseHead::new(Status::SWITCHING_PROTOCOLS),
            BodySize::EMPTY,
            now(),
            &mut back,
        )
        .unwrap();
    assert_eq!(server.take_upgraded().unwrap(), &b"ping"[..]);
    back.extend_from_slice(b"pong");
    client.feed(&back);
    assert!(matches!(client.next_event(), ClientEvent::Head(_)));
    assert_eq!(client.take_upgraded().unwrap(), &b"pong"[..]);
}

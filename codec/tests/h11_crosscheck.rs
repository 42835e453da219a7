//! Every kind of response the serializer writes parses cleanly with h11,
//! a strict client parser written independently of lath (Python). The test
//! installs h11 with pip when it is missing.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::now;
use lath_codec::{BodySize, Headers, ResponseHead, ServerConn, ServerEvent, Status};

fn ensure_h11() {
    let has = |py: &str| {
        Command::new(py)
            .args(["-c", "import h11"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has("python3") {
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "h11"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            installed && has("python3"),
            "this test needs python3 with h11 (pip install h11)"
        );
    }
}

struct Case {
    method: &'static str,
    http10: bool,
    status: Status,
    size: BodySize,
    body: &'static [u8],
    te_trailers: bool,
    /// What h11 must see as the body.
    seen_body: &'static str,
}

fn case(
    method: &'static str,
    status: Status,
    size: BodySize,
    body: &'static [u8],
    seen: &'static str,
) -> Case {
    Case {
        method,
        http10: false,
        status,
        size,
        body,
        te_trailers: false,
        seen_body: seen,
    }
}

fn serialize(c: &Case) -> Vec<u8> {
    let mut conn = ServerConn::default();
    let version = if c.http10 { "1.0" } else { "1.1" };
    let te = if c.te_trailers {
        "TE: trailers\r\n"
    } else {
        ""
    };
    conn.feed(format!("{} / HTTP/{version}\r\nHost: a\r\n{te}\r\n", c.method).as_bytes());
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    let mut out = Vec::new();
    let mut head = ResponseHead::new(c.status);
    head.headers
        .append("Content-Type", "text/plain; charset=utf-8");
    head.headers.append("X-Obs-Text", &b"caf\xe9"[..]);
    conn.write_head(&head, c.size, now(), &mut out).unwrap();
    for piece in c.body.chunks(3) {
        conn.write_data(piece, &mut out).unwrap();
    }
    let mut trailers = Headers::new();
    trailers.append("X-Checksum", "abc");
    conn.write_end(Some(&trailers), &mut out).unwrap();
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn h11_parses_every_kind_of_response_cleanly() {
    ensure_h11();
    let mut http10_stream = case(
        "GET",
        Status::OK,
        BodySize::Unknown,
        b"streamed to 1.0",
        "streamed to 1.0",
    );
    http10_stream.http10 = true;
    let mut with_trailers = case(
        "GET",
        Status::OK,
        BodySize::Unknown,
        b"chunked body",
        "chunked body",
    );
    with_trailers.te_trailers = true;
    let cases = [
        case(
            "GET",
            Status::OK,
            BodySize::Known(13),
            b"Hello, World!",
            "Hello, World!",
        ),
        case("GET", Status::OK, BodySize::EMPTY, b"", ""),
        case(
            "GET",
            Status::OK,
            BodySize::Unknown,
            b"chunked body",
            "chunked body",
        ),
        case("GET", Status::OK, BodySize::Unknown, b"", ""),
        with_trailers,
        case(
            "HEAD",
            Status::OK,
            BodySize::Known(13),
            b"Hello, World!",
            "",
        ),
        case("HEAD", Status::OK, BodySize::Unknown, b"x", ""),
        case("GET", Status::NO_CONTENT, BodySize::EMPTY, b"", ""),
        case("GET", Status::NOT_MODIFIED, BodySize::EMPTY, b"", ""),
        case(
            "GET",
            Status::NOT_FOUND,
            BodySize::Known(9),
            b"not found",
            "not found",
        ),
        case(
            "POST",
            Status::new(599).unwrap(),
            BodySize::Known(1),
            b"x",
            "x",
        ),
        http10_stream,
    ];
    let mut input = String::new();
    for c in &cases {
        input.push_str(&format!(
            "{{\"method\":\"{}\",\"http10\":{},\"response\":\"{}\"}}\n",
            c.method,
            c.http10,
            base64(&serialize(c))
        ));
    }
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/h11_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), cases.len(), "{lines:?}");
    for (c, line) in cases.iter().zip(&lines) {
        let want = format!(
            "{{\"status\": {}, \"body\": \"{}\", \"trailers\": {}}}",
            c.status.code(),
            c.seen_body,
            u8::from(c.te_trailers)
        );
        assert_eq!(line, &want, "{} {:?} {:?}", c.method, c.status, c.size);
    }
}

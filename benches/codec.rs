//! The codec beside bare httparse on the same bytes, in the same run.
//!
//! `cargo bench --bench codec`; `bash benches/codec_instructions.sh` counts
//! the same cases' instructions with callgrind.
//!
//! Each group has a `httparse` baseline and a `lath` case; the ratio of
//! their times is what the targets speak of (a 3-field GET ≤ 2×, a
//! 15-field GET ≤ 1.5×, parse and write ≤ 3×). The lath cases run on a long-lived connection, as a server
//! does: each request is parsed into an owned, zero-copy head, checked
//! against every rule of the codec, and released with a bare `204`.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, Criterion, Throughput};
use lath_codec::{BodySize, Config, ResponseHead, ServerConn, ServerEvent, Status};

const GET_3: &[u8] =
    b"GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n";

const GET_15: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x\r\n\
Cache-Control: max-age=0\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-Site: none\r\n\
DNT: 1\r\n\r\n";

const CHUNKED_POST: &[u8] = b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n\
10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";

fn pipelined() -> Vec<u8> {
    GET_3.repeat(16)
}

/// Bare httparse on a head, with the same header capacity as the codec.
fn httparse_head(buf: &[u8]) -> usize {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 100];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) => n + req.headers.len(),
        _ => unreachable!(),
    }
}

/// Bare httparse on a chunked request: the head, then each chunk size line.
fn httparse_chunked(buf: &[u8]) -> usize {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 100];
    let mut req = httparse::Request::new(&mut []);
    let httparse::Status::Complete(mut at) =
        req.parse_with_uninit_headers(buf, &mut headers).unwrap()
    else {
        unreachable!()
    };
    let mut total = 0;
    loop {
        let httparse::Status::Complete((used, size)) =
            httparse::parse_chunk_size(&buf[at..]).unwrap()
        else {
            unreachable!()
        };
        at += used;
        if size == 0 {
            return total;
        }
        total += black_box(&buf[at..at + size as usize]).len();
        at += size as usize + 2;
    }
}

/// A long-lived connection, as a server runs one: automatic headers off,
/// so releasing each request costs only a bare `204` status line.
fn quiet_conn() -> ServerConn {
    let mut config = Config::default();
    config.date = false;
    config.server = None;
    config.connection = false;
    config.content_length = false;
    ServerConn::new(config)
}

/// Feeds `input` and pulls every event of its requests, releasing each
/// with a bare `204` so the next pipelined one comes out.
fn lath_parse(conn: &mut ServerConn, input: &[u8], out: &mut Vec<u8>) -> usize {
    conn.read_buf().extend_from_slice(input);
    let mut n = 0;
    loop {
        match conn.next_event() {
            ServerEvent::Head(h) => n += h.headers.len(),
            ServerEvent::Data(d) => n += d.len(),
            ServerEvent::End(_) => {
                out.clear();
                let head = ResponseHead::new(Status::NO_CONTENT);
                conn.write_head(&head, BodySize::EMPTY, SystemTime::UNIX_EPOCH, out)
                    .unwrap();
                conn.write_end(None, out).unwrap();
                if conn.read_buf().is_empty() {
                    return n;
                }
            }
            other => unreachable!("{other:?}"),
        }
    }
}

/// One keep-alive exchange on a long-lived connection: parse a request,
/// write `Hello, World!` as text/plain.
fn lath_exchange(conn: &mut ServerConn, input: &[u8], out: &mut Vec<u8>, now: SystemTime) {
    out.clear();
    conn.read_buf().extend_from_slice(input);
    let ServerEvent::Head(req) = conn.next_event() else {
        unreachable!()
    };
    black_box(&req);
    let ServerEvent::End(_) = conn.next_event() else {
        unreachable!()
    };
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Content-Type", "text/plain");
    conn.write_head(&head, BodySize::Known(13), now, out)
        .unwrap();
    conn.write_data(b"Hello, World!", out).unwrap();
    conn.write_end(None, out).unwrap();
}

/// The parse cases: a group name and its input.
fn parse_cases(pipelined: &[u8]) -> [(&'static str, &[u8]); 4] {
    [
        ("get_3_headers", GET_3),
        ("get_15_headers", GET_15),
        ("chunked_post_4_chunks", CHUNKED_POST),
        ("pipelined_16_gets", pipelined),
    ]
}

/// The httparse baseline of parse case `name` on `input`.
fn httparse_case(name: &str, input: &[u8]) -> usize {
    match name {
        "chunked_post_4_chunks" => httparse_chunked(black_box(input)),
        "pipelined_16_gets" => {
            let mut at = 0;
            let mut n = 0;
            while at < input.len() {
                n += httparse_head(black_box(&input[at..]));
                at += GET_3.len();
            }
            n
        }
        _ => httparse_head(black_box(input)),
    }
}

fn parse(c: &mut Criterion) {
    let pipelined = pipelined();
    for (name, input) in parse_cases(&pipelined) {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("httparse", |b| b.iter(|| httparse_case(name, input)));
        let mut conn = quiet_conn();
        let mut out = Vec::with_capacity(64);
        group.bench_function("lath", |b| {
            b.iter(|| lath_parse(&mut conn, black_box(input), &mut out))
        });
        group.finish();
    }
}

fn write(c: &mut Criterion) {
    let mut group = c.benchmark_group("get_and_hello_response");
    let now = SystemTime::now();
    group.bench_function("httparse_parse_only", |b| {
        b.iter(|| httparse_head(black_box(GET_3)))
    });
    let mut conn = ServerConn::default();
    let mut out = Vec::with_capacity(256);
    group.bench_function("lath_parse_and_write", |b| {
        b.iter(|| lath_exchange(&mut conn, black_box(GET_3), &mut out, now))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// Runs case `group/function` (as criterion names it) `n` times, outside
/// criterion, for `benches/codec_instructions.sh` to count under
/// callgrind.
fn count(case: &str, n: usize) {
    let pipelined = pipelined();
    let (group, function) = case.split_once('/').expect("a case is group/function");
    let mut out = Vec::with_capacity(256);
    let mut total = 0;
    if group == "get_and_hello_response" {
        let mut conn = ServerConn::default();
        let now = SystemTime::now();
        for _ in 0..n {
            match function {
                "httparse_parse_only" => total += httparse_head(black_box(GET_3)),
                _ => lath_exchange(&mut conn, black_box(GET_3), &mut out, now),
            }
        }
    } else {
        let (_, input) = parse_cases(&pipelined)
            .into_iter()
            .find(|(name, _)| *name == group)
            .expect("a known case");
        let mut conn = quiet_conn();
        for _ in 0..n {
            total += match function {
                "httparse" => httparse_case(group, input),
                _ => lath_parse(&mut conn, black_box(input), &mut out),
            };
        }
    }
    black_box(total);
}

criterion_group! { name = benches; config = config(); targets = parse, write }

/// Criterion's benchmarks, or with `LATH_CODEC_COUNT="group/function N"`
/// one case run `N` times.
fn main() {
    if let Ok(spec) = std::env::var("LATH_CODEC_COUNT") {
        let (case, n) = spec.split_once(' ').expect("LATH_CODEC_COUNT=\"case N\"");
        count(case, n.parse().expect("a count"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! Size limits and their defaults (hyper, h11), and linear-time scanning.

mod common;

use common::{run, run_bytewise, run_with};
use lath_codec::{Config, Limits, Status};

fn with(f: impl FnOnce(&mut Limits)) -> Config {
    let mut config = Config::default();
    f(&mut config.limits);
    config
}

#[test]
fn defaults_are_documented_values() {
    let limits = Limits::default();
    assert_eq!(limits.max_head, 16 * 1024);
    assert_eq!(limits.max_headers, 100);
    assert_eq!(limits.max_target, 8 * 1024);
    assert_eq!(limits.max_chunk_ext, 16 * 1024);
    assert_eq!(limits.max_trailers, 16 * 1024);
    assert_eq!(limits.max_drain, 64 * 1024);
}

#[test]
fn header_count_limit_is_configurable() {
    let input = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    let config = with(|l| l.max_headers = 2);
    let run = run_with(config, input, &[], false);
    assert_eq!(
        run.error().unwrap().status(),
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert!(run_with(with(|l| l.max_headers = 3), input, &[], false)
        .error()
        .is_none());
}

#[test]
fn target_limit_is_configurable_and_answers_414() {
    let input = b"GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n";
    let run = run_with(with(|l| l.max_target = 10), input, &[], false);
    assert_eq!(run.error().unwrap().status(), Status::URI_TOO_LONG);
    assert!(run_with(with(|l| l.max_target = 11), input, &[], false)
        .error()
        .is_none());
}

#[test]
fn a_request_line_longer_than_the_head_limit_is_414_even_unfinished() {
    let input = format!("GET /{}", "a".repeat(20_000));
    let run = run(input.as_bytes());
    assert_eq!(run.error().unwrap().status(), Status::URI_TOO_LONG);
}

#[test]
fn a_large_body_after_a_small_head_is_fine() {
    let body = "x".repeat(1 << 20);
    let input = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let run = run(input.as_bytes());
    assert_eq!(run.first().unwrap().1.len(), body.len());
}

#[test]
fn head_limit_counts_the_request_line() {
    let input = b"GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n";
    let run = run_with(with(|l| l.max_head = input.len() - 1), input, &[], false);
    assert_eq!(
        run.error().unwrap().status(),
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert!(
        run_with(with(|l| l.max_head = input.len()), input, &[], false)
            .error()
            .is_none()
    );
}

#[test]
fn chunk_extension_budget_is_per_body() {
    let input = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;aaaa\r\nx\r\n1;bbbb\r\ny\r\n0\r\n\r\n";
    let run = run_with(with(|l| l.max_chunk_ext = 9), input, &[], false);
    assert_eq!(run.error().unwrap().reason(), "chunk extensions too long");
    assert!(run_with(with(|l| l.max_chunk_ext = 10), input, &[], false)
        .error()
        .is_none());
}

#[test]
fn an_endless_chunk_line_is_refused_without_buffering_it() {
    let mut input =
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=".to_vec();
    input.extend(std::iter::repeat_n(b'b', 20 * 1024));
    assert_eq!(run(&input).error().unwrap().reason(), "chunk line too long");
}

#[test]
fn a_head_fed_byte_by_byte_is_scanned_in_linear_time() {
    // A 1 MiB head fed one byte at a time: a quadratic rescan would take
    // hours here (5e11 byte visits); a linear scan takes milliseconds.
    let config = with(|l| {
        l.max_head = 2 << 20;
        l.max_headers = 512;
    });
    let mut input = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
    input.extend(std::iter::repeat_n(b'v', 1 << 20));
    input.extend_from_slice(b"\r\n\r\n");
    let run = run_bytewise(config, &input, false);
    assert_eq!(
        run.first().unwrap().0.headers.get("x").unwrap().len(),
        1 << 20
    );
}

#[test]
fn nothing_past_the_head_limit_changes_the_verdict() {
    // Found by fuzzing: a bare CR past a small head limit gave 400 when the
    // bytes came at once and 431 when split. Only the first `max_head`
    // bytes count, however they arrive.
    let config = with(|l| l.max_head = 64);
    let mut input = b"POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  /4 ".to_vec();
    input.extend_from_slice(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r1\r\n\r\n");
    let whole = run_with(config.clone(), &input, &[], true);
    assert_eq!(
        whole.error().unwrap().status(),
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    for cut in 0..input.len() {
        assert_eq!(
            run_with(config.clone(), &input, &[cut], true),
            whole,
            "cut at {cut}"
        );
    }
    // A first line longer than the limit is 414 whether or not its end came.
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100));
    let whole = run_with(config.clone(), long_line.as_bytes(), &[], true);
    assert_eq!(whole.error().unwrap().status(), Status::URI_TOO_LONG);
    assert_eq!(run_bytewise(config, long_line.as_bytes(), true), whole);
}

//! The `compress` layer: round trips through a decoder for each coding,
//! what it leaves alone, and the fields of HEAD and 304 answers.

use std::io::Read;

use lath_app::{handler, AppExt, Request, Response, Status};
use lath_layers::{compress, serve_dir};
use lath_net::{Client, TestResponse};

/// 64 KiB of text that compresses well but not to nothing.
fn page() -> String {
    (0..2000)
        .map(|i| format!("<li>item {i}: {}</li>\n", i * 7919 % 1000))
        .collect()
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli_decompressor::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::decode_all(body).unwrap(),
        other => panic!("{other}"),
    }
    out
}

fn client_for(response: impl Fn() -> Response + Send + Sync + 'static) -> Client {
    let app = handler(move |_req: Request| {
        let res = response();
        async move { res }
    });
    Client::new(app.wrap(compress()))
}

fn get(client: &Client, accept: &str) -> TestResponse {
    client
        .get("/")
        .header("Accept-Encoding", accept)
        .send_blocking()
        .unwrap()
}

#[test]
fn every_coding_round_trips() {
    let client = client_for(|| Response::html(page()));
    for coding in ["gzip", "br", "zstd"] {
        let res = get(&client, coding);
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_eq!(res.header("vary"), Some("Accept-Encoding"));
        assert_eq!(res.header("transfer-encoding"), Some("chunked"), "{coding}");
        assert_eq!(res.header("content-length"), None, "{coding}");
        assert!(
            res.body.len() < page().len() / 3,
            "{coding}: {}",
            res.body.len()
        );
        assert_eq!(decode(coding, &res.body), page().as_bytes(), "{coding}");
    }
}

#[test]
fn a_streamed_body_round_trips() {
    let client = client_for(|| {
        let pieces =
            (0..64).map(|i| Ok(bytes::Bytes::from(format!("line {i} {}\n", "x".repeat(i)))));
        Response::text(lath_app::Body::stream(futures::stream::iter(pieces)))
    });
    let expected: String = (0..64)
        .map(|i| format!("line {i} {}\n", "x".repeat(i)))
        .collect();
    for coding in ["gzip", "br", "zstd"] {
        let res = get(&client, coding);
        assert_eq!(decode(coding, &res.body), expected.as_bytes(), "{coding}");
    }
}

/// A row: an HTML page asked for with this `Accept-Encoding` goes out in
/// this coding (or as it is).
fn check_negotiation(rule: &str, accept: &str, expected: Option<&str>) {
    let client = client_for(|| Response::html(page()));
    let res = get(&client, accept);
    assert_eq!(res.header("content-encoding"), expected, "{rule}: {accept}");
}

mod negotiation_follows_q_values {
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_negotiation {
        all_offered_zstd_first: "every coding: zstd, the fastest, first" => ("gzip, deflate, br, zstd", Some("zstd"));
        brotli_before_gzip: "a tie: the server's order" => ("gzip, br", Some("br"));
        q_values_win: "q-values win over the server's order" => ("br;q=0.5, gzip", Some("gzip"));
        all_refused: "every coding refused with q=0" => ("zstd;q=0, br;q=0, gzip;q=0", None);
        identity_only: "identity only" => ("identity", None);
        wildcard: "a wildcard takes the server's first" => ("*", Some("zstd"));
    });
}

#[test]
fn no_accept_encoding_no_coding_but_vary() {
    let client = client_for(|| Response::html(page()));
    let plain = client.get("/").send_blocking().unwrap();
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    assert_eq!(plain.text(), page());
}

/// A row: a response the layer leaves as it is, asked for with every
/// coding accepted (one already encoded is not encoded twice).
fn check_untouched(rule: &str, make: fn() -> Response) {
    let client = client_for(make);
    let res = get(&client, "gzip, br, zstd");
    let already_encoded = make()
        .headers()
        .get_str("content-encoding")
        .map(str::to_owned);
    assert_eq!(
        res.header("content-encoding"),
        already_encoded.as_deref(),
        "{rule}"
    );
    if already_encoded.is_some() {
        assert_eq!(res.body.len(), 4096, "{rule}: not encoded twice");
    }
}

fn big() -> String {
    "x".repeat(4096)
}

mod what_is_left_as_it_is {
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_untouched {
        under_1_kib: "under 1 KiB" => (|| Response::html("<p>small</p>"));
        already_encoded: "already encoded" => (|| Response::html(big()).with_header("Content-Encoding", "gzip"));
        an_image: "an image" => (|| Response::typed("image/png", big()));
        a_video: "a video" => (|| Response::typed("video/mp4", big()));
        an_archive: "an archive" => (|| Response::typed("application/zip", big()));
        server_sent_events: "server-sent events" => (|| Response::typed("text/event-stream", big()));
        no_type: "no type" => (|| Response::raw(big()));
        no_transform: "Cache-Control: no-transform" => (|| Response::html(big()).with_header("Cache-Control", "no-transform"));
        partial_content: "206" => (|| Response::html(big()).with_status(Status::PARTIAL_CONTENT));
        no_content: "204" => (|| Response::new(Status::NO_CONTENT));
    });
}

#[test]
fn svg_is_text_and_compressed() {
    let svg = client_for(move || Response::typed("image/svg+xml", "<svg>".repeat(400)));
    assert_eq!(get(&svg, "gzip").header("content-encoding"), Some("gzip"));
}

#[test]
fn a_strong_etag_becomes_weak() {
    let client = client_for(|| Response::html(page()).with_header("ETag", "\"v1\""));
    assert_eq!(get(&client, "gzip").header("etag"), Some("W/\"v1\""));
    assert_eq!(
        client.get("/").send_blocking().unwrap().header("etag"),
        Some("\"v1\"")
    );
}

#[test]
fn head_and_304_carry_the_fields_of_the_200() {
    let root = std::env::temp_dir().join(format!("lath-compress-files-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("page.html"), page()).unwrap();
    let client = Client::new(serve_dir(&root).wrap(compress()));
    let full = client
        .get("/page.html")
        .header("Accept-Encoding", "gzip")
        .send_blocking()
        .unwrap();
    assert_eq!(decode("gzip", &full.body), page().as_bytes());
    let head = client
        .head("/page.html")
        .header("Accept-Encoding", "gzip")
        .send_blocking()
        .unwrap();
    let etag = full.header("etag").unwrap();
    assert!(etag.starts_with("W/"), "{etag}");
    for field in [
        "content-encoding",
        "vary",
        "etag",
        "content-type",
        "transfer-encoding",
        "content-length",
    ] {
        assert_eq!(head.header(field), full.header(field), "HEAD {field}");
    }
    assert!(head.body.is_empty());
    let not_modified = client
        .get("/page.html")
        .header("Accept-Encoding", "gzip")
        .header("If-None-Match", etag)
        .send_blocking()
        .unwrap();
    assert_eq!(not_modified.status.code(), 304);
    for field in ["content-encoding", "vary", "etag"] {
        assert_eq!(
            not_modified.header(field),
            full.header(field),
            "304 {field}"
        );
    }
    // A range is served from the identity representation, not compressed.
    let part = client
        .get("/page.html")
        .header("Accept-Encoding", "gzip")
        .header("Range", "bytes=0-9")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (part.status.code(), part.header("content-encoding")),
        (206, None)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

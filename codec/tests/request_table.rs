//! Request parsing, one row per rule (RFC 9112 unless named otherwise).
//! Every row is checked fed whole and fed one byte at a time: the two runs
//! must agree event for event and byte for byte.

mod common;

use common::{run_bytewise, run_with};
use lath_codec::{BodySize, Config};

/// What a row expects of the first request.
#[derive(Debug)]
enum Want {
    /// A request with this method, target and body.
    Req(&'static str, &'static str, &'static [u8]),
    /// A protocol error with this status.
    Err(u16),
    /// Still waiting for bytes.
    Incomplete,
}
use Want::*;

const CHUNKED_POST: &str = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

fn chunked(body: &str) -> Vec<u8> {
    format!("{CHUNKED_POST}{body}").into_bytes()
}

fn owned(rows: Vec<(&'static str, Vec<u8>, Want)>) -> Vec<(&'static str, Vec<u8>, Want)> {
    rows
}

fn rows() -> Vec<(&'static str, Vec<u8>, Want)> {
    let b = |s: &str| s.as_bytes().to_vec();
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(8 * 1024));
    let max_target = format!(
        "GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
        "a".repeat(8 * 1024 - 1)
    );
    let fields = |n: usize| {
        let mut s = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
        for i in 1..n {
            s.push_str(&format!("X-{i}: v\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    };
    let big_head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(16 * 1024)
    );
    let big_incomplete = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(16 * 1024));
    let ext_heavy = {
        let ext = ";a=".to_string() + &"b".repeat(1000);
        let mut s = String::new();
        for _ in 0..17 {
            s.push_str(&format!("1{ext}\r\nx\r\n"));
        }
        s.push_str("0\r\n\r\n");
        s
    };

    owned(vec![
        // ---- Request line (§3, §2.2) ----
        ("§3 simple GET", b("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "/", b"")),
        ("§2.2 one leading CRLF ignored", b("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "/", b"")),
        ("§2.2 leading bare LF ignored", b("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "/", b"")),
        ("§2.2 bare LF line endings accepted", b("GET / HTTP/1.1\nHost: a\n\n"), Req("GET", "/", b"")),
        ("§2.2 mixed CRLF and LF", b("GET / HTTP/1.1\nHost: a\r\n\n"), Req("GET", "/", b"")),
        ("§2.2 bare CR in request line", b("GET / HTTP/1.1\rHost: a\r\n\r\n"), Err(400)),
        ("§2.2 bare CR in field value", b("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), Err(400)),
        ("§2.2 bare CR in field name", b("GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n"), Err(400)),
        ("§2.2 bare CR on the blank line", b("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), Err(400)),
        ("§2.2 bare CR before the request line", b("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 space before method", b(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 tab before method", b("\tGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 double SP after method", b("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 double SP after target", b("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 HTAB between method and target", b("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 HTAB between target and version", b("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 trailing SP after version", b("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 space inside target", b("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 missing target", b("GET HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 method only", b("GET\r\nHost: a\r\n\r\n"), Err(400)),
        ("RFC 9110 §9.1 methods are case-sensitive tokens", b("get / HTTP/1.1\r\nHost: a\r\n\r\n"), Req("get", "/", b"")),
        ("RFC 9110 §9.1 extension method", b("PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n"), Req("PURGE", "/x", b"")),
        ("RFC 9110 §9.1 non-token method", b("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("RFC 9110 §9.1 method with slash", b("GE/T / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 target with query", b("GET /p?q=1&r HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "/p?q=1&r", b"")),
        ("§3.2 target with percent escapes", b("GET /a%20b HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "/a%20b", b"")),
        ("§3.2 DEL in target", b("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 byte 0x80 in target", b"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), Err(400)),
        ("§3.2 byte 0xff in target", b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), Err(400)),
        ("§3.2 UTF-8 in target", b("GET /é HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 NUL in target", b("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 control byte in target", b("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 fragment in target", b("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2.1 relative target", b("GET a HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 target of 8 KiB is within the limit", max_target.clone().into_bytes(), Req("GET", "", b"")),
        ("§3 target over 8 KiB", long_target.clone().into_bytes(), Err(414)),
        ("§3 long target still arriving", long_target.as_bytes()[..8100].to_vec(), Incomplete),
        ("§2.3 HTTP/1.0", b("GET / HTTP/1.0\r\n\r\n"), Req("GET", "/", b"")),
        ("§2.3 HTTP/2.0", b("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), Err(505)),
        ("§2.3 HTTP/3.0", b("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), Err(505)),
        ("§2.3 HTTP/0.9 spelled out", b("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), Err(505)),
        ("§2.3 lowercase http", b("GET / http/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 HTTP/1.1x", b("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 HTTP/1.10", b("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 HTTP/1", b("GET / HTTP/1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 HTTP/11", b("GET / HTTP/11\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 missing version", b("GET /\r\nHost: a\r\n\r\n"), Err(400)),
        ("§2.3 version in wrong place", b("HTTP/1.1 GET /\r\nHost: a\r\n\r\n"), Err(400)),
        ("h11 TLS ClientHello refused before any CRLF", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(), Err(400)),
        ("§2.2 only empty lines so far", b("\r\n\r\n\n"), Incomplete),
        ("§3 request line incomplete", b("GET / HT"), Incomplete),
        ("§3 head incomplete", b("GET / HTTP/1.1\r\nHost: a\r\n"), Incomplete),
        // ---- Host (§3.2) ----
        ("§3.2 HTTP/1.1 without Host", b("GET / HTTP/1.1\r\n\r\n"), Err(400)),
        ("§3.2 two Host lines", b("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2 two Host lines differing", b("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), Err(400)),
        ("§3.2 Host with space", b("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), Err(400)),
        ("§3.2 Host with slash", b("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), Err(400)),
        ("§3.2 Host with userinfo", b("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), Err(400)),
        ("§3.2 Host with bad port", b("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), Err(400)),
        ("§3.2 Host as a list", b("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), Err(400)),
        ("§3.2 Host with port", b("GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n"), Req("GET", "/", b"")),
        ("§3.2 Host IPv6 literal", b("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), Req("GET", "/", b"")),
        ("§3.2 Host IPv4", b("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §4.2.1 empty Host is an invalid http URI", b("GET / HTTP/1.1\r\nHost:\r\n\r\n"), Err(400)),
        ("RFC 9110 §4.2.1 Host with a port and no host", b("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), Err(400)),
        ("RFC 9110 §4.2.1 absolute-form with an empty host", b("GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3 a method longer than any implemented", format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(100_000)).into_bytes(), Err(501)),
        ("§3 a long method, unfinished", "M".repeat(40).into_bytes(), Err(501)),
        ("§3 a method of 32 bytes is fine", format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(32)).into_bytes(), Req("MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM", "/", b"")),
        ("§3.2 Host name is case-insensitive", b("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n"), Req("GET", "/", b"")),
        ("§3.2 HTTP/1.0 without Host", b("GET / HTTP/1.0\r\nX: y\r\n\r\n"), Req("GET", "/", b"")),
        ("§3.2 HTTP/1.0 with two Host lines", b("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), Err(400)),
        ("§3.2 HTTP/1.0 with invalid Host", b("GET / HTTP/1.0\r\nHost: a b\r\n\r\n"), Err(400)),
        ("§3.2.2 absolute-form", b("GET http://b.example/p?q HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "http://b.example/p?q", b"")),
        ("§3.2.2 absolute-form https", b("GET https://b.example HTTP/1.1\r\nHost: a\r\n\r\n"), Req("GET", "https://b.example", b"")),
        ("§3.2 absolute-form still needs Host on 1.1", b("GET http://b/ HTTP/1.1\r\n\r\n"), Err(400)),
        ("§3.2.4 OPTIONS *", b("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), Req("OPTIONS", "*", b"")),
        ("§3.2.4 asterisk-form with GET (our choice)", b("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2.3 CONNECT authority-form", b("CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\n"), Req("CONNECT", "db.example:5432", b"")),
        ("§3.2.3 CONNECT with origin-form", b("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2.3 CONNECT without port", b("CONNECT db.example HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        ("§3.2.3 authority-form without CONNECT", b("GET db.example:80 HTTP/1.1\r\nHost: a\r\n\r\n"), Err(400)),
        // ---- Field syntax (§5, RFC 9110 §5) ----
        ("§5.1 space before colon", b("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), Err(400)),
        ("§5.1 tab before colon", b("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), Err(400)),
        ("§5.1 space before colon in a later field", b("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n"), Err(400)),
        ("§5.2 obs-fold with SP", b("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n"), Err(400)),
        ("§5.2 obs-fold with HTAB", b("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n"), Err(400)),
        ("§2.2 whitespace before the first field", b("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), Err(400)),
        ("§5.1 empty field name", b("GET / HTTP/1.1\r\nHost: a\r\n: y\r\n\r\n"), Err(400)),
        ("§5.1 field line without colon", b("GET / HTTP/1.1\r\nHost: a\r\nXy\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.1 non-token name", b("GET / HTTP/1.1\r\nHost: a\r\nX(y: z\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.1 name with @", b("GET / HTTP/1.1\r\nHost: a\r\nX@y: z\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.1 name with UTF-8", b("GET / HTTP/1.1\r\nHost: a\r\nXé: z\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 NUL in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 VT in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\x0bb\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 FF in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\x0cb\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 DEL in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 ESC in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1bb\r\n\r\n"), Err(400)),
        ("RFC 9110 §5.5 HTAB in value is fine", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §5.5 obs-text in value is kept", b"GET / HTTP/1.1\r\nHost: a\r\nX: \xa0\xff\x85\r\n\r\n".to_vec(), Req("GET", "/", b"")),
        ("RFC 9110 §5.5 UTF-8 in value", b("GET / HTTP/1.1\r\nHost: a\r\nX: héllo\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §5.5 empty value", b("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §5.5 value of only OWS", b("GET / HTTP/1.1\r\nHost: a\r\nX: \t \r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §5.5 surrounding OWS", b("GET / HTTP/1.1\r\nHost:  \t a \t \r\n\r\n"), Req("GET", "/", b"")),
        ("hyper 100 fields is the limit", fields(100), Req("GET", "/", b"")),
        ("hyper 101 fields", fields(101), Err(431)),
        ("h11 complete head over 16 KiB", big_head.into_bytes(), Err(431)),
        ("h11 incomplete head over 16 KiB", big_incomplete.into_bytes(), Err(431)),
        // ---- Framing (§6) ----
        ("§6.3 r7 no framing fields: no body", b("POST / HTTP/1.1\r\nHost: a\r\n\r\n"), Req("POST", "/", b"")),
        ("§6.3 r5 Content-Length", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("RFC 9110 §8.6 leading zeros", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("RFC 9110 §8.6 trailing OWS", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \t\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("RFC 9110 §8.6 leading OWS", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:   5\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("RFC 9110 §8.6 zero", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), Req("POST", "/", b"")),
        ("§6.3 r5 plus sign", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 minus sign", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 hex", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 decimal point", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 inner space", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 underscore", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\nhello"), Err(400)),
        ("§6.3 r5 empty value", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), Err(400)),
        ("§6.3 r5 letters", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\n"), Err(400)),
        ("§6.3 r5 just above u64", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n"), Err(400)),
        ("§6.3 r5 far above u64", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n"), Err(400)),
        ("§6.3 r5 two differing lines", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), Err(400)),
        ("§6.3 r5 identical lines are one value (our choice)", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("§6.3 r5 identical list is one value", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello"), Req("POST", "/", b"hello")),
        ("§6.3 r5 differing list", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!"), Err(400)),
        ("§6.3 r5 list with empty element", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\nhello"), Err(400)),
        ("§6.1 TE and CL", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), Err(400)),
        ("§6.1 CL and TE", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("§6.1 TE on HTTP/1.0", b("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("§6.3 r4 final coding not chunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), Err(400)),
        ("§6.3 r4 chunked then unknown on two lines", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"), Err(400)),
        ("§6.1 chunked twice on one line", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), Err(400)),
        ("§6.1 chunked twice on two lines", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), Err(400)),
        ("§6.1 unimplemented coding gzip, chunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), Err(501)),
        ("§6.1 unimplemented coding identity", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"), Err(501)),
        ("§6.1 unimplemented coding gzip alone", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), Err(501)),
        ("§7 chunked lowercase", chunked("0\r\n\r\n"), Req("POST", "/", b"")),
        ("§7 CHUNKED is case-insensitive", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), Req("POST", "/", b"hi")),
        ("RFC 9110 §5.6.1 tabs around chunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\t chunked \t\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), Req("POST", "/", b"hi")),
        ("RFC 9110 §5.6.1 empty list element", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), Req("POST", "/", b"hi")),
        ("§6.3 r4 double-quoted chunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"), Err(400)),
        ("§6.3 r4 single-quoted chunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: 'chunked'\r\n\r\n"), Err(501)),
        ("§6.3 r4 chunk", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunk\r\n\r\n"), Err(501)),
        ("§6.3 r4 xchunked", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"), Err(501)),
        ("§6.3 r4 NBSP before chunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \xa0chunked\r\n\r\n".to_vec(), Err(400)),
        ("§6.3 r4 empty transfer-encoding", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"), Err(400)),
        ("§6.3 r4 coding with parameter", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"), Err(400)),
        ("§6.3 r4 no CL fallback after bad TE", b("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunk\r\nContent-Length: 2\r\n\r\nhi"), Err(400)),
        ("§6.3 GET with a body is read", b("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"), Req("GET", "/", b"abc")),
        ("§6.3 HEAD with a body is read", b("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"), Req("HEAD", "/", b"abc")),
        ("§6.3 body not yet complete", b("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel"), Incomplete),
        // ---- Chunked (§7.1) ----
        ("§7.1 one chunk", chunked("5\r\nhello\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1 several chunks", chunked("2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1 empty chunked body", chunked("0\r\n\r\n"), Req("POST", "/", b"")),
        ("§7.1 uppercase hex", chunked("A\r\n0123456789\r\n0\r\n\r\n"), Req("POST", "/", b"0123456789")),
        ("§7.1 lowercase hex", chunked("a\r\n0123456789\r\n0\r\n\r\n"), Req("POST", "/", b"0123456789")),
        ("§7.1 leading zeros", chunked("00000000000000000005\r\nhello\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1 overflowing size", chunked("10000000000000000\r\nx\r\n"), Err(400)),
        ("§7.1 empty size line", chunked("\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 0x prefix", chunked("0x5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 minus sign", chunked("-5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 plus sign", chunked("+5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 leading space", chunked(" 5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 underscore", chunked("0_5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1.1 space after size, no extension", chunked("5 \r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1.1 BWS before semicolon", chunked("5 ;a=b\r\nhello\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1.1 semicolon without name", chunked("5;\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1.1 extension without value", chunked("5;a\r\nhello\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1.1 quoted extension value", chunked("5;a=\"x;y z\"\r\nhello\r\n0\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1.1 extension on the last chunk", chunked("5\r\nhello\r\n0;end\r\n\r\n"), Req("POST", "/", b"hello")),
        ("§7.1 bare LF after size", chunked("5\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 bare LF after last chunk size", chunked("5\r\nhello\r\n0\n\r\n"), Err(400)),
        ("§7.1 bare CR in chunk line", chunked("5\r;a\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1 data followed by bare LF", chunked("5\r\nhello\n0\r\n\r\n"), Err(400)),
        ("§7.1 data followed by garbage", chunked("5\r\nhelloXX0\r\n\r\n"), Err(400)),
        ("§7.1 data longer than its size", chunked("3\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("§7.1.1 extensions over 16 KiB per body", chunked(&ext_heavy), Err(400)),
        ("§7.1.2 trailer fields", chunked("0\r\nX-Sum: 1\r\n\r\n"), Req("POST", "/", b"")),
        ("§7.1.2 invalid trailer line", chunked("0\r\nX-Sum 1\r\n\r\n"), Err(400)),
        ("§7.1.2 obs-fold in trailers", chunked("0\r\nX: 1\r\n 2\r\n\r\n"), Err(400)),
        ("§7.1.2 NUL in trailer value", chunked("0\r\nX: 1\0\r\n\r\n"), Err(400)),
        ("§7.1.2 trailer section incomplete", chunked("0\r\nX: 1\r\n"), Incomplete),
        // ---- Connection and expectations (§9, RFC 9110 §10.1.1) ----
        ("RFC 9110 §10.1.1 Expect 100-continue", b("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"), Req("POST", "/", b"hi")),
        ("RFC 9110 §10.1.1 Expect is case-insensitive", b("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi"), Req("POST", "/", b"hi")),
        ("RFC 9110 §10.1.1 unknown Expect (our choice: 417)", b("POST / HTTP/1.1\r\nHost: a\r\nExpect: fancy\r\nContent-Length: 2\r\n\r\nhi"), Err(417)),
        ("§9.6 Connection: close", b("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §7.6.1 Connection tokens", b("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, Upgrade\r\nUpgrade: echo\r\n\r\n"), Req("GET", "/", b"")),
        ("RFC 9110 §7.8 Upgrade request", b("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"), Req("GET", "/ws", b"")),
    ])
}

/// One generated test per row, named after it (`cargo test --test
/// request_table -- '§6.3'` runs a section's rows): a failing row names
/// itself and hides no other.
///
/// With `LATH_FUZZ_SEEDS=DIR`, the rows are also written to `DIR` as seeds
/// of the `server` fuzz target (see `fuzz/README.md`).
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let rows = rows();
    if let Some(dir) = std::env::var_os("LATH_FUZZ_SEEDS") {
        write_seeds(std::path::Path::new(&dir), &rows);
    }
    let count = rows.len();
    let mut trials: Vec<libtest_mimic::Trial> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (rule, input, want))| {
            common::trial(format!("row {i:03}: {rule}"), move || {
                check(rule, &input, &want)
            })
        })
        .collect();
    trials.push(libtest_mimic::Trial::test(
        "the table has at least 150 rows",
        move || match count >= 150 {
            true => Ok(()),
            false => std::result::Result::Err(format!("{count} rows").into()),
        },
    ));
    trials.push(common::trial(
        "chunked body size is unknown and length is known",
        chunked_body_size_is_unknown_and_length_is_known,
    ));
    trials.push(common::trial(
        "field values come out without surrounding whitespace",
        field_values_come_out_without_surrounding_whitespace,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// The `server` fuzz target reads its limits and switches from an input's
/// first nine bytes: these are the golden corpus seeds' (a 1 KiB head, 65
/// fields, a 2 KiB target; `Date`, `Content-Length`, chunked and
/// `Connection` on, `Server` off; the split run cut in the middle; a
/// known-length answer).
const SERVER_SEED_MODE: [u8; 9] = [0x10, 0x40, 0x40, 0x01, 0x10, 0x10, 0x1f, 0x80, 0x00];

/// Writes each row as `row-NNN`, its mode bytes then its input.
fn write_seeds(dir: &std::path::Path, rows: &[(&'static str, Vec<u8>, Want)]) {
    std::fs::create_dir_all(dir).expect("the seed folder");
    for (i, (_, input, _)) in rows.iter().enumerate() {
        let seed = [&SERVER_SEED_MODE[..], input].concat();
        std::fs::write(dir.join(format!("row-{i:03}")), seed).expect("a seed");
    }
}

/// One row: fed whole and byte by byte, the same events; then what the
/// row wants of the first request.
fn check(rule: &str, input: &[u8], want: &Want) {
    let whole = run_with(Config::default(), input, &[], false);
    let bytewise = run_bytewise(Config::default(), input, false);
    assert_eq!(whole, bytewise, "{rule}: split changed the outcome");
    let first = whole.events.first();
    match *want {
        Req(method, target, body) => {
            let (head, got_body, _) = whole
                .first()
                .unwrap_or_else(|e| panic!("{rule}: unexpected error {e}"));
            assert_eq!(head.method, method, "{rule}");
            if !target.is_empty() {
                assert_eq!(head.target_str(), target, "{rule}");
            }
            assert_eq!(got_body, body, "{rule}");
        }
        Err(status) => {
            let error = whole
                .error()
                .unwrap_or_else(|| panic!("{rule}: no error in {:?}", whole.events));
            assert_eq!(error.status().code(), status, "{rule}: {error}");
            assert!(error.must_close(), "{rule}");
            assert!(
                whole
                    .output
                    .starts_with(format!("HTTP/1.1 {status} ").as_bytes()),
                "{rule}: canned answer"
            );
            assert!(
                !whole.events.iter().any(|e| matches!(e, common::Ev::End(_))),
                "{rule}: no request was completed"
            );
        }
        Incomplete => assert!(
            first.is_none() || matches!(first, Some(common::Ev::Head(_))),
            "{rule}: {:?}",
            whole.events
        ),
    }
}

fn chunked_body_size_is_unknown_and_length_is_known() {
    let run = common::run(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(run.first().unwrap().0.body_size(), BodySize::Known(5));
    let run = common::run(&chunked("0\r\n\r\n"));
    assert_eq!(run.first().unwrap().0.body_size(), BodySize::Unknown);
}

/// RFC 9110 §5.5: a field value is read without the SP and HTAB around
/// it, and keeps those inside it, however the bytes arrive.
fn field_values_come_out_without_surrounding_whitespace() {
    let input = b"GET / HTTP/1.1\r\nHost:  \t a \t \r\nX: \t \r\nY:b\tc \r\nZ:\td\n\r\n";
    for run in [
        common::run(input),
        run_bytewise(Config::default(), input, false),
    ] {
        let headers = &run.first().unwrap().0.headers;
        let values: Vec<_> = ["host", "x", "y", "z"]
            .map(|name| headers.get_str(name).unwrap())
            .into();
        assert_eq!(values, ["a", "", "b\tc", "d"]);
    }
}

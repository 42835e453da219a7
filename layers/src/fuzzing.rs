//! Entry points for the fuzz targets in `fuzz/`: each runs one parser of
//! this crate on arbitrary input and checks its promises, panicking when
//! one is broken. Not part of the API a user calls.

#[cfg(feature = "files")]
use std::time::{Duration, UNIX_EPOCH};

#[cfg(any(feature = "files", feature = "compress"))]
use lath_app::Headers;
use lath_app::{Method, Request};

/// `Range` against a representation of `len` bytes: a satisfiable answer
/// lies inside the representation, in order, without overlap, in at most
/// 16 parts that together cost little more than the whole.
///
/// ```
/// lath::layers::fuzzing::range("bytes=0-1,5-", 10);
/// ```
#[cfg(feature = "files")]
pub fn range(value: &str, len: u64) {
    if let crate::files::range::Ranges::Parts(parts) = crate::files::range::parse(value, len) {
        assert!(
            !parts.is_empty() && parts.len() <= 16,
            "{value:?}: {parts:?}"
        );
        let mut end = None;
        let mut total = 0u64;
        for part in &parts {
            assert!(
                part.start <= part.end && part.end < len,
                "{value:?}: {part:?}"
            );
            assert!(
                end.is_none_or(|end| part.start > end),
                "{value:?}: {parts:?}"
            );
            end = Some(part.end);
            total += part.len();
        }
        assert!(total <= len, "{value:?}: {total} of {len}");
    }
}

/// The conditional fields (`If-Match`, `If-None-Match`,
/// `If-Modified-Since`, `If-Unmodified-Since`, `If-Range`) of `fields`
/// against a representation tagged `etag` and modified at `modified`
/// seconds: evaluated without a panic, and `If-None-Match: *` (alone,
/// with no `If-Match` or `If-Unmodified-Since`) never proceeds.
///
/// ```
/// lath::layers::fuzzing::conditional(&[("If-None-Match", "\"a\", W/\"b\"")], "\"a\"", 0, true);
/// ```
#[cfg(feature = "files")]
pub fn conditional(fields: &[(&str, &str)], etag: &str, modified: u64, safe: bool) {
    let mut headers = Headers::new();
    for (name, value) in fields {
        headers.append(name.as_bytes().to_vec(), value.as_bytes().to_vec());
    }
    let etag = crate::files::ETag::parse(etag);
    let modified = UNIX_EPOCH.checked_add(Duration::from_secs(modified));
    let method = if safe { Method::GET } else { Method::PUT };
    let verdict = crate::files::conditional::evaluate(&headers, &method, etag.as_ref(), modified);
    let _ = crate::files::conditional::range_applies(&headers, etag.as_ref(), modified);
    // `*` alone: with other values the field is invalid, and ignored.
    let mut none_match = headers.get_all("if-none-match");
    let star =
        none_match.next().is_some_and(|v| v.trim_ascii() == b"*") && none_match.next().is_none();
    if star && headers.get("if-match").is_none() && headers.get("if-unmodified-since").is_none() {
        assert_ne!(
            verdict,
            crate::files::conditional::Verdict::Proceed,
            "If-None-Match: * proceeded"
        );
    }
}

/// `Accept` and `Accept-Encoding` negotiation: the choice is one of the
/// offers.
///
/// ```
/// lath::layers::fuzzing::negotiate("text/html;q=0.5, */*", "gzip;q=0, br");
/// ```
pub fn negotiate(accept: &str, accept_encoding: &str) {
    let offered = ["application/json", "text/html", "text/plain", "image/png"];
    if let Some(chosen) = crate::request::negotiate(&[accept], &offered) {
        assert!(offered.contains(&chosen));
    }
    #[cfg(any(feature = "files", feature = "compress"))]
    {
        let mut headers = Headers::new();
        headers.append("Accept-Encoding", accept_encoding.as_bytes().to_vec());
        let codings = ["zstd", "br", "gzip"];
        if let Some(chosen) = crate::encoding::preferred(&headers, &codings) {
            assert!(codings.contains(&chosen));
        }
    }
    #[cfg(not(any(feature = "files", feature = "compress")))]
    let _ = accept_encoding;
}

/// A `Cookie` field and a query string (or urlencoded form), parsed as a
/// handler reads them: every cookie found has a name, and is found again
/// by that name.
///
/// ```
/// lath::layers::fuzzing::cookies_and_query("a=1; b=2", "x=1&x=2&y");
/// ```
pub fn cookies_and_query(cookie: &str, query: &str) {
    use crate::RequestExt;
    let req = Request::builder("GET", "/")
        .header("Cookie", cookie)
        .build();
    for (name, _value) in req.cookies() {
        // Names arrive percent-decoded: none is empty, each is found again.
        assert!(!name.is_empty(), "{cookie:?}");
        assert!(req.cookie(&name).is_some(), "{name:?} in {cookie:?}");
    }
    let parsed = crate::Query::parse(query);
    let _ = parsed.to_json();
    let _ = crate::query_de::from_query::<serde_json::Value>(&parsed);
}

/// Route matching: arbitrary patterns are accepted or refused, never a
/// panic; an arbitrary path finds a route, a 405, or nothing.
///
/// ```
/// lath::layers::fuzzing::route("/users/:id", "/users/7");
/// ```
pub fn route(pattern: &str, path: &str) {
    let ok = || lath_app::handler(|_req: Request| async { "ok" });
    let built = crate::Router::new()
        .get("/", ok())
        .get("/users/:id/posts/:post", ok())
        .get("/files/*path", ok())
        .post("/users", ok())
        .get(pattern, ok())
        .build();
    let routes = match built {
        Ok(routes) => routes,
        Err(_) => crate::Router::new()
            .get("/users/:id", ok())
            .build()
            .expect("a valid table"),
    };
    for method in [Method::GET, Method::POST, Method::HEAD, Method::DELETE] {
        let _ = routes.find(&method, path);
    }
}

/// A WebSocket handshake request with these fields: refused with 400,
/// 403 or 426, or accepted with an accept key.
///
/// ```
/// lath::layers::fuzzing::websocket_handshake(&[("Connection", "upgrade"), ("Upgrade", "websocket")]);
/// ```
#[cfg(feature = "websocket")]
pub fn websocket_handshake(fields: &[(&str, &str)]) {
    let mut req = Request::builder("GET", "/ws");
    for (name, value) in fields {
        req = req.header(name, value);
    }
    let app = crate::websocket(|_ws: crate::WebSocket| async {})
        .origins(["https://a.example"])
        .protocols(["chat"]);
    match app.answer(&req.build()) {
        Ok((key, _protocol)) => assert_eq!(key.len(), 28, "a base64 SHA-1"),
        Err(refused) => {
            let status = lath_app::Response::from(refused).status().code();
            assert!([400, 403, 426].contains(&status), "{status}");
        }
    }
}

/// A multipart body with this `Content-Type`, read part by part under
/// small limits: it ends, fails with a 4xx, or yields parts within the
/// limits.
///
/// ```
/// lath::layers::fuzzing::multipart("multipart/form-data; boundary=X", b"--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--X--\r\n");
/// ```
#[cfg(feature = "multipart")]
pub fn multipart(content_type: &str, body: &[u8]) {
    let limits = crate::MultipartLimits {
        max_parts: 8,
        max_field: 256,
        max_file: 1024,
        max_total: 4096,
        ..crate::MultipartLimits::default()
    };
    let mut req = Request::builder("POST", "/")
        .header("Content-Type", content_type)
        .body(body.to_vec());
    let Ok(mut parts) = crate::parts(&mut req, limits) else {
        return;
    };
    futures::executor::block_on(async {
        let mut read = 0usize;
        loop {
            match parts.next_part().await {
                Ok(Some(mut part)) => loop {
                    match part.chunk(&mut parts).await {
                        Ok(Some(piece)) => read += piece.len(),
                        Ok(None) => break,
                        Err(error) => {
                            assert!(error.status().is_client_error(), "{error:?}");
                            return;
                        }
                    }
                },
                Ok(None) => break,
                Err(error) => {
                    assert!(error.status().is_client_error(), "{error:?}");
                    return;
                }
            }
        }
        assert!(read <= 4096, "{read} bytes past the limit");
    });
}

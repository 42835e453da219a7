//! Reading a request head: httparse tokenizes, this module judges
//! (RFC 9112 §3, §5, §6; RFC 9110 §7.2, §10.1.1).

use std::mem::MaybeUninit;

use bytes::BytesMut;

use crate::fields::{
    head_error, header_slots, offset_in, offset_of, slice, HeadReader, STACK_SLOTS,
};
use crate::grammar::{eq_lower, is_host, is_target, is_tchar, is_token, list_elements, trim_ows};
use crate::head::{absolute_form, RequestMeta};
use crate::headers::{Span, SpanList};
use crate::{BodySize, Headers, Limits, Method, ProtocolError, RequestHead, Status, Version};

/// Reads request heads from the front of a buffer, one at a time.
#[derive(Debug)]
pub(crate) struct RequestReader {
    head: HeadReader,
}

impl RequestReader {
    pub(crate) fn new() -> RequestReader {
        RequestReader {
            head: HeadReader::new(),
        }
    }

    /// Has part of a request head arrived?
    pub(crate) fn in_progress(&self) -> bool {
        self.head.in_progress()
    }

    /// Takes one complete head from the front of `buf`, or `None` when more
    /// bytes are needed.
    pub(crate) fn read(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<RequestHead>, ProtocolError> {
        if !self.head.in_progress() {
            // RFC 9112 §2.2: ignore empty lines before the request line.
            skip_empty_lines(buf)?;
            let (Some(&first), false) = (buf.first(), &buf[..] == b"\r") else {
                return Ok(None);
            };
            // A method is a token; anything else (a TLS ClientHello starts
            // with 0x16) is refused before a line ending arrives.
            if !is_tchar(first) {
                return Err(ProtocolError::bad_request(
                    "request line does not start with a method",
                ));
            }
        }
        check_method_length(buf, limits)?;
        self.head.read(buf, limits, size_error, &mut |buf, end| {
            parse(buf, end, limits)
        })
    }
}

/// RFC 9112 §3: a method longer than any the server implements → 501.
/// Judged on the first `max_method + 1` bytes alone, as soon as they are
/// in, so the verdict does not depend on how the bytes arrive.
fn check_method_length(buf: &[u8], limits: &Limits) -> Result<(), ProtocolError> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    match buf[start..].get(..limits.max_method + 1) {
        Some(window) if window.iter().all(|&b| is_tchar(b)) => Err(ProtocolError::new(
            Status::NOT_IMPLEMENTED,
            "method too long",
        )),
        _ => Ok(()),
    }
}

/// Parses the request head at the front of `buf[..end]`.
fn parse(
    buf: &mut BytesMut,
    end: usize,
    limits: &Limits,
) -> Result<Option<RequestHead>, ProtocolError> {
    let mut stack = [const { MaybeUninit::uninit() }; STACK_SLOTS];
    let mut heap = Vec::new();
    let slots = header_slots(limits.max_headers, &mut stack, &mut heap);
    let mut req = httparse::Request::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_request_with_uninit_headers(
        &mut req,
        &buf[..end],
        slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(e) => return Err(head_error(e)),
    };
    if len > limits.max_head {
        return Err(size_error(&buf[..limits.max_head], limits));
    }
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(ProtocolError::bad_request("malformed head"));
    };
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| ProtocolError::bad_request("invalid method"))?;
    check_target(&method, target.as_bytes(), limits)?;
    let target_span = offset_of(buf, target.as_bytes());
    let mut spans = SpanList::with_capacity(req.headers.len());
    let meta = judge_fields(&method, version, req.headers, buf, &mut spans)?;

    let head = buf.split_to(len).freeze();
    Ok(Some(RequestHead {
        method,
        target: slice(&head, target_span),
        version,
        headers: Headers::parsed(head, spans),
        meta,
    }))
}

fn skip_empty_lines(buf: &mut BytesMut) -> Result<(), ProtocolError> {
    loop {
        match &buf[..] {
            [b'\r', b'\n', ..] => drop(buf.split_to(2)),
            [b'\n', ..] => drop(buf.split_to(1)),
            [b'\r', _, ..] => return Err(ProtocolError::bad_request("bare cr in head")),
            _ => return Ok(()),
        }
    }
}

/// 414 when the request line is what made the head too large, else 431.
/// `buf` is the first `max_head` bytes, so the answer does not depend on
/// what arrived past the limit.
fn size_error(buf: &[u8], limits: &Limits) -> ProtocolError {
    const URI_TOO_LONG: ProtocolError =
        ProtocolError::new(Status::URI_TOO_LONG, "request target too long");
    let Some(line_end) = buf.iter().position(|&b| b == b'\n') else {
        return URI_TOO_LONG;
    };
    let line = &buf[..line_end];
    let target_len = line
        .iter()
        .position(|&b| b == b' ')
        .map(|sp| line[sp + 1..].iter().take_while(|&&b| b != b' ').count())
        .unwrap_or(0);
    if target_len > limits.max_target {
        URI_TOO_LONG
    } else {
        ProtocolError::new(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "head too large")
    }
}

/// 505 for a well-formed version we do not speak (`HTTP/2.0`), 400 for a
/// malformed one (`http/1.1`, `HTTP/1.1x`, none at all). RFC 9110 §15.6.6.
fn version_error(buf: &[u8]) -> ProtocolError {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = buf[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..line_end]);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(_method), Some(_target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return ProtocolError::bad_request("invalid request line");
    };
    match version {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit()
                && minor.is_ascii_digit()
                && !matches!((major, minor), (b'1', b'0' | b'1')) =>
        {
            ProtocolError::new(
                Status::HTTP_VERSION_NOT_SUPPORTED,
                "unsupported http version",
            )
        }
        _ => ProtocolError::bad_request("invalid http version"),
    }
}

/// RFC 9112 §3.2: the four target forms, each only where it belongs.
fn check_target(method: &Method, target: &[u8], limits: &Limits) -> Result<(), ProtocolError> {
    if target.len() > limits.max_target {
        return Err(ProtocolError::new(
            Status::URI_TOO_LONG,
            "request target too long",
        ));
    }
    if !is_target(target) {
        return Err(ProtocolError::bad_request("invalid byte in request target"));
    }
    let ok = if *method == Method::CONNECT {
        // authority-form: host ":" port, port required (§3.2.3).
        matches!(target.iter().rposition(|&b| b == b':'), Some(colon) if colon > 0 && colon + 1 < target.len())
            && is_host(target)
    } else if target.first() == Some(&b'/') {
        true
    } else if target == b"*" {
        // asterisk-form is for OPTIONS only (§3.2.4; our choice to reject).
        *method == Method::OPTIONS
    } else {
        match absolute_form(std::str::from_utf8(target).unwrap_or("")) {
            // RFC 9110 §4.2.1: an `http(s)` URI needs a non-empty host.
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                let authority = rest.split(['/', '?']).next().unwrap_or("");
                is_host(authority.rsplit('@').next().unwrap_or("").as_bytes())
            }
            Some(_) => true,
            None => false,
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ProtocolError::bad_request("invalid request target form"))
    }
}

/// What the framing fields of a head say, gathered in one pass.
#[derive(Debug, Default)]
pub(crate) struct Framing {
    pub(crate) content_length: Option<u64>,
    pub(crate) transfer_encoding: bool,
    chunked_count: usize,
    chunked_last: bool,
    unknown_coding: bool,
}

impl Framing {
    /// Takes a `Content-Length` line (RFC 9112 §6.3 r5: differing lengths
    /// are unrecoverable; identical repeats are one value, RFC 9110 §8.6).
    pub(crate) fn content_length(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        let n = parse_content_length(value)?;
        if self.content_length.is_some_and(|prev| prev != n) {
            return Err(ProtocolError::bad_request(
                "differing content-length values",
            ));
        }
        self.content_length = Some(n);
        Ok(())
    }

    /// Takes a `Transfer-Encoding` line (RFC 9112 §6.1).
    pub(crate) fn transfer_encoding(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        self.transfer_encoding = true;
        let mut any = false;
        for coding in list_elements(value) {
            any = true;
            if !is_token(coding) {
                return Err(ProtocolError::bad_request("invalid transfer coding"));
            }
            self.chunked_last = coding.eq_ignore_ascii_case(b"chunked");
            if self.chunked_last {
                self.chunked_count += 1;
            } else {
                self.unknown_coding = true;
            }
        }
        if any {
            Ok(())
        } else {
            Err(ProtocolError::bad_request("empty transfer-encoding"))
        }
    }

    /// Is the final transfer coding `chunked`, applied once?
    pub(crate) fn is_chunked(&self) -> Result<bool, ProtocolError> {
        if self.chunked_count > 1 {
            return Err(ProtocolError::bad_request("chunked applied twice"));
        }
        Ok(self.chunked_count == 1 && self.chunked_last)
    }

    /// The request body's size (RFC 9112 §6.3).
    fn request_body(&self, version: Version) -> Result<BodySize, ProtocolError> {
        if !self.transfer_encoding {
            return Ok(BodySize::Known(self.content_length.unwrap_or(0)));
        }
        // RFC 9112 §6.1, §6.3 r3/r4: never guess between two framings.
        if self.content_length.is_some() {
            return Err(ProtocolError::bad_request(
                "content-length and transfer-encoding both present",
            ));
        }
        if version == Version::Http10 {
            return Err(ProtocolError::bad_request("transfer-encoding on http/1.0"));
        }
        if self.chunked_count > 0 && !self.is_chunked()? {
            return Err(ProtocolError::bad_request(
                "final transfer coding is not chunked",
            ));
        }
        if self.unknown_coding {
            return Err(ProtocolError::new(
                Status::NOT_IMPLEMENTED,
                "unsupported transfer coding",
            ));
        }
        Ok(BodySize::Unknown)
    }
}

/// Host, framing, connection and expectation fields, judged in the same
/// pass that records where each field lies in `base`.
fn judge_fields(
    method: &Method,
    version: Version,
    fields: &[httparse::Header<'_>],
    base: &[u8],
    spans: &mut SpanList,
) -> Result<RequestMeta, ProtocolError> {
    let mut hosts = 0usize;
    let mut host_ok = true;
    let mut framing = Framing::default();
    let mut connection = ConnectionTokens::default();
    let mut upgrade = false;
    let mut expect_continue = false;
    let mut trailers = false;

    for field in fields {
        let name = field.name.as_bytes();
        // httparse leaves no SP or HTAB at either end of a request's
        // value (it refuses obs-fold there), so there is nothing to trim.
        let value = field.value;
        debug_assert_eq!(value, trim_ows(value));
        spans.push(Span::new(offset_in(base, name), offset_in(base, value)));
        // Dispatch on length first: most fields are none of these.
        match name.len() {
            2 if eq_lower(name, b"te") => {
                trailers |= list_elements(value).any(|t| t.eq_ignore_ascii_case(b"trailers"));
            }
            4 if eq_lower(name, b"host") => {
                hosts += 1;
                host_ok &= is_host(value);
            }
            6 if eq_lower(name, b"expect") => {
                // RFC 9110 §10.1.1: 100-continue is the only expectation.
                if !value.eq_ignore_ascii_case(b"100-continue") {
                    return Err(ProtocolError::new(
                        Status::EXPECTATION_FAILED,
                        "unsupported expectation",
                    ));
                }
                expect_continue = true;
            }
            7 if eq_lower(name, b"upgrade") => upgrade = true,
            10 if eq_lower(name, b"connection") => connection.add(value),
            14 if eq_lower(name, b"content-length") => framing.content_length(value)?,
            17 if eq_lower(name, b"transfer-encoding") => framing.transfer_encoding(value)?,
            _ => {}
        }
    }

    // RFC 9112 §3.2: exactly one valid Host on HTTP/1.1.
    if hosts > 1 {
        return Err(ProtocolError::bad_request("multiple host fields"));
    }
    if !host_ok {
        return Err(ProtocolError::bad_request("invalid host"));
    }
    if hosts == 0 && version == Version::Http11 {
        return Err(ProtocolError::bad_request("missing host"));
    }
    let body = framing.request_body(version)?;
    let has_body = body != BodySize::EMPTY;
    Ok(RequestMeta {
        body,
        keep_alive: connection.keep_alive(version),
        expect_continue: expect_continue && has_body && version == Version::Http11,
        upgrade: *method == Method::CONNECT
            || (upgrade && connection.upgrade && version == Version::Http11),
        trailers,
    })
}

/// The tokens of `Connection` fields that matter here (RFC 9110 §7.6.1).
#[derive(Debug, Default)]
pub(crate) struct ConnectionTokens {
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade: bool,
}

impl ConnectionTokens {
    pub(crate) fn add(&mut self, value: &[u8]) {
        for token in list_elements(value) {
            match token.len() {
                5 => self.close |= eq_lower(token, b"close"),
                7 => self.upgrade |= eq_lower(token, b"upgrade"),
                10 => self.keep_alive |= eq_lower(token, b"keep-alive"),
                _ => {}
            }
        }
    }

    /// RFC 9112 §9.3: HTTP/1.1 persists unless closed; HTTP/1.0 only when
    /// asked to.
    pub(crate) fn keep_alive(&self, version: Version) -> bool {
        match version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        }
    }
}

/// `Content-Length = 1*DIGIT`, possibly as a list of identical values
/// (RFC 9110 §8.6, RFC 9112 §6.3 r5).
fn parse_content_length(value: &[u8]) -> Result<u64, ProtocolError> {
    const BAD: ProtocolError = ProtocolError::bad_request("invalid content-length");
    let mut result = None;
    for element in value.split(|&b| b == b',').map(trim_ows) {
        if element.is_empty() || !element.iter().all(u8::is_ascii_digit) {
            return Err(BAD);
        }
        let n = element.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        });
        let n = n.ok_or(BAD)?;
        if result.is_some_and(|prev| prev != n) {
            return Err(ProtocolError::bad_request(
                "differing content-length values",
            ));
        }
        result = Some(n);
    }
    result.ok_or(BAD)
}

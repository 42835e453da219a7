//! Reading a response head, for the client role (RFC 9112 §4, §6.3).

use std::mem::MaybeUninit;

use bytes::BytesMut;

use crate::fields::{head_error, header_slots, span_of, HeadReader, STACK_SLOTS};
use crate::grammar::trim_ows;
use crate::headers::SpanList;
use crate::request::{ConnectionTokens, Framing};
use crate::{Headers, Limits, ProtocolError, ResponseHead, Status, Version};

/// A parsed response head with what its fields say about framing.
#[derive(Debug)]
pub(crate) struct ParsedResponse {
    pub(crate) head: ResponseHead,
    pub(crate) content_length: Option<u64>,
    /// `Some(true)` for chunked, `Some(false)` for another final coding.
    pub(crate) chunked: Option<bool>,
    pub(crate) keep_alive: bool,
}

#[derive(Debug)]
pub(crate) struct ResponseReader {
    head: HeadReader,
}

impl ResponseReader {
    pub(crate) fn new() -> ResponseReader {
        ResponseReader {
            head: HeadReader::new(),
        }
    }

    pub(crate) fn in_progress(&self) -> bool {
        self.head.in_progress()
    }

    pub(crate) fn read(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<ParsedResponse>, ProtocolError> {
        if buf.is_empty() && !self.head.in_progress() {
            return Ok(None);
        }
        self.head.read(buf, limits, too_large, &mut |buf, end| {
            parse(buf, end, limits)
        })
    }
}

fn too_large(_: &[u8], _: &Limits) -> ProtocolError {
    ProtocolError::bad_request("response head too large")
}

fn parse(
    buf: &mut BytesMut,
    end: usize,
    limits: &Limits,
) -> Result<Option<ParsedResponse>, ProtocolError> {
    let mut stack = [const { MaybeUninit::uninit() }; STACK_SLOTS];
    let mut heap = Vec::new();
    let slots = header_slots(limits.max_headers, &mut stack, &mut heap);
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        &buf[..end],
        slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(head_error(e)),
    };
    if len > limits.max_head {
        return Err(too_large(buf, limits));
    }
    let (Some(minor), Some(code)) = (res.version, res.code) else {
        return Err(ProtocolError::bad_request("malformed head"));
    };
    let status = Status::new(code).ok_or(ProtocolError::bad_request("invalid status code"))?;
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    // The reason as sent, read from the status line itself: httparse drops
    // a reason that is not UTF-8, but obs-text is allowed there (RFC 9112 §4).
    let line_end = buf[..len].iter().position(|&b| b == b'\n').unwrap_or(0);
    let line = buf[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..line_end]);
    let reason_span = res
        .reason
        .map(|_| (line.len().min(13), line.len().saturating_sub(13)));

    let mut framing = Framing::default();
    let mut connection = ConnectionTokens::default();
    for field in res.headers.iter() {
        let name = field.name.as_bytes();
        let value = trim_ows(field.value);
        if name.eq_ignore_ascii_case(b"content-length") {
            framing.content_length(value)?;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            framing.transfer_encoding(value)?;
        } else if name.eq_ignore_ascii_case(b"connection") {
            connection.add(value);
        }
    }
    if framing.transfer_encoding && framing.content_length.is_some() {
        return Err(ProtocolError::bad_request(
            "content-length and transfer-encoding both present",
        ));
    }
    let chunked = if framing.transfer_encoding {
        Some(framing.is_chunked()?)
    } else {
        None
    };

    let mut spans = SpanList::with_capacity(res.headers.len());
    res.headers.iter().for_each(|f| spans.push(span_of(buf, f)));
    let bytes = buf.split_to(len).freeze();
    let reason = reason_span.map(|span| crate::fields::slice(&bytes, span));
    Ok(Some(ParsedResponse {
        head: ResponseHead {
            status,
            reason,
            version,
            headers: Headers::parsed(bytes, spans),
        },
        content_length: framing.content_length,
        chunked,
        keep_alive: connection.keep_alive(version),
    }))
}

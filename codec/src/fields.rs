//! Finding the end of a field section in linear time, and turning
//! httparse's borrowed fields into zero-copy [`Headers`].

use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};

use crate::grammar::trim_ows;
use crate::headers::{Span, SpanList};
use crate::{Headers, Limits, ProtocolError, Status};

/// What a scan of the buffered bytes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The section ends after this many bytes (its blank line included).
    Complete(usize),
    /// No blank line yet.
    Partial,
    /// A CR not followed by LF (RFC 9112 §2.2).
    BareCr,
}

/// Finds the blank line that ends a head or trailer section. It resumes
/// where the previous call stopped, so feeding a head one byte at a time
/// costs linear time, not quadratic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanner {
    pos: usize,
    at_line_start: bool,
}

impl Scanner {
    /// A scanner for a head, whose first line is the start line.
    pub(crate) fn head() -> Scanner {
        Scanner {
            pos: 0,
            at_line_start: false,
        }
    }

    /// A scanner for a trailer section, which may be empty.
    pub(crate) fn trailers() -> Scanner {
        Scanner {
            pos: 0,
            at_line_start: true,
        }
    }

    /// Scans the bytes of `buf` not seen before. Bare LF ends a line like
    /// CRLF does (RFC 9112 §2.2 MAY; our choice, as httparse).
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Scan {
        while let Some(&b) = buf.get(self.pos) {
            match b {
                b'\n' => {
                    self.pos += 1;
                    if self.at_line_start {
                        return Scan::Complete(self.pos);
                    }
                    self.at_line_start = true;
                }
                b'\r' => match buf.get(self.pos + 1) {
                    None => return Scan::Partial,
                    Some(b'\n') => {
                        self.pos += 2;
                        if self.at_line_start {
                            return Scan::Complete(self.pos);
                        }
                        self.at_line_start = true;
                    }
                    Some(_) => return Scan::BareCr,
                },
                _ => {
                    self.at_line_start = false;
                    self.pos += 1;
                }
            }
        }
        Scan::Partial
    }
}

/// Takes heads from the front of a buffer: httparse is tried once on what
/// arrived first (the whole head, usually); after that only the scanner
/// looks at new bytes until the blank line is in, so a head fed one byte at
/// a time costs linear time. Errors therefore depend only on the bytes,
/// never on how they were split.
#[derive(Debug)]
pub(crate) struct HeadReader {
    scanner: Scanner,
    tried: bool,
}

/// Parses a head from `buf[..end]`; `Ok(None)` when it is incomplete.
pub(crate) type ParseFn<'a, T> =
    &'a mut dyn FnMut(&mut BytesMut, usize) -> Result<Option<T>, ProtocolError>;

impl HeadReader {
    pub(crate) fn new() -> HeadReader {
        HeadReader {
            scanner: Scanner::head(),
            tried: false,
        }
    }

    /// Has part of a head been seen?
    pub(crate) fn in_progress(&self) -> bool {
        self.tried
    }

    /// One head from the front of `buf`, or `None` for "need more bytes".
    /// `too_large` names the error for a head past `limits.max_head`, given
    /// the first `max_head` bytes.
    pub(crate) fn read<T>(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        too_large: fn(&[u8], &Limits) -> ProtocolError,
        parse: ParseFn<'_, T>,
    ) -> Result<Option<T>, ProtocolError> {
        if !self.tried {
            self.tried = true;
            // Fast path: errors here are not reported yet, because the
            // same bytes split differently would not have been parsed.
            if let Ok(Some(head)) = parse(buf, buf.len()) {
                self.reset();
                return Ok(Some(head));
            }
        }
        // Only the first `max_head` bytes are ever looked at, so what lies
        // past the limit cannot change the verdict with how bytes arrive.
        let window = &buf[..buf.len().min(limits.max_head)];
        let len = match self.scanner.scan(window) {
            Scan::BareCr => return Err(ProtocolError::bad_request("bare cr in head")),
            Scan::Partial if buf.len() > limits.max_head => return Err(too_large(window, limits)),
            Scan::Partial => return Ok(None),
            Scan::Complete(len) => len,
        };
        let head = parse(buf, len)?;
        self.reset();
        // The scanner saw the blank line, so httparse cannot want more.
        head.map(Some)
            .ok_or(ProtocolError::bad_request("malformed head"))
    }

    fn reset(&mut self) {
        self.scanner = Scanner::head();
        self.tried = false;
    }
}

/// Offset and length of `part` inside `base`; an empty span at 0 when
/// `part` does not lie there (httparse returns a static `""` for a reason
/// phrase that is not UTF-8).
pub(crate) fn offset_of(base: &[u8], part: &[u8]) -> (usize, usize) {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    if start <= base.len() && part.len() <= base.len() - start {
        (start, part.len())
    } else {
        (0, 0)
    }
}

/// Offset and length of `part`, which lies inside `base`: a field name or
/// value of a request head, which httparse always slices from the bytes
/// it was given.
pub(crate) fn offset_in(base: &[u8], part: &[u8]) -> (usize, usize) {
    let start = part.as_ptr() as usize - base.as_ptr() as usize;
    debug_assert!(start + part.len() <= base.len());
    (start, part.len())
}

/// The span of a parsed field, its value trimmed of SP and HTAB only
/// (RFC 9110 §5.5).
pub(crate) fn span_of(base: &[u8], field: &httparse::Header<'_>) -> Span {
    Span::new(
        offset_of(base, field.name.as_bytes()),
        offset_of(base, trim_ows(field.value)),
    )
}

/// A shared slice of the frozen head.
pub(crate) fn slice(head: &Bytes, (start, len): (usize, usize)) -> Bytes {
    head.slice(start..start + len)
}

/// Header slots for httparse that live on the stack, uninitialised, so
/// they cost nothing to create; larger configured limits use the heap.
pub(crate) const STACK_SLOTS: usize = 128;

/// Slots for httparse to fill: `stack` when the limit fits, else `heap`.
pub(crate) fn header_slots<'s, 'b>(
    limit: usize,
    stack: &'s mut [MaybeUninit<httparse::Header<'b>>; STACK_SLOTS],
    heap: &'s mut Vec<MaybeUninit<httparse::Header<'b>>>,
) -> &'s mut [MaybeUninit<httparse::Header<'b>>] {
    if limit <= STACK_SLOTS {
        &mut stack[..limit]
    } else {
        heap.resize_with(limit, MaybeUninit::uninit);
        heap
    }
}

/// The status and reason for an httparse error in a head.
pub(crate) fn head_error(e: httparse::Error) -> ProtocolError {
    use httparse::Error as E;
    match e {
        E::HeaderName => ProtocolError::bad_request("invalid header field name"),
        E::HeaderValue => ProtocolError::bad_request("invalid header field value"),
        E::NewLine => ProtocolError::bad_request("invalid line ending"),
        E::Status => ProtocolError::bad_request("invalid status line"),
        E::Token => ProtocolError::bad_request("invalid request line"),
        E::Version => ProtocolError::bad_request("invalid http version"),
        E::TooManyHeaders => ProtocolError::new(
            Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too many header fields",
        ),
    }
}

/// Fields that may not appear in a trailer section: framing, routing and
/// connection control (RFC 9110 §6.5.1). They are dropped, never merged.
const NOT_IN_TRAILERS: [&str; 9] = [
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// Reads a trailer section (RFC 9112 §7.1.2): the same field syntax as a
/// head, under its own size limit. Returns `None` until it is complete.
pub(crate) fn read_trailers(
    buf: &mut BytesMut,
    scanner: &mut Scanner,
    limits: &Limits,
) -> Result<Option<Headers>, ProtocolError> {
    const TOO_LARGE: ProtocolError = ProtocolError::new(
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "trailer section too large",
    );
    let window = &buf[..buf.len().min(limits.max_trailers)];
    let len = match scanner.scan(window) {
        Scan::BareCr => return Err(ProtocolError::bad_request("bare cr in trailer section")),
        Scan::Partial if buf.len() > limits.max_trailers => return Err(TOO_LARGE),
        Scan::Partial => return Ok(None),
        Scan::Complete(len) => len,
    };
    let section = buf.split_to(len).freeze();
    // Most chunked bodies end without trailers: nothing to parse.
    if section.len() <= 2 {
        return Ok(Some(Headers::new()));
    }
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let fields = match httparse::parse_headers(&section, &mut slots) {
        Ok(httparse::Status::Complete((_, fields))) => fields,
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(ProtocolError::bad_request("invalid trailer field"))
        }
    };
    let mut spans = SpanList::default();
    fields
        .iter()
        .filter(|f| {
            !NOT_IN_TRAILERS
                .iter()
                .any(|n| f.name.eq_ignore_ascii_case(n))
        })
        .for_each(|f| spans.push(span_of(&section, f)));
    Ok(Some(Headers::parsed(section, spans)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_finds_the_blank_line_however_bytes_arrive() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let mut whole = Scanner::head();
        assert_eq!(whole.scan(head), Scan::Complete(27));
        let mut split = Scanner::head();
        let mut found = None;
        for end in 1..=head.len() {
            if let Scan::Complete(n) = split.scan(&head[..end]) {
                found = Some(n);
                break;
            }
        }
        assert_eq!(found, Some(27));
    }

    #[test]
    fn scanner_rejects_bare_cr_and_accepts_bare_lf() {
        assert_eq!(Scanner::head().scan(b"GET /\rx"), Scan::BareCr);
        assert_eq!(
            Scanner::head().scan(b"GET / HTTP/1.1\nA: b\n\n"),
            Scan::Complete(21)
        );
        assert_eq!(Scanner::head().scan(b"GET / HTTP/1.1\r"), Scan::Partial);
        assert_eq!(Scanner::trailers().scan(b"\r\n"), Scan::Complete(2));
    }
}

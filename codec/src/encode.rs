//! Writing heads and framing bodies (RFC 9112 §4, §6, §7; RFC 9110 §6.6.1).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::grammar::{is_field_value, is_token, list_elements, push_hex, trim_ows};
use crate::{Headers, UsageError};

/// The `Date` value, formatted at most once per second of the caller's
/// clock (RFC 9110 §6.6.1: IMF-fixdate, 29 bytes), kept as the end of a
/// head: the `Date` line, then the `Server` line and the empty line when
/// the server's name fits, so a head whose last fields are the automatic
/// ones ends with one copy.
#[derive(Debug, Clone)]
pub(crate) struct DateCache {
    second: Option<u64>,
    /// The last time asked for: pipelined answers share one clock read,
    /// and then one comparison.
    seen: Option<SystemTime>,
    /// `Date: ` + an IMF-fixdate + CRLF, then, up to `end`,
    /// `Server: ` + the name + CRLF CRLF.
    text: [u8; TEXT],
    /// Where the `Server` line and the empty line end; 0 without them.
    end: u8,
}

/// The `Date` line's length.
const DATE_LINE: usize = 37;

/// Room for the `Date` line, a `Server` line with a name of up to 40
/// bytes, and the empty line.
const TEXT: usize = DATE_LINE + 8 + 40 + 4;

impl DateCache {
    /// A cache whose tail names `server`, when given and short enough.
    pub(crate) fn new(server: Option<&[u8]>) -> DateCache {
        let mut text = [b' '; TEXT];
        text[..6].copy_from_slice(b"Date: ");
        text[35..DATE_LINE].copy_from_slice(b"\r\n");
        let mut end = 0;
        if let Some(name) = server.filter(|name| DATE_LINE + 8 + name.len() + 4 <= TEXT) {
            let mut at = DATE_LINE;
            for piece in [&b"Server: "[..], name, b"\r\n\r\n"] {
                text[at..at + piece.len()].copy_from_slice(piece);
                at += piece.len();
            }
            end = at as u8;
        }
        DateCache {
            second: None,
            seen: None,
            text,
            end,
        }
    }

    /// The IMF-fixdate for `now`.
    #[cfg(test)]
    pub(crate) fn get(&mut self, now: SystemTime) -> &[u8] {
        &self.line(now)[6..35]
    }

    /// The whole `Date` field line for `now`, rendered once per second.
    pub(crate) fn line(&mut self, now: SystemTime) -> &[u8] {
        self.render(now);
        &self.text[..DATE_LINE]
    }

    /// The `Date` line for `now`, the `Server` line and the empty line that
    /// ends a head; `None` when this cache names no server.
    pub(crate) fn line_and_server(&mut self, now: SystemTime) -> Option<&[u8]> {
        if self.end == 0 {
            return None;
        }
        self.render(now);
        Some(&self.text[..self.end as usize])
    }

    fn render(&mut self, now: SystemTime) {
        if self.seen == Some(now) {
            return;
        }
        self.seen = Some(now);
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.second != Some(second) {
            // Written in place: a new second costs no allocation.
            let mut text = Fixed {
                buf: &mut self.text[6..35],
                len: 0,
            };
            let _ = write!(text, "{}", httpdate::HttpDate::from(now));
            self.second = Some(second);
        }
    }
}

/// Formats into the 29 bytes of an IMF-fixdate; anything longer is cut.
struct Fixed<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl std::fmt::Write for Fixed<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// How the body after a written head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoder {
    /// Exactly `remaining` more bytes of `declared`.
    Length { declared: u64, remaining: u64 },
    /// Chunked (RFC 9112 §7.1).
    Chunked,
    /// Raw bytes, ended by closing the connection.
    Close,
    /// No body may follow (1xx, 204, 304, 2xx to CONNECT).
    Forbidden,
    /// A body may be produced but is not sent (the answer to HEAD).
    Discard,
}

impl Encoder {
    /// Frames one piece of body.
    pub(crate) fn data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), UsageError> {
        match self {
            Encoder::Length {
                declared,
                remaining,
            } => {
                if data.len() as u64 > *remaining {
                    return Err(UsageError::BodyTooLong {
                        declared: *declared,
                    });
                }
                *remaining -= data.len() as u64;
                out.extend_from_slice(data);
            }
            // RFC 9112 §7.1: an empty chunk would read as the last one.
            Encoder::Chunked if data.is_empty() => {}
            Encoder::Chunked => {
                push_hex(out, data.len() as u64);
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
            }
            Encoder::Close => out.extend_from_slice(data),
            Encoder::Forbidden if !data.is_empty() => return Err(UsageError::BodyNotAllowed),
            Encoder::Forbidden | Encoder::Discard => {}
        }
        Ok(())
    }

    /// Frames a piece of `len` bytes sent by the caller right after `out`:
    /// the framing before it goes into `out`; returned, what must follow
    /// it, or `None` when the piece is not sent.
    pub(crate) fn frame(
        &mut self,
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<Option<&'static [u8]>, UsageError> {
        match self {
            Encoder::Length {
                declared,
                remaining,
            } => {
                if len as u64 > *remaining {
                    return Err(UsageError::BodyTooLong {
                        declared: *declared,
                    });
                }
                *remaining -= len as u64;
                Ok(Some(b""))
            }
            Encoder::Chunked if len == 0 => Ok(None),
            Encoder::Chunked => {
                push_hex(out, len as u64);
                out.extend_from_slice(b"\r\n");
                Ok(Some(b"\r\n"))
            }
            Encoder::Close => Ok(Some(b"")),
            Encoder::Forbidden if len > 0 => Err(UsageError::BodyNotAllowed),
            Encoder::Forbidden | Encoder::Discard => Ok(None),
        }
    }

    /// Ends the body; trailers go out only on chunked bodies to peers that
    /// accept them (RFC 9112 §7.4), framing fields never.
    pub(crate) fn end(
        &self,
        trailers: Option<&Headers>,
        send_trailers: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        match *self {
            Encoder::Length {
                declared,
                remaining,
            } if remaining > 0 => Err(UsageError::BodyTooShort {
                declared,
                written: declared - remaining,
            }),
            Encoder::Chunked => {
                let trailers = trailers.filter(|_| send_trailers);
                if let Some(trailers) = trailers {
                    validate(trailers)?;
                }
                out.extend_from_slice(b"0\r\n");
                for (name, value) in trailers.iter().flat_map(|t| t.iter_raw()) {
                    if !is_framing_field(name) {
                        push_field(out, name, value);
                    }
                }
                out.extend_from_slice(b"\r\n");
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Fields that frame or route a message, never allowed in trailers.
fn is_framing_field(name: &[u8]) -> bool {
    [
        &b"content-length"[..],
        b"transfer-encoding",
        b"host",
        b"connection",
        b"trailer",
        b"te",
        b"upgrade",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

#[inline]
pub(crate) fn push_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.reserve(name.len() + value.len() + 4);
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Checks every field so no caller-given name or value can split a message
/// (RFC 9112 §11.1).
pub(crate) fn validate(headers: &Headers) -> Result<(), UsageError> {
    if !headers.needs_check() {
        return Ok(());
    }
    headers.try_for_each_raw(check_field)
}

fn check_field(name: &[u8], value: &[u8]) -> Result<(), UsageError> {
    if !is_token(name) {
        return Err(UsageError::InvalidHeaderName(
            String::from_utf8_lossy(name).into_owned(),
        ));
    }
    if !is_field_value(value) {
        return Err(UsageError::InvalidHeaderValue(
            String::from_utf8_lossy(name).into_owned(),
        ));
    }
    Ok(())
}

/// What a caller-given head already says about framing and the automatic
/// fields, gathered in the same pass that validates it.
#[derive(Debug, Default)]
pub(crate) struct Given {
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: Option<bool>,
    pub(crate) date: bool,
    pub(crate) server: bool,
    pub(crate) host: bool,
    pub(crate) connection: Option<crate::request::ConnectionTokens>,
}

impl Given {
    pub(crate) fn of(headers: &Headers) -> Result<Given, UsageError> {
        let mut given = Given::default();
        let check = headers.needs_check();
        headers.try_for_each_raw(|name, value| {
            if check {
                check_field(name, value)?;
            }
            match name.len() {
                4 if name.eq_ignore_ascii_case(b"date") => given.date = true,
                4 if name.eq_ignore_ascii_case(b"host") => given.host = true,
                6 if name.eq_ignore_ascii_case(b"server") => given.server = true,
                10 if name.eq_ignore_ascii_case(b"connection") => given
                    .connection
                    .get_or_insert_with(Default::default)
                    .add(value),
                14 if name.eq_ignore_ascii_case(b"content-length") => {
                    let text = std::str::from_utf8(trim_ows(value)).unwrap_or("");
                    let n = text.parse().map_err(|_| UsageError::ConflictingFraming)?;
                    if given.content_length.is_some_and(|m| m != n) {
                        return Err(UsageError::ConflictingFraming);
                    }
                    given.content_length = Some(n);
                }
                17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                    let last = list_elements(value).last();
                    given.chunked = Some(last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")));
                }
                _ => {}
            }
            Ok(())
        })?;
        if given.content_length.is_some() && given.chunked.is_some() {
            // RFC 9112 §6.2: never both in one message.
            return Err(UsageError::ConflictingFraming);
        }
        Ok(given)
    }
}

/// Writes `HTTP/1.1 SP 3DIGIT SP reason CRLF` (RFC 9112 §4); the SP stays
/// even when the reason is empty. `custom` replaces the standard reason.
pub(crate) fn push_status_line(out: &mut Vec<u8>, status: crate::Status, custom: Option<&[u8]>) {
    let reason = match (custom, status.status_line()) {
        (None, Some(line)) => {
            out.extend_from_slice(line.as_bytes());
            return;
        }
        (Some(reason), _) => reason,
        (None, None) => b"",
    };
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&status.digits());
    out.push(b' ');
    out.extend_from_slice(reason);
    out.extend_from_slice(b"\r\n");
}

/// Writes the caller's fields, skipping framing fields where `skip_framing`.
pub(crate) fn push_fields(out: &mut Vec<u8>, headers: &Headers, skip_framing: bool) {
    headers.for_each_raw(|name, value| {
        let framing = match name.len() {
            14 => name.eq_ignore_ascii_case(b"content-length"),
            17 => name.eq_ignore_ascii_case(b"transfer-encoding"),
            _ => false,
        };
        if !(skip_framing && framing) {
            push_field(out, name, value);
        }
    });
}

pub(crate) fn push_content_length(out: &mut Vec<u8>, n: u64) {
    // The line is put together on the stack and copied once: digits are
    // written from the end, then the name before them.
    const NAME: &[u8] = b"Content-Length: ";
    let mut line = [0u8; NAME.len() + 20 + 2];
    let end = line.len() - 2;
    line[end..].copy_from_slice(b"\r\n");
    let mut start = end;
    let mut n = n;
    loop {
        start -= 1;
        line[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    start -= NAME.len();
    line[start..start + NAME.len()].copy_from_slice(NAME);
    out.extend_from_slice(&line[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row: pieces framed for the caller (`frame`, then the piece) read
    /// as the same pieces written here (`data`), with the same verdict and
    /// the same state after.
    fn check(rule: &str, encoder: Encoder) {
        for piece in [&b""[..], b"x", b"0123456789"] {
            let (mut written, mut framed) = (encoder, encoder);
            let mut by_data = Vec::new();
            let by_data_result = written.data(piece, &mut by_data);
            let mut by_frame = Vec::new();
            let frame_result = framed.frame(piece.len(), &mut by_frame);
            if let Ok(Some(after)) = frame_result {
                by_frame.extend_from_slice(piece);
                by_frame.extend_from_slice(after);
            }
            assert_eq!(by_frame, by_data, "{rule}: {piece:?}");
            assert_eq!(frame_result.is_ok(), by_data_result.is_ok(), "{rule}");
            assert_eq!(framed, written, "{rule}: the same state after");
        }
    }

    mod a_piece_framed_for_the_caller_reads_as_one_written_here {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            content_length: "RFC 9112 §6.3 Content-Length" => (Encoder::Length { declared: 10, remaining: 10 });
            chunked: "RFC 9112 §7.1 chunked" => (Encoder::Chunked);
            read_until_close: "RFC 9112 §6.3 read until close" => (Encoder::Close);
            head_discarded: "RFC 9110 §9.3.2 HEAD: discarded" => (Encoder::Discard);
        });
    }

    #[test]
    fn framing_past_the_length_or_where_no_body_is_allowed_fails() {
        let mut over = Encoder::Length {
            declared: 3,
            remaining: 3,
        };
        assert!(
            over.frame(4, &mut Vec::new()).is_err(),
            "past Content-Length"
        );
        assert!(
            Encoder::Forbidden.frame(1, &mut Vec::new()).is_err(),
            "no body allowed"
        );
    }

    #[test]
    fn chunked_skips_empty_pieces_and_ends_with_zero_crlf_crlf() {
        let mut out = Vec::new();
        let mut enc = Encoder::Chunked;
        enc.data(b"hello", &mut out).unwrap();
        enc.data(b"", &mut out).unwrap();
        enc.data(&[b'x'; 26], &mut out).unwrap();
        enc.end(None, false, &mut out).unwrap();
        let mut want = b"5\r\nhello\r\n1a\r\n".to_vec();
        want.extend_from_slice(&[b'x'; 26]);
        want.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(out, want);
    }

    #[test]
    fn length_refuses_too_long_and_too_short() {
        let mut out = Vec::new();
        let mut enc = Encoder::Length {
            declared: 3,
            remaining: 3,
        };
        assert_eq!(
            enc.data(b"abcd", &mut out),
            Err(UsageError::BodyTooLong { declared: 3 })
        );
        assert!(out.is_empty(), "nothing is written when refused");
        enc.data(b"ab", &mut out).unwrap();
        assert_eq!(
            enc.end(None, false, &mut out),
            Err(UsageError::BodyTooShort {
                declared: 3,
                written: 2
            })
        );
    }

    #[test]
    fn content_length_lines_from_zero_to_the_largest() {
        let mut out = Vec::new();
        push_content_length(&mut out, 0);
        push_content_length(&mut out, 13);
        push_content_length(&mut out, u64::MAX);
        assert_eq!(
            out,
            b"Content-Length: 0\r\nContent-Length: 13\r\nContent-Length: 18446744073709551615\r\n"
        );
    }

    #[test]
    fn the_tail_of_a_head_is_the_date_then_the_server_when_it_fits() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        let mut cache = DateCache::new(Some(b"lath"));
        assert_eq!(
            cache.line_and_server(t).unwrap(),
            b"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: lath\r\n\r\n"
        );
        let next = t + std::time::Duration::from_secs(1);
        assert_eq!(cache.line(next), b"Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n");
        assert!(cache
            .line_and_server(next)
            .unwrap()
            .ends_with(b"08:49:38 GMT\r\nServer: lath\r\n\r\n"));
        let longest = [b'x'; 40];
        assert!(DateCache::new(Some(&longest)).line_and_server(t).is_some());
        assert!(DateCache::new(Some(&[b'x'; 41]))
            .line_and_server(t)
            .is_none());
        assert!(DateCache::new(None).line_and_server(t).is_none());
    }

    #[test]
    fn date_is_cached_per_second() {
        let mut cache = DateCache::new(None);
        let t = UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(cache.get(t), b"Sun, 06 Nov 1994 08:49:37 GMT");
        let later = t + std::time::Duration::from_millis(999);
        assert_eq!(cache.get(later), b"Sun, 06 Nov 1994 08:49:37 GMT");
        let next = t + std::time::Duration::from_secs(1);
        assert_eq!(cache.get(next), b"Sun, 06 Nov 1994 08:49:38 GMT");
    }
}

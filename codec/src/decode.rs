//! Reading message bodies: by length, chunked, or until the peer closes
//! (RFC 9112 §6.3, §7.1).

use bytes::{Bytes, BytesMut};

use crate::chunk::parse_chunk_line;
use crate::fields::{read_trailers, Scanner};
use crate::{Headers, Limits, ProtocolError};

/// One step of body decoding.
#[derive(Debug)]
pub(crate) enum Decoded {
    Data(Bytes),
    End(Headers),
    NeedData,
}

/// How the body in progress is delimited.
#[derive(Debug)]
pub(crate) enum Decoder {
    Length(u64),
    Chunked(Chunked),
    /// Until the peer closes: responses only.
    Eof,
}

#[derive(Debug)]
pub(crate) struct Chunked {
    state: ChunkState,
    ext_total: usize,
    /// Bytes of the current chunk line already searched for its LF.
    line_scanned: usize,
    trailers: Scanner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Line,
    Data(u64),
    DataCrlf,
    Trailers,
}

/// Room for a chunk size with leading zeros beyond the extension budget.
const CHUNK_LINE_SLACK: usize = 64;

const INCOMPLETE: ProtocolError = ProtocolError::bad_request("incomplete body");

impl Decoder {
    pub(crate) fn chunked() -> Decoder {
        Decoder::Chunked(Chunked {
            state: ChunkState::Line,
            ext_total: 0,
            line_scanned: 0,
            trailers: Scanner::trailers(),
        })
    }

    /// Takes the next piece of the body from the front of `buf`.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        limits: &Limits,
    ) -> Result<Decoded, ProtocolError> {
        match self {
            Decoder::Length(0) => Ok(Decoded::End(Headers::new())),
            Decoder::Length(remaining) => {
                if buf.is_empty() {
                    // RFC 9112 §6.3 r6/§8: a body cut short is incomplete,
                    // never complete.
                    return if eof {
                        Err(INCOMPLETE)
                    } else {
                        Ok(Decoded::NeedData)
                    };
                }
                let n = (*remaining).min(buf.len() as u64) as usize;
                *remaining -= n as u64;
                Ok(Decoded::Data(buf.split_to(n).freeze()))
            }
            Decoder::Eof => {
                if !buf.is_empty() {
                    Ok(Decoded::Data(buf.split().freeze()))
                } else if eof {
                    Ok(Decoded::End(Headers::new()))
                } else {
                    Ok(Decoded::NeedData)
                }
            }
            Decoder::Chunked(chunked) => chunked.decode(buf, eof, limits),
        }
    }
}

impl Chunked {
    fn decode(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        limits: &Limits,
    ) -> Result<Decoded, ProtocolError> {
        loop {
            let progressed = match self.state {
                ChunkState::Line => self.line(buf, limits)?,
                ChunkState::Data(remaining) => {
                    if buf.is_empty() {
                        false
                    } else {
                        let n = remaining.min(buf.len() as u64) as usize;
                        let left = remaining - n as u64;
                        self.state = if left == 0 {
                            ChunkState::DataCrlf
                        } else {
                            ChunkState::Data(left)
                        };
                        return Ok(Decoded::Data(buf.split_to(n).freeze()));
                    }
                }
                ChunkState::DataCrlf => {
                    // RFC 9112 §7.1: chunk data is followed by exactly CRLF.
                    const BAD: ProtocolError =
                        ProtocolError::bad_request("chunk data not followed by crlf");
                    match &buf[..] {
                        [b'\r', b'\n', ..] => {
                            drop(buf.split_to(2));
                            self.state = ChunkState::Line;
                            true
                        }
                        [] | [b'\r'] => false,
                        _ => return Err(BAD),
                    }
                }
                ChunkState::Trailers => {
                    return match read_trailers(buf, &mut self.trailers, limits)? {
                        Some(trailers) => Ok(Decoded::End(trailers)),
                        None if eof => Err(INCOMPLETE),
                        None => Ok(Decoded::NeedData),
                    };
                }
            };
            if !progressed {
                return if eof {
                    Err(INCOMPLETE)
                } else {
                    Ok(Decoded::NeedData)
                };
            }
        }
    }

    /// Reads one chunk line; says whether it did.
    fn line(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<bool, ProtocolError> {
        let max_line = limits.max_chunk_ext + CHUNK_LINE_SLACK;
        let too_long = ProtocolError::bad_request("chunk line too long");
        let found = buf[self.line_scanned..].iter().position(|&b| b == b'\n');
        let Some(lf) = found.map(|i| i + self.line_scanned) else {
            self.line_scanned = buf.len();
            return if buf.len() > max_line {
                Err(too_long)
            } else {
                Ok(false)
            };
        };
        self.line_scanned = 0;
        if lf > max_line {
            return Err(too_long);
        }
        // RFC 9112 §7.1, §2.2: chunk lines end in CRLF, never bare LF, and
        // hold no other CR.
        let Some(line) = buf[..lf].strip_suffix(b"\r") else {
            return Err(ProtocolError::bad_request("bare lf in chunk line"));
        };
        if line.contains(&b'\r') {
            return Err(ProtocolError::bad_request("bare cr in chunk line"));
        }
        let parsed = parse_chunk_line(line)?;
        self.ext_total += parsed.ext_len;
        // RFC 9112 §7.1.1: limit extensions per body.
        if self.ext_total > limits.max_chunk_ext {
            return Err(ProtocolError::bad_request("chunk extensions too long"));
        }
        drop(buf.split_to(lf + 1));
        self.state = match parsed.size {
            0 => ChunkState::Trailers,
            size => ChunkState::Data(size),
        };
        Ok(true)
    }
}

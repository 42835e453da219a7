//! The strict chunk-line parser (RFC 9112 §7.1, §7.1.1).
//!
//! ```text
//! chunk-line = chunk-size *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) CRLF
//! chunk-size = 1*HEXDIG
//! ext-val    = token / quoted-string
//! ```
//!
//! `httparse::parse_chunk_size` accepts lines this grammar rejects (a space
//! after the size with no extension, an empty extension name, bare LF), so
//! the codec parses chunk lines itself.

use crate::grammar::{is_ows, is_tchar};
use crate::ProtocolError;

/// A parsed chunk line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLine {
    /// The chunk size in bytes; 0 is the last chunk.
    pub size: u64,
    /// Bytes of chunk extensions on the line (everything after the size).
    pub ext_len: usize,
}

/// Hex digits of a chunk size beyond which it overflows a `u64`.
const MAX_SIZE_DIGITS: usize = 16;

/// Parses one chunk line given *without* its terminating CRLF.
///
/// ```
/// use lath_codec::chunk::parse_chunk_line;
/// assert_eq!(parse_chunk_line(b"1A").unwrap().size, 26);
/// assert_eq!(parse_chunk_line(b"5 ;name=\"v\"").unwrap().size, 5);
/// assert!(parse_chunk_line(b"5 ").is_err());
/// assert!(parse_chunk_line(b"0x5").is_err());
/// assert!(parse_chunk_line(b"5;").is_err());
/// ```
pub fn parse_chunk_line(line: &[u8]) -> Result<ChunkLine, ProtocolError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(ProtocolError::bad_request("invalid chunk size"));
    }
    let significant = &line[..digits];
    let first_nonzero = significant
        .iter()
        .position(|&b| b != b'0')
        .unwrap_or(digits);
    if digits - first_nonzero > MAX_SIZE_DIGITS {
        return Err(ProtocolError::bad_request("chunk size overflows"));
    }
    let size = significant[first_nonzero..]
        .iter()
        .fold(0u64, |acc, &b| (acc << 4) | hex_value(b));
    parse_extensions(&line[digits..])?;
    Ok(ChunkLine {
        size,
        ext_len: line.len() - digits,
    })
}

fn hex_value(b: u8) -> u64 {
    match b {
        b'0'..=b'9' => u64::from(b - b'0'),
        b'a'..=b'f' => u64::from(b - b'a' + 10),
        _ => u64::from(b - b'A' + 10),
    }
}

/// Checks `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )` covering all
/// of `ext`.
fn parse_extensions(ext: &[u8]) -> Result<(), ProtocolError> {
    const BAD: ProtocolError = ProtocolError::bad_request("invalid chunk extension");
    let mut i = 0;
    while i < ext.len() {
        // BWS ";" — whitespace is only allowed when a ';' follows it.
        i = skip_ows(ext, i);
        if ext.get(i) != Some(&b';') {
            return Err(BAD);
        }
        i = skip_ows(ext, i + 1);
        let name_len = ext[i..].iter().take_while(|&&b| is_tchar(b)).count();
        if name_len == 0 {
            return Err(BAD);
        }
        i += name_len;
        let after_name = skip_ows(ext, i);
        if ext.get(after_name) == Some(&b'=') {
            i = skip_ows(ext, after_name + 1);
            i = match ext.get(i) {
                Some(b'"') => quoted_string_end(ext, i).ok_or(BAD)?,
                _ => {
                    let value_len = ext[i..].iter().take_while(|&&b| is_tchar(b)).count();
                    if value_len == 0 {
                        return Err(BAD);
                    }
                    i + value_len
                }
            };
        }
        // Trailing whitespace without a following ';' falls to the check at
        // the top of the loop and is rejected there.
    }
    Ok(())
}

fn skip_ows(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&b| is_ows(b)) {
        i += 1;
    }
    i
}

/// The index just past the quoted-string starting at `s[start] == '"'`
/// (RFC 9110 §5.6.4).
fn quoted_string_end(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *s.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                let escaped = *s.get(i + 1)?;
                if !(escaped == b'\t'
                    || escaped == b' '
                    || (0x21..=0x7e).contains(&escaped)
                    || escaped >= 0x80)
                {
                    return None;
                }
                i += 2;
            }
            b if b == b'\t'
                || b == b' '
                || b == 0x21
                || (0x23..=0x7e).contains(&b)
                || b >= 0x80 =>
            {
                i += 1
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_length_counts_everything_after_the_size() {
        assert_eq!(parse_chunk_line(b"5;a=b").unwrap().ext_len, 4);
        assert_eq!(parse_chunk_line(b"5").unwrap().ext_len, 0);
    }
}

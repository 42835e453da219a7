//! Byte classes of the HTTP grammar (RFC 9110 §5.6) shared by the parser and
//! the serializer, so the same definition of a token guards both directions.

/// `tchar` of RFC 9110 §5.6.2.
const fn is_tchar_const(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// reg-name bytes: unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2).
const fn is_reg_name_const(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        )
}

macro_rules! byte_table {
    ($f:ident) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = $f(i as u8);
            i += 1;
        }
        table
    }};
}

static TCHAR: [bool; 256] = byte_table!(is_tchar_const);
static REG_NAME: [bool; 256] = byte_table!(is_reg_name_const);

/// Is `b` a token character (RFC 9110 §5.6.2)?
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Is `s` a non-empty token (RFC 9110 §5.6.2)?
#[inline]
pub(crate) fn is_token(s: &[u8]) -> bool {
    // No early exit: valid names (the usual case) are checked without a
    // branch per byte.
    !s.is_empty() && s.iter().fold(true, |ok, &b| ok & is_tchar(b))
}

/// May `b` appear in a field value? HTAB, SP, VCHAR and obs-text; never
/// NUL, CR, LF, other controls or DEL (RFC 9110 §5.5).
#[inline]
pub(crate) const fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// [`is_token`] and [`is_field_value`] together, for a `const` context:
/// may `name: value` go out as it is?
pub(crate) const fn is_field_const(name: &[u8], value: &[u8]) -> bool {
    let mut ok = !name.is_empty();
    let mut i = 0;
    while i < name.len() {
        ok &= is_tchar_const(name[i]);
        i += 1;
    }
    let mut i = 0;
    while i < value.len() {
        ok &= is_field_value_byte(value[i]);
        i += 1;
    }
    ok
}

/// Is `v` a field value that cannot split a message (RFC 9112 §11.1)?
#[inline]
pub(crate) fn is_field_value(v: &[u8]) -> bool {
    // No early exit, so the compiler checks many bytes per instruction.
    v.iter().fold(true, |ok, &b| ok & is_field_value_byte(b))
}

/// Is every byte of `target` one that may appear in a request-target
/// ([`is_target_byte`])?
#[inline]
pub(crate) fn is_target(target: &[u8]) -> bool {
    // No early exit, so the compiler checks many bytes per instruction.
    target.iter().fold(true, |ok, &b| ok & is_target_byte(b))
}

/// May `b` appear in a request-target? Visible ASCII only: no whitespace,
/// controls, DEL or bytes ≥ 0x80 (RFC 9112 §3.2, RFC 3986 §2), and no `#`:
/// a fragment is never part of a request-target (RFC 9112 §3.2.1).
#[inline]
pub(crate) fn is_target_byte(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b'#'
}

/// Is `s` the lowercase ASCII text `lower`, ignoring ASCII case? For the
/// names and tokens the codec looks for. Most names it meets differ in the
/// first byte and are passed over there; the rest of a match is compared
/// without a branch per byte.
#[inline]
pub(crate) fn eq_lower(s: &[u8], lower: &[u8]) -> bool {
    debug_assert!(!lower.iter().any(u8::is_ascii_uppercase));
    match (s, lower) {
        ([first, rest @ ..], [lower_first, lower_rest @ ..]) => {
            first.to_ascii_lowercase() == *lower_first
                && rest.len() == lower_rest.len()
                && rest
                    .iter()
                    .zip(lower_rest)
                    .fold(true, |ok, (&a, &b)| ok & (a.to_ascii_lowercase() == b))
        }
        _ => s.len() == lower.len(),
    }
}

/// Optional whitespace (RFC 9110 §5.6.3).
#[inline]
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trim SP and HTAB, and nothing else, from both ends (RFC 9110 §5.5).
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = v {
        if !is_ows(*first) {
            break;
        }
        v = rest;
    }
    while let [rest @ .., last] = v {
        if !is_ows(*last) {
            break;
        }
        v = rest;
    }
    v
}

/// The non-empty elements of a comma-separated list, trimmed of OWS
/// (RFC 9110 §5.6.1: recipients accept and ignore empty elements).
pub(crate) fn list_elements(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Is `v` a valid `Host` field value: `uri-host [ ":" port ]`, possibly
/// empty (RFC 9112 §3.2, RFC 3986 §3.2.2)?
pub(crate) fn is_host(v: &[u8]) -> bool {
    let port = if let Some(rest) = v.strip_prefix(b"[") {
        // IP-literal: "[" ( IPv6address / IPvFuture ) "]"
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &rest[..close];
        if literal.is_empty()
            || !literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'v' | b'V'))
        {
            return false;
        }
        &rest[close + 1..]
    } else {
        // reg-name or IPv4address: one pass up to the port's colon.
        match v.iter().position(|&b| !REG_NAME[b as usize]) {
            None => return !v.is_empty(),
            // RFC 9110 §4.2.1: an `http` URI with an empty host is invalid.
            Some(0) => return false,
            Some(end) => &v[end..],
        }
    };
    match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Writes `n` in lowercase hexadecimal.
pub(crate) fn push_hex(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_only_sp_and_htab() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"\x0ba\x0c"), b"\x0ba\x0c");
        assert_eq!(trim_ows(b"\xa0a\x85"), b"\xa0a\x85");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn hosts() {
        for ok in [
            &b"a"[..],
            b"example.com:8080",
            b"[::1]:80",
            b"[::1]",
            b"a-b.c_d~",
        ] {
            assert!(is_host(ok), "{:?}", String::from_utf8_lossy(ok));
        }
        for bad in [
            // RFC 9110 §4.2.1: an empty host is invalid, with or without a port.
            &b""[..],
            b":80",
            b"a b",
            b"a:b",
            b"[::1",
            b"a/b",
            b"a@b",
            b"[]",
            b"[::1]x",
        ] {
            assert!(!is_host(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn names_compare_ignoring_case() {
        for (name, lower, same) in [
            (&b"Host"[..], &b"host"[..], true),
            (b"HOST", b"host", true),
            (b"host", b"host", true),
            (b"hosts", b"host", false),
            (b"hos", b"host", false),
            (b"Content-Length", b"content-length", true),
            (b"Content_Length", b"content-length", false),
            // Only ASCII letters fold: 0x0d is not `-` in another case.
            (b"content\rlength", b"content-length", false),
            (b"\xc8ost", b"host", false),
            (b"h", b"", false),
            (b"", b"h", false),
            (b"", b"", true),
        ] {
            let shown = String::from_utf8_lossy(name);
            assert_eq!(eq_lower(name, lower), same, "{shown:?}");
            assert_eq!(name.eq_ignore_ascii_case(lower), same, "{shown:?}");
        }
    }

    #[test]
    fn hex_numbers() {
        let mut out = Vec::new();
        push_hex(&mut out, 0x1f);
        out.push(b' ');
        push_hex(&mut out, 0);
        assert_eq!(out, b"1f 0");
    }
}

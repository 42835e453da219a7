//! The PROXY protocol (HAProxy's, versions 1 and 2): the header a trusted
//! load balancer sends first, carrying the client's address. Sans-IO:
//! bytes in, a verdict out, the same however the bytes are split.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The version 2 signature.
const SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

/// A version 1 header is at most 107 bytes, its CRLF included.
const V1_MAX: usize = 107;

/// The most a version 2 header may carry after its 16 fixed bytes: the
/// addresses and a few TLVs; more is refused, not buffered.
const V2_MAX_BODY: usize = 1024;

/// What a PROXY header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Said {
    /// The client's address (and the one it connected to, unused).
    Proxied(SocketAddr),
    /// The proxy speaks for itself (v2 `LOCAL`, v1 `UNKNOWN`, or an
    /// address family other than TCP over IPv4 or IPv6): the
    /// connection's own address stands.
    Local,
}

/// A header that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// What [`parse`] found: the header's word and length, `None` when more
/// bytes are needed, or why it is not a header.
pub(crate) type Parsed = Result<Option<(Said, usize)>, Malformed>;

/// Reads a PROXY header at the start of `buf`: what it said and its
/// length, `Ok(None)` when more bytes are needed, or why it is not one.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let v2 = SIGNATURE.starts_with(&buf[..buf.len().min(SIGNATURE.len())]);
    let v1 = b"PROXY ".starts_with(&buf[..buf.len().min(6)]);
    if v2 && !buf.is_empty() && buf[0] == b'\r' {
        return parse_v2(buf);
    }
    if v1 {
        return parse_v1(buf);
    }
    Err(Malformed("no PROXY header"))
}

fn parse_v1(buf: &[u8]) -> Parsed {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return match buf.len() >= V1_MAX {
            true => Err(Malformed("PROXY v1 line too long")),
            false => Ok(None),
        };
    };
    if end + 2 > V1_MAX {
        return Err(Malformed("PROXY v1 line too long"));
    }
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| Malformed("PROXY v1 not text"))?;
    let fields: Vec<&str> = line.split(' ').collect();
    let said = match fields.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Said::Local,
        ["PROXY", family @ ("TCP4" | "TCP6"), source, dest, port, dest_port] => {
            let ip: IpAddr = source
                .parse()
                .map_err(|_| Malformed("PROXY v1 bad source address"))?;
            let matches = matches!(
                (*family, ip),
                ("TCP4", IpAddr::V4(_)) | ("TCP6", IpAddr::V6(_))
            );
            if !matches {
                return Err(Malformed("PROXY v1 address of the wrong family"));
            }
            let port = port_v1(port)?;
            port_v1(dest_port)?;
            dest.parse::<IpAddr>()
                .map_err(|_| Malformed("PROXY v1 bad destination address"))?;
            Said::Proxied(SocketAddr::new(ip, port))
        }
        _ => return Err(Malformed("PROXY v1 malformed")),
    };
    Ok(Some((said, end + 2)))
}

/// A port: decimal, 0 to 65535, no leading zeros.
fn port_v1(text: &str) -> Result<u16, Malformed> {
    let bad = Malformed("PROXY v1 bad port");
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(bad);
    }
    text.parse().map_err(|_| bad)
}

fn parse_v2(buf: &[u8]) -> Parsed {
    if buf.len() < 16 {
        return Ok(None);
    }
    if &buf[..12] != SIGNATURE {
        return Err(Malformed("PROXY v2 bad signature"));
    }
    let (version, command) = (buf[12] >> 4, buf[12] & 0x0f);
    if version != 2 {
        return Err(Malformed("PROXY v2 unknown version"));
    }
    let family = buf[13];
    let len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if len > V2_MAX_BODY {
        return Err(Malformed("PROXY v2 header too long"));
    }
    if buf.len() < 16 + len {
        return Ok(None);
    }
    let body = &buf[16..16 + len];
    let said = match command {
        0 => Said::Local,
        1 => match family {
            // TCP over IPv4: source, destination, source port, dest port.
            0x11 => {
                let a = body
                    .get(..12)
                    .ok_or(Malformed("PROXY v2 addresses cut short"))?;
                let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
                Said::Proxied(SocketAddr::new(ip.into(), u16::from_be_bytes([a[8], a[9]])))
            }
            // TCP over IPv6.
            0x21 => {
                let a = body
                    .get(..36)
                    .ok_or(Malformed("PROXY v2 addresses cut short"))?;
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&a[..16]);
                let ip = Ipv6Addr::from(octets);
                Said::Proxied(SocketAddr::new(
                    ip.into(),
                    u16::from_be_bytes([a[32], a[33]]),
                ))
            }
            // UNSPEC, UDP and unix sockets carry no TCP client address.
            0x00 | 0x12 | 0x22 | 0x31 | 0x32 => Said::Local,
            _ => return Err(Malformed("PROXY v2 unknown address family")),
        },
        _ => return Err(Malformed("PROXY v2 unknown command")),
    };
    Ok(Some((said, 16 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.push(0x20 | command);
        out.push(family);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn tcp4() -> Vec<u8> {
        v2(1, 0x11, &[203, 0, 113, 7, 10, 0, 0, 1, 0x15, 0xb3, 0, 80])
    }

    fn tcp6() -> Vec<u8> {
        let mut body = vec![0x20, 0x01, 0x0d, 0xb8];
        body.extend_from_slice(&[0; 11]);
        body.push(7);
        body.extend_from_slice(&[0; 16]);
        body.extend_from_slice(&[0x15, 0xb3, 0, 80]);
        v2(1, 0x21, &body)
    }

    fn proxied(addr: &str) -> Said {
        Said::Proxied(addr.parse().unwrap())
    }

    /// `header` with the bytes at the given offsets replaced.
    fn edited(mut header: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
        for &(at, byte) in edits {
            header[at] = byte;
        }
        header
    }

    /// A v2 TCP4 header with a NOOP TLV after the addresses.
    fn with_tlv() -> Vec<u8> {
        let mut header = tcp4();
        header[15] += 3;
        header.extend_from_slice(&[0x04, 0, 0]);
        header
    }

    /// A row: the bytes, parsed whole, give `expected`; every prefix of
    /// them asks for more or (for a refusal) is refused too, so the
    /// verdict does not depend on how the bytes arrive.
    fn check(rule: &str, bytes: Vec<u8>, expected: Parsed) {
        assert_eq!(parse(&bytes), expected, "{rule}");
        for cut in 0..bytes.len() {
            match parse(&bytes[..cut]) {
                Ok(None) => {}
                other if expected.is_err() => {
                    assert!(other.is_err(), "{rule} at {cut}: {other:?}")
                }
                other => panic!("{rule}: a prefix of {cut} bytes said {other:?}"),
            }
        }
    }

    mod headers_of_both_versions {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            v1_tcp4: "v1 TCP4" => (b"PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\n".to_vec(), Ok(Some((proxied("203.0.113.7:5555"), 41))));
            v1_tcp6: "v1 TCP6" => (b"PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\r\n".to_vec(), Ok(Some((proxied("[2001:db8::7]:5555"), 45))));
            v1_unknown: "v1 UNKNOWN" => (b"PROXY UNKNOWN\r\n".to_vec(), Ok(Some((Said::Local, 15))));
            v1_unknown_with_addresses: "v1 UNKNOWN with addresses" => (b"PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n".to_vec(), Ok(Some((Said::Local, 39))));
            v1_cut_short: "v1 cut short" => (b"PROXY TCP4 203.0.113.7".to_vec(), Ok(None));
            v1_the_first_bytes: "v1 the first bytes" => (b"PRO".to_vec(), Ok(None));
            v1_family_mismatch: "v1 a family mismatch" => (b"PROXY TCP4 2001:db8::7 10.0.0.1 5555 80\r\n".to_vec(), Err(Malformed("PROXY v1 address of the wrong family")));
            v1_bad_port: "v1 a bad port" => (b"PROXY TCP4 203.0.113.7 10.0.0.1 99999 80\r\n".to_vec(), Err(Malformed("PROXY v1 bad port")));
            v1_leading_zero: "v1 a leading zero" => (b"PROXY TCP4 203.0.113.7 10.0.0.1 0555 80\r\n".to_vec(), Err(Malformed("PROXY v1 bad port")));
            v1_bad_address: "v1 a bad address" => (b"PROXY TCP4 203.0.113 10.0.0.1 5555 80\r\n".to_vec(), Err(Malformed("PROXY v1 bad source address")));
            v1_too_few_fields: "v1 too few fields" => (b"PROXY TCP4 203.0.113.7\r\n".to_vec(), Err(Malformed("PROXY v1 malformed")));
            v1_too_long: "v1 too long" => ([b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat(), Err(Malformed("PROXY v1 line too long")));
            v2_tcp4: "v2 TCP4" => (tcp4(), Ok(Some((proxied("203.0.113.7:5555"), 28))));
            v2_tcp6: "v2 TCP6" => (tcp6(), Ok(Some((proxied("[2001:db8::7]:5555"), 52))));
            v2_tlvs_are_skipped: "v2 TLVs are skipped" => (with_tlv(), Ok(Some((proxied("203.0.113.7:5555"), 31))));
            v2_local: "v2 LOCAL" => (v2(0, 0x00, &[]), Ok(Some((Said::Local, 16))));
            v2_unspec: "v2 UNSPEC" => (v2(1, 0x00, &[]), Ok(Some((Said::Local, 16))));
            v2_cut_short: "v2 cut short" => (tcp4()[..20].to_vec(), Ok(None));
            v2_the_signature_only: "v2 the signature only" => (SIGNATURE[..5].to_vec(), Ok(None));
            v2_addresses_shorter_than_the_family: "v2 addresses shorter than the family's" => (v2(1, 0x11, &[1, 2, 3]), Err(Malformed("PROXY v2 addresses cut short")));
            v2_too_long: "v2 too long" => (edited(v2(1, 0x11, &[]), &[(14, 0xff), (15, 0xff)]), Err(Malformed("PROXY v2 header too long")));
            v2_version_1_in_the_v2_layout: "v2 version 1 in the v2 layout" => (edited(tcp4(), &[(12, 0x11)]), Err(Malformed("PROXY v2 unknown version")));
            v2_unknown_command: "v2 an unknown command" => (edited(tcp4(), &[(12, 0x22)]), Err(Malformed("PROXY v2 unknown command")));
            v2_unknown_family: "v2 an unknown family" => (edited(tcp4(), &[(13, 0x41)]), Err(Malformed("PROXY v2 unknown address family")));
            an_http_request_instead: "an HTTP request instead" => (b"GET / HTTP/1.1\r\n\r\n".to_vec(), Err(Malformed("no PROXY header")));
            a_near_miss_of_v1: "a near miss of v1" => (b"PROXX TCP4".to_vec(), Err(Malformed("no PROXY header")));
        });
    }

    #[test]
    fn the_bytes_after_the_header_are_left_alone() {
        let mut bytes = tcp4();
        bytes.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert_eq!(parse(&bytes), Ok(Some((proxied("203.0.113.7:5555"), 28))));
    }
}

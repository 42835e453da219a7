//! Entry points for the fuzz targets in `fuzz/`: each runs one parser of
//! this crate on arbitrary input and checks its promises, panicking when
//! one is broken. Not part of the API a user calls.

/// A PROXY header (v1 or v2) at the start of `buf`: the verdict is the
/// same whatever prefix of the header arrived first (a prefix says "more
/// bytes" or gives the same verdict), and a header never claims more
/// bytes than it was given.
///
/// ```
/// lath::net::fuzzing::proxy_header(b"PROXY TCP4 192.0.2.1 192.0.2.2 5000 80\r\nGET /");
/// ```
pub fn proxy_header(buf: &[u8]) {
    let whole = crate::proxy::parse(buf);
    if let Ok(Some((_, len))) = whole {
        assert!(len <= buf.len(), "{len} > {}", buf.len());
    }
    for cut in 0..buf.len() {
        match crate::proxy::parse(&buf[..cut]) {
            Ok(None) => {}
            // A complete header, or a refusal, stands as more bytes come.
            early => assert_eq!(early, whole, "at {cut} of {buf:?}"),
        }
    }
}

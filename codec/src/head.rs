//! Request and response heads, and the size of the body that follows one.

use bytes::Bytes;

use crate::{Headers, Method, Status, Version};

/// The size of a message body, as declared by its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySize {
    /// Exactly this many bytes; `Known(0)` is an empty body.
    Known(u64),
    /// Unknown in advance: chunked on HTTP/1.1, delimited by closing the
    /// connection on HTTP/1.0 (and for responses without framing headers).
    Unknown,
}

impl BodySize {
    /// An empty body.
    pub const EMPTY: BodySize = BodySize::Known(0);
}

/// What the server codec learned about a request while parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestMeta {
    pub(crate) body: BodySize,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
    pub(crate) upgrade: bool,
    pub(crate) trailers: bool,
}

impl Default for RequestMeta {
    fn default() -> RequestMeta {
        RequestMeta {
            body: BodySize::EMPTY,
            keep_alive: true,
            expect_continue: false,
            upgrade: false,
            trailers: false,
        }
    }
}

/// A request line and its header fields.
///
/// Heads parsed by [`crate::ServerConn`] carry what the codec decided about
/// them ([`body_size`](Self::body_size), [`keep_alive`](Self::keep_alive),
/// …); heads built with [`RequestHead::new`] are for the client role to
/// write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request-target exactly as sent: visible ASCII only.
    pub target: Bytes,
    /// The protocol version.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    pub(crate) meta: RequestMeta,
}

impl RequestHead {
    /// A head to write with the client role: HTTP/1.1, no headers yet.
    pub fn new(method: Method, target: impl Into<Bytes>) -> RequestHead {
        RequestHead {
            method,
            target: target.into(),
            version: Version::Http11,
            headers: Headers::new(),
            meta: RequestMeta::default(),
        }
    }

    /// The request-target as text.
    pub fn target_str(&self) -> &str {
        // Parsed targets are visible ASCII, so this never falls back.
        std::str::from_utf8(&self.target).unwrap_or("")
    }

    /// The path of the target, without the query: `/a/b` for `/a/b?x=1` and
    /// for `http://host/a/b?x=1`; `*` for `OPTIONS *`; empty for the
    /// authority-form of CONNECT.
    pub fn path(&self) -> &str {
        let rest = self.after_authority();
        let end = rest.find('?').unwrap_or(rest.len());
        match &rest[..end] {
            "" if self.target.starts_with(b"/") || self.method != Method::CONNECT => "/",
            path => path,
        }
    }

    /// The query string after `?`, if any, still percent-encoded.
    pub fn query(&self) -> Option<&str> {
        let rest = self.after_authority();
        rest.find('?').map(|i| &rest[i + 1..])
    }

    /// The authority the request is for: the target's own for the
    /// absolute-form and authority-form, otherwise the `Host` field
    /// (RFC 9112 §3.2.2: the target's authority wins).
    pub fn authority(&self) -> Option<&str> {
        let target = self.target_str();
        if let Some((_, rest)) = absolute_form(target) {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        if self.method == Method::CONNECT {
            return Some(target);
        }
        self.headers.get_str("host")
    }

    /// The body's size as framed: `Known(0)` without one, `Known(n)` for a
    /// Content-Length, `Unknown` for chunked.
    pub fn body_size(&self) -> BodySize {
        self.meta.body
    }

    /// May the connection stay open after this exchange, as the request
    /// asked (RFC 9112 §9.3)?
    pub fn keep_alive(&self) -> bool {
        self.meta.keep_alive
    }

    /// Did an HTTP/1.1 client with a body send `Expect: 100-continue`
    /// (RFC 9110 §10.1.1)?
    pub fn expects_continue(&self) -> bool {
        self.meta.expect_continue
    }

    /// Did the client ask to switch protocols (`Upgrade` with
    /// `Connection: upgrade` on HTTP/1.1), or is it a CONNECT?
    pub fn wants_upgrade(&self) -> bool {
        self.meta.upgrade
    }

    /// Did the client send `TE: trailers`, so a chunked response may carry
    /// trailer fields (RFC 9112 §7.4)?
    pub fn accepts_trailers(&self) -> bool {
        self.meta.trailers
    }

    fn after_authority(&self) -> &str {
        let target = self.target_str();
        match absolute_form(target) {
            Some((_, rest)) => {
                let start = rest.find(['/', '?']).unwrap_or(rest.len());
                &rest[start..]
            }
            None if self.method == Method::CONNECT => "",
            None => target,
        }
    }
}

/// Splits `scheme://rest` when the target is in absolute-form.
pub(crate) fn absolute_form(target: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = target.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some((scheme, rest))
}

/// A status line and its header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: Status,
    /// The reason phrase to write; `None` writes the standard one. Parsed
    /// responses keep the phrase as sent.
    pub reason: Option<Bytes>,
    /// The protocol version: what a parsed response said; written responses
    /// are always `HTTP/1.1`.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
}

impl ResponseHead {
    /// A head with this status and no headers yet.
    pub fn new(status: Status) -> ResponseHead {
        ResponseHead {
            status,
            reason: None,
            version: Version::Http11,
            headers: Headers::new(),
        }
    }

    /// The reason phrase: as sent, or the standard one.
    pub fn reason(&self) -> &[u8] {
        match &self.reason {
            Some(r) => r,
            None => self.status.reason().as_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: Method, target: &'static str) -> RequestHead {
        let mut h = RequestHead::new(method, target);
        h.headers.append("Host", "example.org");
        h
    }

    #[test]
    fn path_and_query_of_each_target_form() {
        let cases = [
            (
                Method::GET,
                "/a/b?x=1",
                "/a/b",
                Some("x=1"),
                Some("example.org"),
            ),
            (Method::GET, "/", "/", None, Some("example.org")),
            (
                Method::GET,
                "http://other:81/p?q",
                "/p",
                Some("q"),
                Some("other:81"),
            ),
            (Method::GET, "http://other", "/", None, Some("other")),
            (Method::GET, "http://other?q", "/", Some("q"), Some("other")),
            (Method::OPTIONS, "*", "*", None, Some("example.org")),
            (Method::CONNECT, "db:5432", "", None, Some("db:5432")),
        ];
        for (method, target, path, query, authority) in cases {
            let h = head(method, target);
            assert_eq!(h.path(), path, "{target}");
            assert_eq!(h.query(), query, "{target}");
            assert_eq!(h.authority(), authority, "{target}");
        }
    }
}

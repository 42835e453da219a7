//! The request method (RFC 9110 §9).

use std::fmt;

use crate::grammar::is_token;

/// A request method. Methods are case-sensitive tokens (RFC 9110 §9.1); the
/// standard ones are constants and cost nothing to compare or clone.
///
/// ```
/// use lath_codec::Method;
/// assert_eq!(Method::from_bytes(b"GET").unwrap(), Method::GET);
/// assert_eq!(Method::from_bytes(b"PURGE").unwrap().as_str(), "PURGE");
/// assert!(Method::from_bytes(b"GE T").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
    /// Any other token, kept as sent (boxed: a method is 16 bytes, and
    /// every request head moves one).
    Extension(Box<str>),
}

/// The error for a method that is not a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidMethod;

impl fmt::Display for InvalidMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("method is not a token")
    }
}

impl std::error::Error for InvalidMethod {}

impl Method {
    /// `GET` (RFC 9110 §9.3.1).
    pub const GET: Method = Method(Repr::Get);
    /// `HEAD` (RFC 9110 §9.3.2).
    pub const HEAD: Method = Method(Repr::Head);
    /// `POST` (RFC 9110 §9.3.3).
    pub const POST: Method = Method(Repr::Post);
    /// `PUT` (RFC 9110 §9.3.4).
    pub const PUT: Method = Method(Repr::Put);
    /// `DELETE` (RFC 9110 §9.3.5).
    pub const DELETE: Method = Method(Repr::Delete);
    /// `CONNECT` (RFC 9110 §9.3.6).
    pub const CONNECT: Method = Method(Repr::Connect);
    /// `OPTIONS` (RFC 9110 §9.3.7).
    pub const OPTIONS: Method = Method(Repr::Options);
    /// `TRACE` (RFC 9110 §9.3.8).
    pub const TRACE: Method = Method(Repr::Trace);
    /// `PATCH` (RFC 5789).
    pub const PATCH: Method = Method(Repr::Patch);

    /// Parses a method token, case-sensitively.
    pub fn from_bytes(bytes: &[u8]) -> Result<Method, InvalidMethod> {
        Ok(Method(match bytes {
            b"GET" => Repr::Get,
            b"HEAD" => Repr::Head,
            b"POST" => Repr::Post,
            b"PUT" => Repr::Put,
            b"DELETE" => Repr::Delete,
            b"CONNECT" => Repr::Connect,
            b"OPTIONS" => Repr::Options,
            b"TRACE" => Repr::Trace,
            b"PATCH" => Repr::Patch,
            // A token is ASCII, so this never fails.
            other if is_token(other) => match std::str::from_utf8(other) {
                Ok(token) => Repr::Extension(token.into()),
                Err(_) => return Err(InvalidMethod),
            },
            _ => return Err(InvalidMethod),
        }))
    }

    /// The method as sent.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Get => "GET",
            Repr::Head => "HEAD",
            Repr::Post => "POST",
            Repr::Put => "PUT",
            Repr::Delete => "DELETE",
            Repr::Connect => "CONNECT",
            Repr::Options => "OPTIONS",
            Repr::Trace => "TRACE",
            Repr::Patch => "PATCH",
            Repr::Extension(token) => token,
        }
    }

    /// Is the method safe (RFC 9110 §9.2.1): GET, HEAD, OPTIONS or TRACE?
    pub fn is_safe(&self) -> bool {
        matches!(self.0, Repr::Get | Repr::Head | Repr::Options | Repr::Trace)
    }
}

impl std::str::FromStr for Method {
    type Err = InvalidMethod;
    fn from_str(s: &str) -> Result<Method, InvalidMethod> {
        Method::from_bytes(s.as_bytes())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Method {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

//! Conversions with the `http` crate's types (feature `http`), for code
//! written against `http` (tower, hyper, reqwest): requests and responses
//! with `TryFrom`/`From`, methods, statuses, versions and header lists
//! with [`HttpConvert`].
//!
//! ```
//! use lath::app::{Request, Response};
//!
//! let req = http::Request::post("/items?sort=asc")
//!     .header("content-type", "text/plain")
//!     .body("hi")
//!     .unwrap();
//! let req = Request::try_from(req).unwrap();
//! assert_eq!((req.method().as_str(), req.path()), ("POST", "/items"));
//! assert_eq!(req.header("content-type"), Some("text/plain"));
//!
//! let res = http::Response::try_from(Response::text("made").with_status(lath::app::Status::CREATED)).unwrap();
//! assert_eq!(res.status(), http::StatusCode::CREATED);
//! assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
//! ```

use std::fmt;

use bytes::Bytes;
use lath_codec::{Headers, Method, RequestHead, Status, Version};

use crate::{Body, Request, Response};

/// A value the other side cannot hold: a method, name or value that is
/// not a valid token or field value there, or an HTTP version the codec
/// does not speak.
///
/// ```
/// use lath::app::{HttpConvert, Method};
/// let odd = Method::from_bytes(b"BREW").unwrap();
/// assert!(odd.to_http().is_ok());
/// assert!(lath::app::Version::from_http(&http::Version::HTTP_2).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconvertible(&'static str);

impl Unconvertible {
    /// A value that cannot be converted, for the reason `what`.
    pub const fn new(what: &'static str) -> Unconvertible {
        Unconvertible(what)
    }
}

impl fmt::Display for Unconvertible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unconvertible {}

/// A lath vocabulary type and its `http` counterpart, converted both ways.
///
/// ```
/// use lath::app::{Headers, HttpConvert, Method, Status, Version};
///
/// assert_eq!(Method::PATCH.to_http().unwrap(), http::Method::PATCH);
/// assert_eq!(Method::from_http(&http::Method::DELETE).unwrap(), Method::DELETE);
/// assert_eq!(Status::NOT_FOUND.to_http().unwrap(), http::StatusCode::NOT_FOUND);
/// assert_eq!(Status::from_http(&http::StatusCode::IM_A_TEAPOT).unwrap().code(), 418);
/// assert_eq!(Version::Http10.to_http().unwrap(), http::Version::HTTP_10);
/// assert!(Version::from_http(&http::Version::HTTP_2).is_err());
///
/// let mut headers = Headers::new();
/// headers.append("Set-Cookie", "a=1");
/// headers.append("set-cookie", "b=2");
/// let map = headers.to_http().unwrap();
/// assert_eq!(map.get_all("set-cookie").iter().count(), 2);
/// assert_eq!(Headers::from_http(&map).unwrap().get_all("set-cookie").count(), 2);
/// ```
pub trait HttpConvert: Sized {
    /// The `http` type.
    type Http;

    /// This value as the `http` type.
    ///
    /// ```
    /// use lath::app::{HttpConvert, Status};
    /// assert_eq!(Status::NOT_FOUND.to_http().unwrap(), http::StatusCode::NOT_FOUND);
    /// ```
    fn to_http(&self) -> Result<Self::Http, Unconvertible>;

    /// The `http` value as this type.
    ///
    /// ```
    /// use lath::app::{HttpConvert, Method};
    /// assert_eq!(Method::from_http(&http::Method::PATCH).unwrap(), Method::PATCH);
    /// ```
    fn from_http(value: &Self::Http) -> Result<Self, Unconvertible>;
}

impl HttpConvert for Method {
    type Http = http::Method;

    fn to_http(&self) -> Result<http::Method, Unconvertible> {
        http::Method::from_bytes(self.as_str().as_bytes())
            .map_err(|_| Unconvertible("invalid method"))
    }

    fn from_http(method: &http::Method) -> Result<Method, Unconvertible> {
        Method::from_bytes(method.as_str().as_bytes()).map_err(|_| Unconvertible("invalid method"))
    }
}

impl HttpConvert for Status {
    type Http = http::StatusCode;

    fn to_http(&self) -> Result<http::StatusCode, Unconvertible> {
        http::StatusCode::from_u16(self.code()).map_err(|_| Unconvertible("invalid status"))
    }

    fn from_http(status: &http::StatusCode) -> Result<Status, Unconvertible> {
        Status::new(status.as_u16()).ok_or(Unconvertible("invalid status"))
    }
}

impl HttpConvert for Version {
    type Http = http::Version;

    fn to_http(&self) -> Result<http::Version, Unconvertible> {
        Ok(match self {
            Version::Http10 => http::Version::HTTP_10,
            Version::Http11 => http::Version::HTTP_11,
        })
    }

    fn from_http(version: &http::Version) -> Result<Version, Unconvertible> {
        match *version {
            http::Version::HTTP_10 => Ok(Version::Http10),
            http::Version::HTTP_11 => Ok(Version::Http11),
            _ => Err(Unconvertible("only HTTP/1.0 and HTTP/1.1 are spoken here")),
        }
    }
}

impl HttpConvert for Headers {
    type Http = http::HeaderMap;

    /// Every field line, in order; fails on a name or value `http`
    /// refuses (the codec refuses them too, when writing).
    fn to_http(&self) -> Result<http::HeaderMap, Unconvertible> {
        let mut map = http::HeaderMap::with_capacity(self.len());
        // Values share the list's bytes; names are mostly standard ones,
        // which `http` keeps without a copy too.
        for (name, value) in self.iter_shared() {
            let name = http::HeaderName::from_bytes(&name)
                .map_err(|_| Unconvertible("invalid header name"))?;
            let value = http::HeaderValue::from_maybe_shared(value)
                .map_err(|_| Unconvertible("invalid header value"))?;
            map.append(name, value);
        }
        Ok(map)
    }

    /// Every field line; names come lowercase, as `http` keeps them.
    fn from_http(map: &http::HeaderMap) -> Result<Headers, Unconvertible> {
        Ok(headers_from_http(map, &[], None).0)
    }
}

/// The fields of `map`, then `Host: host` when given, and a copy of
/// `extra` (a request's target), all in one buffer: one allocation for a
/// whole head, as the codec's own heads share the bytes they were read
/// into.
fn headers_from_http(map: &http::HeaderMap, extra: &[u8], host: Option<&[u8]>) -> (Headers, Bytes) {
    let host = host.unwrap_or_default();
    let size = extra.len()
        + host.len()
        + map
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>();
    let mut buffer = bytes::BytesMut::with_capacity(size);
    buffer.extend_from_slice(extra);
    for (name, value) in map {
        buffer.extend_from_slice(name.as_str().as_bytes());
        buffer.extend_from_slice(value.as_bytes());
    }
    buffer.extend_from_slice(host);
    let mut all = buffer.freeze();
    let extra = all.split_to(extra.len());
    let mut headers = Headers::with_capacity(map.len() + usize::from(!host.is_empty()));
    for (name, value) in map {
        let name = all.split_to(name.as_str().len());
        let value = all.split_to(value.len());
        headers.append(name, value);
    }
    if !host.is_empty() {
        headers.append("Host", all);
    }
    (headers, extra)
}

impl<B: Into<Body>> TryFrom<http::Request<B>> for Request {
    type Error = Unconvertible;

    /// The method, target, headers and body. HTTP/2 and later read as
    /// HTTP/1.1: an app sees the same semantics whatever the wire, and
    /// the target's authority (HTTP/2's `:authority`) becomes `Host`
    /// when the request has none.
    fn try_from(req: http::Request<B>) -> Result<Request, Unconvertible> {
        let (parts, body) = req.into_parts();
        let method = Method::from_http(&parts.method)?;
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let host = match parts.headers.contains_key(http::header::HOST) {
            true => None,
            false => parts.uri.authority().map(|a| a.as_str().as_bytes()),
        };
        let (headers, target) = headers_from_http(&parts.headers, target.as_bytes(), host);
        let mut head = RequestHead::new(method, target);
        head.version = Version::from_http(&parts.version).unwrap_or(Version::Http11);
        head.headers = headers;
        Ok(Request::new(head, body.into()))
    }
}

impl TryFrom<Request> for http::Request<Body> {
    type Error = Unconvertible;

    /// The method, target, version, headers and body.
    fn try_from(mut req: Request) -> Result<http::Request<Body>, Unconvertible> {
        let method = req.method().to_http()?;
        let uri =
            http::Uri::try_from(req.target()).map_err(|_| Unconvertible::new("invalid target"))?;
        let headers = req.headers().to_http()?;
        let version = req.version().to_http()?;
        let mut out = http::Request::new(req.take_body());
        *out.method_mut() = method;
        *out.uri_mut() = uri;
        *out.version_mut() = version;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

impl<B: Into<Body>> From<http::Response<B>> for Response {
    /// The status, headers and body.
    fn from(res: http::Response<B>) -> Response {
        let (parts, body) = res.into_parts();
        let status = Status::from_http(&parts.status).unwrap_or(Status::INTERNAL_SERVER_ERROR);
        let mut out = Response::new(status).with_body(body.into());
        *out.headers_mut() = Headers::from_http(&parts.headers).unwrap_or_default();
        out
    }
}

impl TryFrom<Response> for http::Response<Body> {
    type Error = Unconvertible;

    /// The status, headers and body; fails on a header the app set that
    /// is not a valid field (the codec would refuse it too).
    fn try_from(mut res: Response) -> Result<http::Response<Body>, Unconvertible> {
        let headers = res.headers().to_http()?;
        let body = res.take_body();
        let mut out = http::Response::new(body);
        *out.status_mut() = res.status().to_http()?;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absolute_uri_gives_the_host_and_http2_reads_as_http11() {
        let req = http::Request::get("https://shop.example/cart?x=1")
            .version(http::Version::HTTP_2)
            .body(Bytes::new())
            .unwrap();
        let req = Request::try_from(req).unwrap();
        assert_eq!(req.target(), "/cart?x=1");
        assert_eq!(req.header("host"), Some("shop.example"));
        assert_eq!(req.version(), Version::Http11);
    }

    #[test]
    fn the_authority_becomes_host_after_the_fields_unless_host_was_sent() {
        let req = http::Request::get("https://shop.example/")
            .header("accept", "text/html")
            .header("x-id", "7")
            .body(Bytes::new())
            .unwrap();
        let req = Request::try_from(req).unwrap();
        let fields: Vec<_> = req.headers().iter().collect();
        assert_eq!(
            fields,
            [
                ("accept", &b"text/html"[..]),
                ("x-id", b"7"),
                ("Host", b"shop.example")
            ]
        );
        let req = http::Request::get("https://shop.example/")
            .header("host", "other.example")
            .body(Bytes::new())
            .unwrap();
        let req = Request::try_from(req).unwrap();
        assert_eq!(req.headers().len(), 1);
        assert_eq!(req.header("host"), Some("other.example"));
    }

    #[test]
    fn response_fields_go_over_whole_whether_static_or_given() {
        let mut res = Response::new(Status::OK);
        res.headers_mut()
            .append_field(lath_codec::Field::new("Content-Type", "text/plain"));
        res.headers_mut().append("X-Given", "2");
        let res = http::Response::try_from(res).unwrap();
        let fields: Vec<_> = res
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        assert_eq!(
            fields,
            [("content-type", &b"text/plain"[..]), ("x-given", b"2")]
        );
    }

    #[test]
    fn a_response_header_http_refuses_fails_the_conversion() {
        let bad = Response::text("x").with_header("X-Split", "a\r\nb");
        assert!(http::Response::try_from(bad).is_err());
        let ok = Response::text("x").with_header("X-Ok", "1");
        let res = http::Response::try_from(ok).unwrap();
        assert_eq!(res.headers()["x-ok"], "1");
    }
}

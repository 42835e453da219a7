//! Requests and responses to and from the `http` crate's types (feature
//! `http`), for code written against `http` (tower, hyper, reqwest).
//!
//! ```
//! use lath_app::{Request, Response};
//!
//! let req = http::Request::post("/items?sort=asc")
//!     .header("content-type", "text/plain")
//!     .body("hi")
//!     .unwrap();
//! let req = Request::try_from(req).unwrap();
//! assert_eq!((req.method().as_str(), req.path()), ("POST", "/items"));
//! assert_eq!(req.header("content-type"), Some("text/plain"));
//!
//! let res = http::Response::try_from(Response::text("made").with_status(lath_app::Status::CREATED)).unwrap();
//! assert_eq!(res.status(), http::StatusCode::CREATED);
//! assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
//! ```

use bytes::Bytes;
use lath_codec::{Headers, Method, RequestHead, Unconvertible, Version};

use crate::{Body, Request, Response};

impl<B: Into<Body>> TryFrom<http::Request<B>> for Request {
    type Error = Unconvertible;

    /// The method, target, headers and body. HTTP/2 and later read as
    /// HTTP/1.1: an app sees the same semantics whatever the wire.
    fn try_from(req: http::Request<B>) -> Result<Request, Unconvertible> {
        let (parts, body) = req.into_parts();
        let method = Method::try_from(&parts.method)?;
        let target = parts.uri.path_and_query().map_or_else(
            || Bytes::from_static(b"/"),
            |pq| Bytes::copy_from_slice(pq.as_str().as_bytes()),
        );
        let mut head = RequestHead::new(method, target);
        head.version = Version::try_from(parts.version).unwrap_or(Version::Http11);
        head.headers = Headers::from(&parts.headers);
        if !head.headers.contains("host") {
            if let Some(authority) = parts.uri.authority() {
                head.headers.append(
                    "Host",
                    Bytes::copy_from_slice(authority.as_str().as_bytes()),
                );
            }
        }
        Ok(Request::new(head, body.into()))
    }
}

impl TryFrom<Request> for http::Request<Body> {
    type Error = Unconvertible;

    /// The method, target, version, headers and body.
    fn try_from(mut req: Request) -> Result<http::Request<Body>, Unconvertible> {
        let method = http::Method::try_from(req.method())?;
        let uri =
            http::Uri::try_from(req.target()).map_err(|_| Unconvertible::new("invalid target"))?;
        let headers = http::HeaderMap::try_from(req.headers())?;
        let version = req.version().into();
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
        let mut out = Response::new(parts.status.into()).with_body(body.into());
        *out.headers_mut() = Headers::from(&parts.headers);
        out
    }
}

impl TryFrom<Response> for http::Response<Body> {
    type Error = Unconvertible;

    /// The status, headers and body; fails on a header the app set that
    /// is not a valid field (the codec would refuse it too).
    fn try_from(mut res: Response) -> Result<http::Response<Body>, Unconvertible> {
        let headers = http::HeaderMap::try_from(res.headers())?;
        let body = res.take_body();
        let mut out = http::Response::new(body);
        *out.status_mut() = res.status().into();
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
    fn a_response_header_http_refuses_fails_the_conversion() {
        let bad = Response::text("x").with_header("X-Split", "a\r\nb");
        assert!(http::Response::try_from(bad).is_err());
        let ok = Response::text("x").with_header("X-Ok", "1");
        let res = http::Response::try_from(ok).unwrap();
        assert_eq!(res.headers()["x-ok"], "1");
    }
}

//! Conversions with the `http` crate (feature `http`): methods, statuses,
//! versions and header lists, both ways.
//!
//! ```
//! use lath_codec::{Headers, Method, Status, Version};
//!
//! assert_eq!(http::Method::try_from(&Method::PATCH).unwrap(), http::Method::PATCH);
//! assert_eq!(Method::try_from(&http::Method::DELETE).unwrap(), Method::DELETE);
//! assert_eq!(http::StatusCode::from(Status::NOT_FOUND), http::StatusCode::NOT_FOUND);
//! assert_eq!(Status::from(http::StatusCode::IM_A_TEAPOT).code(), 418);
//! assert_eq!(http::Version::from(Version::Http10), http::Version::HTTP_10);
//! assert!(Version::try_from(http::Version::HTTP_2).is_err());
//!
//! let mut headers = Headers::new();
//! headers.append("Set-Cookie", "a=1");
//! headers.append("set-cookie", "b=2");
//! let map = http::HeaderMap::try_from(&headers).unwrap();
//! assert_eq!(map.get_all("set-cookie").iter().count(), 2);
//! assert_eq!(Headers::from(&map).get_all("set-cookie").count(), 2);
//! ```

use std::fmt;

use bytes::Bytes;

use crate::{Headers, Method, Status, Version};

/// A value the other crate cannot hold: a method, name or value that is
/// not a valid token or field value there, or an HTTP version the codec
/// does not speak.
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

impl TryFrom<&Method> for http::Method {
    type Error = Unconvertible;

    fn try_from(method: &Method) -> Result<http::Method, Unconvertible> {
        http::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|_| Unconvertible("invalid method"))
    }
}

impl TryFrom<&http::Method> for Method {
    type Error = Unconvertible;

    fn try_from(method: &http::Method) -> Result<Method, Unconvertible> {
        Method::from_bytes(method.as_str().as_bytes()).map_err(|_| Unconvertible("invalid method"))
    }
}

impl From<Status> for http::StatusCode {
    fn from(status: Status) -> http::StatusCode {
        // Both hold exactly the codes 100 to 999.
        http::StatusCode::from_u16(status.code()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<http::StatusCode> for Status {
    fn from(status: http::StatusCode) -> Status {
        Status::new(status.as_u16()).unwrap_or(Status::INTERNAL_SERVER_ERROR)
    }
}

impl From<Version> for http::Version {
    fn from(version: Version) -> http::Version {
        match version {
            Version::Http10 => http::Version::HTTP_10,
            Version::Http11 => http::Version::HTTP_11,
        }
    }
}

impl TryFrom<http::Version> for Version {
    type Error = Unconvertible;

    fn try_from(version: http::Version) -> Result<Version, Unconvertible> {
        match version {
            http::Version::HTTP_10 => Ok(Version::Http10),
            http::Version::HTTP_11 => Ok(Version::Http11),
            _ => Err(Unconvertible("only HTTP/1.0 and HTTP/1.1 are spoken here")),
        }
    }
}

impl TryFrom<&Headers> for http::HeaderMap {
    type Error = Unconvertible;

    /// Every field line, in order; fails on a name or value `http` refuses
    /// (the codec refuses them too, when writing).
    fn try_from(headers: &Headers) -> Result<http::HeaderMap, Unconvertible> {
        let mut map = http::HeaderMap::with_capacity(headers.len());
        for (name, value) in headers.iter_raw() {
            let name = http::HeaderName::from_bytes(name)
                .map_err(|_| Unconvertible("invalid header name"))?;
            let value = http::HeaderValue::from_bytes(value)
                .map_err(|_| Unconvertible("invalid header value"))?;
            map.append(name, value);
        }
        Ok(map)
    }
}

impl From<&http::HeaderMap> for Headers {
    /// Every field line; names come lowercase, as `http` keeps them.
    fn from(map: &http::HeaderMap) -> Headers {
        let mut headers = Headers::with_capacity(map.len());
        for (name, value) in map {
            headers.append(
                Bytes::copy_from_slice(name.as_str().as_bytes()),
                Bytes::copy_from_slice(value.as_bytes()),
            );
        }
        headers
    }
}

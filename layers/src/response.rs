//! Response helpers that need more than `lath-app` knows: cookies, JSON,
//! redirects back.

use std::time::{Duration, SystemTime};

use lath_app::{HttpError, Request, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// `SameSite` (RFC 6265bis §4.1.2.7).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::SameSite;
/// let cookie = Cookie::new("id", "1").same_site(SameSite::Strict);
/// assert!(cookie.to_header().ends_with("SameSite=Strict"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Only same-site requests carry it.
    Strict,
    /// Top-level navigations from other sites carry it too.
    Lax,
    /// Every request carries it (browsers require `Secure` with it).
    None,
}

/// A `Set-Cookie` to send, with its attributes.
///
/// ```
/// use std::time::Duration;
/// use lath::app::Response;
/// use lath::layers::{Cookie, ResponseExt, SameSite};
/// let res = Response::text("hi").cookie(
///     Cookie::new("visits", "3").path("/").max_age(Duration::from_secs(3600)).http_only(true).same_site(SameSite::Lax),
/// );
/// assert_eq!(res.get("set-cookie"), Some("visits=3; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    value: String,
    domain: Option<String>,
    path: Option<String>,
    expires: Option<SystemTime>,
    max_age: Option<Duration>,
    http_only: bool,
    secure: bool,
    same_site: Option<SameSite>,
}

/// Bytes a cookie value may not hold as they are (RFC 6265 §4.1.1
/// cookie-octet): they are percent-encoded, so no value can inject
/// attributes or split the header.
const NOT_COOKIE_OCTET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// Bytes a cookie name may not hold (a token, RFC 9110 §5.6.2).
const NOT_TOKEN: &AsciiSet = &NOT_COOKIE_OCTET
    .add(b'(')
    .add(b')')
    .add(b'<')
    .add(b'>')
    .add(b'@')
    .add(b':')
    .add(b'/')
    .add(b'[')
    .add(b']')
    .add(b'?')
    .add(b'=')
    .add(b'{')
    .add(b'}');

impl Cookie {
    /// A session cookie `name=value`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::text("hi").cookie(Cookie::new("visits", "1")) });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("set-cookie"), Some("visits=1"));
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Cookie {
        Cookie {
            name: name.into(),
            value: value.into(),
            domain: None,
            path: None,
            expires: None,
            max_age: None,
            http_only: false,
            secure: false,
            same_site: None,
        }
    }

    /// A cookie that clears `name` (empty, `Max-Age=0`, expired in 1970).
    /// Give it the same `path` and `domain` the cookie was set with.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let gone = Cookie::removal("session").path("/");
    /// assert!(gone.to_header().starts_with("session=; Path=/"));
    /// assert!(gone.to_header().contains("Max-Age=0"));
    /// ```
    pub fn removal(name: impl Into<String>) -> Cookie {
        Cookie::new(name, "")
            .max_age(Duration::ZERO)
            .expires(SystemTime::UNIX_EPOCH)
    }

    /// `Domain`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("a", "1").domain("example.com").to_header(), "a=1; Domain=example.com");
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> Cookie {
        self.domain = Some(domain.into());
        self
    }

    /// `Path`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("a", "1").path("/admin").to_header(), "a=1; Path=/admin");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Cookie {
        self.path = Some(path.into());
        self
    }

    /// `Expires`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use lath::prelude::*;
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// assert_eq!(Cookie::new("a", "1").expires(at).to_header(), "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
    /// ```
    pub fn expires(mut self, at: SystemTime) -> Cookie {
        self.expires = Some(at);
        self
    }

    /// `Max-Age`, in whole seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("a", "1").max_age(Duration::from_secs(60)).to_header(), "a=1; Max-Age=60");
    /// ```
    pub fn max_age(mut self, age: Duration) -> Cookie {
        self.max_age = Some(age);
        self
    }

    /// `HttpOnly`: scripts cannot read it.
    ///
    /// ```
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("a", "1").http_only(true).to_header(), "a=1; HttpOnly");
    /// ```
    pub fn http_only(mut self, on: bool) -> Cookie {
        self.http_only = on;
        self
    }

    /// `Secure`: sent over HTTPS only.
    ///
    /// ```
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("a", "1").secure(true).to_header(), "a=1; Secure");
    /// ```
    pub fn secure(mut self, on: bool) -> Cookie {
        self.secure = on;
        self
    }

    /// `SameSite`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::SameSite;
    /// assert_eq!(Cookie::new("a", "1").same_site(SameSite::Lax).to_header(), "a=1; SameSite=Lax");
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Cookie {
        self.same_site = Some(same_site);
        self
    }

    /// This cookie with its value signed by `signer`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{SignedCookies, Signer};
    /// let signer = std::sync::Arc::new(Signer::new(&[7u8; 32]).unwrap());
    /// let (set, read) = (signer.clone(), signer.clone());
    /// let routes = Router::new()
    ///     .get("/login", handler(move |_req: Request| {
    ///         let signer = set.clone();
    ///         async move { Response::text("in").cookie(Cookie::new("user", "ada").signed_by(&signer)) }
    ///     }))
    ///     .get("/me", handler(move |req: Request| {
    ///         let signer = read.clone();
    ///         async move { req.signed_cookie("user", &signer).unwrap_or_else(|| "nobody".into()) }
    ///     }))
    ///     .build()
    ///     .unwrap();
    /// let client = Client::new(routes); // keeps cookies, as a browser does
    /// client.get("/login").send_blocking().unwrap();
    /// assert_eq!(client.get("/me").send_blocking().unwrap().text(), "ada");
    /// let forged = client.get("/me").header("Cookie", "user=ada").send_blocking().unwrap();
    /// assert_eq!(forged.text(), "nobody");
    /// ```
    #[cfg(feature = "signed")]
    pub fn signed_by(mut self, signer: &crate::Signer) -> Cookie {
        self.value = signer.sign(&self.name, &self.value);
        self
    }

    /// The `Set-Cookie` value.
    ///
    /// ```
    /// use lath::prelude::*;
    /// assert_eq!(Cookie::new("note", "a;b").to_header(), "note=a%3Bb"); // no attribute injection
    /// ```
    pub fn to_header(&self) -> String {
        // Attribute values are held to the value alphabet as well, so none
        // can end the attribute early.
        let attr = |v: &str| utf8_percent_encode(v, NOT_COOKIE_OCTET).to_string();
        let mut out = format!(
            "{}={}",
            utf8_percent_encode(&self.name, NOT_TOKEN),
            utf8_percent_encode(&self.value, NOT_COOKIE_OCTET)
        );
        if let Some(domain) = &self.domain {
            out.push_str(&format!("; Domain={}", attr(domain)));
        }
        if let Some(path) = &self.path {
            out.push_str(&format!("; Path={}", attr(path)));
        }
        if let Some(expires) = self.expires {
            out.push_str(&format!("; Expires={}", httpdate::fmt_http_date(expires)));
        }
        if let Some(age) = self.max_age {
            out.push_str(&format!("; Max-Age={}", age.as_secs()));
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        match self.same_site {
            Some(SameSite::Strict) => out.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => out.push_str("; SameSite=Lax"),
            Some(SameSite::None) => out.push_str("; SameSite=None"),
            None => {}
        }
        out
    }
}

/// Response helpers from `lath-layers`.
///
/// ```
/// use lath::prelude::*;
/// let app = handler(|_req: Request| async {
///     Response::text("bye").cookie(Cookie::new("theme", "dark")).clear_cookie("session", "/")
/// });
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(res.headers.get_all("set-cookie").count(), 2);
/// ```
pub trait ResponseExt {
    /// Adds a `Set-Cookie`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/set", handler(|_req: Request| async { Response::text("ok").cookie(Cookie::new("lang", "fr")) }))
    ///     .get("/get", handler(|req: Request| async move { req.cookie("lang").unwrap_or_default() }))
    ///     .build()
    ///     .unwrap();
    /// let client = Client::new(routes);
    /// client.get("/set").send_blocking().unwrap();
    /// assert_eq!(client.get("/get").send_blocking().unwrap().text(), "fr");
    /// ```
    fn cookie(self, cookie: Cookie) -> Response;
    /// Adds a `Set-Cookie` that clears `name` set on `path`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::redirect("/").clear_cookie("session", "/") });
    /// let res = Client::new(app).post("/logout").send_blocking().unwrap();
    /// assert!(res.header("set-cookie").unwrap().starts_with("session=; Path=/"));
    /// ```
    fn clear_cookie(self, name: &str, path: &str) -> Response;
}

impl ResponseExt for Response {
    fn cookie(self, cookie: Cookie) -> Response {
        self.append("Set-Cookie", cookie.to_header())
    }

    fn clear_cookie(self, name: &str, path: &str) -> Response {
        self.cookie(Cookie::removal(name).path(path))
    }
}

/// `value` as `application/json`; 500 if it cannot be serialized.
///
/// ```
/// let res = lath::layers::json(&serde_json::json!({"message": "Hello, World!"}));
/// assert_eq!(res.get("content-type"), Some("application/json"));
/// ```
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::typed("application/json", body),
        Err(e) => HttpError::internal().with_detail(e.to_string()).into(),
    }
}

/// `302` back to the page the request came from (`Referer`) when that
/// page is on this site, else to `/`: never to another origin
/// (`//evil.example`, `https://evil.example/`) or a `javascript:` URI.
///
/// ```
/// use lath::layers::back;
/// use lath::app::Request;
/// let from = |referer: &str| {
///     let req = Request::builder("POST", "/form")
///         .header("Host", "shop.example")
///         .header("Referer", referer)
///         .build();
///     back(&req).headers().get_str("location").unwrap().to_owned()
/// };
/// assert_eq!(from("/cart?step=2"), "/cart?step=2");
/// assert_eq!(from("https://shop.example/cart"), "/cart");
/// assert_eq!(from("https://evil.example/"), "/");
/// assert_eq!(from("//evil.example/"), "/");
/// ```
pub fn back(req: &Request) -> Response {
    let host = crate::RequestExt::host(req);
    let to = req
        .header("referer")
        .and_then(|referer| local_path(referer, host))
        .unwrap_or("/");
    Response::redirect(to)
}

/// The path (and query) of `referer` when it points into this site:
/// a path that cannot be read as another host, or an absolute `http(s)`
/// URL whose authority is `host`.
fn local_path<'a>(referer: &'a str, host: Option<&str>) -> Option<&'a str> {
    // Browsers read `\` as `/` in http(s) URLs: `/\evil` is `//evil`.
    let is_local_path = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.starts_with("/\\")
            && !p.bytes().any(|b| b.is_ascii_control())
    };
    if referer.starts_with('/') {
        return is_local_path(referer).then_some(referer);
    }
    let (scheme, rest) = referer.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if !host.is_some_and(|host| authority.eq_ignore_ascii_case(host)) {
        return None;
    }
    match path {
        "" => Some("/"),
        path => is_local_path(path).then_some(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let cookie = Cookie::new("id", "a1")
            .domain("example.org")
            .path("/app")
            .expires(at)
            .max_age(Duration::from_secs(60))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict);
        assert_eq!(
            cookie.to_header(),
            "id=a1; Domain=example.org; Path=/app; Expires=Sun, 06 Nov 1994 08:49:37 GMT; \
             Max-Age=60; HttpOnly; Secure; SameSite=Strict"
        );
    }

    #[test]
    fn clearing() {
        let res = Response::text("bye").clear_cookie("session", "/");
        assert_eq!(
            res.get("set-cookie"),
            Some("session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0")
        );
    }

    #[test]
    fn values_cannot_inject_attributes() {
        let header = Cookie::new("a;b", "x; Domain=evil\r\n")
            .path("/; Secure")
            .to_header();
        assert_eq!(header, "a%3Bb=x%3B%20Domain=evil%0D%0A; Path=/%3B%20Secure");
        let res = Response::text("x")
            .cookie(Cookie::new("a", "1"))
            .cookie(Cookie::new("b", "2"));
        assert_eq!(res.headers().get_all("set-cookie").count(), 2);
    }

    #[test]
    fn values_read_back_as_they_were_set() {
        use crate::RequestExt;
        for value in ["hello world", "a;b,c", "100%", "naïve \"quoted\"", "x=y"] {
            let set = Cookie::new("n", value).to_header();
            let pair = set.split(';').next().unwrap();
            let req = Request::builder("GET", "/").header("Cookie", pair).build();
            assert_eq!(req.cookie("n").as_deref(), Some(value), "{set}");
        }
    }

    #[cfg(feature = "signed")]
    #[test]
    fn signed_values_with_spaces_verify() {
        use crate::{SignedCookies, Signer};
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let set = Cookie::new("s", "a b").signed_by(&signer).to_header();
        let pair = set.split(';').next().unwrap();
        let req = Request::builder("GET", "/").header("Cookie", pair).build();
        assert_eq!(req.signed_cookie("s", &signer).as_deref(), Some("a b"));
    }

    #[test]
    fn back_goes_to_the_referer_or_home() {
        let from = Request::builder("GET", "/x")
            .header("Referer", "/from")
            .build();
        assert_eq!(back(&from).get("location"), Some("/from"));
        let back_from = |referer: &str| {
            let req = Request::builder("POST", "/x")
                .header("Host", "a.example:8080")
                .header("Referer", referer)
                .build();
            back(&req).get("location").unwrap().to_owned()
        };
        for (referer, to) in [
            ("http://a.example:8080/page?q=1", "/page?q=1"),
            ("HTTPS://A.EXAMPLE:8080", "/"),
            ("//evil.example/x", "/"),
            ("/\\evil.example/x", "/"),
            ("javascript:alert(1)", "/"),
            ("http://evil.example/x", "/"),
            ("http://a.example:8080.evil.example/x", "/"),
            ("http://a.example:8080//evil.example/x", "/"),
            ("data:text/html,hi", "/"),
            ("", "/"),
        ] {
            assert_eq!(back_from(referer), to, "{referer}");
        }
        assert_eq!(
            back(&Request::builder("GET", "/x").build()).get("location"),
            Some("/")
        );
    }
}

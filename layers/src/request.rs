//! Everyday request helpers: query, cookies, host, client address, content
//! negotiation.

use std::net::IpAddr;

use lath_app::Request;
use percent_encoding::percent_decode_str;

/// A parsed query string: every pair in order, decoded. Repeated keys, and
/// keys written `key[]`, read as arrays through [`Query::get_all`].
///
/// ```
/// use lath::prelude::*;
/// let app = handler(|req: Request| async move {
///     let query = req.query();
///     format!("{} {:?}", query.get("q").unwrap_or(""), query.get_all("tag"))
/// });
/// let res = Client::new(app).get("/search?q=rust%20web&tag=a&tag=b").send_blocking().unwrap();
/// assert_eq!(res.text(), r#"rust web ["a", "b"]"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
    /// Keys written `key[]`: arrays even with one value.
    arrayed: Vec<String>,
}

impl Query {
    /// Parses `raw` (`a=1&b=2`); malformed escapes are kept as sent.
    ///
    /// ```
    /// use lath::layers::Query;
    /// let query = Query::parse("name=Ada+Lovelace&lang[]=en");
    /// assert_eq!(query.get("name"), Some("Ada Lovelace"));
    /// assert_eq!(query.get_all("lang"), ["en"]);
    /// ```
    pub fn parse(raw: &str) -> Query {
        Query::from_pairs(
            form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    /// A query of decoded `(key, value)` pairs, such as a multipart
    /// form's fields; `key[]` marks an array as in [`Query::parse`].
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Query {
        let mut arrayed = Vec::new();
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| match k.strip_suffix("[]") {
                Some(key) => {
                    arrayed.push(key.to_owned());
                    (key.to_owned(), v)
                }
                None => (k, v),
            })
            .collect();
        Query { pairs, arrayed }
    }

    /// The first value of `key`.
    ///
    /// ```
    /// use lath::layers::Query;
    /// let query = Query::parse("a=1&a=2");
    /// assert_eq!(query.get("a"), Some("1"));
    /// assert_eq!(query.get("b"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order (`a=1&a=2`, `a[]=1&a[]=2`).
    ///
    /// ```
    /// use lath::layers::Query;
    /// assert_eq!(Query::parse("a=1&b=0&a=2").get_all("a"), ["1", "2"]);
    /// ```
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The distinct keys, in order of first appearance.
    ///
    /// ```
    /// use lath::layers::Query;
    /// assert_eq!(Query::parse("b=1&a=2&b=3").keys(), ["b", "a"]);
    /// ```
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &self.pairs {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        keys
    }

    /// The query as a JSON object: one string per key, an array for a key
    /// given more than once or written `key[]`.
    ///
    /// ```
    /// use lath::layers::Query;
    /// let json = Query::parse("name=Ada&tag=x&tag=y&one[]=1").to_json();
    /// assert_eq!(json, serde_json::json!({"name": "Ada", "tag": ["x", "y"], "one": ["1"]}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for key in self.keys() {
            let values = self.get_all(key);
            let arrayed = values.len() > 1 || self.arrayed.iter().any(|k| k == key);
            let value = match (arrayed, values.as_slice()) {
                (false, [one]) => serde_json::Value::from(*one),
                _ => serde_json::Value::from(
                    values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                ),
            };
            object.insert(key.to_owned(), value);
        }
        serde_json::Value::Object(object)
    }

    /// Every (key, value) pair in order.
    ///
    /// ```
    /// use lath::layers::Query;
    /// let query = Query::parse("x=1&y=2");
    /// assert_eq!(query.pairs().collect::<Vec<_>>(), [("x", "1"), ("y", "2")]);
    /// ```
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The client's address as judged by [`trusted_proxies`](crate::trusted_proxies),
/// attached to the request.
///
/// ```
/// use lath::app::Request;
/// use lath::layers::{ClientIp, RequestExt};
/// let mut req = Request::builder("GET", "/").build();
/// req.extensions_mut().insert(ClientIp("203.0.113.9".parse().unwrap()));
/// assert_eq!(req.ip().unwrap().to_string(), "203.0.113.9");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Helpers on [`Request`]. Malformed input never panics: a bad cookie pair
/// or Accept element is skipped.
///
/// ```
/// use lath::prelude::*;
/// let app = handler(|req: Request| async move {
///     format!("{} {:?} {:?}", req.hostname().unwrap_or("-"), req.cookie("theme"), req.accepts(&["json", "html"]))
/// });
/// let res = Client::new(app)
///     .get("/")
///     .header("Host", "shop.example:8080")
///     .header("Cookie", "theme=dark")
///     .header("Accept", "text/html")
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), r#"shop.example Some("dark") Some("html")"#);
/// ```
pub trait RequestExt {
    /// The parsed query string.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.query().get("page").unwrap_or("1").to_owned() });
    /// assert_eq!(Client::new(app).get("/items?page=3").send_blocking().unwrap().text(), "3");
    /// ```
    fn query(&self) -> Query;
    /// The query string as a `T` (serde): numbers and booleans are parsed
    /// from text, repeated keys and `key[]` fill sequences, a missing key
    /// is `None`. A query that does not fit is 400, naming the field.
    ///
    /// ```
    /// use lath::prelude::*;
    /// #[derive(serde::Deserialize)]
    /// struct Page { page: u32, per: Option<u32> }
    /// let app = handler(|req: Request| async move {
    ///     let page: Page = req.query_as()?;
    ///     Ok::<_, HttpError>(format!("{} {}", page.page, page.per.unwrap_or(20)))
    /// });
    /// let client = Client::new(app);
    /// assert_eq!(client.get("/items?page=2").send_blocking().unwrap().text(), "2 20");
    /// let res = client.get("/items?page=two").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 400);
    /// assert!(res.text().contains("page"));
    /// ```
    fn query_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, lath_app::HttpError>;
    /// The value of cookie `name`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.cookie("name").unwrap_or_default() });
    /// let res = Client::new(app).get("/").header("Cookie", "a=1; name=Ada%20L").send_blocking().unwrap();
    /// assert_eq!(res.text(), "Ada L");
    /// ```
    fn cookie(&self, name: &str) -> Option<String>;
    /// Every well-formed cookie, in order.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.cookies().len().to_string() });
    /// let res = Client::new(app).get("/").header("Cookie", "a=1; b=2; broken").send_blocking().unwrap();
    /// assert_eq!(res.text(), "2");
    /// ```
    fn cookies(&self) -> Vec<(String, String)>;
    /// The host the request is for, with its port: the target's authority
    /// or `Host`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.host().unwrap_or("-").to_owned() });
    /// let res = Client::new(app).get("/").header("Host", "example.com:8080").send_blocking().unwrap();
    /// assert_eq!(res.text(), "example.com:8080");
    /// ```
    fn host(&self) -> Option<&str>;
    /// [`RequestExt::host`] without the port.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { req.hostname().unwrap_or("-").to_owned() });
    /// let client = Client::new(app);
    /// let res = client.get("/").header("Host", "example.com:8080").send_blocking().unwrap();
    /// assert_eq!(res.text(), "example.com");
    /// // An IPv6 literal comes without its brackets.
    /// let res = client.get("/").header("Host", "[::1]:8080").send_blocking().unwrap();
    /// assert_eq!(res.text(), "::1");
    /// ```
    fn hostname(&self) -> Option<&str>;
    /// The client's address: the peer, or what a trusted proxy said.
    ///
    /// ```
    /// use lath::app::Request;
    /// use lath::layers::RequestExt;
    /// let mut req = Request::builder("GET", "/").build();
    /// assert_eq!(req.ip(), None);
    /// req.set_peer_addr(Some("192.0.2.7:5000".parse().unwrap()));
    /// assert_eq!(req.ip().unwrap().to_string(), "192.0.2.7");
    /// ```
    fn ip(&self) -> Option<IpAddr>;
    /// Of the `offered` types (`"json"`, `"html"`, `"text/csv"`, …), the one
    /// the client prefers by `Accept` and its q-values; the first when
    /// there is no `Accept`; `None` when it accepts none of them.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move {
    ///     match req.accepts(&["json", "html"]) {
    ///         Some("html") => Response::html("<p>hi</p>"),
    ///         Some(_) => lath::layers::json(&serde_json::json!({"greeting": "hi"})),
    ///         None => Response::from(HttpError::not_acceptable()),
    ///     }
    /// });
    /// let client = Client::new(app);
    /// let html = client.get("/").header("Accept", "text/html,*/*;q=0.1").send_blocking().unwrap();
    /// assert_eq!(html.header("content-type"), Some("text/html; charset=utf-8"));
    /// let none = client.get("/").header("Accept", "image/png").send_blocking().unwrap();
    /// assert_eq!(none.status.code(), 406);
    /// ```
    fn accepts<'a>(&self, offered: &[&'a str]) -> Option<&'a str>;
    /// Is the request body of type `kind` (`"json"`, `"text/*"`, …)?
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move { format!("{} {}", req.is("json"), req.is("text/*")) });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "application/json; charset=utf-8")
    ///     .body("{}")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "true false");
    /// ```
    fn is(&self, kind: &str) -> bool;
    /// The state of type `T` that a [`state`](crate::state) layer put on
    /// this request, as an owned handle: the request (and its body) stays
    /// free to use.
    ///
    /// # Panics
    ///
    /// When no `state` layer with a `T` wraps the app: a wiring mistake,
    /// reported at the first request with the type and the layer to add.
    ///
    /// ```
    /// use lath::app::{handler, AppExt, Request};
    /// use lath::layers::{state, RequestExt};
    /// use lath::net::Client;
    ///
    /// struct Greeting(&'static str);
    /// let app = handler(|mut req: Request| async move {
    ///     let greeting = req.state::<Greeting>();
    ///     let body = req.text().await?; // still readable
    ///     Ok::<_, lath::app::HttpError>(format!("{} {body}", greeting.0))
    /// })
    /// .wrap(state(Greeting("hi")));
    /// let res = Client::new(app).post("/").body("ann").send_blocking().unwrap();
    /// assert_eq!(res.text(), "hi ann");
    /// ```
    fn state<T: Send + Sync + 'static>(&self) -> std::sync::Arc<T>;
}

/// The media type a short name stands for.
pub(crate) fn expand(kind: &str) -> &str {
    match kind {
        "json" => "application/json",
        "html" => "text/html",
        "text" | "txt" => "text/plain",
        "xml" => "application/xml",
        "form" | "urlencoded" => "application/x-www-form-urlencoded",
        "multipart" => "multipart/form-data",
        "css" => "text/css",
        "js" | "javascript" => "text/javascript",
        "csv" => "text/csv",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "bin" | "octet-stream" => "application/octet-stream",
        other => other,
    }
}

/// How well `range` (from Accept) matches `ty`: 3 exact, 2 `type/*`,
/// 1 `*/*`, 0 no match.
fn specificity(range: &str, ty: &str) -> u8 {
    let (rt, rs) = range.split_once('/').unwrap_or((range, ""));
    let (t, s) = ty.split_once('/').unwrap_or((ty, ""));
    match (rt, rs) {
        ("*", "*") => 1,
        (rt, "*") if rt.eq_ignore_ascii_case(t) => 2,
        (rt, rs) if rt.eq_ignore_ascii_case(t) && rs.eq_ignore_ascii_case(s) => 3,
        _ => 0,
    }
}

/// Of the `offered` types, the one the `accept` field values prefer by
/// q-value; the first when there is no `Accept`.
pub(crate) fn negotiate<'a>(accept: &[&str], offered: &[&'a str]) -> Option<&'a str> {
    if accept.is_empty() {
        return offered.first().copied();
    }
    // Each element: a media range and its q-value (default 1).
    let ranges: Vec<(&str, f32)> = accept
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            let mut parts = element.split(';').map(str::trim);
            let range = parts.next().filter(|r| r.contains('/'))?;
            let q = parts
                .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((range, q.clamp(0.0, 1.0)))
        })
        .collect();
    let mut best: Option<(&'a str, f32)> = None;
    for &kind in offered {
        let ty = expand(kind);
        // The most specific range that matches decides the q-value.
        let q = ranges
            .iter()
            .filter(|(range, _)| specificity(range, ty) > 0)
            .max_by_key(|(range, _)| specificity(range, ty))
            .map_or(0.0, |(_, q)| *q);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((kind, q));
        }
    }
    best.map(|(kind, _)| kind)
}

impl RequestExt for Request {
    fn query(&self) -> Query {
        Query::parse(self.query_string().unwrap_or(""))
    }

    fn query_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, lath_app::HttpError> {
        let query = self.query();
        crate::query_de::from_query(&query)
            .map_err(|e| lath_app::HttpError::bad_request(format!("invalid query: {e}")))
    }

    fn state<T: Send + Sync + 'static>(&self) -> std::sync::Arc<T> {
        match self.extensions().get::<std::sync::Arc<T>>() {
            Some(value) => value.clone(),
            None => panic!(
                "no state of type `{}` on this request: wrap the app in \
                 `app.wrap(lath::layers::state(value))` with a value of that type",
                std::any::type_name::<T>()
            ),
        }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn cookies(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for header in self.headers().get_all("cookie") {
            let Ok(header) = std::str::from_utf8(header) else {
                continue;
            };
            for pair in header.split(';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                let name = name.trim();
                // RFC 6265 §4.1.1: a token name; an optionally quoted value.
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
                {
                    continue;
                }
                let value = value.trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                // `Cookie::to_header` percent-encodes what a cookie-octet
                // cannot hold; undo it (a value that does not decode to
                // UTF-8 is kept as sent).
                out.push((decoded(name), decoded(value)));
            }
        }
        out
    }

    fn host(&self) -> Option<&str> {
        self.head().authority().filter(|h| !h.is_empty())
    }

    fn hostname(&self) -> Option<&str> {
        let host = self.host()?;
        if let Some(rest) = host.strip_prefix('[') {
            return rest.split(']').next();
        }
        Some(host.rsplit_once(':').map_or(host, |(name, _)| name))
    }

    fn ip(&self) -> Option<IpAddr> {
        match self.extensions().get::<ClientIp>() {
            Some(ClientIp(ip)) => Some(*ip),
            None => self.peer_addr().map(|a| a.ip()),
        }
    }

    fn accepts<'a>(&self, offered: &[&'a str]) -> Option<&'a str> {
        self.mark_read("accept");
        let accept: Vec<&str> = self
            .headers()
            .get_all("accept")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .collect();
        negotiate(&accept, offered)
    }

    fn is(&self, kind: &str) -> bool {
        let Some(content_type) = self.header("content-type") else {
            return false;
        };
        let Ok(mime) = content_type.parse::<mime::Mime>() else {
            return false;
        };
        let ty = expand(kind);
        let essence = mime.essence_str();
        specificity(ty, essence) > 0
            || (kind == "json" && mime.suffix().is_some_and(|s| s == mime::JSON))
    }
}

/// `text` percent-decoded, or as it is when that is not UTF-8.
fn decoded(text: &str) -> String {
    percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| text.to_owned(), |d| d.into_owned())
}

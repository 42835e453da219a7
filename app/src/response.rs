//! The response an app sends.

use std::fmt;

use bytes::Bytes;
use futures::future::BoxFuture;
use lath_codec::{Field, Headers, Status};

use crate::{Body, HttpError, Upgraded};

/// What runs on the raw connection after a `101 Switching Protocols`.
pub type OnUpgrade = Box<dyn FnOnce(Upgraded) -> BoxFuture<'static, ()> + Send>;

/// A response: status, headers and body.
///
/// ```
/// use lath::app::Response;
/// use lath::codec::Status;
/// let res = Response::text("made").with_status(Status::CREATED).with_header("X-Id", "7");
/// assert_eq!(res.status(), Status::CREATED);
/// assert_eq!(res.headers().get_str("content-type"), Some("text/plain; charset=utf-8"));
/// ```
pub struct Response {
    status: Status,
    headers: Headers,
    body: Body,
    on_upgrade: Option<OnUpgrade>,
    /// Boxed: most responses are not errors, and a small response is
    /// cheaper to move.
    error: Option<Box<HttpError>>,
    /// Typed values for layers further out, allocated on first use.
    extensions: Option<Box<crate::Extensions>>,
}

/// The `Content-Type`s of [`Response::text`], [`Response::html`] and
/// [`Response::bytes`], checked once.
const TEXT: Field = Field::new("Content-Type", "text/plain; charset=utf-8");
const HTML: Field = Field::new("Content-Type", "text/html; charset=utf-8");
const OCTETS: Field = Field::new("Content-Type", "application/octet-stream");

impl Response {
    /// A response with this status, no headers and no body.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::new(Status::NO_CONTENT) });
    /// let res = Client::new(app).delete("/items/3").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 204);
    /// assert!(res.body.is_empty());
    /// ```
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Body::empty(),
            on_upgrade: None,
            error: None,
            extensions: None,
        }
    }

    /// 200 with a `text/plain; charset=utf-8` body (a `&'static str` is
    /// sent without a copy).
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::text("Hello, World!") });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));
    /// assert_eq!(res.text(), "Hello, World!");
    /// ```
    pub fn text(text: impl Into<Body>) -> Response {
        Response::with_type(TEXT, text.into())
    }

    /// 200 with a `text/html; charset=utf-8` body.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::html("<h1>Hi</h1>") });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    /// ```
    pub fn html(html: impl Into<Body>) -> Response {
        Response::with_type(HTML, html.into())
    }

    /// 200 with an `application/octet-stream` body.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::bytes(vec![0u8, 1, 2]) });
    /// let res = Client::new(app).get("/blob").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    /// assert_eq!(&res.body[..], [0, 1, 2]);
    /// ```
    pub fn bytes(bytes: impl Into<Bytes>) -> Response {
        Response::with_type(OCTETS, Body::full(bytes))
    }

    /// 200 with this body and `Content-Type`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::typed("text/csv", "a,b\n1,2\n") });
    /// let res = Client::new(app).get("/export").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("text/csv"));
    /// ```
    pub fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
        let mut headers = Headers::new();
        headers.append("Content-Type", content_type);
        Response::with_headers(headers, body.into())
    }

    /// 200 with this body and a `Content-Type` checked when it was made.
    fn with_type(content_type: Field, body: Body) -> Response {
        let mut headers = Headers::new();
        headers.append_field(content_type);
        Response::with_headers(headers, body)
    }

    fn with_headers(headers: Headers, body: Body) -> Response {
        // Built in place: a builder chain would move the response per
        // step, and replacing a default body drops it.
        Response {
            status: Status::OK,
            headers,
            body,
            on_upgrade: None,
            error: None,
            extensions: None,
        }
    }

    /// A status with its reason phrase as a plain-text body, such as
    /// `404` → `Not Found`; a code with no standard phrase has its digits
    /// as the body.
    ///
    /// ```
    /// use lath::app::{Response, Status};
    /// let res = Response::status_page(Status::NOT_FOUND);
    /// assert_eq!(res.status().code(), 404);
    /// assert_eq!(res.body().size(), lath::app::BodySize::Known(9)); // "Not Found"
    /// ```
    pub fn status_page(status: Status) -> Response {
        let body = match status.reason() {
            "" => status.code().to_string(),
            reason => reason.to_owned(),
        };
        Response::text(body).with_status(status)
    }

    /// `101 Switching Protocols` to `protocol`; `then` gets the raw
    /// connection (with any bytes the client already sent) once the head
    /// is out.
    ///
    /// ```
    /// use futures::{AsyncReadExt, AsyncWriteExt};
    /// use lath::prelude::*;
    /// // After `101`, the connection speaks an echo protocol.
    /// let app = handler(|_req: Request| async {
    ///     Response::upgrade("echo", |mut io| async move {
    ///         let mut buf = [0u8; 4];
    ///         if io.read_exact(&mut buf).await.is_ok() {
    ///             let _ = io.write_all(&buf).await;
    ///         }
    ///     })
    /// });
    /// let answer = Client::new(app)
    ///     .raw_blocking("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nping")
    ///     .unwrap();
    /// let answer = String::from_utf8(answer).unwrap();
    /// assert!(answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    /// assert!(answer.ends_with("\r\n\r\nping"));
    /// ```
    pub fn upgrade<F, Fut>(protocol: &str, then: F) -> Response
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let mut res = Response::new(Status::SWITCHING_PROTOCOLS)
            .with_header("Connection", "upgrade")
            .with_header("Upgrade", Bytes::copy_from_slice(protocol.as_bytes()));
        res.on_upgrade = Some(Box::new(move |io| Box::pin(then(io))));
        res
    }

    /// 200 with this body and no `Content-Type` at all.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::raw("no type") });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), None);
    /// ```
    pub fn raw(body: impl Into<Body>) -> Response {
        Response::new(Status::OK).with_body(body)
    }

    /// A status with its reason phrase as the body (`404` → `Not Found`);
    /// any code from 100 to 999.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::send_status(418) });
    /// let res = Client::new(app).get("/coffee").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.text().as_str()), (418, "I'm a Teapot"));
    /// ```
    pub fn send_status(code: u16) -> Response {
        Response::status_page(Status::new(code).unwrap_or(Status::INTERNAL_SERVER_ERROR))
    }

    /// `302 Found` to `location`.
    ///
    /// ```
    /// use lath::{handler, Client, Request, Response};
    ///
    /// let app = handler(|_req: Request| async { Response::redirect("/login") });
    /// let res = Client::new(app).get("/admin").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.header("location")), (302, Some("/login")));
    /// ```
    pub fn redirect(location: &str) -> Response {
        Response::redirect_with(Status::FOUND, location)
    }

    /// A redirect with any 3xx `status` (a status outside 3xx becomes 302).
    ///
    /// ```
    /// use lath::{Response, Status};
    /// let moved = Response::redirect_with(Status::PERMANENT_REDIRECT, "/new");
    /// assert_eq!(moved.status().code(), 308);
    /// assert_eq!(Response::redirect_with(Status::OK, "/x").status().code(), 302);
    /// ```
    pub fn redirect_with(status: Status, location: &str) -> Response {
        let status = if status.is_redirection() {
            status
        } else {
            Status::FOUND
        };
        Response::new(status).location(location)
    }

    /// Sets `Location`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::new(Status::CREATED).location("/items/9") });
    /// let res = Client::new(app).post("/items").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.header("location")), (201, Some("/items/9")));
    /// ```
    pub fn location(self, location: &str) -> Response {
        self.set("Location", Bytes::copy_from_slice(location.as_bytes()))
    }

    /// Sets `Content-Type` from a short name (`"json"`, `"html"`, `"png"`,
    /// a file extension) or a full media type.
    ///
    /// ```
    /// use lath::Response;
    /// let page = Response::raw("<h1>hi</h1>").type_("html");
    /// assert_eq!(page.get("content-type"), Some("text/html; charset=utf-8"));
    /// let data = Response::raw("a,b").type_("text/csv");
    /// assert_eq!(data.get("content-type"), Some("text/csv"));
    /// ```
    pub fn type_(self, kind: &str) -> Response {
        let media = match kind.trim_start_matches('.') {
            "json" => "application/json",
            "html" | "htm" => "text/html; charset=utf-8",
            "text" | "txt" => "text/plain; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "js" | "mjs" => "text/javascript; charset=utf-8",
            "xml" => "application/xml",
            "csv" => "text/csv; charset=utf-8",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "ico" => "image/x-icon",
            "pdf" => "application/pdf",
            "wasm" => "application/wasm",
            "bin" => "application/octet-stream",
            other if other.contains('/') => other,
            _ => "application/octet-stream",
        };
        self.set("Content-Type", Bytes::copy_from_slice(media.as_bytes()))
    }

    /// Sets header `name`, replacing every line of it.
    ///
    /// ```
    /// use lath::Response;
    /// let res = Response::text("x").append("X-A", "1").append("X-A", "2").set("x-a", "3");
    /// assert_eq!(res.headers().get_all("x-a").collect::<Vec<_>>(), [&b"3"[..]]);
    /// ```
    pub fn set(mut self, name: &str, value: impl Into<Bytes>) -> Response {
        self.headers
            .insert(Bytes::copy_from_slice(name.as_bytes()), value);
        self
    }

    /// Adds a line of header `name` after any others.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     Response::text("hi").append("Link", "</a.css>; rel=preload").append("Link", "</b.js>; rel=preload")
    /// });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.headers.get_all("link").count(), 2);
    /// ```
    pub fn append(mut self, name: &str, value: impl Into<Bytes>) -> Response {
        self.headers
            .append(Bytes::copy_from_slice(name.as_bytes()), value);
        self
    }

    /// The first value of header `name`, if it is UTF-8.
    ///
    /// ```
    /// use lath::app::Response;
    /// let res = Response::text("hi");
    /// assert_eq!(res.get("Content-Type"), Some("text/plain; charset=utf-8"));
    /// assert_eq!(res.get("etag"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// Adds `field` to `Vary` unless it is already listed (any case).
    ///
    /// ```
    /// use lath::Response;
    /// let res = Response::text("x").vary("Accept").vary("accept").vary("Origin");
    /// assert_eq!(res.get("vary"), Some("Accept, Origin"));
    /// ```
    pub fn vary(mut self, field: &str) -> Response {
        if self.headers.has_token("vary", field) || self.headers.has_token("vary", "*") {
            return self;
        }
        let value = match self.headers.get_str("vary") {
            Some(existing) if !existing.trim().is_empty() => format!("{existing}, {field}"),
            _ => field.to_owned(),
        };
        self.headers.insert("Vary", value);
        self
    }

    /// Replaces the status.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::text("made").with_status(Status::CREATED) });
    /// assert_eq!(Client::new(app).post("/").send_blocking().unwrap().status.code(), 201);
    /// ```
    pub fn with_status(mut self, status: Status) -> Response {
        self.status = status;
        self
    }

    /// Adds a header field.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Response::text("hi").with_header("Cache-Control", "no-store") });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("cache-control"), Some("no-store"));
    /// ```
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Adds a header field checked when it was made, so writing the
    /// response does not check it again.
    ///
    /// ```
    /// use lath::codec::Field;
    /// use lath::prelude::*;
    /// const NO_STORE: Field = Field::new("Cache-Control", "no-store");
    /// let app = handler(|_req: Request| async { Response::text("hi").with_field(NO_STORE) });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("cache-control"), Some("no-store"));
    /// ```
    pub fn with_field(mut self, field: Field) -> Response {
        self.headers.append_field(field);
        self
    }

    /// Replaces the body.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     let pieces = ["streamed ", "pieces"].map(|p| Ok(bytes::Bytes::from(p)));
    ///     Response::new(Status::OK).with_body(Body::stream(futures::stream::iter(pieces)))
    /// });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    /// assert_eq!(res.text(), "streamed pieces");
    /// ```
    pub fn with_body(mut self, body: impl Into<Body>) -> Response {
        self.body = body.into();
        self
    }

    /// The status.
    ///
    /// ```
    /// use lath::app::Response;
    /// assert_eq!(Response::redirect("/").status().code(), 302);
    /// ```
    pub fn status(&self) -> Status {
        self.status
    }

    /// Sets the status.
    ///
    /// ```
    /// use lath::app::{Response, Status};
    /// let mut res = Response::text("x");
    /// res.set_status(Status::ACCEPTED);
    /// assert_eq!(res.status().code(), 202);
    /// ```
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
    }

    /// The header fields.
    ///
    /// ```
    /// use lath::app::Response;
    /// let res = Response::text("x").append("X-A", "1").append("X-A", "2");
    /// assert_eq!(res.headers().get_all("x-a").count(), 2);
    /// ```
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, to change them.
    ///
    /// ```
    /// use lath::prelude::*;
    /// // A layer that stamps every response on its way out.
    /// let app = handler(|_req: Request| async { "hi" }).wrap(from_fn(|req, respond: Respond, next| async move {
    ///     let respond = respond.map(|mut res| {
    ///         res.headers_mut().insert("X-Frame-Options", "DENY");
    ///         res
    ///     });
    ///     next.call(req, respond).await
    /// }));
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("x-frame-options"), Some("DENY"));
    /// ```
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    ///
    /// ```
    /// use lath::app::{BodySize, Response};
    /// assert_eq!(Response::text("four").body().size(), BodySize::Known(4));
    /// ```
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, to change or read it.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::Response;
    /// # futures::executor::block_on(async {
    /// let mut res = Response::text("hello");
    /// let piece = res.body_mut().next().await.unwrap().unwrap();
    /// assert_eq!(&piece[..], b"hello");
    /// # });
    /// ```
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body out, leaving an empty one.
    ///
    /// ```
    /// use lath::app::{Body, Response};
    /// let mut res = Response::text("hello");
    /// let body = res.take_body();
    /// assert_eq!(body.size(), lath::app::BodySize::Known(5));
    /// assert!(res.body().is_empty());
    /// let res = res.with_body(Body::full("HELLO"));
    /// assert_eq!(res.body().size(), lath::app::BodySize::Known(5));
    /// ```
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// The value of type `T` an app or layer attached for layers further
    /// out (what a response describes, say), if any.
    ///
    /// ```
    /// use lath::app::Response;
    /// #[derive(Debug, PartialEq)]
    /// struct Cached(bool);
    /// let res = Response::text("hi").with_extension(Cached(true));
    /// assert_eq!(res.extension::<Cached>(), Some(&Cached(true)));
    /// assert_eq!(Response::text("hi").extension::<Cached>(), None);
    /// ```
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.as_ref().and_then(|e| e.get::<T>())
    }

    /// Typed values attached to this response, to add some; they are
    /// never sent.
    ///
    /// ```
    /// use lath::prelude::*;
    /// // An app tells a layer further out how it made the answer.
    /// struct FromCache;
    /// let app = handler(|_req: Request| async {
    ///     let mut res = Response::text("cached page");
    ///     res.extensions_mut().insert(FromCache);
    ///     res
    /// })
    /// .wrap(from_fn(|req, respond: Respond, next| async move {
    ///     let respond = respond.map(|res| match res.extension::<FromCache>() {
    ///         Some(_) => res.with_header("X-Cache", "hit"),
    ///         None => res,
    ///     });
    ///     next.call(req, respond).await
    /// }));
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("x-cache"), Some("hit"));
    /// ```
    pub fn extensions_mut(&mut self) -> &mut crate::Extensions {
        self.extensions.get_or_insert_with(Default::default)
    }

    /// This response with `value` attached (see
    /// [`extension`](Response::extension)).
    ///
    /// ```
    /// use lath::app::Response;
    /// let res = Response::text("hi").with_extension(7u32);
    /// assert_eq!(res.extension::<u32>(), Some(&7));
    /// ```
    pub fn with_extension<T: Send + Sync + 'static>(mut self, value: T) -> Response {
        self.extensions_mut().insert(value);
        self
    }

    pub(crate) fn set_error(&mut self, error: HttpError) {
        self.error = Some(Box::new(error));
    }

    /// The error this response was made from, if any: error layers render
    /// it again for the client (as JSON, say).
    ///
    /// ```
    /// use lath::app::{HttpError, Response};
    /// let res = Response::from(HttpError::not_found());
    /// assert_eq!(res.error().map(|e| e.status().code()), Some(404));
    /// assert!(Response::text("fine").error().is_none());
    /// ```
    pub fn error(&self) -> Option<&HttpError> {
        self.error.as_deref()
    }

    /// Takes what runs after a `101`, if this response switches protocols.
    ///
    /// ```
    /// use lath::app::Response;
    /// let mut res = Response::upgrade("echo", |_io| async {});
    /// assert!(res.take_on_upgrade().is_some());
    /// assert!(Response::text("x").take_on_upgrade().is_none());
    /// ```
    pub fn take_on_upgrade(&mut self) -> Option<OnUpgrade> {
        self.on_upgrade.take()
    }

    /// The parts a server writes out: no part is left behind to drop.
    /// What the response carries for layers (its error, extensions) goes.
    ///
    /// ```
    /// use lath::app::Response;
    /// let parts = Response::text("hi").with_header("X-A", "1").into_parts();
    /// assert_eq!(parts.status.code(), 200);
    /// assert_eq!(parts.headers.get("x-a"), Some(&b"1"[..]));
    /// assert_eq!(parts.body.size(), lath::app::BodySize::Known(2));
    /// assert!(parts.on_upgrade.is_none());
    /// ```
    pub fn into_parts(self) -> ResponseParts {
        ResponseParts {
            status: self.status,
            headers: self.headers,
            body: self.body,
            on_upgrade: self.on_upgrade,
        }
    }
}

/// A [`Response`] taken apart by [`Response::into_parts`], for a server
/// writing it out.
///
/// ```
/// use lath::app::{Response, ResponseParts};
/// let ResponseParts { status, .. } = Response::text("hi").into_parts();
/// assert_eq!(status.code(), 200);
/// ```
pub struct ResponseParts {
    /// The status.
    pub status: Status,
    /// The header fields.
    pub headers: Headers,
    /// The body.
    pub body: Body,
    /// What takes the connection over once a `101` went out.
    pub on_upgrade: Option<OnUpgrade>,
}

impl fmt::Debug for ResponseParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseParts")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body.size())
            .field("on_upgrade", &self.on_upgrade.is_some())
            .finish()
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("upgrade", &self.on_upgrade.is_some())
            .finish()
    }
}

impl From<Status> for Response {
    fn from(status: Status) -> Response {
        Response::status_page(status)
    }
}

impl From<&'static str> for Response {
    fn from(text: &'static str) -> Response {
        Response::with_type(TEXT, Body::from(text))
    }
}

impl From<String> for Response {
    fn from(text: String) -> Response {
        Response::text(text)
    }
}

impl From<&'static [u8]> for Response {
    fn from(bytes: &'static [u8]) -> Response {
        Response::bytes(bytes)
    }
}

impl From<Vec<u8>> for Response {
    fn from(bytes: Vec<u8>) -> Response {
        Response::bytes(bytes)
    }
}

impl From<Bytes> for Response {
    fn from(bytes: Bytes) -> Response {
        Response::bytes(bytes)
    }
}

impl From<()> for Response {
    /// `204 No Content`.
    fn from(_: ()) -> Response {
        Response::new(Status::NO_CONTENT)
    }
}

impl<T: Into<Response>> From<(Status, T)> for Response {
    fn from((status, body): (Status, T)) -> Response {
        body.into().with_status(status)
    }
}

/// A handler's `Result`: either side becomes the response, so an error
/// type of the app's own works as well as [`HttpError`] once it converts
/// into a `Response`.
impl<T: Into<Response>, E: Into<Response>> From<Result<T, E>> for Response {
    fn from(result: Result<T, E>) -> Response {
        match result {
            Ok(value) => value.into(),
            Err(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let res = Response::redirect("/there");
        assert_eq!(
            (res.status().code(), res.get("location")),
            (302, Some("/there"))
        );
        assert_eq!(
            Response::redirect_with(Status::MOVED_PERMANENTLY, "/x")
                .status()
                .code(),
            301
        );
        assert_eq!(
            Response::redirect_with(Status::OK, "/x").status().code(),
            302
        );
        assert_eq!(Response::raw("x").get("content-type"), None);
        assert_eq!(
            Response::raw("x").type_("json").get("content-type"),
            Some("application/json")
        );
        assert_eq!(
            Response::raw("x").type_(".png").get("content-type"),
            Some("image/png")
        );
        assert_eq!(
            Response::raw("x").type_("text/csv").get("content-type"),
            Some("text/csv")
        );
        assert_eq!(Response::send_status(404).status().code(), 404);
        let teapot = Response::send_status(418);
        assert_eq!(teapot.status().reason(), "I'm a Teapot");
        assert_eq!(teapot.body().size(), lath_codec::BodySize::Known(12));
        let unnamed = Response::send_status(599);
        assert_eq!(unnamed.body().size(), lath_codec::BodySize::Known(3));
        let res = Response::text("x")
            .set("X-A", "1")
            .set("x-a", "2")
            .append("X-B", "1")
            .append("X-B", "2");
        assert_eq!(res.headers().get_all("x-a").count(), 1);
        assert_eq!(res.get("x-a"), Some("2"));
        assert_eq!(res.headers().get_all("x-b").count(), 2);
    }

    #[test]
    fn vary_appends_without_duplicates() {
        let res = Response::text("x")
            .vary("Accept")
            .vary("accept")
            .vary("Origin")
            .vary("ACCEPT");
        assert_eq!(res.get("vary"), Some("Accept, Origin"));
        let star = Response::text("x").vary("*").vary("Accept");
        assert_eq!(star.get("vary"), Some("*"));
    }
}

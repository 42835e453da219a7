//! Errors rendered for the client that asked.

use std::sync::Arc;

use bytes::Bytes;
use lath_app::recycle::KeptArcs;
use lath_app::{App, HttpError, Method, Request, Respond, Response};

use crate::slot::{mapped, Ways};

use crate::request::negotiate;

/// How the client wants errors: by its `Accept`.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{errors, ErrorFormat};
/// let app = errors(handler(|_req: Request| async { Err::<(), _>(HttpError::not_found()) })).always(ErrorFormat::Json);
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(res.json::<serde_json::Value>().unwrap()["error"]["status"], 404);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `application/json`.
    Json,
    /// `text/plain`.
    Text,
    /// `text/html`: a small page, or the site's own through
    /// [`Templates::render_error`](crate::Templates::render_error).
    Html,
}

type Renderer = Arc<dyn Fn(&HttpError, ErrorFormat) -> Response + Send + Sync>;

/// Renders every [`HttpError`] the app answers with by the client's
/// `Accept`: `{"error":{"status":404,"message":"Not Found"}}` when it
/// prefers JSON, plain text otherwise. 5xx messages become the generic
/// reason phrase unless debug mode is on; private details are emitted as
/// `tracing` events (`error` for 5xx, `info` otherwise), never sent. Headers of the error response (such as `Allow`) are
/// kept.
///
/// ```
/// use lath::app::{handler, HttpError, Request};
/// use lath::layers::errors;
/// use lath::net::Client;
///
/// let app = errors(handler(|_req: Request| async { Err::<&str, _>(HttpError::not_found()) }));
/// let res = Client::new(app).get("/").header("Accept", "application/json").send_blocking().unwrap();
/// assert_eq!(res.text(), r#"{"error":{"message":"Not Found","status":404}}"#);
/// ```
pub fn errors<A: App>(app: A) -> Errors<A> {
    Errors {
        app,
        debug: false,
        format: None,
        render: Arc::new(render_error),
    }
}

/// The app returned by [`errors`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{errors, Errors};
/// let app: Errors<_> = handler(|_req: Request| async { Err::<(), _>(HttpError::forbidden()) }).wrap(errors);
/// let client = Client::new(app);
/// let text = client.get("/").send_blocking().unwrap();
/// assert_eq!((text.status.code(), text.text().as_str()), (403, "Forbidden"));
/// let json = client.get("/").header("Accept", "application/json").send_blocking().unwrap();
/// assert_eq!(json.header("content-type"), Some("application/json"));
/// ```
pub struct Errors<A> {
    app: A,
    debug: bool,
    /// Always this format, whatever the client's `Accept`.
    format: Option<ErrorFormat>,
    render: Renderer,
}

impl<A> std::fmt::Debug for Errors<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Errors")
            .field("debug", &self.debug)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl<A> Errors<A> {
    /// In debug mode 5xx messages are sent as the app wrote them.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::errors;
    /// let failing = || handler(|_req: Request| async { Err::<(), _>(HttpError::internal().with_message("db pool exhausted")) });
    /// let quiet = Client::new(errors(failing()));
    /// assert_eq!(quiet.get("/").send_blocking().unwrap().text(), "Internal Server Error");
    /// let loud = Client::new(errors(failing()).debug(true));
    /// assert_eq!(loud.get("/").send_blocking().unwrap().text(), "db pool exhausted");
    /// ```
    pub fn debug(mut self, on: bool) -> Errors<A> {
        self.debug = on;
        self
    }

    /// Answers every error in `format`, whatever the client's `Accept`:
    /// a JSON API gives curl (which sends `Accept: */*`) JSON errors too.
    ///
    /// ```
    /// use lath::app::{handler, HttpError, Request};
    /// use lath::layers::{errors, ErrorFormat};
    /// use lath::net::Client;
    ///
    /// let app = handler(|_req: Request| async { Err::<&str, _>(HttpError::not_found()) });
    /// let api = errors(app).always(ErrorFormat::Json);
    /// let res = Client::new(api).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("application/json"));
    /// assert_eq!(res.status.code(), 404);
    /// ```
    pub fn always(mut self, format: ErrorFormat) -> Errors<A> {
        self.format = Some(format);
        self
    }

    /// Replaces the renderer (kequapp's errorHandler). Whatever status
    /// the rendered response has, the client gets the error's own unless
    /// the renderer chose another error status (4xx or 5xx): an error
    /// never goes out as a success.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::errors;
    /// let app = errors(handler(|_req: Request| async { Err::<(), _>(HttpError::not_found()) }))
    ///     .render(|error, _format| Response::html(format!("<h1>{}</h1>", error.message())));
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.text().as_str()), (404, "<h1>Not Found</h1>")); // the status is kept
    /// ```
    pub fn render(
        mut self,
        f: impl Fn(&HttpError, ErrorFormat) -> Response + Send + Sync + 'static,
    ) -> Errors<A> {
        self.render = Arc::new(f);
        self
    }
}

/// The [`errors`] layer's own rendering of `error` in `format`, for a
/// [custom renderer](Errors::render) to fall back on: JSON
/// `{"error":{"status":…,"message":…}}` (or the error's own JSON body),
/// the message as plain text, or a small HTML page with the message
/// escaped.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{render_error, ErrorFormat};
/// let page = render_error(&HttpError::bad_request("<b>no</b>"), ErrorFormat::Html);
/// assert_eq!(page.status().code(), 400);
/// assert_eq!(page.headers().get_str("content-type"), Some("text/html; charset=utf-8"));
/// ```
pub fn render_error(error: &HttpError, format: ErrorFormat) -> Response {
    let res = match (format, error.json()) {
        (ErrorFormat::Json, Some(body)) => crate::json(body),
        (ErrorFormat::Json, None) => crate::json(&serde_json::json!({
            "error": { "status": error.status().code(), "message": error.message() }
        })),
        (ErrorFormat::Text, _) => Response::text(error.message().to_owned()),
        (ErrorFormat::Html, _) => {
            let status = error.status();
            let heading = format!("{} {}", status.code(), escape_html(status.reason()));
            let mut page = format!(
                "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
                 <title>{heading}</title>\n<h1>{heading}</h1>\n"
            );
            if error.message() != status.reason() {
                page.push_str(&format!("<p>{}</p>\n", escape_html(error.message())));
            }
            Response::html(page)
        }
    };
    res.with_status(error.status())
}

/// Copies `from`'s header fields to `to`, all but those that describe
/// `from`'s body (`Content-Type`, `Content-Length`): a response rendered
/// anew keeps what its handler set (`Allow`, cookies, caching).
pub(crate) fn carry_fields(from: &Response, to: &mut Response) {
    for (name, value) in from.headers() {
        let framing = ["content-type", "content-length"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n));
        if !framing {
            to.headers_mut().append(
                bytes::Bytes::copy_from_slice(name.as_bytes()),
                bytes::Bytes::copy_from_slice(value),
            );
        }
    }
}

/// `text` with the characters that mean something in HTML escaped.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl<A: App> App for Errors<A> {
    async fn call(&self, req: Request, respond: Respond) {
        // Cheap handles only: the work happens if an error comes back.
        let asked = Asked {
            accept: req.headers().get_bytes("accept"),
            method: req.method().clone(),
            target: req.head().target.clone(),
            debug: self.debug,
            always: self.format,
            render: self.render.clone(),
        };
        let (respond, _held) = mapped(&WAYS, respond, asked, |asked, res| asked.rendered(res));
        self.app.call(req, respond).await
    }
}

thread_local! {
    static WAYS: Ways<Asked> = const { KeptArcs::new() };
}

/// What rendering an error for this request needs.
struct Asked {
    accept: Option<Bytes>,
    method: Method,
    target: Bytes,
    debug: bool,
    always: Option<ErrorFormat>,
    render: Renderer,
}

impl Asked {
    /// `res` as this client should see it: an error rendered in its
    /// format, anything else untouched.
    fn rendered(&self, res: Response) -> Response {
        let Some(error) = res.error() else { return res };
        let accept: Vec<&str> = self
            .accept
            .iter()
            .filter_map(|a| std::str::from_utf8(a).ok())
            .collect();
        let format = self
            .always
            .unwrap_or(match negotiate(&accept, &["text", "json", "html"]) {
                Some("json") => ErrorFormat::Json,
                Some("html") => ErrorFormat::Html,
                _ => ErrorFormat::Text,
            });
        if let Some(detail) = error.detail() {
            let target = String::from_utf8_lossy(&self.target);
            let (status, message) = (error.status().code(), error.message());
            if status >= 500 {
                tracing::error!(method = %self.method, %target, status, message, detail, "error answered");
            } else {
                tracing::info!(method = %self.method, %target, status, message, detail, "error answered");
            }
        }
        let shown = if error.status().code() >= 500 && !self.debug {
            HttpError::from_status(error.status())
        } else {
            let shown = HttpError::new(error.status(), error.message().to_owned());
            match error.json() {
                Some(json) => shown.with_json(json.clone()),
                None => shown,
            }
        };
        let mut rendered = (self.render)(&shown, format);
        if rendered.status().code() < 400 {
            rendered = rendered.with_status(error.status());
        }
        carry_fields(&res, &mut rendered);
        if self.always.is_none() {
            // The format followed the request's `Accept`.
            rendered.headers_mut().append("Vary", "Accept");
        }
        rendered
    }
}

/// A value sent as JSON: handlers may return `Json(value)`.
///
/// ```
/// use lath::app::{handler, Request};
/// use lath::layers::Json;
/// let app = handler(|req: Request| async move { Json(serde_json::json!({"path": req.path()})) });
/// # let _ = app;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> From<Json<T>> for Response {
    fn from(Json(value): Json<T>) -> Response {
        crate::json(&value)
    }
}

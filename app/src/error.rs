//! Errors as values: a status and a public message.

use std::borrow::Cow;
use std::fmt;

use lath_codec::Status;

use crate::Response;

/// An error an app answers with: a status (400 or above) and a message the
/// client may see. An optional private detail is for logs, never sent.
///
/// ```
/// use lath::app::{HttpError, Response};
/// let e = HttpError::not_found().with_detail("no row 42 in users");
/// let res = Response::from(e);
/// assert_eq!(res.status().code(), 404);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: Status,
    message: Cow<'static, str>,
    detail: Option<String>,
    #[cfg(feature = "json")]
    json: Option<Box<serde_json::Value>>,
}

impl HttpError {
    /// An error with this status and public message. A status below 400 is
    /// raised to 500: errors are never successes.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async {
    ///     Err::<String, _>(HttpError::new(Status::CONFLICT, "that name is taken"))
    /// });
    /// let res = Client::new(app).post("/users").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.text().as_str()), (409, "that name is taken"));
    /// assert_eq!(HttpError::new(Status::OK, "x").status().code(), 500); // never a success
    /// ```
    pub fn new(status: Status, message: impl Into<Cow<'static, str>>) -> HttpError {
        let status = if status.code() >= 400 {
            status
        } else {
            Status::INTERNAL_SERVER_ERROR
        };
        HttpError {
            status,
            message: message.into(),
            detail: None,
            #[cfg(feature = "json")]
            json: None,
        }
    }

    /// An error whose message is the status's reason phrase.
    ///
    /// ```
    /// use lath::app::{HttpError, Status};
    /// let e = HttpError::from_status(Status::IM_A_TEAPOT);
    /// assert_eq!((e.status().code(), e.message()), (418, "I'm a Teapot"));
    /// ```
    pub fn from_status(status: Status) -> HttpError {
        HttpError::new(status, status.reason())
    }

    /// An error with any code from 400 to 999; other codes become 500.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// assert_eq!(HttpError::code(451, "blocked here").status().code(), 451);
    /// assert_eq!(HttpError::code(302, "not an error").status().code(), 500);
    /// ```
    pub fn code(code: u16, message: impl Into<Cow<'static, str>>) -> HttpError {
        let status = Status::new(code).unwrap_or(Status::INTERNAL_SERVER_ERROR);
        HttpError::new(status, message)
    }

    /// 400 with this message.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|req: Request| async move {
    ///     let n: u32 = req.query_string().unwrap_or("").parse().map_err(|_| HttpError::bad_request("give a number"))?;
    ///     Ok::<_, HttpError>((n * 2).to_string())
    /// });
    /// let client = Client::new(app);
    /// assert_eq!(client.get("/?21").send_blocking().unwrap().text(), "42");
    /// let res = client.get("/?x").send_blocking().unwrap();
    /// assert_eq!((res.status.code(), res.text().as_str()), (400, "give a number"));
    /// ```
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(Status::BAD_REQUEST, message)
    }

    /// Replaces the public message.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// let e = HttpError::not_found().with_message("no such user");
    /// assert_eq!((e.status().code(), e.message()), (404, "no such user"));
    /// ```
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> HttpError {
        self.message = message.into();
        self
    }

    /// 413 with a message naming the limit.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// let e = HttpError::too_large(1024);
    /// assert_eq!(e.status().code(), 413);
    /// assert!(e.message().contains("1024"));
    /// ```
    pub fn too_large(limit: u64) -> HttpError {
        HttpError::new(
            Status::CONTENT_TOO_LARGE,
            format!("body larger than {limit} bytes"),
        )
    }

    /// 415 with this message.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// let e = HttpError::unsupported_media_type("send JSON");
    /// assert_eq!((e.status().code(), e.message()), (415, "send JSON"));
    /// ```
    pub fn unsupported_media_type(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(Status::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 500 Internal Server Error.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { Err::<(), _>(HttpError::internal().with_detail("db down")) });
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 500);
    /// assert!(!res.text().contains("db down")); // details stay private
    /// ```
    pub fn internal() -> HttpError {
        HttpError::from_status(Status::INTERNAL_SERVER_ERROR)
    }
}

/// One constructor per standard 4xx and 5xx status, with the reason phrase
/// as the message (replace it with [`HttpError::with_message`]).
macro_rules! by_status {
    ($($name:ident => $status:ident,)*) => {
        impl HttpError {
            $(
                #[doc = concat!(
                    "`", stringify!($status), "`, its reason phrase as the message.\n\n",
                    "```\n",
                    "use lath::prelude::*;\n",
                    "let app = handler(|_req: Request| async { Err::<(), _>(HttpError::", stringify!($name), "()) });\n",
                    "let res = Client::new(app).get(\"/\").send_blocking().unwrap();\n",
                    "assert_eq!(res.status, Status::", stringify!($status), ");\n",
                    "assert_eq!(res.text(), Status::", stringify!($status), ".reason());\n",
                    "```",
                )]
                pub fn $name() -> HttpError {
                    HttpError::from_status(Status::$status)
                }
            )*
        }
    };
}

by_status! {
    unauthorized => UNAUTHORIZED,
    payment_required => PAYMENT_REQUIRED,
    forbidden => FORBIDDEN,
    not_found => NOT_FOUND,
    method_not_allowed => METHOD_NOT_ALLOWED,
    not_acceptable => NOT_ACCEPTABLE,
    proxy_authentication_required => PROXY_AUTHENTICATION_REQUIRED,
    request_timeout => REQUEST_TIMEOUT,
    conflict => CONFLICT,
    gone => GONE,
    length_required => LENGTH_REQUIRED,
    precondition_failed => PRECONDITION_FAILED,
    content_too_large => CONTENT_TOO_LARGE,
    uri_too_long => URI_TOO_LONG,
    range_not_satisfiable => RANGE_NOT_SATISFIABLE,
    expectation_failed => EXPECTATION_FAILED,
    misdirected_request => MISDIRECTED_REQUEST,
    unprocessable_content => UNPROCESSABLE_CONTENT,
    upgrade_required => UPGRADE_REQUIRED,
    precondition_required => PRECONDITION_REQUIRED,
    too_many_requests => TOO_MANY_REQUESTS,
    request_header_fields_too_large => REQUEST_HEADER_FIELDS_TOO_LARGE,
    not_implemented => NOT_IMPLEMENTED,
    bad_gateway => BAD_GATEWAY,
    service_unavailable => SERVICE_UNAVAILABLE,
    gateway_timeout => GATEWAY_TIMEOUT,
    http_version_not_supported => HTTP_VERSION_NOT_SUPPORTED,
}

impl HttpError {
    /// Adds a private detail for logs; it is never sent to the client.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// let e = HttpError::forbidden().with_detail("user 7 is not in group admin");
    /// assert_eq!(e.message(), "Forbidden");
    /// assert_eq!(e.detail(), Some("user 7 is not in group admin"));
    /// ```
    pub fn with_detail(mut self, detail: impl Into<String>) -> HttpError {
        self.detail = Some(detail.into());
        self
    }

    /// The status.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// assert_eq!(HttpError::gone().status().code(), 410);
    /// ```
    pub fn status(&self) -> Status {
        self.status
    }

    /// The public message.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// assert_eq!(HttpError::not_found().message(), "Not Found");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The private detail, if any.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// assert_eq!(HttpError::not_found().detail(), None);
    /// assert_eq!(HttpError::not_found().with_detail("row 9").detail(), Some("row 9"));
    /// ```
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// A JSON body for this error, sent as it is (with
    /// `Content-Type: application/json`) in place of the message: a
    /// structured answer, such as the fields a 422 found wrong, travels as
    /// an error (kequapp's `Ex.*(message, extra)`). The `errors` layer sends
    /// it to clients that take JSON and the message to the others.
    ///
    /// ```
    /// use lath::app::{HttpError, Response};
    /// let e = HttpError::unprocessable_content()
    ///     .with_json(serde_json::json!({"errors": [{"field": "age", "problem": "not a number"}]}));
    /// let res = Response::from(e);
    /// assert_eq!(res.status().code(), 422);
    /// assert_eq!(res.headers().get_str("content-type"), Some("application/json"));
    /// ```
    #[cfg(feature = "json")]
    pub fn with_json(mut self, body: serde_json::Value) -> HttpError {
        self.json = Some(Box::new(body));
        self
    }

    /// The JSON body given with [`HttpError::with_json`], if any.
    ///
    /// ```
    /// use lath::app::HttpError;
    /// let e = HttpError::unprocessable_content().with_json(serde_json::json!({"errors": ["age"]}));
    /// assert_eq!(e.json().unwrap()["errors"][0], "age");
    /// assert!(HttpError::not_found().json().is_none());
    /// ```
    #[cfg(feature = "json")]
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json.as_deref()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.code(), self.message)
    }
}

/// Any error becomes a 500 whose message is the reason phrase and whose
/// detail (for logs, never sent) is the error's text, so `?` works on any
/// error in a handler returning `Result<T, HttpError>`. Errors that carry
/// a status of their own keep it: a [`BodyError`](crate::BodyError) that
/// says 413 or 408 stays one.
///
/// This is why `HttpError` is not itself a `std::error::Error` (as
/// `anyhow::Error` is not): it converts from every error instead.
///
/// ```
/// use lath::app::HttpError;
/// fn load() -> Result<String, HttpError> {
///     let text = std::fs::read_to_string("/no/such/file")?;
///     Ok(text)
/// }
/// let e = load().unwrap_err();
/// assert_eq!(e.status().code(), 500);
/// assert_eq!(e.message(), "Internal Server Error");
/// assert!(e.detail().unwrap().contains("No such file"));
/// ```
impl<E: std::error::Error + Send + Sync + 'static> From<E> for HttpError {
    fn from(error: E) -> HttpError {
        let any: &dyn std::any::Any = &error;
        let body = any.downcast_ref::<crate::BodyError>();
        let protocol = any.downcast_ref::<lath_codec::ProtocolError>();
        let carried = match (body, protocol) {
            (Some(e), _) => e.status().map(|s| (s, e.message().to_owned())),
            (_, Some(e)) => Some((e.status(), e.reason().to_owned())),
            _ => None,
        };
        match carried {
            Some((status, message)) => HttpError::new(status, message),
            None => HttpError::internal(),
        }
        .with_detail(error.to_string())
    }
}

impl From<HttpError> for Response {
    /// The status with the message as a plain-text body (or the error's
    /// JSON body, when it has one).
    fn from(e: HttpError) -> Response {
        #[cfg(feature = "json")]
        let body = e.json.as_ref().map(|json| {
            Response::typed("application/json", json.to_string()).with_status(e.status)
        });
        #[cfg(not(feature = "json"))]
        let body: Option<Response> = None;
        let mut res =
            body.unwrap_or_else(|| Response::text(e.message.to_string()).with_status(e.status));
        res.set_error(e);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_error_converts_keeping_a_status_it_carries() {
        let io = HttpError::from(std::io::Error::other("disk on fire"));
        assert_eq!(io.status(), Status::INTERNAL_SERVER_ERROR);
        assert_eq!(io.message(), "Internal Server Error", "no detail leaks");
        assert_eq!(io.detail(), Some("disk on fire"));
        let big = HttpError::from(crate::BodyError::too_large(10));
        assert_eq!(big.status(), Status::CONTENT_TOO_LARGE);
        let bad = lath_codec::ProtocolError::new(Status::BAD_REQUEST, "bad framing");
        let bad = HttpError::from(bad);
        assert_eq!(bad.status(), Status::BAD_REQUEST);
        assert_eq!(bad.message(), "bad framing");
    }

    #[test]
    fn constructors_statuses_and_messages() {
        assert_eq!(HttpError::unauthorized().status().code(), 401);
        assert_eq!(
            HttpError::too_many_requests().message(),
            "Too Many Requests"
        );
        assert_eq!(HttpError::gateway_timeout().status().code(), 504);
        assert_eq!(HttpError::code(499, "client closed").status().code(), 499);
        assert_eq!(HttpError::code(200, "not an error").status().code(), 500);
        assert_eq!(HttpError::code(42, "nonsense").status().code(), 500);
        let e = HttpError::forbidden()
            .with_message("no")
            .with_detail("user 7 lacks admin");
        assert_eq!(
            (e.message(), e.detail()),
            ("no", Some("user 7 lacks admin"))
        );
        let res = Response::from(e);
        assert_eq!(res.status().code(), 403);
    }
}

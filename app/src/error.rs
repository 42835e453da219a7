//! Errors as values: a status and a public message.

use std::borrow::Cow;
use std::fmt;

use lath_codec::Status;

use crate::Response;

/// An error an app answers with: a status (400 or above) and a message the
/// client may see. An optional private detail is for logs, never sent.
///
/// ```
/// use lath_app::{HttpError, Response};
/// let e = HttpError::not_found().with_detail("no row 42 in users");
/// let res = Response::from(e);
/// assert_eq!(res.status().code(), 404);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: Status,
    message: Cow<'static, str>,
    detail: Option<String>,
}

impl HttpError {
    /// An error with this status and public message. A status below 400 is
    /// raised to 500: errors are never successes.
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
        }
    }

    /// An error whose message is the status's reason phrase.
    pub fn from_status(status: Status) -> HttpError {
        HttpError::new(status, status.reason())
    }

    /// 400 with this message.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(Status::BAD_REQUEST, message)
    }

    /// 404 Not Found.
    pub fn not_found() -> HttpError {
        HttpError::from_status(Status::NOT_FOUND)
    }

    /// 413 with a message naming the limit.
    pub fn too_large(limit: u64) -> HttpError {
        HttpError::new(
            Status::CONTENT_TOO_LARGE,
            format!("body larger than {limit} bytes"),
        )
    }

    /// 415 with this message.
    pub fn unsupported_media_type(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(Status::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 500 Internal Server Error.
    pub fn internal() -> HttpError {
        HttpError::from_status(Status::INTERNAL_SERVER_ERROR)
    }

    /// Adds a private detail for logs; it is never sent to the client.
    pub fn with_detail(mut self, detail: impl Into<String>) -> HttpError {
        self.detail = Some(detail.into());
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The public message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The private detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.code(), self.message)
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for Response {
    /// The status with the message as a plain-text body.
    fn from(e: HttpError) -> Response {
        Response::text(e.message.into_owned()).with_status(e.status)
    }
}

//! The two kinds of error: a peer that broke the protocol, and a caller that
//! misused the codec.

use std::fmt;

use crate::Status;

/// The peer broke the protocol. Carries the status to answer with and a
/// short reason naming the rule; the connection must close after it
/// (RFC 9112 §6.3, §11.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError {
    status: Status,
    reason: &'static str,
}

impl ProtocolError {
    /// An error to answer with `status` and a short lowercase `reason`
    /// (drivers use it for their own verdicts, such as a 408 on a head
    /// that took too long).
    pub const fn new(status: Status, reason: &'static str) -> ProtocolError {
        ProtocolError { status, reason }
    }

    pub(crate) const fn bad_request(reason: &'static str) -> ProtocolError {
        ProtocolError::new(Status::BAD_REQUEST, reason)
    }

    /// The status a server answers with: 400, 413, 414, 417, 431, 501 or
    /// 505. A client role error is always 400-like: its status only says the
    /// response was malformed.
    pub fn status(&self) -> Status {
        self.status
    }

    /// A short lowercase reason naming the broken rule, such as
    /// `"content-length and transfer-encoding both present"`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Always true: after a protocol error the connection cannot be trusted
    /// to frame another message.
    pub fn must_close(&self) -> bool {
        true
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status.code())
    }
}

impl std::error::Error for ProtocolError {}

/// The caller misused the codec: nothing the peer did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// A response (or request) head was written when none was expected:
    /// no request to answer, or a second head for one request.
    UnexpectedHead,
    /// Body data or an end was written before a head, or after the end.
    NoMessageInProgress,
    /// More body bytes were written than the declared `Content-Length`.
    BodyTooLong {
        /// The declared length.
        declared: u64,
    },
    /// The message ended before the declared `Content-Length` was written.
    BodyTooShort {
        /// The declared length.
        declared: u64,
        /// The bytes written.
        written: u64,
    },
    /// Body bytes were written for a message that has none (HEAD, 1xx,
    /// 204, 304).
    BodyNotAllowed,
    /// A header name is not a token.
    InvalidHeaderName(String),
    /// A header value holds CR, LF, NUL or another control byte.
    InvalidHeaderValue(String),
    /// A reason phrase holds CR, LF or another control byte.
    InvalidReason,
    /// The head sets framing that contradicts itself or the declared body
    /// (both Content-Length and Transfer-Encoding, or a Content-Length other
    /// than the body's size).
    ConflictingFraming,
    /// `101 Switching Protocols` to a request that did not ask to upgrade,
    /// or to an HTTP/1.0 client.
    UnexpectedUpgrade,
    /// A request target that is empty or holds bytes not allowed there.
    InvalidTarget,
    /// The connection is closed or was handed off; nothing more may be written.
    Closed,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::UnexpectedHead => f.write_str("no message head is expected now"),
            UsageError::NoMessageInProgress => f.write_str("no message body is in progress"),
            UsageError::BodyTooLong { declared } => {
                write!(f, "body longer than its declared length of {declared}")
            }
            UsageError::BodyTooShort { declared, written } => {
                write!(
                    f,
                    "body of {written} bytes ended before its declared length of {declared}"
                )
            }
            UsageError::BodyNotAllowed => f.write_str("this message may not have a body"),
            UsageError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            UsageError::InvalidHeaderValue(n) => write!(f, "invalid value for header {n:?}"),
            UsageError::InvalidReason => f.write_str("invalid reason phrase"),
            UsageError::ConflictingFraming => f.write_str("conflicting message framing"),
            UsageError::UnexpectedUpgrade => f.write_str("unexpected 101 Switching Protocols"),
            UsageError::InvalidTarget => f.write_str("invalid request target"),
            UsageError::Closed => f.write_str("the connection is closed"),
        }
    }
}

impl std::error::Error for UsageError {}

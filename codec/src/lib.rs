//! A sans-IO HTTP/1.1 codec: bytes in, events out; heads and bodies in,
//! bytes out. No sockets, no runtime, no clock of its own.
//!
//! [`ServerConn`] parses requests and writes responses for one connection;
//! [`ClientConn`] is its mirror image. Both are strict by default: framing
//! that could be read two ways is refused with the status to answer and a
//! closed connection (RFC 9112 §6.3, §11.2), never guessed at.
//!
//! # Contents
//!
//! - Vocabulary: [`Method`], [`Status`], [`Version`], [`Headers`],
//!   [`RequestHead`], [`ResponseHead`], [`BodySize`].
//! - Roles: [`ServerConn`] with [`ServerEvent`]; [`ClientConn`] with
//!   [`ClientEvent`].
//! - Settings: [`Config`] (automatic headers) and [`Limits`].
//! - Errors: [`ProtocolError`] (the peer broke a rule) and [`UsageError`]
//!   (the caller misused the codec).
//! - [`chunk`]: the strict chunk-line parser, public for fuzzing.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status};
//!
//! let mut conn = ServerConn::default();
//! conn.feed(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
//! let mut body = Vec::new();
//! loop {
//!     match conn.next_event() {
//!         ServerEvent::Head(req) => assert_eq!(req.method, "POST"),
//!         ServerEvent::Data(piece) => body.extend_from_slice(&piece),
//!         ServerEvent::End(_) => break,
//!         other => panic!("{other:?}"),
//!     }
//! }
//! let mut out = Vec::new();
//! conn.write_head(&ResponseHead::new(Status::OK), BodySize::Known(5), SystemTime::now(), &mut out)
//!     .unwrap();
//! conn.write_data(&body, &mut out).unwrap();
//! conn.write_end(None, &mut out).unwrap();
//! assert!(out.ends_with(b"hello"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

pub mod chunk;
mod client;
mod config;
mod decode;
mod encode;
mod error;
mod fields;
mod framing;
mod grammar;
mod head;
mod headers;
mod method;
pub mod recycle;
mod request;
mod response;
mod server;
mod status;
mod version;

pub use client::{ClientConn, Event as ClientEvent};
pub use config::{Config, Limits};
pub use error::{ProtocolError, UsageError};
pub use head::{BodySize, RequestHead, ResponseHead};
pub use headers::{Field, Headers, Iter as HeaderIter};
pub use method::{InvalidMethod, Method};
pub use server::{Event as ServerEvent, HeadWritten, ServerConn};
pub use status::Status;
pub use version::Version;

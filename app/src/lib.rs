//! The lath app protocol.
//!
//! An app is a plain `async fn(Request, Respond)`: it reads the request and
//! sends one response through the one-shot [`Respond`]. A layer is a
//! function that takes an app and returns an app — a logger, for one, wraps
//! `respond` to see the status on the way out. Nothing here knows sockets
//! or runtimes; `lath-net` drives apps over connections.
//!
//! # Contents
//!
//! - [`App`], [`AppExt::wrap`], [`handler`], [`from_fn`]: apps and
//!   layering; [`SharedApp`]: any app behind one type;
//!   [`FutureSlot`]: memory a driver reuses for each request's future.
//! - [`Request`], [`Response`], [`Body`]: the messages.
//! - [`Respond`]: the way out ([`ResponseSlot`] for drivers that reuse
//!   one per connection); [`HttpError`]: errors as values.
//! - [`Extensions`]: typed values layers attach to requests.
//! - [`Upgraded`]: the raw connection after `101 Switching Protocols`.
//!
//! ```
//! use lath::app::{App, Request, Respond, Response};
//! async fn hello(req: Request, respond: Respond) {
//!     respond.send(Response::text(format!("Hello from {}", req.path())));
//! }
//! # fn check(_: impl App) {}
//! # check(hello);
//! ```

// One module places futures in reused memory (`slot.rs`); nothing else
// may use `unsafe`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod app;
mod body;
mod error;
mod extensions;
#[cfg(feature = "http")]
mod interop;
mod ip_filter;
mod request;
mod respond;
mod response;
mod route;
mod slot;
mod tls_info;
#[cfg(feature = "tower")]
mod tower;
mod upgrade;

pub use app::{from_fn, handler, App, AppExt, DynApp, FromFn, Handler, Layer, Next, SharedApp};
pub use body::{Body, BodyError, BodySender, BodyWatch, FileSpan, Trailers};
pub use error::HttpError;
pub use extensions::{Extensions, Params};
#[cfg(feature = "http")]
pub use interop::{HttpConvert, Unconvertible};
pub use ip_filter::{BadRange, IpFilter};
pub use request::{Request, RequestBuilder, DEFAULT_BODY_LIMIT};
pub use respond::{Forward, Respond, Responded, ResponseSlot};
pub use response::{OnUpgrade, Response, ResponseParts};
pub use route::{HeaderReads, RouteName, RouteWatch};
pub use slot::{FutureSlot, SlotFuture};
pub use tls_info::TlsInfo;
#[cfg(feature = "tower")]
pub use tower::{from_tower, FromTower, IntoService};
pub use upgrade::{Io, Upgraded};

pub use lath_codec::{recycle, BodySize, Headers, Method, Status, Version};

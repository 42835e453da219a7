//! Layers for lath apps: one module per concern, each a plain function or
//! builder from apps to an app.
//!
//! # Contents
//!
//! - [`router`]: [`Router`] — routes by method and path pattern
//!   (`/users/:id`, `/files/*path`), nested branches with their own layers,
//!   404/405/`HEAD`/`OPTIONS` handled.
//! - [`logger`]: one line per completed response (Common or combined
//!   format, plus latency).
//! - [`BodyExt`]: JSON and urlencoded bodies, typed (serde) or
//!   [`Normalize`]d, under a size limit.
//! - [`errors`]: errors rendered as JSON or text by `Accept`; [`Json`]
//!   responses from serde values.
//! - [`recover`]: panics become 500s.
//! - [`timeout`]: a time limit; the app's work is dropped when it passes.
//! - [`limit_body`]: 413 for request bodies over a size.
//! - [`state`]: shared values reachable from every request.
//! - [`RequestExt`]: query, cookies, host, client address, `accepts`, `is`;
//!   [`trusted_proxies`] for addresses behind a proxy.
//! - [`ResponseExt`] and [`Cookie`]: `Set-Cookie` with every attribute;
//!   [`json`] and [`back`] responses.
//! - [`Signer`], [`SignedCookies`]: cookies signed with HMAC-SHA256.
//! - [`basic_auth`]: HTTP Basic authentication, with the challenge a
//!   browser answers.
//! - [`csrf`]: tokens tied to each client, checked on unsafe methods.
//! - [`parts`] and [`collect_multipart`]: `multipart/form-data` uploads
//!   under limits, large files spooled to temporary files.
//! - [`cors`]: cross-origin requests, preflights answered.
//! - [`ip_filter`]: allow and deny lists of addresses and CIDR ranges
//!   (`403`).
//! - [`rate_limit`]: requests per client and time, with bursts (`429`).
//! - [`compress`]: zstd, brotli and gzip by `Accept-Encoding`, streaming.
//! - [`serve_dir`] and [`send_file`]: static files with validators,
//!   conditional requests (`304`, `412`) and ranges (`206`, `416`).
//! - [`websocket`]: WebSocket routes (RFC 6455).
//! - [`Templates`]: Jinja templates (minijinja), auto-escaped;
//!   [`View`] and [`renderers`]: one answer, HTML for browsers and JSON
//!   for the rest (kequapp's renderers).
//! - [`lint`]: every response checked for protocol mistakes, in
//!   development and tests.

//! # Features
//!
//! - `multipart` (default): [`parts`] and [`collect_multipart`], with multer.
//! - `signed` (default): [`Signer`], [`SignedCookies`] and [`csrf`], with
//!   HMAC-SHA256.
//! - `files` (default): [`serve_dir`] and [`send_file`], with mime_guess
//!   for media types and the `blocking` thread pool for file reads.
//! - `compress` (default): the `compress` layer, with async-compression.
//! - `websocket` (default): [`websocket`], with async-tungstenite.
//! - `templates` (default): [`Templates`], [`View`] and [`renderers`],
//!   with minijinja.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod basic_auth;
mod body;
#[cfg(feature = "compress")]
mod compress;
mod cors;
#[cfg(feature = "signed")]
mod csrf;
#[cfg(any(feature = "files", feature = "compress"))]
mod encoding;
mod errors;
#[cfg(feature = "files")]
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod ip_filter;
mod limit;
mod lint;
mod logger;
#[cfg(feature = "multipart")]
mod multipart;
mod proxy;
mod query_de;
#[cfg(any(feature = "signed", feature = "multipart"))]
mod random;
mod rate_limit;
mod recover;
mod request;
mod response;
pub mod router;
#[cfg(feature = "signed")]
mod signed;
mod slot;
mod state;
#[cfg(feature = "templates")]
mod templates;
mod timeout;
#[cfg(feature = "websocket")]
mod websocket;

pub use basic_auth::{basic_auth, BasicAuth, BasicAuthLayer, BasicUser};
pub use body::{BodyExt, Normalize};
#[cfg(feature = "compress")]
pub use compress::{compress, Compress, CompressLayer};
pub use cors::{cors, Cors, CorsApp, CorsError, CorsLayer};
#[cfg(feature = "signed")]
pub use csrf::{
    csrf, csrf_input, csrf_token, Csrf, CsrfLayer, CsrfToken, CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER,
};
pub use errors::{errors, render_error, ErrorFormat, Errors, Json};
#[cfg(feature = "files")]
pub use files::{send_file, serve_dir, Dotfiles, ETag, Representation, ServeDir, Symlinks};
pub use ip_filter::{ip_filter, IpFilterLayer, IpFiltered};
pub use lath_app::DEFAULT_BODY_LIMIT;
pub use limit::{limit_body, LimitBody, LimitBodyLayer};
pub use lint::{lint, Lint, LintReport};
pub use logger::{logger, Format, Logger};
#[cfg(feature = "multipart")]
pub use multipart::{collect_multipart, parts, Form, MultipartLimits, Part, Parts, UploadedFile};
pub use proxy::{trusted_proxies, trusted_proxy_ranges, TrustedProxies, TrustedProxiesLayer};
pub use query_de::QueryError;
pub use rate_limit::{rate_limit, Rate, RateLimit, RateLimitLayer, DEFAULT_MAX_CLIENTS};
pub use recover::{recover, Recover};
pub use request::{ClientIp, Query, RequestExt};
pub use response::{back, json, Cookie, ResponseExt, SameSite};
pub use router::{Found, RouteError, Router, Routes};
#[cfg(feature = "signed")]
pub use signed::{SecretTooShort, SignedCookies, Signer, MIN_SECRET_LEN};
pub use state::{state, state_of, State, StateLayer};
#[cfg(feature = "templates")]
pub use templates::{renderers, Renderers, RenderersLayer, Templates, View};
pub use timeout::{timeout, Timeout, TimeoutLayer};
#[cfg(feature = "websocket")]
pub use websocket::{
    websocket, Message, WebSocket, WebSocketApp, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FRAME,
    DEFAULT_MAX_MESSAGE,
};

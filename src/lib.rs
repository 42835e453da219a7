//! lath: layered web apps over a sans-IO HTTP/1.1 codec.
//!
//! An app is a plain async function of a request and a one-shot respond; a
//! layer is a function from app to app. Under them sits [`codec`], a strict
//! HTTP/1.1 state machine that knows bytes and rules but no sockets, and
//! [`net`] drives it over TCP (on async-std, smol or tokio) or in-memory
//! pipes.
//!
//! # Contents
//!
//! - [`codec`] (`lath-codec`): the sans-IO HTTP/1.1 codec.
//! - [`app`] (`lath-app`): [`App`], [`Request`], [`Respond`], [`Response`],
//!   [`Body`], [`HttpError`], [`handler`], [`AppExt::wrap`].
//! - [`net`] (`lath-net`): [`serve`], [`Server`], and the test [`Client`].
//! - [`layers`] (`lath-layers`): [`Router`] and the layers around apps.
//! - [`prelude`]: `use lath::prelude::*;` for the names most apps use.
//!
//! # Features
//!
//! - `async-std` (default), `smol`, `tokio`: the runtime the server runs
//!   on. With more than one, the default is tokio, then smol, and
//!   [`Server::runtime`](net::Server::runtime) picks another; async-std is
//!   the design's runtime but discontinued upstream (RUSTSEC-2025-0052).
//! - `json` (default): JSON error bodies and JSON in the test client.
//! - `http`: conversions with the `http` crate's types.
//! - `tower`: apps as tower services and tower services as apps.
//! - `multipart` (default): multipart/form-data uploads.
//! - `signed` (default): signed cookies and CSRF.
//!
//! ```
//! use lath::{Client, Request, Respond};
//!
//! async fn hello(_req: Request, respond: Respond) {
//!     respond.send("Hello, World!");
//! }
//!
//! let res = Client::new(hello).get("/").send_blocking().unwrap();
//! assert_eq!(res.text(), "Hello, World!");
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

#[doc(inline)]
pub use lath_app as app;
#[doc(inline)]
pub use lath_codec as codec;
#[doc(inline)]
pub use lath_layers as layers;
#[doc(inline)]
pub use lath_net as net;

pub use lath_app::{
    from_fn, handler, App, AppExt, Body, HttpError, Next, Request, Respond, Response, SharedApp,
};
pub use lath_codec::{Headers, Method, Status, Version};
pub use lath_layers::Router;
pub use lath_net::{serve, Client, Runtime, Server};

/// The names most apps use, in one import: the app protocol, the router,
/// `Json` and `Cookie`, the test client, and every extension trait that
/// adds methods to requests and responses (`req.json()`, `req.cookie()`,
/// `res.cookie(…)`).
///
/// ```
/// use lath::prelude::*;
///
/// let routes = Router::new()
///     .get("/users/:id", handler(|req: Request| async move {
///         let id: u64 = req.param("id").unwrap_or("").parse().map_err(|_| HttpError::not_found())?;
///         Ok::<_, HttpError>(Json(serde_json::json!({ "id": id, "visits": req.cookie("visits") })))
///     }))
///     .build()
///     .unwrap();
/// let res = Client::new(routes).get("/users/7").send_blocking().unwrap();
/// assert_eq!(res.json::<serde_json::Value>().unwrap()["id"], 7);
/// ```
pub mod prelude {
    pub use lath_app::{
        from_fn, handler, App, AppExt, Body, HttpError, Method, Next, Request, Respond, Response,
        SharedApp, Status,
    };
    #[cfg(feature = "signed")]
    pub use lath_layers::SignedCookies;
    pub use lath_layers::{BodyExt, Cookie, Json, RequestExt, ResponseExt, Router};
    pub use lath_net::{Client, Server};
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

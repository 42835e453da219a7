//! Drives the lath codec over byte streams.
//!
//! - [`serve`] and [`Server`]: TCP on async-std, smol or tokio (a cargo
//!   feature each), on one worker thread per core, with timeouts, a
//!   connection limit and graceful shutdown; [`run`] blocks the calling
//!   thread on a server future.
//! - [`serve_connection`]: any `AsyncRead + AsyncWrite` — TLS, Unix
//!   sockets, in-memory pipes.
//! - [`mem`]: an in-memory duplex pipe; [`Client`]: a test client that
//!   talks to an app through the real codec over it, with no port bound.
//!
//! Each connection is one task, the only owner of its socket and codec: it
//! runs the app, feeds the request body as the app asks for it, and writes
//! the response. Every wait has a deadline ([`Config`]: head, idle, body
//! stall and minimum rate, write progress, linger), a connection closed
//! while the client may still be sending lingers so the client reads the
//! answer, and at `max_connections` the longest-idle connection makes room
//! for a new client.
//!
//! The runtime appears in one private module per runtime only; everything
//! else is written against the futures-io traits. [`Server::workers`] sets
//! the threads (default `LATH_WORKERS`, else one per core).
//!
//! # Features
//!
//! `async-std` (default), `smol`, `tokio`: the runtime. With more than one
//! enabled, [`Runtime::default`] is tokio, then smol, and
//! [`Server::runtime`] picks another at run time. `tls`: HTTPS with
//! rustls (`Server::tls`, `TlsConfig`). `http2`: HTTP/2 with the h2
//! crate, by ALPN over TLS and by prior knowledge over cleartext.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod admit;
mod client;
mod config;
mod conn;
mod deadline;
mod exchange;
mod feed;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http2")]
mod http2;
mod listen;
pub mod mem;
mod metrics;
mod prefixed;
mod proxy;
mod rt;
#[cfg(target_os = "linux")]
mod sendfile;
mod server;
mod shutdown;
#[cfg(feature = "tls")]
mod tls;
mod woken;
#[cfg(feature = "websocket")]
mod ws_client;

pub use client::{Client, TestRequest, TestResponse};
pub use config::{Config, Http2Config};
pub use conn::serve_connection;
pub use metrics::Metrics;
pub use rt::Runtime;
pub use server::{run, serve, Server};
pub use shutdown::{Ready, ShutdownHandle};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
#[cfg(feature = "websocket")]
pub use ws_client::TestWebSocket;

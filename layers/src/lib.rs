//! Layers for lath apps: one module per concern, each a plain function or
//! builder from apps to an app.
//!
//! # Contents
//!
//! - [`router`]: [`Router`] — routes by method and path pattern
//!   (`/users/:id`, `/files/*path`), nested branches with their own layers,
//!   404/405/`HEAD`/`OPTIONS` handled.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

pub mod router;

pub use router::{Found, RouteError, Router, Routes};

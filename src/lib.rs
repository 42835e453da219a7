//! lath: layered web apps over a sans-IO HTTP/1.1 codec.
//!
//! An app is a plain async function of a request and a one-shot respond; a
//! layer is a function from app to app. Under them sits [`codec`], a strict
//! HTTP/1.1 state machine that knows bytes and rules but no sockets.
//!
//! # Contents
//!
//! - [`codec`]: the sans-IO HTTP/1.1 codec (`lath-codec`), with its most
//!   used names re-exported here.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

pub use lath_codec as codec;
pub use lath_codec::{Headers, Method, Status, Version};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

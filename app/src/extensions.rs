//! A typed map for what layers learn about a request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

/// Values keyed by their type: route params, shared state, a parsed
/// session. One value per type.
///
/// ```
/// use lath::app::Extensions;
/// #[derive(Debug, PartialEq)]
/// struct UserId(u32);
/// let mut ext = Extensions::new();
/// ext.insert(UserId(7));
/// assert_eq!(ext.get::<UserId>(), Some(&UserId(7)));
/// ```
#[derive(Default)]
pub struct Extensions {
    map: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl Extensions {
    /// An empty map.
    pub fn new() -> Extensions {
        Extensions::default()
    }

    /// Stores `value`, returning the one it replaced.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// The value of type `T`, if any.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref())
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.map
            .get_mut(&TypeId::of::<T>())
            .and_then(|b| b.downcast_mut())
    }

    /// Takes the value of type `T` out.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        self.map
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.map.len())
            .finish()
    }
}

/// Path parameters a router matched, in pattern order, percent-decoded.
/// Read them with [`crate::Request::param`].
///
/// ```
/// use lath::app::Params;
/// let mut params = Params::new();
/// params.push("id", "7");
/// assert_eq!(params.get("id"), Some("7"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Names are shared with the route table, and values that needed no
    /// decoding with the request's target: no copy per request. The
    /// storage comes from, and goes back to, a per-thread pool.
    pairs: Vec<Pair>,
}

type Pair = (std::sync::Arc<str>, bytes::Bytes);

thread_local! {
    static PAIR_LISTS: lath_codec::recycle::Kept<Pair> =
        const { lath_codec::recycle::Kept::new() };
}

impl Drop for Params {
    fn drop(&mut self) {
        lath_codec::recycle::give(&PAIR_LISTS, std::mem::take(&mut self.pairs));
    }
}

impl Params {
    /// An empty set.
    pub fn new() -> Params {
        Params::default()
    }

    /// Adds `name` = `value`.
    pub fn push(&mut self, name: impl Into<std::sync::Arc<str>>, value: impl Into<String>) {
        let value: String = value.into();
        self.add((name.into(), value.into()));
    }

    /// Adds `name` = `value` without copying either, as routers do with
    /// values that are slices of the request's target; a value that is not
    /// UTF-8 reads as `""`.
    pub fn push_shared(&mut self, name: std::sync::Arc<str>, value: bytes::Bytes) {
        let value = match std::str::from_utf8(&value) {
            Ok(_) => value,
            Err(_) => bytes::Bytes::new(),
        };
        self.add((name, value));
    }

    fn add(&mut self, pair: Pair) {
        if self.pairs.capacity() == 0 {
            self.pairs = lath_codec::recycle::take(&PAIR_LISTS, 4);
        }
        self.pairs.push(pair);
    }

    /// The value of `name`, if the route had it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| text(v))
    }

    /// Every (name, value) pair in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (&**n, text(v)))
    }

    /// Are there none?
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A value checked to be UTF-8 when it was added.
fn text(value: &[u8]) -> &str {
    std::str::from_utf8(value).unwrap_or("")
}

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
    /// Allocated on the first insert: most requests carry none, and a
    /// small request is cheaper to move (8 bytes here, not 48).
    #[allow(clippy::box_collection)]
    map: Option<Box<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Extensions {
    /// An empty map.
    ///
    /// ```
    /// use lath::app::Extensions;
    /// let ext = Extensions::new();
    /// assert!(ext.get::<u32>().is_none());
    /// ```
    pub fn new() -> Extensions {
        Extensions::default()
    }

    /// Stores `value`, returning the one it replaced.
    ///
    /// ```
    /// use lath::app::Extensions;
    /// let mut ext = Extensions::new();
    /// assert_eq!(ext.insert(1u8), None);
    /// assert_eq!(ext.insert(2u8), Some(1));
    /// ```
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .get_or_insert_with(Box::default)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// The value of type `T`, if any.
    ///
    /// ```
    /// use lath::prelude::*;
    /// struct Session { user: String }
    /// let app = handler(|req: Request| async move {
    ///     match req.extensions().get::<Session>() {
    ///         Some(session) => format!("hello {}", session.user),
    ///         None => "hello stranger".to_owned(),
    ///     }
    /// })
    /// .wrap(from_fn(|mut req: Request, respond, next| async move {
    ///     if req.header("authorization").is_some() {
    ///         req.extensions_mut().insert(Session { user: "ada".into() });
    ///     }
    ///     next.call(req, respond).await
    /// }));
    /// let client = Client::new(app);
    /// assert_eq!(client.get("/").send_blocking().unwrap().text(), "hello stranger");
    /// assert_eq!(client.get("/").header("Authorization", "x").send_blocking().unwrap().text(), "hello ada");
    /// ```
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .as_ref()?
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref())
    }

    /// The value of type `T`, mutably.
    ///
    /// ```
    /// use lath::app::Extensions;
    /// let mut ext = Extensions::new();
    /// ext.insert(vec!["a"]);
    /// ext.get_mut::<Vec<&str>>().unwrap().push("b");
    /// assert_eq!(ext.get::<Vec<&str>>().unwrap().len(), 2);
    /// ```
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.map
            .as_mut()?
            .get_mut(&TypeId::of::<T>())
            .and_then(|b| b.downcast_mut())
    }

    /// Takes the value of type `T` out.
    ///
    /// ```
    /// use lath::app::Extensions;
    /// let mut ext = Extensions::new();
    /// ext.insert(7u16);
    /// assert_eq!(ext.remove::<u16>(), Some(7));
    /// assert_eq!(ext.get::<u16>(), None);
    /// ```
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        self.map
            .as_mut()?
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.map.as_ref().map_or(0, |map| map.len()))
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
    /// storage comes from, and goes back to, a per-thread pool; what
    /// `drop` leaves behind is always empty, so no drop glue runs after it.
    pairs: std::mem::ManuallyDrop<Vec<Pair>>,
}

type Pair = (std::sync::Arc<str>, bytes::Bytes);

thread_local! {
    static PAIR_LISTS: lath_codec::recycle::Kept<Pair> =
        const { lath_codec::recycle::Kept::new() };
}

impl Drop for Params {
    // Inlined: a request without parameters has no list to give back.
    #[inline]
    fn drop(&mut self) {
        if self.pairs.capacity() > 0 {
            give_pairs(std::mem::take(&mut *self.pairs));
        }
    }
}

#[inline(never)]
fn give_pairs(list: Vec<Pair>) {
    lath_codec::recycle::give(&PAIR_LISTS, list);
}

impl Params {
    /// An empty set.
    ///
    /// ```
    /// use lath::app::Params;
    /// assert!(Params::new().is_empty());
    /// ```
    pub fn new() -> Params {
        Params::default()
    }

    /// Adds `name` = `value`.
    ///
    /// ```
    /// use lath::app::Params;
    /// let mut params = Params::new();
    /// params.push("id", "7");
    /// params.push("slug", "hello-world");
    /// assert_eq!(params.get("slug"), Some("hello-world"));
    /// ```
    pub fn push(&mut self, name: impl Into<std::sync::Arc<str>>, value: impl Into<String>) {
        let value: String = value.into();
        self.add((name.into(), value.into()));
    }

    /// Adds `name` = `value` without copying either, as routers do with
    /// values that are slices of the request's target; a value that is not
    /// UTF-8 reads as `""`.
    ///
    /// ```
    /// use lath::app::Params;
    /// let target = bytes::Bytes::from_static(b"/users/7");
    /// let mut params = Params::new();
    /// params.push_shared("id".into(), target.slice(7..));
    /// assert_eq!(params.get("id"), Some("7"));
    /// ```
    pub fn push_shared(&mut self, name: std::sync::Arc<str>, value: bytes::Bytes) {
        let value = match std::str::from_utf8(&value) {
            Ok(_) => value,
            Err(_) => bytes::Bytes::new(),
        };
        self.add((name, value));
    }

    fn add(&mut self, pair: Pair) {
        if self.pairs.capacity() == 0 {
            *self.pairs = lath_codec::recycle::take(&PAIR_LISTS, 4);
        }
        self.pairs.push(pair);
    }

    /// The value of `name`, if the route had it.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/users/:id", handler(|req: Request| async move { req.params().get("id").unwrap_or("?").to_owned() }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(Client::new(routes).get("/users/42").send_blocking().unwrap().text(), "42");
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| text(v))
    }

    /// Every (name, value) pair in pattern order.
    ///
    /// ```
    /// use lath::app::Params;
    /// let mut params = Params::new();
    /// params.push("a", "1");
    /// params.push("b", "2");
    /// assert_eq!(params.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (&**n, text(v)))
    }

    /// Are there none?
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/", handler(|req: Request| async move { req.params().is_empty().to_string() }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(Client::new(routes).get("/").send_blocking().unwrap().text(), "true");
    /// ```
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A value checked to be UTF-8 when it was added.
fn text(value: &[u8]) -> &str {
    std::str::from_utf8(value).unwrap_or("")
}

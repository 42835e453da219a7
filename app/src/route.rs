//! Route names for logs and metrics: a router's patterns, each numbered
//! once, so a server can count requests per route with a number where a
//! string would cost a lookup.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Distinct route names numbered; later ones share [`RouteName::OTHER`].
/// A router's patterns are numbered when it is built, so this bounds what
/// a metrics table holds however many requests come.
const MAX_NAMED: u32 = 255;

/// A route pattern (`/users/:id`) and its number, cheap to clone.
///
/// ```
/// use lath::app::RouteName;
/// let a = RouteName::new("/users/:id");
/// let b = RouteName::new("/users/:id");
/// assert_eq!(a.as_str(), "/users/:id");
/// assert_eq!(a.id(), b.id(), "one number per pattern");
/// assert_eq!(RouteName::by_id(a.id()).unwrap().as_str(), "/users/:id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteName {
    name: Arc<str>,
    id: u32,
}

#[derive(Default)]
struct Names {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

fn names() -> &'static Mutex<Names> {
    static NAMES: OnceLock<Mutex<Names>> = OnceLock::new();
    NAMES.get_or_init(Mutex::default)
}

impl RouteName {
    /// The number of requests no route claimed.
    pub const NONE: u32 = 0;
    /// The number every name past the first 255 shares.
    pub const OTHER: u32 = MAX_NAMED;

    /// The name `pattern`, numbered the first time it is seen (this takes
    /// a process-wide lock: routers do it once, when built).
    ///
    /// ```
    /// use lath::app::RouteName;
    /// let route = RouteName::new("/items/:id");
    /// assert!(route.id() > RouteName::NONE);
    /// ```
    pub fn new(pattern: &str) -> RouteName {
        let mut names = names().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((name, id)) = names.ids.get_key_value(pattern) {
            return RouteName {
                name: name.clone(),
                id: *id,
            };
        }
        let name: Arc<str> = Arc::from(pattern);
        let id = names.names.len() as u32 + 1;
        if id >= MAX_NAMED {
            return RouteName {
                name,
                id: RouteName::OTHER,
            };
        }
        names.names.push(name.clone());
        names.ids.insert(name.clone(), id);
        RouteName { name, id }
    }

    /// The pattern.
    ///
    /// ```
    /// assert_eq!(lath::app::RouteName::new("/a").as_str(), "/a");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Its number: 1 to 254, or [`RouteName::OTHER`].
    ///
    /// ```
    /// use lath::app::RouteName;
    /// assert!(RouteName::new("/b").id() < RouteName::OTHER);
    /// ```
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The name numbered `id`, if any.
    ///
    /// ```
    /// use lath::app::RouteName;
    /// let id = RouteName::new("/c").id();
    /// assert_eq!(RouteName::by_id(id).unwrap().as_str(), "/c");
    /// assert_eq!(RouteName::by_id(RouteName::NONE), None);
    /// ```
    pub fn by_id(id: u32) -> Option<RouteName> {
        let names = names().lock().unwrap_or_else(|p| p.into_inner());
        let name = names.names.get((id as usize).checked_sub(1)?)?;
        Some(RouteName {
            name: name.clone(),
            id,
        })
    }
}

impl From<&str> for RouteName {
    fn from(pattern: &str) -> RouteName {
        RouteName::new(pattern)
    }
}

impl From<Arc<str>> for RouteName {
    fn from(pattern: Arc<str>) -> RouteName {
        RouteName::new(&pattern)
    }
}

impl From<String> for RouteName {
    fn from(pattern: String) -> RouteName {
        RouteName::new(&pattern)
    }
}

/// Where a server learns which route served a request: it lends one to
/// each request ([`Request::watch_route`](crate::Request::watch_route)),
/// and [`Request::set_route`](crate::Request::set_route) writes the
/// route's number into it, with no lock.
///
/// ```
/// use std::sync::Arc;
/// use lath::app::{Request, RouteName, RouteWatch};
/// let watch = Arc::new(RouteWatch::default());
/// let mut req = Request::builder("GET", "/users/7").build();
/// req.watch_route(watch.clone());
/// req.set_route("/users/:id");
/// assert_eq!(watch.take(), RouteName::new("/users/:id").id());
/// assert_eq!(watch.take(), RouteName::NONE, "taking resets it");
/// ```
#[derive(Debug, Default)]
pub struct RouteWatch {
    id: AtomicU32,
}

impl RouteWatch {
    /// Records the route's number.
    ///
    /// ```
    /// use lath::app::{RouteName, RouteWatch};
    /// let watch = RouteWatch::default();
    /// watch.set(&RouteName::new("/x"));
    /// assert_eq!(watch.take(), RouteName::new("/x").id());
    /// ```
    pub fn set(&self, route: &RouteName) {
        self.id.store(route.id, Ordering::Relaxed);
    }

    /// The number recorded since the last `take` ([`RouteName::NONE`] if
    /// none), and resets it.
    ///
    /// ```
    /// use lath::app::{RouteName, RouteWatch};
    /// assert_eq!(RouteWatch::default().take(), RouteName::NONE);
    /// ```
    pub fn take(&self) -> u32 {
        self.id.swap(RouteName::NONE, Ordering::Relaxed)
    }
}

/// The content-negotiation fields (`Accept`, `Accept-Encoding`,
/// `Accept-Language`, `Accept-Charset`) an app read while answering a
/// request: what its response varies by, for a lint layer to compare
/// with the response's `Vary`. [`Request::watch_reads`](crate::Request::watch_reads) lends one to a
/// request; [`Request::header`](crate::Request::header) and [`Request::mark_read`](crate::Request::mark_read) note into it.
///
/// ```
/// use std::sync::Arc;
/// use lath::app::{HeaderReads, Request};
/// let reads = Arc::new(HeaderReads::default());
/// let mut req = Request::builder("GET", "/").header("Accept-Language", "de").build();
/// req.watch_reads(reads.clone());
/// let _ = req.header("accept-language");
/// let _ = req.header("user-agent");
/// assert_eq!(reads.fields(), ["Accept-Language"]);
/// ```
#[derive(Debug, Default)]
pub struct HeaderReads(AtomicU8);

/// The fields [`HeaderReads`] notes, one bit each.
const NEGOTIATION: [&str; 4] = [
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Charset",
];

impl HeaderReads {
    /// Notes that field `name` was read (other fields are ignored).
    ///
    /// ```
    /// use lath::app::HeaderReads;
    /// let reads = HeaderReads::default();
    /// reads.note("ACCEPT");
    /// reads.note("cookie");
    /// assert_eq!(reads.fields(), ["Accept"]);
    /// ```
    pub fn note(&self, name: &str) {
        if let Some(bit) = NEGOTIATION
            .iter()
            .position(|field| field.eq_ignore_ascii_case(name))
        {
            self.0.fetch_or(1 << bit, Ordering::Relaxed);
        }
    }

    /// The negotiation fields read so far, in their usual spelling.
    ///
    /// ```
    /// use lath::app::HeaderReads;
    /// assert!(HeaderReads::default().fields().is_empty());
    /// ```
    pub fn fields(&self) -> Vec<&'static str> {
        let bits = self.0.load(Ordering::Relaxed);
        NEGOTIATION
            .iter()
            .enumerate()
            .filter(|(bit, _)| bits & (1 << bit) != 0)
            .map(|(_, field)| *field)
            .collect()
    }
}

//! Routing by method and path pattern.
//!
//! Patterns are literal segments, `:name` (or `{name}`) for one segment
//! and `*name` (or `{*name}`, or bare `*`) for the rest of the path; any
//! other use of braces or `*` is an error when the router is built.
//! Priority does not depend on the order routes are added: a literal
//! segment beats `:param`, which beats `*`, and a longer match beats a
//! shorter one. [`Request::route`](lath_app::Request::route) tells the
//! pattern matched.
//!
//! ```
//! use lath::app::{handler, Request};
//! use lath::layers::Router;
//! use lath::net::Client;
//!
//! let routes = Router::new()
//!     .get("/users/:id", handler(|req: Request| async move {
//!         format!("user {}", req.param("id").unwrap_or(""))
//!     }))
//!     .get("/items/{id}", handler(|req: Request| async move {
//!         format!("{} for {}", req.route().unwrap_or(""), req.param("id").unwrap_or(""))
//!     }))
//!     .get("/files/*path", handler(|req: Request| async move {
//!         format!("file {}", req.param("path").unwrap_or(""))
//!     }))
//!     .build()
//!     .unwrap();
//!
//! let client = Client::new(routes);
//! assert_eq!(client.get("/users/7").send_blocking().unwrap().text(), "user 7");
//! assert_eq!(client.get("/items/9").send_blocking().unwrap().text(), "/items/{id} for 9");
//! assert_eq!(client.get("/files/a/b%20c.txt").send_blocking().unwrap().text(), "file a/b c.txt");
//! assert_eq!(client.get("/nope").send_blocking().unwrap().status.code(), 404);
//! ```

mod pattern;
mod tree;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use lath_app::{
    App, FutureSlot, HttpError, Layer, Method, Params, Request, Respond, Response, SharedApp,
    SlotFuture, Status,
};

pub use pattern::RouteError;
use tree::{Captured, Endpoint, Handler, Node};

/// A route as added, before the tree is built.
struct Route {
    method: Option<Method>,
    pattern: String,
    app: SharedApp,
    /// Branch layers around `app`, outermost first.
    layers: Vec<SharedApp>,
}

/// Builds a routing table; [`Router::build`] checks every pattern and
/// returns the app, [`Routes`].
///
/// ```
/// use lath::prelude::*;
/// let api = Router::new()
///     .get("/users/:id", handler(|req: Request| async move { format!("user {}", req.param("id").unwrap_or("")) }))
///     .post("/users", handler(|_req: Request| async { (Status::CREATED, "made") }));
/// let routes = Router::new().branch("/api", api).build().unwrap();
/// let client = Client::new(routes);
/// assert_eq!(client.get("/api/users/7").send_blocking().unwrap().text(), "user 7");
/// assert_eq!(client.post("/api/users").send_blocking().unwrap().status.code(), 201);
/// assert_eq!(client.get("/nope").send_blocking().unwrap().status.code(), 404);
/// ```
pub struct Router {
    routes: Vec<Route>,
    fallback: Option<SharedApp>,
    connect: Option<SharedApp>,
    trailing_slash: bool,
}

impl Default for Router {
    fn default() -> Router {
        Router::new()
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let patterns: Vec<String> = self
            .routes
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.method.as_ref().map_or("ANY", Method::as_str),
                    r.pattern
                )
            })
            .collect();
        f.debug_struct("Router").field("routes", &patterns).finish()
    }
}

impl Router {
    /// No routes yet; unmatched paths answer 404.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new().build().unwrap();
    /// assert_eq!(Client::new(routes).get("/").send_blocking().unwrap().status.code(), 404);
    /// ```
    pub fn new() -> Router {
        Router {
            routes: Vec::new(),
            fallback: None,
            connect: None,
            trailing_slash: true,
        }
    }

    /// Routes `method` requests for `pattern` to `app` — any method,
    /// standard or not.
    ///
    /// ```
    /// use lath::app::{handler, Method, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let purge = Method::from_bytes(b"PURGE").unwrap();
    /// let routes = Router::new()
    ///     .route(purge.clone(), "/cache", handler(|_req: Request| async { "purged" }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).request(purge, "/cache").send_blocking().unwrap();
    /// assert_eq!(res.text(), "purged");
    /// ```
    pub fn route(self, method: Method, pattern: &str, app: impl App) -> Router {
        self.add(Some(method), pattern, app)
    }

    /// Routes requests of every method for `pattern` to `app` (a route for
    /// one method beats it).
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let routes = Router::new()
    ///     .any("/echo", handler(|req: Request| async move { req.method().to_string() }))
    ///     .build()
    ///     .unwrap();
    /// let client = Client::new(routes);
    /// assert_eq!(client.delete("/echo").send_blocking().unwrap().text(), "DELETE");
    /// ```
    pub fn any(self, pattern: &str, app: impl App) -> Router {
        self.add(None, pattern, app)
    }

    fn add(mut self, method: Option<Method>, pattern: &str, app: impl App) -> Router {
        self.routes.push(Route {
            method,
            pattern: pattern.to_owned(),
            app: Arc::new(app),
            layers: Vec::new(),
        });
        self
    }

    /// `GET` (and `HEAD`, unless a `HEAD` route is added) for `pattern`.
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let routes = Router::new()
    ///     .get("/", handler(|_req: Request| async { "home" }))
    ///     .build()
    ///     .unwrap();
    /// let client = Client::new(routes);
    /// assert_eq!(client.get("/").send_blocking().unwrap().text(), "home");
    /// let head = client.head("/").send_blocking().unwrap();
    /// assert_eq!((head.status.code(), head.body.len()), (200, 0));
    /// ```
    pub fn get(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::GET, pattern, app)
    }

    /// `POST` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .post("/echo", handler(|mut req: Request| async move { req.text().await }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).post("/echo").body("hi").send_blocking().unwrap();
    /// assert_eq!(res.text(), "hi");
    /// ```
    pub fn post(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::POST, pattern, app)
    }

    /// `PUT` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .put("/items/:id", handler(|req: Request| async move { format!("replaced {}", req.param("id").unwrap_or("")) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(Client::new(routes).put("/items/3").send_blocking().unwrap().text(), "replaced 3");
    /// ```
    pub fn put(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::PUT, pattern, app)
    }

    /// `PATCH` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .patch("/items/:id", handler(|_req: Request| async { "patched" }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(Client::new(routes).patch("/items/3").send_blocking().unwrap().text(), "patched");
    /// ```
    pub fn patch(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::PATCH, pattern, app)
    }

    /// `DELETE` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .delete("/items/:id", handler(|_req: Request| async { Response::new(Status::NO_CONTENT) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(Client::new(routes).delete("/items/3").send_blocking().unwrap().status.code(), 204);
    /// ```
    pub fn delete(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::DELETE, pattern, app)
    }

    /// `OPTIONS` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let routes = Router::new()
    ///     .get("/items", handler(|_req: Request| async { "list" }))
    ///     .options("/items", handler(|_req: Request| async { Response::new(Status::NO_CONTENT).with_header("Allow", "GET, OPTIONS") }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).options("/items").send_blocking().unwrap();
    /// assert_eq!(res.header("allow"), Some("GET, OPTIONS"));
    /// ```
    pub fn options(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::OPTIONS, pattern, app)
    }

    /// `HEAD` for `pattern`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// // Without its own HEAD route, a GET route answers HEAD; this one is cheaper.
    /// let routes = Router::new()
    ///     .get("/report", handler(|_req: Request| async { "a long report" }))
    ///     .head("/report", handler(|_req: Request| async { Response::new(Status::OK).with_header("X-Size", "13") }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).head("/report").send_blocking().unwrap();
    /// assert_eq!(res.header("x-size"), Some("13"));
    /// ```
    pub fn head(self, pattern: &str, app: impl App) -> Router {
        self.route(Method::HEAD, pattern, app)
    }

    /// Mounts every route of `sub` under `prefix`. Branches nest to any
    /// depth; layers `sub` applied with [`Router::layer`] run only for its
    /// routes.
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let users = Router::new().get("/:id", handler(|req: Request| async move {
    ///     format!("{} is user {}", req.route().unwrap_or(""), req.param("id").unwrap_or(""))
    /// }));
    /// let routes = Router::new().branch("/api/users", users).build().unwrap();
    /// let res = Client::new(routes).get("/api/users/7").send_blocking().unwrap();
    /// assert_eq!(res.text(), "/api/users/:id is user 7");
    /// ```
    pub fn branch(mut self, prefix: &str, sub: Router) -> Router {
        for route in sub.routes {
            self.routes.push(Route {
                pattern: pattern::join(prefix, &route.pattern),
                ..route
            });
        }
        self
    }

    /// Wraps the routes added so far in `layer`, so it runs only for them
    /// (route groups): add a branch's routes, then its layers. The layer
    /// is applied once, to the branch as a whole, so a layer with state (a
    /// rate limit, a cache) shares it among the branch's routes; each
    /// request goes through it to the route it matched. A later `layer`
    /// wraps an earlier one. The router's own answers for these routes'
    /// paths (`405`, and `204` to an `OPTIONS` without its own route) go
    /// through it too, so a `cors` layer on a branch answers preflights.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use lath::app::{from_fn, handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let counted = seen.clone();
    /// let routes = Router::new()
    ///     .get("/a", handler(|_req: Request| async { "a" }))
    ///     .get("/b", handler(|_req: Request| async { "b" }))
    ///     .layer(from_fn(move |req, respond, next| {
    ///         counted.fetch_add(1, Ordering::Relaxed);
    ///         next.call(req, respond)
    ///     }))
    ///     .get("/c", handler(|_req: Request| async { "not counted" }))
    ///     .build()
    ///     .unwrap();
    /// let client = Client::new(routes);
    /// for path in ["/a", "/b", "/c"] {
    ///     client.get(path).send_blocking().unwrap();
    /// }
    /// assert_eq!(seen.load(Ordering::Relaxed), 2);
    /// ```
    pub fn layer<L: Layer<SharedApp>>(mut self, layer: L) -> Router {
        let wrapped: SharedApp = Arc::new(layer.layer(Arc::new(Chosen)));
        for route in &mut self.routes {
            route.layers.insert(0, wrapped.clone());
        }
        self
    }

    /// The app for requests no route matches (default: 404).
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let routes = Router::new()
    ///     .get("/", handler(|_req: Request| async { "home" }))
    ///     .fallback(handler(|req: Request| async move { format!("no page at {}", req.path()) }))
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(routes).get("/nope").send_blocking().unwrap();
    /// assert_eq!(res.text(), "no page at /nope");
    /// ```
    pub fn fallback(mut self, app: impl App) -> Router {
        self.fallback = Some(Arc::new(app));
        self
    }

    /// Whether `/a/` matches a route for `/a` (default: yes).
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let strict = Router::new()
    ///     .get("/a", handler(|_req: Request| async { "a" }))
    ///     .trailing_slash(false)
    ///     .build()
    ///     .unwrap();
    /// let res = Client::new(strict).get("/a/").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 404);
    /// ```
    pub fn trailing_slash(mut self, ignore: bool) -> Router {
        self.trailing_slash = ignore;
        self
    }

    /// Handles every `CONNECT` request (its target is an authority,
    /// `host:port`, not a path: RFC 9110 §9.3.6). Without it, `CONNECT`
    /// is answered `405` with the methods the router serves in `Allow`.
    ///
    /// ```
    /// use lath::app::{handler, Method, Request};
    /// use lath::layers::Router;
    /// use lath::net::Client;
    ///
    /// let tunnels = Router::new()
    ///     .connect(handler(|req: Request| async move { format!("tunnel to {}", req.target()) }))
    ///     .build()
    ///     .unwrap();
    /// let raw = Client::new(tunnels)
    ///     .raw_blocking(b"CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\n")
    ///     .unwrap();
    /// assert!(String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 200 OK\r\n"));
    ///
    /// let plain = Router::new().get("/", handler(|_req: Request| async { "hi" })).build().unwrap();
    /// let res = Client::new(plain).request(Method::CONNECT, "db.example:5432").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 405);
    /// assert_eq!(res.header("allow"), Some("GET, HEAD, OPTIONS"));
    /// ```
    pub fn connect(mut self, app: impl App) -> Router {
        self.connect = Some(Arc::new(app));
        self
    }

    /// Checks every pattern and builds the table. Fails on the first
    /// invalid or duplicate route, naming its pattern.
    ///
    /// ```
    /// use lath::app::{handler, Request};
    /// use lath::layers::Router;
    ///
    /// let twice = Router::new()
    ///     .get("/a", handler(|_req: Request| async { "1" }))
    ///     .get("/a", handler(|_req: Request| async { "2" }))
    ///     .build();
    /// assert_eq!(twice.unwrap_err().to_string(), r#"route "/a": duplicate route"#);
    /// ```
    pub fn build(self) -> Result<Routes, RouteError> {
        let allow_all = allow_all(&self.routes, self.connect.is_some());
        let mut root = Node::default();
        for route in self.routes {
            let segments = pattern::parse(&route.pattern)?;
            let names = segments
                .iter()
                .filter_map(|s| match s {
                    pattern::Segment::Param(n) | pattern::Segment::Wildcard(n) => {
                        Some(Arc::from(n.as_str()))
                    }
                    pattern::Segment::Literal(_) => None,
                })
                .collect();
            root.insert(
                &segments,
                Handler {
                    method: route.method,
                    app: route.app,
                    layers: route.layers,
                    pattern: lath_app::RouteName::new(&route.pattern),
                    names,
                },
            )?;
        }
        Ok(Routes {
            root,
            fallback: self.fallback,
            connect: self.connect,
            allow_all,
            trailing_slash: self.trailing_slash,
        })
    }
}

/// The methods the router serves anywhere, for `OPTIONS *` and `CONNECT`:
/// the standard ones in their usual order, then any others as added.
/// `HEAD` comes with `GET`, `OPTIONS` always (the router answers it).
fn allow_all(routes: &[Route], connect: bool) -> String {
    const ORDER: [Method; 7] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    let any = routes.iter().any(|r| r.method.is_none());
    let serves = |m: &Method| {
        any || *m == Method::OPTIONS
            || routes.iter().any(|r| {
                r.method.as_ref() == Some(m)
                    || (*m == Method::HEAD && r.method == Some(Method::GET))
            })
    };
    let mut methods: Vec<&str> = ORDER
        .iter()
        .filter(|m| serves(m))
        .map(Method::as_str)
        .collect();
    for route in routes {
        if let Some(method) = &route.method {
            if !ORDER.contains(method) && !methods.contains(&method.as_str()) {
                methods.push(method.as_str());
            }
        }
    }
    if connect {
        methods.push("CONNECT");
    }
    methods.join(", ")
}

/// What a lookup found.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::Found;
/// let routes = Router::new()
///     .get("/users/:id", handler(|_req: Request| async { "user" }))
///     .build()
///     .unwrap();
/// assert!(matches!(routes.find(&Method::GET, "/users/7"), Found::Route { pattern: "/users/:id", .. }));
/// assert!(matches!(routes.find(&Method::POST, "/users/7"), Found::NotAllowed { .. }));
/// assert_eq!(routes.find(&Method::GET, "/nope"), Found::NotFound);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    /// A route, its pattern and decoded parameters.
    Route {
        /// The pattern as added.
        pattern: &'a str,
        /// The parameters, percent-decoded.
        params: Params,
    },
    /// The path exists under other methods: 405 with this `Allow`.
    NotAllowed {
        /// The `Allow` value.
        allow: String,
    },
    /// `OPTIONS` without its own route: 204 with this `Allow`.
    Options {
        /// The `Allow` value.
        allow: String,
    },
    /// No route for the path.
    NotFound,
    /// A parameter holds a malformed percent escape or invalid UTF-8.
    BadParam,
}

/// A built routing table; an [`App`].
///
/// ```
/// use lath::prelude::*;
/// let routes: lath::layers::Routes = Router::new()
///     .get("/", handler(|_req: Request| async { "home" }))
///     .build()
///     .unwrap();
/// // An app like any other: serve it, wrap it, or test it.
/// let app = routes.wrap(lath::layers::recover);
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "home");
/// ```
pub struct Routes {
    root: Node,
    fallback: Option<SharedApp>,
    connect: Option<SharedApp>,
    allow_all: String,
    trailing_slash: bool,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes").finish_non_exhaustive()
    }
}

impl Routes {
    /// Looks up `method` and `path` (still percent-encoded).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::Found;
    /// let routes = Router::new()
    ///     .get("/files/*path", handler(|_req: Request| async { "file" }))
    ///     .build()
    ///     .unwrap();
    /// match routes.find(&Method::GET, "/files/a%20b.txt") {
    ///     Found::Route { params, .. } => assert_eq!(params.get("path"), Some("a b.txt")),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn find(&self, method: &Method, path: &str) -> Found<'_> {
        match self.lookup(method, path, None) {
            Lookup::Route(handler, params) => match params {
                Some(params) => Found::Route {
                    pattern: handler.pattern.as_str(),
                    params,
                },
                None => Found::BadParam,
            },
            Lookup::NotAllowed(endpoint) if *method == Method::OPTIONS => Found::Options {
                allow: endpoint.allow(),
            },
            Lookup::NotAllowed(endpoint) => Found::NotAllowed {
                allow: endpoint.allow(),
            },
            Lookup::NotFound => Found::NotFound,
        }
    }

    /// The route for `method` and `path`, with its parameters; values
    /// that need no decoding share `target`'s bytes when `path` lies in it.
    fn lookup(&self, method: &Method, path: &str, target: Option<&Bytes>) -> Lookup<'_> {
        let mut path = path.strip_prefix('/').unwrap_or(path);
        if self.trailing_slash {
            path = path.strip_suffix('/').unwrap_or(path);
        }
        // Each segment with the rest of the path from it, for wildcards;
        // on the stack for paths of up to 16 segments.
        let mut stack = [("", ""); 16];
        let mut heap = Vec::new();
        let mut count = 0;
        if !path.is_empty() {
            let mut start = 0;
            for segment in path.split('/') {
                let entry = (segment, &path[start..]);
                match stack.get_mut(count) {
                    Some(slot) => *slot = entry,
                    None => {
                        if heap.is_empty() {
                            heap.extend_from_slice(&stack);
                        }
                        heap.push(entry);
                    }
                }
                count += 1;
                start += segment.len() + 1;
            }
        }
        let segments = if heap.is_empty() {
            &stack[..count]
        } else {
            &heap[..]
        };
        let mut found: Option<(&Handler, Option<Params>)> = None;
        let mut first_path_match: Option<&Endpoint> = None;
        self.root.search(
            segments,
            &mut Captured::default(),
            &mut |endpoint, captured| {
                first_path_match.get_or_insert(endpoint);
                match endpoint.handler(method) {
                    Some(handler) => {
                        found = Some((handler, decode_params(&handler.names, captured, target)));
                        true
                    }
                    None => false,
                }
            },
        );
        match (found, first_path_match) {
            (Some((handler, params)), _) => Lookup::Route(handler, params),
            (None, Some(endpoint)) => Lookup::NotAllowed(endpoint),
            (None, None) => Lookup::NotFound,
        }
    }
}

enum Lookup<'a> {
    /// The handler, and its parameters (`None`: a malformed escape).
    Route(&'a Handler, Option<Params>),
    NotAllowed(&'a Endpoint),
    NotFound,
}

/// Percent-decodes each captured value; `None` on a malformed escape or
/// invalid UTF-8. A value with no escape is not copied when it lies in
/// `target`.
fn decode_params(names: &[Arc<str>], values: &[&str], target: Option<&Bytes>) -> Option<Params> {
    let mut params = Params::new();
    for (name, value) in names.iter().zip(values) {
        let bytes = value.as_bytes();
        if !bytes.contains(&b'%') {
            params.push_shared(name.clone(), shared(target, value));
            continue;
        }
        let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
            b != b'%'
                || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        });
        if !well_formed {
            return None;
        }
        let decoded = percent_encoding::percent_decode(bytes).decode_utf8().ok()?;
        params.push(name.clone(), decoded.into_owned());
    }
    Some(params)
}

/// `part` as a handle on `target`'s bytes when it lies in them, else a copy.
fn shared(target: Option<&Bytes>, part: &str) -> Bytes {
    let inside = |target: &&Bytes| {
        let start = target.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        at >= start && at + part.len() <= start + target.len()
    };
    match target.filter(inside) {
        Some(target) if !part.is_empty() => target.slice_ref(part.as_bytes()),
        _ => Bytes::copy_from_slice(part.as_bytes()),
    }
}

impl Routes {
    /// Answers what the router answers itself; otherwise, the app the
    /// request goes to, with the request and its `respond`. No await, so
    /// the chosen app's future can take the driver's slot directly.
    fn dispatch(
        &self,
        mut req: Request,
        respond: Respond,
    ) -> Option<(&SharedApp, Request, Respond)> {
        let method = req.method().clone();
        // RFC 9110 §9.3.7: `OPTIONS *` asks about the server in general.
        if method == Method::OPTIONS && req.target() == "*" {
            respond.send(Response::new(Status::OK).with_header("Allow", self.allow_all.clone()));
            return None;
        }
        // RFC 9110 §9.3.6: CONNECT asks for a tunnel to an authority, not
        // for one of the router's resources.
        if method == Method::CONNECT {
            return match &self.connect {
                Some(app) => Some((app, req, respond)),
                None => {
                    respond.send(
                        Response::from(HttpError::method_not_allowed())
                            .with_header("Allow", self.allow_all.clone()),
                    );
                    None
                }
            };
        }
        match self.lookup(&method, req.path(), Some(&req.head().target)) {
            Lookup::Route(handler, params) => match params {
                Some(params) => {
                    if !params.is_empty() {
                        req.set_params(params);
                    }
                    req.set_route(handler.pattern.clone());
                    match handler.layers.split_first() {
                        None => Some((&handler.app, req, respond)),
                        Some((outermost, inner)) => {
                            // The branch layers run once each, outermost
                            // first; each reaches the next through `Chosen`.
                            let mut next: Vec<SharedApp> = Vec::with_capacity(inner.len() + 1);
                            next.push(handler.app.clone());
                            next.extend(inner.iter().rev().cloned());
                            req.extensions_mut().insert(Next(next));
                            Some((outermost, req, respond))
                        }
                    }
                }
                None => {
                    respond.send(HttpError::bad_request("malformed percent escape in path"));
                    None
                }
            },
            // RFC 9110 §9.3.7: OPTIONS without its own route lists the
            // methods; §15.5.6: 405 carries Allow. The path's branch layers
            // see these answers too (a CORS layer answers the preflight).
            Lookup::NotAllowed(endpoint) => {
                let answer = match method == Method::OPTIONS {
                    true => Response::new(Status::NO_CONTENT),
                    false => Response::from(HttpError::method_not_allowed()),
                }
                .with_header("Allow", endpoint.allow());
                let layers = endpoint.handlers.first().map_or(&[][..], |h| &h.layers[..]);
                match layers.split_first() {
                    None => {
                        respond.send(answer);
                        None
                    }
                    Some((outermost, inner)) => {
                        let mut next: Vec<SharedApp> = Vec::with_capacity(inner.len() + 1);
                        next.push(Arc::new(Answer(std::sync::Mutex::new(Some(answer)))));
                        next.extend(inner.iter().rev().cloned());
                        req.extensions_mut().insert(Next(next));
                        Some((outermost, req, respond))
                    }
                }
            }
            Lookup::NotFound => match &self.fallback {
                Some(fallback) => Some((fallback, req, respond)),
                None => {
                    respond.send(HttpError::not_found());
                    None
                }
            },
        }
    }
}

impl App for Routes {
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        let chosen = self.dispatch(req, respond);
        async move {
            if let Some((app, req, respond)) = chosen {
                // Routes hold different apps, so their futures differ in
                // size: each goes in memory taken from, and lent back to,
                // the thread's pool rather than in a new box.
                let mut slot = FutureSlot::new();
                app.call_in(req, respond, &mut slot).await;
                slot.lend();
            }
        }
    }

    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        match self.dispatch(req, respond) {
            Some((app, req, respond)) => app.call_in(req, respond, slot),
            None => slot.put(std::future::ready(())),
        }
    }
}

/// The router's own answer (`405`, or `204` to `OPTIONS`), given to a
/// branch's layers as the app they wrap.
struct Answer(std::sync::Mutex<Option<Response>>);

impl App for Answer {
    async fn call(&self, _req: Request, respond: Respond) {
        let answer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        respond.send(answer.unwrap_or_else(|| HttpError::internal().into()));
    }
}

/// What a layered branch's request goes through after the outermost
/// branch layer: the inner layers, then the route's app (popped from the
/// end).
struct Next(Vec<SharedApp>);

/// The app a branch layer wraps: whatever comes next for this request.
struct Chosen;

impl App for Chosen {
    fn call(&self, mut req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        let next = req
            .extensions_mut()
            .get_mut::<Next>()
            .and_then(|next| next.0.pop());
        async move {
            match next {
                Some(app) => app.call(req, respond).await,
                // Only a router sends requests here; a layer that calls its
                // app twice finds nothing left.
                None => {
                    respond.send(HttpError::internal().with_detail("branch layer called twice"))
                }
            }
        }
    }
}

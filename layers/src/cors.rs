//! Cross-origin resource sharing (the Fetch standard's CORS protocol):
//! preflights answered, and the response headers a browser needs before
//! it hands a cross-origin answer to a page.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lath_app::recycle::KeptArcs;
use lath_app::{App, HttpError, Layer, Method, Request, Respond, Response, Status};

use crate::slot::{mapped, Ways};

type Predicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Which origins may read the answers.
#[derive(Clone)]
enum Origins {
    List(Vec<String>),
    Any,
    Matching(Predicate),
}

impl Origins {
    fn allows(&self, origin: &str) -> bool {
        match self {
            Origins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
            Origins::Any => true,
            Origins::Matching(predicate) => predicate(origin),
        }
    }
}

/// A CORS policy to build: start with [`cors`], name the origins, then
/// [`Cors::build`] checks it and makes the layer.
///
/// A preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) from an allowed origin, for an allowed
/// method and allowed request headers, is answered `204` with the
/// `Access-Control-Allow-*` fields; any other preflight is `403` with no
/// CORS fields. Other requests from an allowed origin reach the app, and
/// its answer gets `Access-Control-Allow-Origin` (and
/// `Access-Control-Allow-Credentials`, `Access-Control-Expose-Headers`
/// when set); requests from other origins reach it unchanged, and the
/// browser keeps the answer from the page. Answers vary by `Origin`
/// unless every origin is allowed.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::cors;
///
/// let api = handler(|_req: Request| async { Json(serde_json::json!({"ok": true})) })
///     .wrap(cors().allow_origins(["https://app.example"]).build().unwrap());
/// let client = Client::new(api);
/// let preflight = client
///     .options("/items")
///     .header("Origin", "https://app.example")
///     .header("Access-Control-Request-Method", "PUT")
///     .header("Access-Control-Request-Headers", "content-type")
///     .send_blocking()
///     .unwrap();
/// assert_eq!(preflight.status.code(), 204);
/// assert_eq!(preflight.header("access-control-allow-origin"), Some("https://app.example"));
/// assert_eq!(preflight.header("access-control-allow-headers"), Some("content-type"));
/// let refused = client
///     .options("/items")
///     .header("Origin", "https://evil.example")
///     .header("Access-Control-Request-Method", "PUT")
///     .send_blocking()
///     .unwrap();
/// assert_eq!(refused.status.code(), 403);
/// assert_eq!(refused.header("access-control-allow-origin"), None);
/// ```
pub fn cors() -> Cors {
    Cors {
        origins: Origins::List(Vec::new()),
        methods: [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ]
        .into(),
        headers: None,
        expose: Vec::new(),
        credentials: false,
        max_age: None,
    }
}

/// The policy [`cors`] starts.
///
/// ```
/// use std::time::Duration;
/// use lath::layers::{cors, Cors};
/// let policy: Cors = cors()
///     .allow_origins(["https://app.example"])
///     .expose_headers(["X-Request-Id"])
///     .max_age(Duration::from_secs(3600));
/// assert!(policy.build().is_ok());
/// ```
#[derive(Clone)]
pub struct Cors {
    origins: Origins,
    methods: Vec<Method>,
    headers: Option<Vec<String>>,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<Duration>,
}

impl fmt::Debug for Cors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cors")
            .field("methods", &self.methods)
            .field("headers", &self.headers)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// Why a CORS policy was refused at build.
///
/// ```
/// use lath::layers::{cors, CorsError};
/// let error: CorsError = cors().allow_any_origin().allow_credentials(true).build().unwrap_err();
/// assert!(error.to_string().contains("name the origins"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsError(&'static str);

impl fmt::Display for CorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CorsError {}

impl Cors {
    /// These origins (`https://app.example`, scheme, host and port as the
    /// browser sends them); compared without regard to case.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let app = handler(|_req: Request| async { "data" })
    ///     .wrap(cors().allow_origins(["https://a.example", "https://b.example"]).build().unwrap());
    /// let res = Client::new(app).get("/").header("Origin", "https://b.example").send_blocking().unwrap();
    /// assert_eq!(res.header("access-control-allow-origin"), Some("https://b.example"));
    /// assert_eq!(res.header("vary"), Some("Origin"));
    /// ```
    pub fn allow_origins<I: IntoIterator<Item = S>, S: Into<String>>(mut self, origins: I) -> Cors {
        self.origins = Origins::List(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Every origin: answers say `Access-Control-Allow-Origin: *`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let app = handler(|_req: Request| async { "public" }).wrap(cors().allow_any_origin().build().unwrap());
    /// let res = Client::new(app).get("/").header("Origin", "https://anyone.example").send_blocking().unwrap();
    /// assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    /// ```
    pub fn allow_any_origin(mut self) -> Cors {
        self.origins = Origins::Any;
        self
    }

    /// The origins `allowed` says yes to.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_origin_fn(|origin| origin.ends_with(".shop.example"));
    /// let app = handler(|_req: Request| async { "ok" }).wrap(policy.build().unwrap());
    /// let client = Client::new(app);
    /// let yes = client.get("/").header("Origin", "https://eu.shop.example").send_blocking().unwrap();
    /// assert!(yes.header("access-control-allow-origin").is_some());
    /// let no = client.get("/").header("Origin", "https://shop.example.evil").send_blocking().unwrap();
    /// assert!(no.header("access-control-allow-origin").is_none());
    /// ```
    pub fn allow_origin_fn(
        mut self,
        allowed: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Cors {
        self.origins = Origins::Matching(Arc::new(allowed));
        self
    }

    /// The methods a preflight may ask for (default `GET`, `HEAD`, `POST`,
    /// `PUT`, `PATCH`, `DELETE`).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_any_origin().allow_methods([Method::GET, Method::POST]);
    /// let app = handler(|_req: Request| async { "ok" }).wrap(policy.build().unwrap());
    /// let res = Client::new(app)
    ///     .options("/")
    ///     .header("Origin", "https://a.example")
    ///     .header("Access-Control-Request-Method", "DELETE")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.status.code(), 403);
    /// ```
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Cors {
        self.methods = methods.into_iter().collect();
        self
    }

    /// The request headers a preflight may ask for (default: whichever it
    /// asks for).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_any_origin().allow_headers(["content-type"]);
    /// let client = Client::new(handler(|_req: Request| async { "ok" }).wrap(policy.build().unwrap()));
    /// let ask = |headers: &str| {
    ///     let res = client
    ///         .options("/")
    ///         .header("Origin", "https://a.example")
    ///         .header("Access-Control-Request-Method", "POST")
    ///         .header("Access-Control-Request-Headers", headers)
    ///         .send_blocking()
    ///         .unwrap();
    ///     res.status.code()
    /// };
    /// assert_eq!(ask("Content-Type"), 204);
    /// assert_eq!(ask("content-type, x-secret"), 403);
    /// ```
    pub fn allow_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, headers: I) -> Cors {
        self.headers = Some(
            headers
                .into_iter()
                .map(|h| h.into().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Response headers a page may read beyond the safelisted ones.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_any_origin().expose_headers(["X-Total-Count"]);
    /// let app = handler(|_req: Request| async { Response::text("[]").with_header("X-Total-Count", "0") })
    ///     .wrap(policy.build().unwrap());
    /// let res = Client::new(app).get("/").header("Origin", "https://a.example").send_blocking().unwrap();
    /// assert_eq!(res.header("access-control-expose-headers"), Some("X-Total-Count"));
    /// ```
    pub fn expose_headers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        headers: I,
    ) -> Cors {
        self.expose = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Lets pages send cookies and read the answers
    /// (`Access-Control-Allow-Credentials: true`); the allowed origin is
    /// then always named, never `*`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_origins(["https://app.example"]).allow_credentials(true);
    /// let app = handler(|_req: Request| async { "me" }).wrap(policy.build().unwrap());
    /// let res = Client::new(app).get("/").header("Origin", "https://app.example").send_blocking().unwrap();
    /// assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    /// assert!(cors().allow_any_origin().allow_credentials(true).build().is_err());
    /// ```
    pub fn allow_credentials(mut self, on: bool) -> Cors {
        self.credentials = on;
        self
    }

    /// How long a browser may keep a preflight's answer
    /// (`Access-Control-Max-Age`; unset by default).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::prelude::*;
    /// use lath::layers::cors;
    /// let policy = cors().allow_any_origin().max_age(Duration::from_secs(600));
    /// let app = handler(|_req: Request| async { "ok" }).wrap(policy.build().unwrap());
    /// let res = Client::new(app)
    ///     .options("/")
    ///     .header("Origin", "https://a.example")
    ///     .header("Access-Control-Request-Method", "GET")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.header("access-control-max-age"), Some("600"));
    /// ```
    pub fn max_age(mut self, age: Duration) -> Cors {
        self.max_age = Some(age);
        self
    }

    /// Checks the policy and makes the layer: credentials with every
    /// origin allowed is refused (browsers would refuse every answer).
    ///
    /// ```
    /// use lath::layers::cors;
    /// let error = cors().allow_any_origin().allow_credentials(true).build().unwrap_err();
    /// assert!(error.to_string().contains("credentials"));
    /// assert!(cors().allow_origins(["https://a.example"]).build().is_ok());
    /// ```
    pub fn build(self) -> Result<CorsLayer, CorsError> {
        if self.credentials && matches!(self.origins, Origins::Any) {
            return Err(CorsError(
                "credentials cannot be allowed for every origin: name the origins",
            ));
        }
        let allow_methods = self
            .methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        Ok(CorsLayer {
            policy: Arc::new(Policy {
                allow_methods,
                cors: self,
            }),
        })
    }
}

/// The policy, checked, shared by the layer's app.
struct Policy {
    cors: Cors,
    /// `Access-Control-Allow-Methods`, joined once.
    allow_methods: String,
}

/// The layer [`Cors::build`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{cors, CorsLayer};
/// let layer: CorsLayer = cors().allow_any_origin().build().unwrap();
/// let routes = Router::new()
///     .branch("/api", Router::new().get("/items", handler(|_req: Request| async { "[]" })).layer(layer))
///     .get("/", handler(|_req: Request| async { "home" }))
///     .build()
///     .unwrap();
/// let client = Client::new(routes);
/// let api = client.get("/api/items").header("Origin", "https://a.example").send_blocking().unwrap();
/// assert_eq!(api.header("access-control-allow-origin"), Some("*"));
/// let home = client.get("/").header("Origin", "https://a.example").send_blocking().unwrap();
/// assert_eq!(home.header("access-control-allow-origin"), None);
/// ```
#[derive(Clone)]
pub struct CorsLayer {
    policy: Arc<Policy>,
}

impl fmt::Debug for CorsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsLayer").finish_non_exhaustive()
    }
}

impl<A: App> Layer<A> for CorsLayer {
    type App = CorsApp<A>;

    fn layer(self, app: A) -> CorsApp<A> {
        CorsApp {
            app,
            policy: self.policy,
        }
    }
}

/// The app a [`CorsLayer`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{cors, CorsApp};
/// let app: CorsApp<_> = handler(|_req: Request| async { "hi" }).wrap(cors().allow_any_origin().build().unwrap());
/// // Requests without `Origin` are not CORS requests: nothing is added.
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(res.header("access-control-allow-origin"), None);
/// ```
pub struct CorsApp<A> {
    app: A,
    policy: Arc<Policy>,
}

impl<A> fmt::Debug for CorsApp<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsApp").finish_non_exhaustive()
    }
}

impl<A: App> App for CorsApp<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let cors = &self.policy.cors;
        let any = matches!(cors.origins, Origins::Any);
        let Some(origin) = req.header("origin").map(str::to_owned) else {
            // Not a CORS request; the answer still varies by Origin when
            // the policy names origins.
            if any {
                return self.app.call(req, respond).await;
            }
            let (respond, _held) = mapped(&VARIES, respond, (), |(), res| res.vary("Origin"));
            return self.app.call(req, respond).await;
        };
        let allowed = cors.origins.allows(&origin);
        let asked = req
            .header("access-control-request-method")
            .map(str::to_owned);
        if let (true, Some(asked)) = (*req.method() == Method::OPTIONS, asked) {
            return respond.send(self.preflight(&req, &origin, allowed, &asked));
        }
        if !allowed {
            let (respond, _held) = mapped(&VARIES, respond, (), |(), res| res.vary("Origin"));
            return self.app.call(req, respond).await;
        }
        let state = (self.policy.clone(), origin);
        let (respond, _held) = mapped(&DECORATES, respond, state, |(policy, origin), res| {
            policy.decorate(res, &origin)
        });
        self.app.call(req, respond).await
    }
}

thread_local! {
    static VARIES: Ways<()> = const { KeptArcs::new() };
    static DECORATES: Ways<(Arc<Policy>, String)> = const { KeptArcs::new() };
}

impl<A> CorsApp<A> {
    /// The answer to a preflight.
    fn preflight(&self, req: &Request, origin: &str, allowed: bool, asked: &str) -> Response {
        let cors = &self.policy.cors;
        let method_ok =
            Method::from_bytes(asked.trim().as_bytes()).is_ok_and(|m| cors.methods.contains(&m));
        let requested: Vec<String> = req
            .headers()
            .get_all("access-control-request-headers")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let headers_ok = match &cors.headers {
            None => true,
            Some(list) => requested.iter().all(|h| list.contains(h)),
        };
        if !(allowed && method_ok && headers_ok) {
            return Response::from(HttpError::forbidden().with_message("CORS preflight refused"))
                .vary("Origin");
        }
        let allow_headers = match &cors.headers {
            Some(list) => list.join(", "),
            None => requested.join(", "),
        };
        let mut res = self
            .policy
            .decorate(Response::new(Status::NO_CONTENT), origin)
            .with_header(
                "Access-Control-Allow-Methods",
                self.policy.allow_methods.clone(),
            )
            .vary("Access-Control-Request-Method")
            .vary("Access-Control-Request-Headers");
        if !allow_headers.is_empty() {
            res = res.with_header("Access-Control-Allow-Headers", allow_headers);
        }
        if let Some(age) = cors.max_age {
            res = res.with_header("Access-Control-Max-Age", age.as_secs().to_string());
        }
        res
    }
}

impl Policy {
    /// `res` for a page at an allowed `origin`.
    fn decorate(&self, mut res: Response, origin: &str) -> Response {
        let cors = &self.cors;
        let any = matches!(cors.origins, Origins::Any) && !cors.credentials;
        let value = if any {
            "*".to_owned()
        } else {
            origin.to_owned()
        };
        res.headers_mut()
            .insert("Access-Control-Allow-Origin", value);
        if !any {
            res = res.vary("Origin");
        }
        if cors.credentials {
            res = res.with_header("Access-Control-Allow-Credentials", "true");
        }
        if !cors.expose.is_empty() {
            res = res.with_header("Access-Control-Expose-Headers", cors.expose.join(", "));
        }
        res
    }
}

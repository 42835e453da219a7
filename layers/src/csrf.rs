//! Cross-site request forgery protection (wsgiLite's CSRF).

use std::sync::Arc;

use lath_app::{App, Body, HttpError, Layer, Method, Request, Respond, Status};

use crate::{Cookie, Query, RequestExt, ResponseExt, SameSite, SecretTooShort, Signer};

/// The cookie holding each client's CSRF secret.
pub const CSRF_COOKIE: &str = "_csrf";
/// The form field carrying the token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header carrying the token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The token for this request's client, put there by [`csrf`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{csrf, CsrfToken};
/// let app = handler(|req: Request| async move {
///     req.extensions().get::<CsrfToken>().map(|t| t.0.len()).unwrap_or(0).to_string()
/// })
/// .wrap(csrf(&[1u8; 32]).unwrap());
/// let len: usize = Client::new(app).get("/").send_blocking().unwrap().text().parse().unwrap();
/// assert!(len > 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken(pub String);

/// Checks unsafe requests for a token tied to the client.
///
/// Each client gets a random secret in an HttpOnly, `SameSite=Lax` cookie;
/// tokens are an HMAC of that secret (and a random salt) under the server's
/// `secret`, so a token from one client fails for another. `POST`, `PUT`,
/// `PATCH` and `DELETE` must carry one in the `_csrf` form field or the
/// `X-CSRF-Token` header, else 403; safe methods always pass. Tokens are
/// compared in constant time.
///
/// ```
/// use lath::app::{handler, AppExt, Request};
/// use lath::layers::{csrf, csrf_input};
/// let app = handler(|req: Request| async move {
///     format!("<form method=post>{}<button>go</button></form>", csrf_input(&req))
/// })
/// .wrap(csrf(&[9u8; 32]).unwrap().skip(["/hooks"]));
/// # let _ = app;
/// ```
///
/// A secret shorter than [`MIN_SECRET_LEN`](crate::MIN_SECRET_LEN) bytes
/// is refused.
pub fn csrf(secret: &[u8]) -> Result<CsrfLayer, SecretTooShort> {
    Ok(CsrfLayer {
        signer: Arc::new(Signer::new(secret)?),
        methods: vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE],
        skip: Vec::new(),
    })
}

/// The layer [`csrf`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{csrf, csrf_token, CsrfLayer};
/// let layer: CsrfLayer = csrf(&[1u8; 32]).unwrap();
/// let routes = Router::new()
///     .get("/form", handler(|req: Request| async move { csrf_token(&req).unwrap_or("").to_owned() }))
///     .post("/form", handler(|_req: Request| async { "saved" }))
///     .build()
///     .unwrap()
///     .wrap(layer);
/// let client = Client::new(routes); // keeps the secret cookie
/// let token = client.get("/form").send_blocking().unwrap().text();
/// assert_eq!(client.post("/form").send_blocking().unwrap().status.code(), 403);
/// let res = client.post("/form").header("X-CSRF-Token", &token).send_blocking().unwrap();
/// assert_eq!(res.text(), "saved");
/// ```
#[derive(Debug, Clone)]
pub struct CsrfLayer {
    signer: Arc<Signer>,
    methods: Vec<Method>,
    skip: Vec<String>,
}

impl CsrfLayer {
    /// The methods checked (default `POST`, `PUT`, `PATCH`, `DELETE`).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::csrf;
    /// // Only DELETE is checked here.
    /// let app = handler(|_req: Request| async { "done" }).wrap(csrf(&[1u8; 32]).unwrap().methods([Method::DELETE]));
    /// let client = Client::new(app);
    /// assert_eq!(client.post("/").send_blocking().unwrap().status.code(), 200);
    /// assert_eq!(client.delete("/").send_blocking().unwrap().status.code(), 403);
    /// ```
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> CsrfLayer {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Paths (and everything under them) never checked, such as webhooks.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::csrf;
    /// let app = handler(|_req: Request| async { "ok" }).wrap(csrf(&[1u8; 32]).unwrap().skip(["/hooks"]));
    /// let client = Client::new(app);
    /// assert_eq!(client.post("/hooks/github").send_blocking().unwrap().status.code(), 200);
    /// assert_eq!(client.post("/hooks-admin").send_blocking().unwrap().status.code(), 403);
    /// ```
    pub fn skip<I: IntoIterator<Item = S>, S: Into<String>>(mut self, prefixes: I) -> CsrfLayer {
        self.skip = prefixes.into_iter().map(Into::into).collect();
        self
    }
}

impl<A: App> Layer<A> for CsrfLayer {
    type App = Csrf<A>;

    fn layer(self, app: A) -> Csrf<A> {
        Csrf {
            app,
            signer: self.signer,
            methods: self.methods,
            skip: self.skip,
        }
    }
}

/// The app a [`csrf`] layer makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{csrf, Csrf};
/// let app: Csrf<_> = handler(|_req: Request| async { "page" }).wrap(csrf(&[1u8; 32]).unwrap());
/// let res = Client::new(app).get("/").send_blocking().unwrap();
/// assert!(res.header("set-cookie").unwrap().starts_with("_csrf="));
/// ```
#[derive(Debug)]
pub struct Csrf<A> {
    app: A,
    signer: Arc<Signer>,
    methods: Vec<Method>,
    skip: Vec<String>,
}

/// The CSRF token for this request's client (`None` outside [`csrf`]).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{csrf, csrf_token};
/// let bare = handler(|req: Request| async move { csrf_token(&req).is_some().to_string() });
/// assert_eq!(Client::new(bare).get("/").send_blocking().unwrap().text(), "false");
/// let guarded = handler(|req: Request| async move { csrf_token(&req).is_some().to_string() }).wrap(csrf(&[1u8; 32]).unwrap());
/// assert_eq!(Client::new(guarded).get("/").send_blocking().unwrap().text(), "true");
/// ```
pub fn csrf_token(req: &Request) -> Option<&str> {
    req.extensions().get::<CsrfToken>().map(|t| t.0.as_str())
}

/// A hidden form input carrying the token.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{csrf, csrf_input};
/// let app = handler(|req: Request| async move { Response::html(format!("<form method=post>{}</form>", csrf_input(&req))) })
///     .wrap(csrf(&[1u8; 32]).unwrap());
/// let page = Client::new(app).get("/").send_blocking().unwrap().text();
/// assert!(page.contains(r#"<input type="hidden" name="_csrf" value=""#));
/// ```
pub fn csrf_input(req: &Request) -> String {
    format!(
        "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
        csrf_token(req).unwrap_or("")
    )
}

/// Is `path` the path `prefix` or below it? (`/hooks` covers `/hooks`
/// and `/hooks/github`, not `/hooks-admin`.)
fn under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'),
        None => false,
    }
}

fn token_name(client_secret: &str) -> String {
    format!("csrf:{client_secret}")
}

impl<A: App> App for Csrf<A> {
    async fn call(&self, mut req: Request, respond: Respond) {
        let existing = req.cookie(CSRF_COOKIE).filter(|s| s.len() >= 32);
        let checked =
            self.methods.contains(req.method()) && !self.skip.iter().any(|p| under(req.path(), p));
        if checked {
            let Some(client_secret) = &existing else {
                return respond.send(HttpError::new(Status::FORBIDDEN, "missing csrf cookie"));
            };
            let token = match sent_token(&mut req).await {
                Ok(token) => token,
                Err(e) => return respond.send(e),
            };
            let Some(token) = token else {
                return respond.send(HttpError::new(Status::FORBIDDEN, "missing csrf token"));
            };
            if self
                .signer
                .verify(&token_name(client_secret), &token)
                .is_none()
            {
                return respond.send(HttpError::new(Status::FORBIDDEN, "invalid csrf token"));
            }
        }
        // A fresh token for forms and scripts, tied to this client.
        let client_secret = existing.clone().unwrap_or_else(Signer::random);
        let token = self
            .signer
            .sign(&token_name(&client_secret), &Signer::random());
        req.extensions_mut().insert(CsrfToken(token));
        let respond = match existing {
            Some(_) => respond,
            None => respond.map(move |res| {
                res.cookie(
                    Cookie::new(CSRF_COOKIE, client_secret)
                        .path("/")
                        .http_only(true)
                        .same_site(SameSite::Lax),
                )
            }),
        };
        self.app.call(req, respond).await
    }
}

/// The token from the header, or from the `_csrf` field of an urlencoded
/// or multipart form body — which is read under the body limit and put
/// back for the app.
async fn sent_token(req: &mut Request) -> Result<Option<String>, HttpError> {
    if let Some(token) = req.header(CSRF_HEADER) {
        return Ok(Some(token.to_owned()));
    }
    #[cfg(feature = "multipart")]
    if req.is("multipart") {
        let bytes = req.bytes().await?;
        *req.body_mut() = Body::full(bytes.clone());
        let token = multipart_token(req).await;
        *req.body_mut() = Body::full(bytes);
        return Ok(token);
    }
    if !req.is("form") {
        return Ok(None);
    }
    let bytes = req.bytes().await?;
    let token = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| Query::parse(text).get(CSRF_FIELD).map(str::to_owned));
    *req.body_mut() = Body::full(bytes);
    Ok(token)
}

/// The `_csrf` text field of a buffered multipart body, if there is one
/// (a malformed body has none: the check then answers 403).
#[cfg(feature = "multipart")]
async fn multipart_token(req: &mut Request) -> Option<String> {
    /// Longer than any token this layer signs.
    const MAX_TOKEN: usize = 1024;
    let mut parts = crate::parts(req, crate::MultipartLimits::default()).ok()?;
    while let Some(mut part) = parts.next_part().await.ok()? {
        if part.name() != CSRF_FIELD || part.file_name().is_some() {
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = part.chunk(&mut parts).await.ok()? {
            value.extend_from_slice(&chunk);
            if value.len() > MAX_TOKEN {
                return None;
            }
        }
        return String::from_utf8(value).ok();
    }
    None
}

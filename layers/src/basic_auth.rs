//! HTTP Basic authentication (RFC 7617).

use std::sync::Arc;

use base64::Engine;
use lath_app::{App, HttpError, Layer, Request, Respond, Response, Status};

/// Lets through requests whose `Authorization: Basic` credentials `check`
/// accepts; answers others `401` with `WWW-Authenticate: Basic
/// realm="…"` (RFC 7617; RFC 9110 §11.6.1), so a browser asks for a user
/// and password. The accepted user is put on the request as a
/// [`BasicUser`]. Credentials are decoded as UTF-8;
/// [`utf8`](BasicAuthLayer::utf8) says so in the challenge.
///
/// `check` gets the user and password; compare secrets in constant time.
/// Basic credentials are sent in the clear: serve them over HTTPS.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{basic_auth, BasicUser};
/// let app = handler(|req: Request| async move { format!("hi {}", req.extensions().get::<BasicUser>().unwrap().0) })
///     .wrap(basic_auth("admin area", |user, password| user == "ann" && password == "s3cret"));
/// let client = Client::new(app);
/// let denied = client.get("/").send_blocking().unwrap();
/// assert_eq!(denied.status.code(), 401);
/// assert_eq!(denied.header("www-authenticate"), Some(r#"Basic realm="admin area""#));
/// // "ann:s3cret" in base64
/// let allowed = client.get("/").header("Authorization", "Basic YW5uOnMzY3JldA==").send_blocking().unwrap();
/// assert_eq!(allowed.text(), "hi ann");
/// ```
pub fn basic_auth(
    realm: &str,
    check: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
) -> BasicAuthLayer {
    let realm = realm.replace(['"', '\\'], "");
    BasicAuthLayer {
        challenge: Arc::from(format!("Basic realm=\"{realm}\"")),
        check: Arc::new(check),
    }
}

/// The user a [`basic_auth`] layer accepted, on the request's extensions.
///
/// ```
/// use lath::layers::BasicUser;
/// let user = BasicUser("ann".to_owned());
/// assert_eq!(user.0, "ann");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicUser(pub String);

type Check = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// The layer returned by [`basic_auth`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{basic_auth, BasicAuthLayer};
/// let layer: BasicAuthLayer = basic_auth("x", |_user, _password| false);
/// let app = handler(|_req: Request| async { "secret" }).wrap(layer);
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 401);
/// ```
#[derive(Clone)]
pub struct BasicAuthLayer {
    challenge: Arc<str>,
    check: Check,
}

impl std::fmt::Debug for BasicAuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthLayer")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl BasicAuthLayer {
    /// Adds `charset="UTF-8"` to the challenge (RFC 7617 §2.1), telling
    /// browsers to send non-ASCII user names and passwords as UTF-8.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::basic_auth;
    /// let app = handler(|_req: Request| async { "in" }).wrap(basic_auth("x", |_u, _p| false).utf8());
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.header("www-authenticate"), Some(r#"Basic realm="x", charset="UTF-8""#));
    /// ```
    pub fn utf8(mut self) -> BasicAuthLayer {
        self.challenge = Arc::from(format!("{}, charset=\"UTF-8\"", self.challenge));
        self
    }
}

impl<A: App> Layer<A> for BasicAuthLayer {
    type App = BasicAuth<A>;

    fn layer(self, app: A) -> BasicAuth<A> {
        BasicAuth { app, auth: self }
    }
}

/// The app returned by the [`basic_auth`] layer.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{basic_auth, BasicAuth};
/// let app: BasicAuth<_> = handler(|_req: Request| async { "ok" }).wrap(basic_auth("x", |u, p| u == "a" && p == "b"));
/// let res = Client::new(app).get("/").header("Authorization", "basic YTpi").send_blocking().unwrap();
/// assert_eq!(res.text(), "ok");
/// ```
#[derive(Debug)]
pub struct BasicAuth<A> {
    app: A,
    auth: BasicAuthLayer,
}

impl<A: App> App for BasicAuth<A> {
    async fn call(&self, mut req: Request, respond: Respond) {
        let accepted = credentials(req.headers().get_str("authorization"))
            .filter(|(user, password)| (self.auth.check)(user, password));
        match accepted {
            Some((user, _)) => {
                req.extensions_mut().insert(BasicUser(user));
                self.app.call(req, respond).await
            }
            None => respond.send(
                Response::from(HttpError::from_status(Status::UNAUTHORIZED))
                    .with_header("WWW-Authenticate", self.auth.challenge.to_string()),
            ),
        }
    }
}

/// The user and password of an `Authorization: Basic` value.
fn credentials(authorization: Option<&str>) -> Option<(String, String)> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::credentials;

    #[test]
    fn credentials_follow_rfc_7617() {
        let cases = [
            // §2: "Aladdin:open sesame"
            (
                Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
                Some(("Aladdin", "open sesame")),
            ),
            // the scheme is case-insensitive (RFC 9110 §11.1)
            (Some("BASIC YTpi"), Some(("a", "b"))),
            // the password may hold colons; the user may not
            (Some("Basic YTpiOmM="), Some(("a", "b:c"))),
            (Some("Bearer YTpi"), None),
            (Some("Basic not-base64!"), None),
            (Some("Basic YWJj"), None), // "abc": no colon
            (Some("Basic"), None),
            (None, None),
        ];
        for (header, expected) in cases {
            let got = credentials(header);
            let got = got.as_ref().map(|(u, p)| (u.as_str(), p.as_str()));
            assert_eq!(got, expected, "{header:?}");
        }
    }
}

//! A development aid: every response checked for protocol mistakes.

use std::sync::{Arc, Mutex};

use lath_app::{
    App, BodySize, FutureSlot, HeaderReads, Method, Request, Respond, Response, SlotFuture, Status,
};

/// Checks every response `app` produces, as Rack::Lint does, and reports
/// each protocol mistake as a `tracing` warning (target `lath::lint`) —
/// or, with [`panics`](Lint::panics), fails the test that made it.
///
/// What it reports:
///
/// - a status outside 100–599;
/// - a body on a `204` or `304` (RFC 9110 §15.3.5, §15.4.5);
/// - a `HEAD` answer whose body is a stream of unknown length: the server
///   discards a `HEAD` answer's body (§9.3.2), so producing it is wasted
///   and the client learns no `Content-Length`. (A body of known length
///   on `HEAD` is how a `GET` route gives `HEAD` its exact
///   `Content-Length`, so it is not reported.);
/// - a `Content-Length` that disagrees with the body's length;
/// - a body without `Content-Type` (§8.3);
/// - a `Set-Cookie` whose name is not a token or whose value has
///   characters a cookie cannot carry (RFC 6265 §4.1.1), `SameSite=None`
///   without `Secure`, a `__Secure-` or `__Host-` cookie without `Secure`;
/// - a `201` whose `Location` is not an absolute URI;
/// - a response that lacks `Vary` for a negotiation field (`Accept`,
///   `Accept-Encoding`, `Accept-Language`, `Accept-Charset`) the app read
///   through [`Request::header`] or marked with [`Request::mark_read`];
/// - a `401` without `WWW-Authenticate` (§11.6.1);
/// - a `405` without `Allow` (§15.5.6).
///
/// Put it outermost, in debug builds: `if cfg!(debug_assertions)`. In
/// tests, [`report_to`](Lint::report_to) collects what it found for the
/// test to assert on.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{lint, LintReport};
/// let careless = handler(|_req: Request| async { Response::new(Status::UNAUTHORIZED).with_body("who are you?") });
/// let report = LintReport::default();
/// let app = lint(careless).report_to(report.clone());
/// Client::new(app).get("/").send_blocking().unwrap();
/// assert_eq!(report.problems(), [
///     "GET /: a body without Content-Type",
///     "GET /: a 401 without WWW-Authenticate",
/// ]);
/// ```
pub fn lint<A: App>(app: A) -> Lint<A> {
    Lint {
        app,
        on: true,
        panics: false,
        report: None,
    }
}

/// The app returned by [`lint`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{lint, Lint, LintReport};
/// let report = LintReport::default();
/// let app: Lint<_> = lint(handler(|_req: Request| async { "fine" })).report_to(report.clone());
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "fine");
/// report.assert_clean();
/// ```
#[derive(Debug)]
pub struct Lint<A> {
    app: A,
    on: bool,
    panics: bool,
    report: Option<LintReport>,
}

impl<A> Lint<A> {
    /// Off, the layer passes every request straight to the app: wrap
    /// always and switch with `enabled(cfg!(debug_assertions))`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{lint, LintReport};
    /// let report = LintReport::default();
    /// let app = lint(handler(|_req: Request| async { Response::new(Status::METHOD_NOT_ALLOWED) }))
    ///     .report_to(report.clone())
    ///     .enabled(false);
    /// Client::new(app).get("/").send_blocking().unwrap();
    /// assert!(report.problems().is_empty());
    /// ```
    pub fn enabled(mut self, on: bool) -> Lint<A> {
        self.on = on;
        self
    }

    /// Makes a mistake fatal, for tests: the response with it is
    /// replaced by a `500` naming the mistakes, and the app's task panics
    /// once its work for the request is done (the server prints the
    /// panic).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::lint;
    /// let app = lint(handler(|_req: Request| async { Response::new(Status::NOT_MODIFIED).with_body("x") })).panics(true);
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 500);
    /// ```
    pub fn panics(mut self, on: bool) -> Lint<A> {
        self.panics = on;
        self
    }

    /// Also adds each mistake to `report`, for a test to assert on.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{lint, LintReport};
    /// let report = LintReport::default();
    /// let app = lint(handler(|_req: Request| async { Response::new(Status::METHOD_NOT_ALLOWED) })).report_to(report.clone());
    /// Client::new(app).get("/").send_blocking().unwrap();
    /// assert_eq!(report.problems(), ["GET /: a 405 without Allow"]);
    /// ```
    pub fn report_to(mut self, report: LintReport) -> Lint<A> {
        self.report = Some(report);
        self
    }
}

/// The mistakes a [`lint`] layer found, shared between the layer and a
/// test. Clones share the list.
///
/// ```
/// use lath::layers::LintReport;
/// let report = LintReport::default();
/// assert!(report.problems().is_empty());
/// report.assert_clean();
/// ```
#[derive(Debug, Clone, Default)]
pub struct LintReport(Arc<Mutex<Vec<String>>>);

impl LintReport {
    /// Every mistake so far, each as `METHOD TARGET: what`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{lint, LintReport};
    /// let report = LintReport::default();
    /// let app = lint(handler(|_req: Request| async { Response::new(Status::NO_CONTENT).with_body("x") })).report_to(report.clone());
    /// Client::new(app).delete("/item").send_blocking().unwrap();
    /// assert_eq!(report.problems(), ["DELETE /item: a body on a 204, which never has one"]);
    /// ```
    pub fn problems(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Panics, listing them, when there were mistakes.
    ///
    /// ```should_panic
    /// use lath::prelude::*;
    /// use lath::layers::{lint, LintReport};
    /// let report = LintReport::default();
    /// let app = lint(handler(|_req: Request| async { Response::new(Status::OK).with_body("x") })).report_to(report.clone());
    /// Client::new(app).get("/").send_blocking().unwrap();
    /// report.assert_clean(); // a body without Content-Type
    /// ```
    pub fn assert_clean(&self) {
        let problems = self.problems();
        assert!(problems.is_empty(), "lint found:\n{}", problems.join("\n"));
    }
}

impl<A: App> App for Lint<A> {
    /// Switched off, the app's own future takes the slot: a disabled
    /// lint costs nothing per request, not even a move of the request.
    #[inline]
    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        match self.on {
            true => slot.put_with(|| self.call(req, respond)),
            false => self.app.call_in(req, respond, slot),
        }
    }

    async fn call(&self, mut req: Request, respond: Respond) {
        if !self.on {
            return self.app.call(req, respond).await;
        }
        let reads = Arc::new(HeaderReads::default());
        req.watch_reads(reads.clone());
        let exchange = format!("{} {}", req.method(), req.target());
        let head_request = *req.method() == Method::HEAD;
        let (panics, report) = (self.panics, self.report.clone());
        let failed = Arc::new(Mutex::new(Vec::new()));
        let failures = failed.clone();
        let respond = respond.map(move |res| {
            let problems = problems(head_request, &reads.fields(), &res);
            if problems.is_empty() {
                return res;
            }
            for problem in &problems {
                tracing::warn!(target: "lath::lint", %exchange, status = res.status().code(), problem = %problem, "lint");
            }
            let problems: Vec<String> = problems
                .into_iter()
                .map(|p| format!("{exchange}: {p}"))
                .collect();
            if let Some(report) = &report {
                report.add(problems.iter().cloned());
            }
            if panics {
                let text = format!("lint: {}", problems.join("; "));
                failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(text.clone());
                return Response::text(text).with_status(Status::INTERNAL_SERVER_ERROR);
            }
            res
        });
        self.app.call(req, respond).await;
        let failed = failed.lock().unwrap_or_else(|p| p.into_inner()).join("; ");
        if !failed.is_empty() {
            panic!("{failed}");
        }
    }
}

impl LintReport {
    fn add(&self, problems: impl Iterator<Item = String>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(problems);
    }
}

/// The mistakes in `res`, answering a request (`HEAD` or not) whose
/// negotiation fields `read` the app read.
fn problems(head_request: bool, read: &[&str], res: &Response) -> Vec<String> {
    let mut found = Vec::new();
    let status = res.status();
    let code = status.code();
    if !(100..=599).contains(&code) {
        found.push(format!("status {code} is outside 100–599"));
    }
    let size = res.body().size();
    let has_body = size != BodySize::EMPTY;
    let bodiless = status == Status::NO_CONTENT || status == Status::NOT_MODIFIED;
    if bodiless && has_body {
        found.push(format!("a body on a {code}, which never has one"));
    }
    if head_request && size == BodySize::Unknown {
        found.push(
            "a HEAD answer streams a body of unknown length: it is discarded, \
             and the client learns no Content-Length"
                .to_owned(),
        );
    }
    if let (Some(declared), BodySize::Known(len)) = (res.headers().get_str("content-length"), size)
    {
        if !bodiless && !head_request && declared.trim().parse::<u64>().ok() != Some(len) {
            found.push(format!(
                "Content-Length {declared} disagrees with the body's {len} bytes"
            ));
        }
    }
    if has_body && !bodiless && res.headers().get_str("content-type").is_none() {
        found.push("a body without Content-Type".to_owned());
    }
    for cookie in res.headers().get_all("set-cookie") {
        if let Err(problem) = check_cookie(&String::from_utf8_lossy(cookie)) {
            found.push(problem);
        }
    }
    if status == Status::CREATED {
        if let Some(location) = res.headers().get_str("location") {
            if !is_absolute_uri(location) {
                found.push(format!(
                    "a 201 whose Location {location:?} is not an absolute URI"
                ));
            }
        }
    }
    let vary: Vec<String> = res
        .headers()
        .get_all("vary")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|f| f.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    if !status.is_informational() && !vary.iter().any(|f| f == "*") {
        for field in read {
            if !vary.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                found.push(format!(
                    "the app read {field} but the response has no `Vary: {field}`"
                ));
            }
        }
    }
    if status == Status::UNAUTHORIZED && res.headers().get_str("www-authenticate").is_none() {
        found.push("a 401 without WWW-Authenticate".to_owned());
    }
    if status == Status::METHOD_NOT_ALLOWED && res.headers().get_str("allow").is_none() {
        found.push("a 405 without Allow".to_owned());
    }
    found
}

/// A `Set-Cookie` value's mistakes (RFC 6265 §4.1.1, RFC 6265bis).
fn check_cookie(set_cookie: &str) -> Result<(), String> {
    let mut parts = set_cookie.split(';');
    let pair = parts.next().unwrap_or("");
    let Some((name, value)) = pair.split_once('=') else {
        return Err(format!("Set-Cookie {set_cookie:?} has no name=value"));
    };
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(format!("Set-Cookie name {name:?} is not a token"));
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let cookie_octet =
        |b: u8| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
    if !value.bytes().all(cookie_octet) {
        return Err(format!(
            "Set-Cookie {name}: the value has characters a cookie cannot carry"
        ));
    }
    let attributes: Vec<String> = parts.map(|a| a.trim().to_ascii_lowercase()).collect();
    let secure = attributes.iter().any(|a| a == "secure");
    let same_site_none = attributes
        .iter()
        .any(|a| a.replace(' ', "") == "samesite=none");
    if same_site_none && !secure {
        return Err(format!("Set-Cookie {name}: SameSite=None without Secure"));
    }
    if (name.starts_with("__Secure-") || name.starts_with("__Host-")) && !secure {
        return Err(format!("Set-Cookie {name}: a prefixed name without Secure"));
    }
    Ok(())
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `scheme ":" …` (RFC 3986 §3.1, §4.3).
fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lath_app::Body;

    fn found(head: bool, read: &[&str], res: Response) -> Vec<String> {
        problems(head, read, &res)
    }

    #[test]
    fn each_rule_has_a_response_that_breaks_it_and_one_that_does_not() {
        let ok = || Response::text("hi");
        // (what, broken, fixed)
        let cases: Vec<(&str, Response, Response)> = vec![
            (
                "a body on a 204 (RFC 9110 §15.3.5)",
                Response::new(Status::NO_CONTENT).with_body("x"),
                Response::new(Status::NO_CONTENT),
            ),
            (
                "a body on a 304 (RFC 9110 §15.4.5)",
                Response::new(Status::NOT_MODIFIED).with_body("x"),
                Response::new(Status::NOT_MODIFIED),
            ),
            (
                "Content-Length that disagrees",
                ok().with_header("Content-Length", "5"),
                ok().with_header("Content-Length", "2"),
            ),
            (
                "a body without Content-Type (RFC 9110 §8.3)",
                Response::new(Status::OK).with_body("x"),
                ok(),
            ),
            (
                "a Set-Cookie name that is not a token",
                ok().with_header("Set-Cookie", "a b=1"),
                ok().with_header("Set-Cookie", "a_b=1; Path=/"),
            ),
            (
                "a Set-Cookie value with a space",
                ok().with_header("Set-Cookie", "a=b c"),
                ok().with_header("Set-Cookie", "a=\"bc\""),
            ),
            (
                "SameSite=None without Secure",
                ok().with_header("Set-Cookie", "a=1; SameSite=None"),
                ok().with_header("Set-Cookie", "a=1; SameSite=None; Secure"),
            ),
            (
                "a __Host- cookie without Secure",
                ok().with_header("Set-Cookie", "__Host-a=1; Path=/"),
                ok().with_header("Set-Cookie", "__Host-a=1; Path=/; Secure"),
            ),
            (
                "a relative Location on a 201",
                ok().with_status(Status::CREATED)
                    .with_header("Location", "/users/7"),
                ok().with_status(Status::CREATED)
                    .with_header("Location", "http://example.com/users/7"),
            ),
            (
                "a 401 without WWW-Authenticate (RFC 9110 §11.6.1)",
                ok().with_status(Status::UNAUTHORIZED),
                ok().with_status(Status::UNAUTHORIZED)
                    .with_header("WWW-Authenticate", "Basic realm=\"x\""),
            ),
            (
                "a 405 without Allow (RFC 9110 §15.5.6)",
                ok().with_status(Status::METHOD_NOT_ALLOWED),
                ok().with_status(Status::METHOD_NOT_ALLOWED)
                    .with_header("Allow", "GET"),
            ),
            (
                "a status outside 100–599",
                ok().with_status(Status::new(799).unwrap()),
                ok().with_status(Status::new(599).unwrap()),
            ),
        ];
        for (what, broken, fixed) in cases {
            assert_eq!(found(false, &[], broken).len(), 1, "{what}");
            assert_eq!(found(false, &[], fixed), Vec::<String>::new(), "{what}");
        }
    }

    #[test]
    fn a_field_read_must_be_in_vary() {
        let read = ["Accept-Language"];
        assert_eq!(found(false, &read, Response::text("hallo")).len(), 1);
        let varied =
            Response::text("hallo").with_header("Vary", "Accept-Encoding, accept-language");
        assert!(found(false, &read, varied).is_empty());
        let star = Response::text("hallo").with_header("Vary", "*");
        assert!(found(false, &read, star).is_empty());
    }

    #[test]
    fn a_head_answer_may_carry_a_sized_body_but_not_an_unsized_stream() {
        assert!(found(true, &[], Response::text("the GET body")).is_empty());
        let stream = futures::stream::iter([Ok::<_, lath_app::BodyError>(bytes::Bytes::from("x"))]);
        let streamed = Response::text("").with_body(Body::stream(stream));
        assert_eq!(found(true, &[], streamed).len(), 1);
    }
}

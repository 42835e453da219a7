//! Templates (Jinja syntax, with minijinja) and responses rendered as the
//! client asks: HTML through a template for browsers, JSON for the rest.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use lath_app::{App, HttpError, Layer, Request, Respond, Response, Status};
use serde::Serialize;

use crate::errors::{carry_fields, render_error, ErrorFormat};
use crate::request::negotiate;

/// The error page used when the templates have no `error.html` of their
/// own: the status, its reason and the message, escaped.
const ERROR_PAGE: &str = r#"<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ status }} {{ reason }}</title>
<h1>{{ status }} {{ reason }}</h1>
{% if message != reason %}<p>{{ message }}</p>{% endif %}
"#;

/// A folder of templates in Jinja syntax, rendered into HTML responses.
///
/// - Templates load from the folder when first used: `{% extends %}`,
///   `{% include %}`, `{% import %}` and macros work across its files.
/// - Values are escaped for HTML in `.html`, `.htm` and `.xml` templates
///   (and for JSON in `.json` and `.js` ones): a context value can never
///   inject markup. `{{ value|safe }}` opts out.
/// - With [`reload`](Templates::reload) on (for development), an edited
///   file is read again on the next render.
/// - A template that fails (missing, bad syntax, an error while
///   rendering) answers `500`, logged as a `tracing` event with the
///   template's name and line; the page shows them in
///   [`debug`](Templates::debug) mode only.
///
/// Clones share the loaded templates.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::Templates;
/// let dir = std::env::temp_dir().join(format!("lath-doc-templates-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("base.html"), "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}").unwrap();
/// std::fs::write(dir.join("hello.html"), "{% extends 'base.html' %}{% block title %}hi{% endblock %}{% block body %}<p>Hello, {{ name }}!{% endblock %}").unwrap();
///
/// let templates = Templates::from_dir(&dir);
/// let app = handler(move |req: Request| {
///     let templates = templates.clone();
///     async move { templates.render("hello.html", serde_json::json!({"name": req.query().get("name")})) }
/// });
/// let res = Client::new(app).get("/?name=%3Cb%3Eann").send_blocking().unwrap();
/// assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
/// assert_eq!(res.text(), "<title>hi</title><p>Hello, &lt;b&gt;ann!");
/// ```
#[derive(Clone)]
pub struct Templates {
    shared: Arc<Shared>,
    reload: bool,
    debug: bool,
}

struct Shared {
    dir: PathBuf,
    env: RwLock<minijinja::Environment<'static>>,
    /// What the folder looked like when the templates were loaded, for
    /// [`Templates::reload`].
    seen: Mutex<Option<Stamp>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.shared.dir)
            .field("reload", &self.reload)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// The templates in `dir` (and its subfolders, named by their path
    /// relative to it: `"users/list.html"`). Nothing is read until a
    /// template is first rendered.
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let templates = Templates::from_dir("templates");
    /// assert!(templates.render_to_string("missing.html", ()).is_err());
    /// ```
    pub fn from_dir(dir: impl Into<PathBuf>) -> Templates {
        let dir = dir.into();
        let mut env = minijinja::Environment::new();
        let files = minijinja::path_loader(&dir);
        env.set_loader(move |name| match files(name)? {
            Some(source) => Ok(Some(source)),
            None if name == "error.html" => Ok(Some(ERROR_PAGE.to_owned())),
            None => Ok(None),
        });
        Templates {
            shared: Arc::new(Shared {
                dir,
                env: RwLock::new(env),
                seen: Mutex::new(None),
            }),
            reload: false,
            debug: false,
        }
    }

    /// Reads edited templates again (off by default; for development):
    /// before each render the folder's files are checked, and when one
    /// changed, appeared or went away, every template is loaded anew.
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let dir = std::env::temp_dir().join(format!("lath-doc-reload-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("a.html"), "one").unwrap();
    /// let templates = Templates::from_dir(&dir).reload(true);
    /// assert_eq!(templates.render_to_string("a.html", ()).unwrap(), "one");
    /// std::fs::write(dir.join("a.html"), "two, longer").unwrap();
    /// assert_eq!(templates.render_to_string("a.html", ()).unwrap(), "two, longer");
    /// ```
    pub fn reload(mut self, on: bool) -> Templates {
        self.reload = on;
        self
    }

    /// In debug mode a template error's page names the template, the line
    /// and what went wrong (off by default: the page says only
    /// `Internal Server Error`; the log always has it all).
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let res = Templates::from_dir("templates").debug(true).render("missing.html", ());
    /// assert_eq!(res.status().code(), 500);
    /// assert!(res.error().unwrap().message().contains("missing.html"));
    /// ```
    pub fn debug(mut self, on: bool) -> Templates {
        self.debug = on;
        self
    }

    /// Adds a value every template sees, such as the site's name.
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let dir = std::env::temp_dir().join(format!("lath-doc-global-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("t.html"), "{{ site }}").unwrap();
    /// let templates = Templates::from_dir(&dir).global("site", "lath demo");
    /// assert_eq!(templates.render_to_string("t.html", ()).unwrap(), "lath demo");
    /// ```
    pub fn global(self, name: &'static str, value: impl Serialize) -> Templates {
        self.shared
            .env
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .add_global(name, minijinja::Value::from_serialize(&value));
        self
    }

    /// Renders template `name` with `context` into a `200` HTML response;
    /// a template error answers `500` (see [`Templates`]).
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let dir = std::env::temp_dir().join(format!("lath-doc-render-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("n.html"), "<b>{{ n }}</b>").unwrap();
    /// let res = Templates::from_dir(&dir).render("n.html", serde_json::json!({"n": 7}));
    /// assert_eq!(res.status().code(), 200);
    /// ```
    pub fn render(&self, name: &str, context: impl Serialize) -> Response {
        match self.render_to_string(name, context) {
            Ok(html) => Response::html(html),
            Err(error) => Response::from(self.failure(name, &error)),
        }
    }

    /// Renders template `name` with `context` into a string.
    ///
    /// ```
    /// use lath::layers::Templates;
    /// let dir = std::env::temp_dir().join(format!("lath-doc-string-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("bad.html"), "line one\n{{ oops( }}").unwrap();
    /// let error = Templates::from_dir(&dir).render_to_string("bad.html", ()).unwrap_err();
    /// assert_eq!((error.name(), error.line()), (Some("bad.html"), Some(2)));
    /// ```
    pub fn render_to_string(
        &self,
        name: &str,
        context: impl Serialize,
    ) -> Result<String, minijinja::Error> {
        if self.reload {
            self.reload_if_changed();
        }
        let env = self.shared.env.read().unwrap_or_else(|p| p.into_inner());
        env.get_template(name)?
            .render(minijinja::Value::from_serialize(&context))
    }

    /// An [`HttpError`] as an HTML page through the template `error.html`
    /// (the folder's own, or a small built-in page), with `status`,
    /// `reason` and `message` in its context; other formats as the
    /// [`errors`](crate::errors) layer renders them. Give it to
    /// [`Errors::render`](crate::Errors::render), so browsers see the
    /// site's error page.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{errors, Templates};
    /// let templates = Templates::from_dir("templates");
    /// let app = errors(handler(|_req: Request| async { Err::<(), _>(HttpError::not_found()) }))
    ///     .render(move |error, format| templates.render_error(error, format));
    /// let res = Client::new(app).get("/").header("Accept", "text/html").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 404);
    /// assert!(res.text().contains("<h1>404 Not Found</h1>"));
    /// ```
    pub fn render_error(&self, error: &HttpError, format: ErrorFormat) -> Response {
        if format != ErrorFormat::Html {
            return render_error(error, format);
        }
        let status = error.status();
        let context = serde_json::json!({
            "status": status.code(),
            "reason": status.reason(),
            "message": error.message(),
        });
        match self.render_to_string("error.html", context) {
            Ok(html) => Response::html(html).with_status(status),
            Err(failure) => {
                let failed = self.failure("error.html", &failure);
                tracing::error!(message = failed.message(), "the error page failed");
                render_error(error, format)
            }
        }
    }

    /// The 500 of a template that failed, logged.
    fn failure(&self, name: &str, error: &minijinja::Error) -> HttpError {
        let line = error
            .line()
            .map_or(String::new(), |l| format!(", line {l}"));
        let shown = error.name().unwrap_or(name);
        let what = format!("template {shown}{line}: {}", error.detail().unwrap_or(""));
        let what = format!("{what} ({:?})", error.kind());
        tracing::error!(template = shown, line = error.line(), error = %error, "template failed");
        let failed = HttpError::internal().with_detail(what.clone());
        if self.debug {
            failed.with_message(what)
        } else {
            failed
        }
    }

    /// Forgets the loaded templates when the folder changed.
    fn reload_if_changed(&self) {
        let now = Stamp::of(&self.shared.dir);
        let mut seen = self.shared.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.as_ref() != Some(&now) {
            self.shared
                .env
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .clear_templates();
            *seen = Some(now);
        }
    }
}

/// The files of a folder, each with its length and modification time.
#[derive(Debug, PartialEq, Eq)]
struct Stamp(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Stamp {
    fn of(dir: &Path) -> Stamp {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    pending.push(entry.path());
                } else {
                    files.push((entry.path(), meta.len(), meta.modified().ok()));
                }
            }
        }
        files.sort();
        Stamp(files)
    }
}

/// Data and the template that shows it as HTML: a handler's answer that
/// a browser sees as a page and an API client as JSON (kequapp's
/// renderers).
///
/// Alone it is a JSON response. Under the [`renderers`] layer, a client
/// whose `Accept` prefers `text/html` gets the template rendered with the
/// data instead (an object's fields are the template's names; any other
/// value is named `data`); `Vary: Accept` says so to caches. The
/// response's status and fields (such as cookies) are kept either way.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{renderers, Templates, View};
/// let dir = std::env::temp_dir().join(format!("lath-doc-view-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("user.html"), "<p>{{ name }}</p>").unwrap();
///
/// let app = handler(|_req: Request| async { View::new("user.html", serde_json::json!({"name": "ann"})) })
///     .wrap(renderers(Templates::from_dir(&dir)));
/// let client = Client::new(app);
/// let page = client.get("/").header("Accept", "text/html,*/*;q=0.8").send_blocking().unwrap();
/// assert_eq!(page.text(), "<p>ann</p>");
/// let api = client.get("/").header("Accept", "application/json").send_blocking().unwrap();
/// assert_eq!(api.text(), r#"{"name":"ann"}"#);
/// assert_eq!(api.header("vary"), Some("Accept"));
/// ```
#[derive(Debug, Clone)]
pub struct View {
    template: String,
    data: serde_json::Value,
    status: Status,
    strict: bool,
}

impl View {
    /// `data` shown through `template`.
    ///
    /// ```
    /// use lath::layers::View;
    /// let view = View::new("users.html", vec!["ann", "bob"]);
    /// assert_eq!(view.template(), "users.html");
    /// ```
    pub fn new(template: impl Into<String>, data: impl Serialize) -> View {
        let data = serde_json::to_value(data).unwrap_or_else(
            |error| serde_json::json!({ "error": format!("data not serializable: {error}") }),
        );
        View {
            template: template.into(),
            data,
            status: Status::OK,
            strict: false,
        }
    }

    /// The template's name.
    ///
    /// ```
    /// use lath::layers::View;
    /// assert_eq!(View::new("a.html", ()).template(), "a.html");
    /// ```
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Answers with `status` instead of `200` (a form with errors: `422`).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::View;
    /// let res = Response::from(View::new("form.html", ()).with_status(Status::UNPROCESSABLE_CONTENT));
    /// assert_eq!(res.status().code(), 422);
    /// ```
    pub fn with_status(mut self, status: Status) -> View {
        self.status = status;
        self
    }

    /// A client that accepts neither HTML nor JSON gets `406 Not
    /// Acceptable` (by default it gets JSON).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{renderers, Templates, View};
    /// let app = handler(|_req: Request| async { View::new("a.html", 1).strict() })
    ///     .wrap(renderers(Templates::from_dir("templates")));
    /// let res = Client::new(app).get("/").header("Accept", "image/png").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 406);
    /// ```
    pub fn strict(mut self) -> View {
        self.strict = true;
        self
    }
}

impl From<View> for Response {
    fn from(view: View) -> Response {
        crate::json(&view.data)
            .with_status(view.status)
            .with_extension(view)
    }
}

/// The layer that shows [`View`] answers as HTML to browsers, through
/// `templates` (see [`View`]). Other responses pass untouched.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{renderers, Router, Templates};
/// let routes = Router::new()
///     .get("/", handler(|_req: Request| async { "plain" }))
///     .layer(renderers(Templates::from_dir("templates")));
/// # let _ = routes;
/// ```
pub fn renderers(templates: Templates) -> RenderersLayer {
    RenderersLayer { templates }
}

/// The layer returned by [`renderers`].
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{renderers, RenderersLayer, Templates};
/// let layer: RenderersLayer = renderers(Templates::from_dir("templates"));
/// let app = handler(|_req: Request| async { "hi" }).wrap(layer);
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
#[derive(Debug, Clone)]
pub struct RenderersLayer {
    templates: Templates,
}

impl<A: App> Layer<A> for RenderersLayer {
    type App = Renderers<A>;

    fn layer(self, app: A) -> Renderers<A> {
        Renderers {
            app,
            templates: self.templates,
        }
    }
}

/// The app returned by the [`renderers`] layer.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{renderers, Renderers, Templates, View};
/// let app: Renderers<_> = handler(|_req: Request| async { View::new("x.html", [1, 2]) })
///     .wrap(renderers(Templates::from_dir("templates")));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "[1,2]");
/// ```
#[derive(Debug)]
pub struct Renderers<A> {
    app: A,
    templates: Templates,
}

impl<A: App> App for Renderers<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let accept: Vec<String> = req
            .headers()
            .get_all("accept")
            .filter_map(|v| std::str::from_utf8(v).ok().map(str::to_owned))
            .collect();
        let templates = self.templates.clone();
        let respond = respond.map(move |res| shown(res, &accept, &templates));
        self.app.call(req, respond).await
    }
}

/// `res` as a client with this `Accept` should see it.
fn shown(mut res: Response, accept: &[String], templates: &Templates) -> Response {
    let Some(view) = res.extensions_mut().remove::<View>() else {
        return res;
    };
    let accept: Vec<&str> = accept.iter().map(String::as_str).collect();
    let chosen = negotiate(&accept, &["application/json", "text/html"]);
    let mut shown = match chosen {
        Some("text/html") => {
            let mut page = match &view.data {
                serde_json::Value::Object(_) => templates.render(&view.template, &view.data),
                data => templates.render(&view.template, serde_json::json!({ "data": data })),
            };
            if page.status() == Status::OK {
                // The handler's fields (cookies, caching) stay; the body's go.
                page = page.with_status(res.status());
                carry_fields(&res, &mut page);
            }
            page
        }
        None if view.strict => Response::from(HttpError::not_acceptable()),
        _ => res,
    };
    shown.headers_mut().append("Vary", "Accept");
    shown
}

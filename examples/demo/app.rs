//! The demo's app, apart from its `main` so tests can drive it through the
//! in-memory client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use lath::layers::{
    back, basic_auth, collect_multipart, compress, csrf, csrf_input, csrf_token, errors, lint,
    rate_limit, recover, renderers, send_file, serve_dir, timeout, websocket, BasicUser, BodyExt,
    Cookie, Json, LintReport, Message, MultipartLimits, Normalize, Query, Rate, RequestExt,
    ResponseExt, Router, Routes, Signer, Templates, View, WebSocket,
};
use lath::{handler, App, AppExt, Body, HttpError, Request, Respond, Response, Status};

/// The user and password of `/admin`, made at start-up.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Admin {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl Admin {
    /// `admin` with a random password.
    pub fn random() -> Admin {
        let password: String = Signer::random().as_bytes()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Admin {
            user: "admin".to_owned(),
            password,
        }
    }
}

/// What the demo's routes share.
#[derive(Clone)]
struct Site {
    templates: Templates,
    admin: Admin,
}

/// The demo's templates.
pub fn templates(debug: bool) -> Templates {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/templates");
    Templates::from_dir(dir).reload(debug).debug(debug)
}

/// `http://host:port` as the client addressed this server.
fn origin(req: &Request) -> String {
    let scheme = if req.is_secure() { "https" } else { "http" };
    format!("{scheme}://{}", req.host().unwrap_or("localhost"))
}

/// The index page: a section per feature.
fn index(site: &Site, req: &Request) -> Response {
    site.templates.render(
        "index.html",
        serde_json::json!({"admin": site.admin, "host": req.host().unwrap_or("localhost")}),
    )
}

/// The CSRF page: the token in a form, and a command that uses one.
fn csrf_page(site: &Site, req: &Request) -> Response {
    site.templates.render(
        "csrf.html",
        serde_json::json!({"csrf_input": csrf_input(req), "origin": origin(req)}),
    )
}

/// `POST /upload`, past the CSRF check: the note it carried.
async fn csrf_upload(mut req: Request) -> Result<View, HttpError> {
    let form = req.form_pairs().await.unwrap_or_default();
    let note = form
        .into_iter()
        .find(|(name, _)| name == "note")
        .map(|(_, value)| value)
        .unwrap_or_default();
    Ok(View::new(
        "csrf_result.html",
        serde_json::json!({"message": "CSRF token ok", "note": note}),
    ))
}

/// `POST /users`: the body normalized (JSON or a form). Each rule is
/// checked alone too, so every field's error shows beside that field.
async fn users(mut req: Request) -> View {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    let is_form = req.is("form");
    let body = match req.bytes().await {
        Ok(body) => body,
        Err(error) => return refused(&error, Default::default(), &[]),
    };
    let normalize = |options: Normalize| {
        let mut again = Request::builder("POST", "/users")
            .header("Content-Type", &content_type)
            .body(body.clone());
        async move { again.normalized(&options).await }
    };
    let rules = [
        ("name", Normalize::new().required(["name"])),
        ("age", Normalize::new().numbers(["age"])),
    ];
    let mut fields = serde_json::Map::new();
    for (field, rule) in rules {
        if let Err(error) = normalize(rule).await {
            if error.message().contains(field) {
                fields.insert(field.to_owned(), error.message().into());
            }
        }
    }
    let all = Normalize::new()
        .required(["name"])
        .numbers(["age"])
        .arrays(["ownedPets"]);
    let form = if is_form { &body[..] } else { &[][..] };
    match normalize(all).await {
        Ok(user) if fields.is_empty() => View::new("users.html", user),
        Ok(_) => refused(&HttpError::unprocessable_content(), fields, form),
        Err(error) => refused(&error, fields, form),
    }
}

/// The users page for a body that was refused: the message, each field's
/// error, and the form's values to correct.
fn refused(
    error: &HttpError,
    fields: serde_json::Map<String, serde_json::Value>,
    form: &[u8],
) -> View {
    let message = if fields.is_empty() {
        error.message().to_owned()
    } else {
        let each: Vec<&str> = fields.values().filter_map(|m| m.as_str()).collect();
        each.join("; ")
    };
    View::new(
        "users.html",
        serde_json::json!({
            "error": {"status": error.status().code(), "message": message, "fields": fields},
            "values": Query::parse(&String::from_utf8_lossy(form)).to_json(),
        }),
    )
    .with_status(error.status())
}

/// `POST /files`: what was uploaded.
async fn files(mut req: Request) -> Result<View, HttpError> {
    let form = collect_multipart(&mut req, MultipartLimits::default()).await?;
    let listed: Vec<_> = form
        .files
        .iter()
        .map(|f| {
            serde_json::json!({
                "field": f.field, "filename": f.file_name,
                "size": f.size, "content_type": f.content_type,
            })
        })
        .collect();
    Ok(View::new("files.html", listed))
}

/// `POST /echo`: the body streams straight back, no buffering, and its
/// trailers with it; a browser gets a page showing it.
async fn echo(site: Site, mut req: Request, respond: Respond) {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    if req.accepts(&["application/octet-stream", "text/html"]) == Some("text/html") {
        let page = match req.text().await {
            Ok(body) => site.templates.render(
                "echo.html",
                serde_json::json!({"content_type": content_type, "body": body}),
            ),
            Err(error) => Response::from(error),
        };
        respond.send(page.with_header("Vary", "Accept"));
        return;
    }
    // Trailers the body ends with come back as the response's.
    let body = req.take_body();
    let trailers = body.trailer_slot();
    let echoed = Body::stream(body);
    respond.send(
        Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_header("Vary", "Accept")
            .with_body(match trailers {
                Some(slot) => echoed.with_trailer_slot(slot),
                None => echoed,
            }),
    );
}

async fn exception(_req: Request, _respond: Respond) {
    panic!("this handler always fails");
}

async fn slow(_req: Request, respond: Respond) {
    async_std::task::sleep(Duration::from_secs(10)).await;
    respond.send("finished (too late)");
}

fn visits(req: &Request) -> Response {
    let count = req
        .cookie("visits")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        .saturating_add(1);
    Response::text(format!("visits: {count}")).cookie(
        Cookie::new("visits", count.to_string())
            .path("/")
            .http_only(true),
    )
}

/// `/cookies`: the cookies the request carried.
fn cookies(req: &Request) -> View {
    let cookies: Vec<_> = req
        .cookies()
        .into_iter()
        .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
        .collect();
    View::new("cookies.html", serde_json::json!({ "cookies": cookies }))
}

/// A handler that renders `page` with no data.
fn page(site: &Site, name: &'static str) -> impl App {
    let site = site.clone();
    handler(move |_req: Request| {
        let site = site.clone();
        async move { site.templates.render(name, ()) }
    })
}

/// The demo's routes. `secret` signs CSRF tokens (at least 32 bytes).
pub fn routes_with(secret: &[u8], admin: &Admin, templates: Templates) -> Routes {
    let site = Site {
        templates,
        admin: admin.clone(),
    };
    let secret = secret.to_vec();
    let at_csrf = site.clone();
    let protected = Router::new()
        .get(
            "/csrf",
            handler(move |req: Request| {
                let site = at_csrf.clone();
                async move { csrf_page(&site, &req) }
            }),
        )
        .get(
            "/csrf/token",
            handler(|req: Request| async move {
                Response::text(csrf_token(&req).unwrap_or("").to_owned())
                    .with_header("Cache-Control", "no-store")
            }),
        )
        .post("/upload", handler(csrf_upload))
        .post(
            "/upload2",
            handler(|_req: Request| async { "x-csrf-token ok" }),
        )
        .layer(csrf(&secret).expect("a secret of 32 bytes or more"));
    base_routes(&site)
        .branch("", protected)
        .layer(renderers(site.templates.clone()))
        .build()
        .expect("valid routes")
}

fn base_routes(site: &Site) -> Router {
    let text = |body: &'static str| handler(move |_req: Request| async move { body });
    // Made at start-up, never on an executor thread.
    let large = large_file();
    let it = Router::new().get("/it", text("Here we go"));
    let admin = &site.admin;
    let (user, password) = (admin.user.clone(), admin.password.clone());
    let at_admin = site.clone();
    let dashboard = Router::new()
        .get(
            "/dashboard",
            handler(move |req: Request| {
                let site = at_admin.clone();
                async move {
                    let user = req.extensions().get::<BasicUser>().map(|u| u.0.clone());
                    site.templates
                        .render("dashboard.html", serde_json::json!({ "user": user }))
                }
            }),
        )
        .layer(basic_auth("lath demo", move |u, p| {
            // Both compared in full, whatever matches first.
            let same = |a: &str, b: &str| {
                a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
            };
            same(u, &user) & same(p, &password)
        }));
    let at_index = site.clone();
    let at_echo = site.clone();
    Router::new()
        .get(
            "/",
            handler(move |req: Request| {
                let site = at_index.clone();
                async move { index(&site, &req) }
            }),
        )
        .get("/hello", text("Hello, World!"))
        .get(
            "/json",
            handler(|_req: Request| async {
                Json(serde_json::json!({"message": "Hello, World!"}))
            }),
        )
        .post("/echo", move |req: Request, respond: Respond| {
            echo(at_echo.clone(), req, respond)
        })
        .get(
            "/user/:id",
            handler(|req: Request| async move { Json(serde_json::json!({"id": req.param("id")})) }),
        )
        .branch(
            "/test",
            Router::new().branch("/change", Router::new().branch("/for", it)),
        )
        .get("/heartbeat", text("ok"))
        .get(
            "/heartbeat2",
            handler(|_req: Request| async { Response::redirect("/heartbeat") }),
        )
        .get(
            "/heartbeat3",
            handler(|_req: Request| async { Response::redirect("/heartbeat999") }),
        )
        .get("/exception", exception)
        .get("/timeout", slow.wrap(timeout(Duration::from_secs(1))))
        .branch("/admin", dashboard)
        .get(
            "/query",
            handler(|req: Request| async move { Json(req.query().to_json()) }),
        )
        .get(
            "/visits",
            handler(|req: Request| async move { visits(&req) }),
        )
        .get(
            "/cookies",
            handler(|req: Request| async move { cookies(&req) }),
        )
        .get("/back", handler(|req: Request| async move { back(&req) }))
        .get(
            "/limited",
            text("within the limit").wrap(rate_limit(Rate::per_second(5), 5)),
        )
        .get(
            "/ip",
            handler(|req: Request| async move {
                req.ip()
                    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
            }),
        )
        .get("/ws", websocket(echo_ws))
        .get("/chat", page(site, "chat.html"))
        .get("/chat/ws", websocket(chat))
        .post("/users", handler(users))
        .post("/files", handler(files))
        .get("/static/*path", serve_dir(public_dir()).wrap(compress()))
        .get(
            "/download/large.bin",
            handler(move |req: Request| {
                let large = large.clone();
                async move { send_file(&req, &large).await }
            }),
        )
        .fallback(handler(|_req: Request| async { HttpError::not_found() }))
}

/// `/ws`: every text and binary message comes back.
async fn echo_ws(mut ws: WebSocket) {
    while let Some(message) = ws.next().await {
        if ws.send(message).await.is_err() {
            break;
        }
    }
}

/// Everyone in the chat, each a queue of messages to send.
type Room = std::sync::Mutex<Vec<futures::channel::mpsc::UnboundedSender<Message>>>;

fn room() -> &'static Room {
    static ROOM: std::sync::OnceLock<Room> = std::sync::OnceLock::new();
    ROOM.get_or_init(Room::default)
}

/// `/chat/ws`: each text message goes to everyone in the room.
async fn chat(ws: WebSocket) {
    let (tx, mut rx) = futures::channel::mpsc::unbounded();
    room().lock().unwrap_or_else(|p| p.into_inner()).push(tx);
    let (mut to_client, mut from_client) = ws.split();
    let hear = async {
        while let Some(message) = from_client.next().await {
            if let Message::Text(text) = message {
                let everyone = room().lock().unwrap_or_else(|p| p.into_inner());
                for member in everyone.iter() {
                    let _ = member.unbounded_send(Message::text(text.as_str()));
                }
            }
        }
    };
    let tell = async {
        while let Some(message) = rx.next().await {
            if to_client.send(message).await.is_err() {
                break;
            }
        }
    };
    futures::future::select(std::pin::pin!(hear), std::pin::pin!(tell)).await;
    room()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|member| !member.is_closed());
}

/// The demo's own files (stylesheet, script, robots.txt).
fn public_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/public")
}

/// Size of the large download.
const LARGE: u64 = 16 << 20;

/// A 16 MiB file to download, made once in the temporary directory: each
/// line says where it starts, so a resumed download can be checked.
fn large_file() -> std::path::PathBuf {
    static MADE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        let path = std::env::temp_dir().join("lath-demo-large.bin");
        let current = std::fs::metadata(&path).is_ok_and(|m| m.len() == LARGE);
        if !current {
            let mut data = Vec::with_capacity(LARGE as usize);
            while (data.len() as u64) < LARGE {
                let line = format!("{:>15} lath demo large file\n", data.len());
                data.extend_from_slice(line.as_bytes());
            }
            data.truncate(LARGE as usize);
            let partial = path.with_extension(format!("part{}", std::process::id()));
            if std::fs::write(&partial, &data).is_ok() {
                let _ = std::fs::rename(&partial, &path);
            }
        }
        path
    })
    .clone()
}

/// The demo app with an admin password made at start-up.
#[allow(dead_code)] // the tests' way in
pub fn app(debug: bool) -> impl App {
    app_with(debug, &Admin::random(), None)
}

/// The demo app: routes behind recover and errors, which browsers see as
/// the site's error page (debug mode shows panic and 5xx messages, and
/// reloads edited templates). `main` lints every response in debug
/// builds, as every example does; a test passes a `report` to collect
/// what the lint finds.
pub fn app_with(debug: bool, admin: &Admin, report: Option<LintReport>) -> impl App {
    let templates = templates(debug);
    let pages = templates.clone();
    let routes = routes_with(Signer::random().as_bytes(), admin, templates);
    let app = recover(routes).debug(debug).wrap(|app| {
        errors(app)
            .debug(debug)
            .render(move |error, format| pages.render_error(error, format))
    });
    let linted = lint(app).enabled(report.is_some());
    match report {
        Some(report) => linted.report_to(report),
        None => linted,
    }
}

/// One line per request — method, target, status, latency — written when
/// the response goes out: the logger of creationix's `web`, as a layer
/// that wraps `respond`.
pub fn logger(app: impl App) -> impl App {
    let app = Arc::new(app);
    move |req: Request, respond: Respond| {
        let app = app.clone();
        async move {
            let start = Instant::now();
            let line = format!("{} {}", req.method(), req.target());
            let respond = respond.map(move |res| {
                eprintln!("{line} {} {:?}", res.status().code(), start.elapsed());
                res
            });
            app.call(req, respond).await
        }
    }
}

//! The demo's app, apart from its `main` so tests can drive it through the
//! in-memory client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use lath::layers::{
    back, collect_multipart, compress, csrf, csrf_input, csrf_token, errors, rate_limit, recover,
    send_file, serve_dir, timeout, websocket, BodyExt, Cookie, Json, Message, MultipartLimits,
    Normalize, Rate, RequestExt, ResponseExt, Router, Routes, Signer, WebSocket,
};
use lath::{
    from_fn, handler, App, AppExt, Body, HttpError, Next, Request, Respond, Response, Status,
};

const INDEX: &str = "<!doctype html>
<title>lath demo</title>
<link rel=\"stylesheet\" href=\"/static/style.css\">
<h1>lath demo</h1>
<ul>
  <li><a href=\"/hello\">/hello</a> — Hello, World!</li>
  <li><a href=\"/json\">/json</a> — a JSON message</li>
  <li><a href=\"/user/42\">/user/42</a> — a route parameter</li>
  <li><a href=\"/test/change/for/it\">/test/change/for/it</a> — nested branches</li>
  <li><a href=\"/heartbeat\">/heartbeat</a>, <a href=\"/heartbeat2\">/heartbeat2</a> (redirects),
      <a href=\"/heartbeat3\">/heartbeat3</a> (redirects to a 404)</li>
  <li><a href=\"/exception\">/exception</a> — a handler that panics: 500</li>
  <li><a href=\"/timeout\">/timeout</a> — a slow handler under a 1 s limit: 503</li>
  <li><a href=\"/admin/dashboard\">/admin/dashboard</a> — needs <code>Authorization: mike</code></li>
  <li><a href=\"/query?a=1&amp;a=2&amp;b=x\">/query?a=1&amp;a=2&amp;b=x</a> — the query as JSON</li>
  <li><a href=\"/visits\">/visits</a> — a cookie that counts</li>
  <li><a href=\"/back\">/back</a> — back where you came from</li>
  <li><a href=\"/ip\">/ip</a> — your address, as the app sees it</li>
  <li><a href=\"/limited\">/limited</a> — 5 requests a second per client, bursts of 5: then 429</li>
  <li>/ws — a WebSocket that echoes each text and binary message</li>
  <li><a href=\"/chat\">/chat</a> — a chat over a WebSocket: open it in several tabs</li>
  <li><a href=\"/metrics\">/metrics</a> — the server's counters, for Prometheus</li>
  <li><a href=\"/readyz\">/readyz</a> — 200, or 503 once a shutdown is draining</li>
  <li>POST /echo — streams your body back:
    <form method=\"post\" action=\"/echo\" enctype=\"text/plain\"><input name=\"say\" value=\"hi\"><button>echo</button></form></li>
  <li><a href=\"/csrf\">/csrf</a> — a token, and forms that need it</li>
  <li>POST /users — a normalized body:
    <form method=\"post\" action=\"/users\"><input name=\"name\" value=\"ann\">
    <input name=\"age\" value=\"41\"><input name=\"ownedPets\" value=\"cat\"><button>send</button></form></li>
  <li>POST /files — a multipart upload:
    <form method=\"post\" action=\"/files\" enctype=\"multipart/form-data\"><input type=\"file\" name=\"doc\" multiple>
    <button>upload</button></form></li>
  <li><a href=\"/static/style.css\">/static/style.css</a>, <a href=\"/static/robots.txt\">/static/robots.txt</a>
      — static files, with ETag, ranges and compression</li>
  <li><a href=\"/download/large.bin\" id=\"large-download\" download>/download/large.bin</a> — a 16 MiB download
      that resumes (ranges)</li>
  <li>A range request: <button id=\"range-button\">fetch bytes 0–99</button>
      <span id=\"range-result\"></span></li>
</ul>
<script src=\"/static/range.js\" defer></script>
";

/// The CSRF page: the token, and a form carrying it.
fn csrf_page(req: &Request) -> Response {
    Response::html(format!(
        "<!doctype html><title>csrf</title><p>token: <code>{token}</code></p>
<form method=\"post\" action=\"/upload\">{input}<input name=\"note\" value=\"hi\"><button>upload</button></form>
<p>or: <code>curl -X POST -H 'X-CSRF-Token: {token}' --cookie '_csrf=…' /upload2</code></p>",
        token = csrf_token(req).unwrap_or(""),
        input = csrf_input(req),
    ))
}

async fn users(mut req: Request, respond: Respond) {
    let options = Normalize::new()
        .required(["name"])
        .numbers(["age"])
        .arrays(["ownedPets"]);
    respond.send(req.normalized(&options).await.map(Json));
}

async fn files(mut req: Request, respond: Respond) {
    let listed = match collect_multipart(&mut req, MultipartLimits::default()).await {
        Ok(form) => Ok(Json(
            form.files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "field": f.field, "filename": f.file_name,
                        "size": f.size, "content_type": f.content_type,
                    })
                })
                .collect::<Vec<_>>(),
        )),
        Err(e) => Err(e),
    };
    respond.send(listed);
}

async fn echo(mut req: Request, respond: Respond) {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    // The body streams straight back: no buffering.
    respond.send(
        Response::new(Status::OK)
            .with_header("Content-Type", content_type)
            .with_body(Body::stream(req.take_body())),
    );
}

async fn exception(_req: Request, _respond: Respond) {
    panic!("this handler always fails");
}

async fn slow(_req: Request, respond: Respond) {
    async_std::task::sleep(Duration::from_secs(10)).await;
    respond.send("finished (too late)");
}

/// The admin branch's guard (kequapp's example): `Authorization: mike`.
fn require_mike<A: App>(app: A) -> impl App {
    app.wrap(from_fn(
        |req: Request, respond: Respond, next: Next<A>| async move {
            match req.header("authorization") {
                Some("mike") => next.call(req, respond).await,
                _ => respond.send(
                    Response::from(Json(serde_json::json!({
                        "error": {"status": 401, "message": "Unauthorized"}
                    })))
                    .with_status(Status::UNAUTHORIZED),
                ),
            }
        },
    ))
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

/// The demo's routes. `secret` signs CSRF tokens (at least 32 bytes).
pub fn routes_with(secret: &[u8]) -> Routes {
    let secret = secret.to_vec();
    let protected = Router::new()
        .get(
            "/csrf",
            handler(|req: Request| async move { csrf_page(&req) }),
        )
        .post(
            "/upload",
            handler(|_req: Request| async { "CSRF_token ok" }),
        )
        .post(
            "/upload2",
            handler(|_req: Request| async { "x-csrf-token ok" }),
        )
        .layer(csrf(&secret).expect("a secret of 32 bytes or more"));
    base_routes()
        .branch("", protected)
        .build()
        .expect("valid routes")
}

/// The demo's routes with a secret made at start-up.
pub fn routes() -> Routes {
    routes_with(Signer::random().as_bytes())
}

fn base_routes() -> Router {
    let text = |body: &'static str| handler(move |_req: Request| async move { body });
    // Made at start-up, never on an executor thread.
    let large = large_file();
    let it = Router::new().get("/it", text("Here we go"));
    let admin = Router::new()
        .get(
            "/dashboard",
            handler(|req: Request| async move {
                format!("Hello admin {}!", req.header("authorization").unwrap_or(""))
            }),
        )
        .layer(require_mike);
    Router::new()
        .get(
            "/",
            handler(|_req: Request| async { Response::html(INDEX) }),
        )
        .get("/hello", text("Hello, World!"))
        .get(
            "/json",
            handler(|_req: Request| async {
                Json(serde_json::json!({"message": "Hello, World!"}))
            }),
        )
        .post("/echo", echo)
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
        .branch("/admin", admin)
        .get(
            "/query",
            handler(|req: Request| async move { Json(req.query().to_json()) }),
        )
        .get(
            "/visits",
            handler(|req: Request| async move { visits(&req) }),
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
        .get(
            "/chat",
            handler(|_req: Request| async { Response::html(CHAT) }),
        )
        .get("/chat/ws", websocket(chat))
        .post("/users", users)
        .post("/files", files)
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

const CHAT: &str = "<!doctype html>
<html lang=\"en\">
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>lath chat</title>
<link rel=\"stylesheet\" href=\"/static/style.css\">
<h1>Chat</h1>
<p>Open this page in several tabs: what one says, all see.</p>
<ul id=\"chat-log\"></ul>
<form id=\"chat-form\">
  <label for=\"chat-input\">Message</label>
  <input id=\"chat-input\" autocomplete=\"off\">
  <button id=\"chat-send\">Send</button>
</form>
<script>
const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
const socket = new WebSocket(scheme + '://' + location.host + '/chat/ws');
const log = document.getElementById('chat-log');
socket.onmessage = (event) => {
  const item = document.createElement('li');
  item.textContent = event.data;
  log.appendChild(item);
};
document.getElementById('chat-form').onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById('chat-input');
  if (input.value) { socket.send(input.value); input.value = ''; }
};
</script>
";

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

/// The demo app: routes behind recover and errors (debug mode shows panic
/// and 5xx messages).
pub fn app(debug: bool) -> impl App {
    recover(routes())
        .debug(debug)
        .wrap(|app| errors(app).debug(debug))
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

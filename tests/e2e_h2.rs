//! HTTP/2 end to end against the demo's routes: curl over TLS (ALPN) and
//! over cleartext (prior knowledge), a streamed upload, a large download,
//! a panic, HEAD; 100 concurrent streams on one connection and many
//! streams with h2load (Debian `nghttp2-client`, installed when missing);
//! rapid-reset and CONTINUATION-flood clients cut off with `GOAWAY` while
//! others are served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../examples/demo/app.rs"]
#[allow(dead_code)]
mod demo;
mod support;

use lath::net::{Config, Server, ShutdownHandle, TlsConfig};

/// Serves the demo on a free port, over TLS when given certificates.
fn start(tls: Option<TlsConfig>) -> SocketAddr {
    start_with(tls, Config::default()).0
}

/// The same with these settings; also the shutdown handle and the thread
/// serving.
fn start_with(
    tls: Option<TlsConfig>,
    config: Config,
) -> (SocketAddr, ShutdownHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let serving = std::thread::spawn(move || {
        lath::net::run(async move {
            let mut server = Server::bind("127.0.0.1:0")
                .await
                .unwrap()
                .workers(1)
                .with_config(config);
            if let Some(tls) = tls {
                server = server.tls(tls);
            }
            tx.send((server.local_addr().unwrap(), server.shutdown_handle()))
                .unwrap();
            server.serve(demo::app(false)).await.unwrap();
        })
    });
    let (addr, stop) = rx.recv().unwrap();
    (addr, stop, serving)
}

/// A self-signed certificate for `localhost`.
fn certificate() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("lath-h2-{}", std::process::id()));
    support::certificate(&dir, "localhost")
}

/// curl's body and `HTTP-VERSION STATUS` line.
fn curl(args: &[&str]) -> (Vec<u8>, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "30",
            "-w",
            "\n%{http_version} %{http_code}",
        ])
        .args(args)
        .output()
        .expect("curl runs");
    let mut body = out.stdout;
    let at = body.iter().rposition(|&b| b == b'\n').unwrap();
    let status = String::from_utf8_lossy(&body[at + 1..]).into_owned();
    body.truncate(at);
    (body, status)
}

#[test]
fn curl_over_tls_picks_h2_by_alpn() {
    let (cert, key) = certificate();
    let addr = start(Some(TlsConfig::from_pem_files(&cert, &key).unwrap()));
    let url = format!("https://localhost:{}/hello", addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", addr.port());
    let ca = cert.to_str().unwrap();
    let (body, status) = curl(&["--http2", "--cacert", ca, "--resolve", &resolve, &url]);
    assert_eq!(
        (body.as_slice(), status.as_str()),
        (&b"Hello, World!"[..], "2 200")
    );
    let (body, status) = curl(&["--http1.1", "--cacert", ca, "--resolve", &resolve, &url]);
    assert_eq!(
        (body.as_slice(), status.as_str()),
        (&b"Hello, World!"[..], "1.1 200")
    );
}

#[test]
fn curl_with_prior_knowledge_uploads_downloads_and_sees_a_panic_as_500() {
    let addr = start(None);
    let url = |path: &str| format!("http://{addr}{path}");
    let h2 = "--http2-prior-knowledge";
    let (body, status) = curl(&[h2, &url("/json")]);
    assert_eq!(status, "2 200");
    assert_eq!(body, br#"{"message":"Hello, World!"}"#);
    // A streamed upload, echoed back whole.
    let upload = std::env::temp_dir().join(format!("lath-h2-up-{}", std::process::id()));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&upload, &data).unwrap();
    let file = format!("@{}", upload.display());
    let (body, status) = curl(&[
        h2,
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &file,
        &url("/echo"),
    ]);
    assert_eq!(status, "2 200");
    assert!(body == data, "the echo is whole ({} bytes)", body.len());
    // 1 MiB of the large file, and the whole of it.
    let (body, status) = curl(&[h2, "-r", "0-1048575", &url("/download/large.bin")]);
    assert_eq!((body.len(), status.as_str()), (1 << 20, "2 206"));
    let (body, status) = curl(&[h2, &url("/download/large.bin")]);
    assert_eq!((body.len(), status.as_str()), (16 << 20, "2 200"));
    let (_, status) = curl(&[h2, &url("/exception")]);
    assert_eq!(status, "2 500");
    let (body, status) = curl(&[h2, "-I", &url("/hello")]);
    let head = String::from_utf8_lossy(&body).to_ascii_lowercase();
    assert_eq!(status, "2 200");
    assert!(
        head.contains("content-length: 13")
            && head.contains("server: lath")
            && head.contains("date: "),
        "{head}"
    );
    assert!(
        !head.contains("connection:"),
        "no connection-specific field: {head}"
    );
}

/// h2load, installed with apt when missing.
fn h2load(args: &[&str]) -> String {
    let present = Command::new("h2load").arg("--version").output().is_ok();
    if !present {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        let installed = Command::new("apt-get")
            .args(["install", "-y", "-q", "nghttp2-client"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
        assert!(installed, "apt-get cannot install nghttp2-client");
    }
    let out = Command::new("h2load")
        .args(args)
        .output()
        .expect("h2load runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn many_streams_on_few_connections_all_succeed() {
    let addr = start(None);
    // 100 concurrent streams on one connection.
    let one = h2load(&[
        "-n",
        "1000",
        "-c",
        "1",
        "-m",
        "100",
        &format!("http://{addr}/hello"),
    ]);
    assert!(
        one.contains("1000 succeeded, 0 failed, 0 errored, 0 timeout"),
        "{one}"
    );
    let many = h2load(&[
        "-n",
        "20000",
        "-c",
        "16",
        "-m",
        "32",
        &format!("http://{addr}/user/7"),
    ]);
    assert!(
        many.contains("20000 succeeded, 0 failed, 0 errored, 0 timeout"),
        "{many}"
    );
}

/// The GOAWAY code a misbehaving client got (see `tests/h2/attack.py`).
fn attack(addr: SocketAddr, kind: &str) -> std::thread::JoinHandle<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h2/attack.py");
    let kind = kind.to_owned();
    std::thread::spawn(move || {
        let out = Command::new("python3")
            .arg(script)
            .arg(addr.port().to_string())
            .arg(kind)
            .output()
            .expect("python3 runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
}

#[test]
fn rapid_reset_and_continuation_floods_are_cut_off_while_others_are_served() {
    let addr = start(None);
    let reset = attack(addr, "rapid-reset");
    let flood = attack(addr, "continuation-flood");
    let (body, status) = curl(&["--http2-prior-knowledge", &format!("http://{addr}/hello")]);
    assert_eq!(
        (body.as_slice(), status.as_str()),
        (&b"Hello, World!"[..], "2 200")
    );
    // GOAWAY with ENHANCE_YOUR_CALM (0xb) for both.
    assert_eq!(reset.join().unwrap(), "11", "rapid reset");
    assert_eq!(flood.join().unwrap(), "11", "CONTINUATION flood");
    let (_, status) = curl(&["--http2-prior-knowledge", &format!("http://{addr}/hello")]);
    assert_eq!(status, "2 200", "still serving");
}

#[test]
fn a_shutdown_sends_goaway_and_lets_the_open_stream_finish() {
    use std::io::BufRead;
    let (addr, stop, serving) = start_with(None, Config::default());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h2/attack.py");
    let mut watcher = Command::new("python3")
        .arg(script)
        .arg(addr.port().to_string())
        .arg("in-flight")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut lines = std::io::BufReader::new(watcher.stdout.take().unwrap()).lines();
    // The request is on its way (it takes a second to answer).
    assert_eq!(lines.next().unwrap().unwrap(), "sent");
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.shutdown();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "0 answered",
        "GOAWAY NO_ERROR, then the answer"
    );
    let _ = watcher.wait();
    serving.join().unwrap();
}

#[test]
fn an_idle_connection_gets_goaway_after_the_idle_timeout() {
    let mut config = Config::default();
    config.idle_timeout = std::time::Duration::from_millis(500);
    let (addr, _stop, _serving) = start_with(None, config);
    assert_eq!(attack(addr, "idle").join().unwrap(), "0");
}

#[test]
fn http2_streams_are_counted_in_the_metrics() {
    let addr = support::serve_on_thread(
        |server| server,
        |server| {
            lath::Router::new()
                .get("/metrics", server.metrics())
                .get(
                    "/hello",
                    lath::handler(|_req: lath::Request| async { "hi" }),
                )
                .build()
                .unwrap()
        },
    );
    let load = h2load(&[
        "-n",
        "100",
        "-c",
        "1",
        "-m",
        "10",
        &format!("http://{addr}/hello"),
    ]);
    assert!(load.contains("100 succeeded"), "{load}");
    let (body, status) = curl(&["--http2-prior-knowledge", &format!("http://{addr}/metrics")]);
    assert_eq!(status, "2 200");
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("lath_requests_total{route=\"/hello\",status=\"2xx\"} 100\n"),
        "{text}"
    );
    let received = text
        .lines()
        .find_map(|l| l.strip_prefix("lath_received_bytes_total{worker=\"0\"} "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    assert!(received > 100 * 10, "{received} bytes read");
}

/// Trailers both ways (RFC 9113 §8.1): a client's trailer fields reach
/// the app after the body, and `/echo` sends them back as its own.
#[test]
fn trailers_cross_an_http2_stream_both_ways() {
    support::python_module("h2", "h2");
    let addr = start(None);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h2/trailers.py");
    let port = addr.port().to_string();
    let answer = support::python_json(&[script.as_os_str(), port.as_ref(), "/echo".as_ref()]);
    assert_eq!(answer["status"], "200");
    assert_eq!(answer["body"], "hello trailers");
    assert_eq!(answer["trailers"]["x-checksum"], "abc");
    assert_eq!(answer["trailers"]["x-parts"], "2");
}

/// A small answer goes out with its head, yet within the client's flow
/// control (RFC 9113 §5.2): a client that opens each stream with a window
/// of 4 bytes gets `Hello, World!` in DATA frames of at most 4 bytes, as
/// it widens the window.
#[test]
fn a_small_answer_waits_for_a_narrow_window() {
    support::python_module("h2", "h2");
    let addr = start(None);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h2/small_window.py");
    let port = addr.port().to_string();
    let args = [
        script.as_os_str(),
        port.as_ref(),
        "/hello".as_ref(),
        "4".as_ref(),
    ];
    let answer = support::python_json(&args);
    assert_eq!(answer["status"], "200");
    assert_eq!(answer["body"], "Hello, World!");
    let frames = answer["frames"].as_array().unwrap();
    assert!(frames.len() >= 4, "{frames:?}");
    assert!(
        frames.iter().all(|n| n.as_u64().unwrap() <= 4),
        "{frames:?}"
    );
}

/// At `max_connections`, an HTTP/2 connection with no stream open counts
/// as idle like a keep-alive one: it gets GOAWAY (NO_ERROR) to admit a
/// new client, which is served.
#[test]
fn an_idle_http2_connection_makes_room_at_max_connections() {
    let mut config = Config::default();
    config.max_connections = 1;
    let (addr, _stop, _serving) = start_with(None, config);
    let held = attack(addr, "idle");
    // The idle client is connected and has settled.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (body, status) = curl(&["--http2-prior-knowledge", &format!("http://{addr}/hello")]);
    assert_eq!(
        (body.as_slice(), status.as_str()),
        (&b"Hello, World!"[..], "2 200")
    );
    assert_eq!(held.join().unwrap(), "0", "GOAWAY NO_ERROR");
}

//! End to end over TCP on 127.0.0.1 with clients nobody here wrote: curl,
//! Python's standard `http.client` (and a raw socket), and ureq.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod support;

use lath::net::{Config, ShutdownHandle};
use lath::{Body, Method, Request, Respond, Response, Server, Status};
use support::curl;

async fn app(mut req: Request, respond: Respond) {
    req.set_body_limit(64 << 20);
    let res = match (req.method().clone(), req.path()) {
        (Method::POST | Method::PUT, "/echo") => {
            let content_type = req
                .header("content-type")
                .unwrap_or("application/octet-stream")
                .to_owned();
            Response::new(Status::OK)
                .with_header("Content-Type", content_type)
                .with_body(Body::stream(req.take_body()))
        }
        (Method::POST | Method::PUT, "/count") => match req.bytes().await {
            Ok(body) => Response::text(format!("{} bytes", body.len())),
            Err(e) => e.into(),
        },
        (_, "/stall") => {
            async_std::task::sleep(Duration::from_secs(30)).await;
            Response::text("too late")
        }
        (_, "/big") => Response::bytes(vec![b'b'; 1 << 20]),
        (_, "/worker") => Response::text(worker_name()),
        (_, "/slow-worker") => {
            async_std::task::sleep(Duration::from_millis(300)).await;
            Response::text(worker_name())
        }
        (_, "/busy") => {
            async_std::task::sleep(Duration::from_millis(700)).await;
            Response::text("Hello from /busy")
        }
        (_, "/slow") => {
            async_std::task::sleep(Duration::from_millis(200)).await;
            Response::text("slow done")
        }
        (_, "/peer") => Response::text(
            req.peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        ),
        (_, path) => Response::text(format!("Hello from {path}")),
    };
    respond.send(res);
}

/// Starts a server on a free port; returns its address and a stop handle.
/// The thread serving this request.
fn worker_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

type Running = (
    SocketAddr,
    ShutdownHandle,
    async_std::task::JoinHandle<std::io::Result<()>>,
);

/// Starts a server with the default workers (one per core).
fn start(config: Config) -> Running {
    start_workers(config, None)
}

/// Starts a server on `workers` threads, or the default.
fn start_workers(config: Config, workers: Option<usize>) -> Running {
    async_std::task::block_on(async {
        let mut server = Server::bind("127.0.0.1:0")
            .await
            .unwrap()
            .with_config(config);
        if let Some(n) = workers {
            server = server.workers(n);
        }
        let addr = server.local_addr().unwrap();
        let stop = server.shutdown_handle();
        let running = async_std::task::spawn(server.serve(app));
        (addr, stop, running)
    })
}

#[test]
fn curl_reuses_one_connection_for_two_urls() {
    let (addr, _stop, _running) = start(Config::default());
    let (out, err) = curl(&[
        "-v",
        &format!("http://{addr}/a"),
        &format!("http://{addr}/b"),
    ]);
    assert_eq!(out, "Hello from /aHello from /b");
    assert!(
        err.contains("Re-using existing connection") || err.contains("Reusing existing connection"),
        "{err}"
    );
}

#[test]
fn curl_chunked_upload_from_stdin() {
    let (addr, _stop, _running) = start(Config::default());
    let mut child = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-T",
            "-",
            "-H",
            "Content-Type: text/plain",
            &format!("http://{addr}/echo"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let body = "line\n".repeat(10_000);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), body);
}

#[test]
fn curl_expect_continue_on_a_large_body() {
    let (addr, _stop, _running) = start(Config::default());
    let path = std::env::temp_dir().join(format!("lath-e2e-{}.bin", std::process::id()));
    std::fs::write(&path, vec![b'x'; 3 << 20]).unwrap();
    let (out, err) = curl(&[
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", path.display()),
        &format!("http://{addr}/count"),
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out, format!("{} bytes", 3 << 20));
    assert!(err.contains("HTTP/1.1 100 Continue"), "{err}");
}

#[test]
fn curl_http10() {
    let (addr, _stop, _running) = start(Config::default());
    let (out, err) = curl(&["-v", "--http1.0", &format!("http://{addr}/old")]);
    assert_eq!(out, "Hello from /old");
    assert!(err.contains("Connection: close"), "{err}");
}

const PYTHON_CLIENT: &str = r#"
import http.client, sys
host, port = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection(host, port, timeout=10)
conn.request("GET", "/py")
r = conn.getresponse()
assert r.status == 200, r.status
assert r.read() == b"Hello from /py"
conn.request("POST", "/echo", body=b"from python", headers={"Content-Type": "text/x-py"})
r = conn.getresponse()
assert r.getheader("Content-Type") == "text/x-py"
assert r.read() == b"from python"
conn.request("HEAD", "/head")
r = conn.getresponse()
assert r.getheader("Content-Length") == "16", r.getheaders()
assert r.read() == b""
print("ok")
"#;

#[test]
fn python_http_client() {
    let (addr, _stop, _running) = start(Config::default());
    let out = Command::new("python3")
        .args([
            "-c",
            PYTHON_CLIENT,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ten_pipelined_requests_in_one_write() {
    let (addr, _stop, _running) = start(Config::default());
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut batch = String::new();
    for i in 0..10 {
        let close = if i == 9 { "Connection: close\r\n" } else { "" };
        batch.push_str(&format!("GET /{i} HTTP/1.1\r\nHost: a\r\n{close}\r\n"));
    }
    stream.write_all(batch.as_bytes()).unwrap();
    let mut all = String::new();
    stream.read_to_string(&mut all).unwrap();
    let bodies: Vec<&str> = all
        .split("HTTP/1.1 200 OK")
        .skip(1)
        .map(|r| r.rsplit("\r\n\r\n").next().unwrap())
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("Hello from /{i}")).collect();
    assert_eq!(bodies, want);
}

#[test]
fn ureq_client() {
    let (addr, _stop, _running) = start(Config::default());
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let res = agent.get(&format!("http://{addr}/ureq")).call().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.into_string().unwrap(), "Hello from /ureq");
    let res = agent
        .post(&format!("http://{addr}/echo"))
        .set("Content-Type", "text/x-ureq")
        .send_string("sent")
        .unwrap();
    assert_eq!(res.header("content-type"), Some("text/x-ureq"));
    assert_eq!(res.into_string().unwrap(), "sent");
}

#[test]
fn a_stalled_client_is_dropped_while_others_are_served() {
    let mut config = Config::default();
    config.head_timeout = Duration::from_millis(300);
    let (addr, _stop, _running) = start(config);
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    for _ in 0..5 {
        let (out, _) = curl(&[&format!("http://{addr}/fast")]);
        assert_eq!(out, "Hello from /fast");
    }
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
}

#[test]
fn graceful_shutdown_fails_no_accepted_request() {
    let (addr, stop, running) = start(Config::default());
    let ok = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let ok = ok.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .build();
                let mut refused = 0;
                for _ in 0..50 {
                    match agent.get(&format!("http://{addr}/slow")).call() {
                        Ok(res) => {
                            assert_eq!(res.into_string().unwrap(), "slow done");
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        // After shutdown begins new connections are refused;
                        // a request that was accepted must never fail.
                        Err(ureq::Error::Transport(t))
                            if t.kind() == ureq::ErrorKind::ConnectionFailed =>
                        {
                            refused += 1
                        }
                        Err(e) => panic!("an accepted request failed: {e}"),
                    }
                    if refused > 0 {
                        break;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    stop.shutdown();
    async_std::task::block_on(running).unwrap();
    for c in clients {
        c.join().unwrap();
    }
    assert!(
        ok.load(Ordering::SeqCst) >= 8,
        "requests were served before the shutdown"
    );
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed");
}

#[test]
fn at_the_cap_the_longest_idle_connection_makes_room() {
    // nginx's "reusing connections": a new client is served at once.
    let mut config = Config::default();
    config.max_connections = 2;
    // One worker: the whole cap in one place.
    let (addr, _stop, _running) = start_workers(config, Some(1));
    let mut buf = [0u8; 256];
    let mut idle = Vec::new();
    for name in ["older", "newer"] {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(format!("GET /{name} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
            .unwrap();
        let n = conn.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with(&format!("Hello from /{name}")));
        idle.push(conn);
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    third
        .write_all(b"GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    third.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("Hello from /third"), "{answer}");
    // The older idle connection was closed; the newer one still serves.
    idle[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(idle[0].read(&mut buf).unwrap(), 0, "closed to make room");
    idle[1]
        .write_all(b"GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let n = idle[1].read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("Hello from /again"));
}

#[test]
fn at_the_cap_with_every_connection_busy_accepting_waits() {
    let mut config = Config::default();
    config.max_connections = 1;
    let (addr, _stop, _running) = start_workers(config, Some(1));
    let mut first = TcpStream::connect(addr).unwrap();
    first
        .write_all(b"GET /busy HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // The second connection is left in the listen queue while the first
    // is busy: no answer yet.
    let mut second = TcpStream::connect(addr).unwrap();
    second
        .write_all(b"GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 256];
    assert!(
        second.read(&mut buf).is_err(),
        "not accepted while the first is busy"
    );
    // Once the first is answered it is idle, and makes room.
    let n = first.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("Hello from /busy"));
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    second.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("Hello from /second"), "{answer}");
}

/// Sends one keep-alive request on `conn`; the answer's head and body.
fn exchange(conn: &mut TcpStream, path: &str) -> String {
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
        .unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.ends_with(format!("Hello from {path}").as_bytes()) {
        let n = conn.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed mid-answer: {:?}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(answer).unwrap()
}

#[test]
fn draining_keeps_serving_with_connection_close_then_stops_accepting() {
    let mut config = Config::default();
    config.drain_delay = Duration::from_secs(2);
    let (addr, stop, running) = start_workers(config, Some(1));
    let mut kept = TcpStream::connect(addr).unwrap();
    let before = exchange(&mut kept, "/before");
    assert!(!before.contains("Connection: close"), "{before}");
    stop.shutdown();
    assert!(stop.is_draining());
    // Still accepting while draining; every answer closes its connection.
    let mut new = TcpStream::connect(addr).unwrap();
    let answer = exchange(&mut new, "/new");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert_eq!(new.read(&mut [0u8; 16]).unwrap(), 0, "closed after it");
    let answer = exchange(&mut kept, "/kept");
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert_eq!(kept.read(&mut [0u8; 16]).unwrap(), 0, "closed after it");
    async_std::task::block_on(running).unwrap();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the listener is closed once draining ends"
    );
}

#[test]
fn an_idle_connection_gets_a_grace_for_a_request_on_its_way() {
    let mut config = Config::default();
    config.idle_grace = Duration::from_secs(3);
    let (addr, stop, running) = start_workers(config, Some(1));
    let mut late = TcpStream::connect(addr).unwrap();
    exchange(&mut late, "/first");
    let mut silent = TcpStream::connect(addr).unwrap();
    exchange(&mut silent, "/first");
    stop.shutdown();
    // No drain delay: accepting stops at once, and the connections wait.
    let refused = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        TcpStream::connect(addr).is_err()
    });
    assert!(refused, "accepting stopped");
    let answer = exchange(&mut late, "/late");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert_eq!(late.read(&mut [0u8; 16]).unwrap(), 0);
    // The silent one closes when its grace ends, and the server returns.
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(silent.read(&mut [0u8; 16]).unwrap(), 0);
    async_std::task::block_on(running).unwrap();
}

#[test]
fn shutdown_closes_idle_connections_after_their_grace() {
    let mut config = Config::default();
    config.shutdown_timeout = Duration::from_secs(30);
    let (addr, stop, running) = start(config);
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 256];
    let _ = idle.read(&mut buf).unwrap();
    let started = std::time::Instant::now();
    stop.shutdown();
    async_std::task::block_on(running).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "idle connections did not hold the shutdown"
    );
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        idle.read(&mut buf).unwrap(),
        0,
        "the idle connection was closed"
    );
}

#[test]
fn shutdown_force_closes_what_outlives_the_deadline() {
    let mut config = Config::default();
    config.shutdown_timeout = Duration::from_millis(300);
    let (addr, stop, running) = start(config);
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"GET /stall HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    stop.shutdown();
    async_std::task::block_on(running).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    stalled
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "no response for a request cut off by the deadline"
    );
}

#[test]
fn the_peer_address_reaches_the_app() {
    let (addr, _stop, _running) = start(Config::default());
    let (out, _) = curl(&[&format!("http://{addr}/peer")]);
    assert_eq!(out, "127.0.0.1");
}

#[test]
fn a_half_closed_client_still_gets_its_response() {
    let (addr, _stop, _running) = start(Config::default());
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /half HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    // read_to_string returned: the server closed after answering.
    assert!(answer.ends_with("Hello from /half"));
}

#[test]
fn a_client_that_stops_reading_is_closed_within_the_write_timeout() {
    // 64 pipelined requests for 1 MiB each, never read: megabytes queue in
    // the kernel's buffers, then no write progress for `write_timeout`
    // ends the connection.
    let mut config = Config::default();
    config.write_timeout = Duration::from_millis(500);
    let (addr, _stop, _running) = start(config);
    let mut client = TcpStream::connect(addr).unwrap();
    let requests = "GET /big HTTP/1.1\r\nHost: a\r\n\r\n".repeat(64);
    client.write_all(requests.as_bytes()).unwrap();
    // write_timeout + 1 s: by now the server must have given up.
    std::thread::sleep(Duration::from_millis(1500));
    // Reading now would let a server still waiting go on writing all 64
    // MiB and then wait for more requests; a closed one ends the stream
    // after what was queued.
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut got = Vec::new();
    let ended = client.read_to_end(&mut got);
    assert!(
        ended.is_ok() || ended.as_ref().unwrap_err().kind() == std::io::ErrorKind::ConnectionReset,
        "the server closed the connection: {ended:?}"
    );
    assert!(
        got.len() < 64 << 20,
        "only what was queued arrived: {} bytes",
        got.len()
    );
}

#[test]
fn a_slow_reader_that_keeps_reading_is_never_cut_off() {
    // 800 KiB/s against a 1 s write timeout: room keeps coming, so the
    // whole answer arrives.
    let mut config = Config::default();
    config.write_timeout = Duration::from_secs(1);
    let (addr, _stop, _running) = start(config);
    let mut client = TcpStream::connect(addr).unwrap();
    let requests = "GET /big HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2)
        + "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    client.write_all(requests.as_bytes()).unwrap();
    let mut total = 0;
    let mut buf = vec![0u8; 20 * 1024];
    loop {
        let n = client.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n;
        std::thread::sleep(Duration::from_millis(25 * n as u64 / buf.len() as u64));
    }
    assert!(total > 3 << 20, "all three answers arrived: {total} bytes");
}

/// One request on a new connection; the answer's body.
fn get_once(addr: SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned()
}

#[test]
fn two_workers_both_serve_and_a_shutdown_drains_both() {
    let (addr, stop, running) = start_workers(Config::default(), Some(2));
    // The kernel spreads new connections over the two SO_REUSEPORT
    // listeners: 40 connections all on one has odds of 2 in 2^40.
    let seen: std::collections::HashSet<String> =
        (0..40).map(|_| get_once(addr, "/worker")).collect();
    assert_eq!(
        seen,
        ["lath-worker-0", "lath-worker-1"].map(String::from).into(),
    );
    // Requests in flight on both workers finish after the shutdown began.
    let slow: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(move || get_once(addr, "/slow-worker")))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    stop.shutdown();
    let served: std::collections::HashSet<String> =
        slow.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        served,
        ["lath-worker-0", "lath-worker-1"].map(String::from).into(),
        "every slow request answered, on both workers"
    );
    async_std::task::block_on(running).unwrap();
    assert!(TcpStream::connect(addr).is_err(), "both listeners closed");
}

#[test]
fn the_connection_cap_is_divided_among_workers() {
    // A cap of 4 on two workers: each keeps at most 2, making room among
    // its own idle connections. Undivided, each would keep 4.
    let mut config = Config::default();
    config.max_connections = 4;
    let (addr, _stop, _running) = start_workers(config, Some(2));
    let mut buf = [0u8; 256];
    // 24 connections: all but one on the same worker has odds of 50 in 2^24.
    let conns: Vec<TcpStream> = (0..24)
        .map(|_| {
            let mut conn = TcpStream::connect(addr).unwrap();
            conn.write_all(b"GET /worker HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            let n = conn.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).contains("lath-worker-"));
            conn
        })
        .collect();
    let open = conns
        .into_iter()
        .filter(|conn| {
            conn.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            // Closed to make room: EOF. Still open: the read times out.
            (&*conn).read(&mut buf).is_err()
        })
        .count();
    assert_eq!(open, 4, "two idle connections kept on each worker");
}

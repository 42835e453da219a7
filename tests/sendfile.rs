//! Large file bodies over plain TCP go out by `sendfile` (Linux), after a
//! PROXY header too: the bytes are the file's, whole and in ranges; `HEAD`
//! sends none; a file cut short under the server ends the connection
//! rather than the body silently; a client that stops reading is cut off
//! after the write timeout while others are served. Which way a body went
//! is seen by a watching layer: one piece of the whole span from the file,
//! 64 KiB pieces when read.
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lath::app::{Body, BodyWatch};
use lath::layers::serve_dir;
use lath::net::Config;
use lath::{AppExt, Client, Respond};

/// The body pieces a response went out in, as its watch saw them.
#[derive(Default)]
struct Pieces(Mutex<Vec<usize>>);

impl BodyWatch for Pieces {
    fn piece(&self, len: usize) {
        self.0.lock().unwrap().push(len);
    }
    fn end(self: Arc<Self>, _complete: bool) {}
}

/// `serve_dir(root)` with every response body watched by `pieces`.
fn watched(root: &Path, pieces: Arc<Pieces>) -> impl lath::App {
    serve_dir(root).wrap(lath::from_fn(move |req, respond: Respond, next| {
        let pieces = pieces.clone();
        async move {
            let respond = respond.map(move |mut res| {
                let body: Body = res.take_body().watched(pieces);
                res.with_body(body)
            });
            next.call(req, respond).await
        }
    }))
}

/// A folder with `big.bin` (1 MiB, a byte pattern) and `small.bin`
/// (4 KiB), removed when dropped.
struct Files(PathBuf);

impl Files {
    fn new(name: &str) -> Files {
        let root =
            std::env::temp_dir().join(format!("lath-sendfile-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("big.bin"), pattern(1 << 20)).unwrap();
        std::fs::write(root.join("small.bin"), pattern(4096)).unwrap();
        Files(root)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `len` bytes that differ at every offset.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Sends `request` (one or more) and reads until the server closes.
fn send_all(addr: SocketAddr, request: &str) -> Vec<u8> {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut all = Vec::new();
    conn.read_to_end(&mut all).unwrap();
    all
}

/// Sends one request and reads the answer to the end: the head, and the
/// body bytes.
fn exchange(addr: SocketAddr, request: &str) -> (String, Vec<u8>) {
    let all = send_all(addr, request);
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (
        String::from_utf8_lossy(&all[..split]).into_owned(),
        all[split..].to_vec(),
    )
}

/// Reads until the server ends the connection (EOF or reset); the bytes
/// read.
fn read_until_closed(conn: &mut TcpStream) -> usize {
    let (mut got, mut buf) = (0, vec![0u8; 1 << 20]);
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got += n,
        }
    }
}

#[test]
fn a_large_file_goes_out_from_the_file_whole_and_in_ranges() {
    let files = Files::new("whole");
    let pieces = Arc::new(Pieces::default());
    let (root, seen) = (files.0.clone(), pieces.clone());
    let addr = support::serve_on_thread(|s| s, move |_| watched(&root, seen));
    let big = pattern(1 << 20);

    let (head, body) = exchange(
        addr,
        "GET /big.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 1048576\r\n"), "{head}");
    assert!(body == big, "the file's bytes, {} of them", body.len());
    assert_eq!(
        *pieces.0.lock().unwrap(),
        [1 << 20],
        "one piece, from the file"
    );

    pieces.0.lock().unwrap().clear();
    let (head, body) = exchange(
        addr,
        "GET /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=1000-600999\r\nConnection: close\r\n\r\n",
    );
    assert!(
        head.starts_with("HTTP/1.1 206 Partial Content\r\n"),
        "{head}"
    );
    assert!(body == big[1000..601_000], "the range's bytes");
    assert_eq!(*pieces.0.lock().unwrap(), [600_000]);

    // HEAD: the same head, no body.
    let (head, body) = exchange(
        addr,
        "HEAD /big.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(head.contains("Content-Length: 1048576\r\n"), "{head}");
    assert!(body.is_empty());

    // A small file is read and written with its head, as before.
    pieces.0.lock().unwrap().clear();
    let (_, body) = exchange(
        addr,
        "GET /small.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(body, pattern(4096));
    assert_eq!(*pieces.0.lock().unwrap(), [4096]);
}

#[test]
fn without_a_socket_of_its_own_the_body_is_read() {
    // The in-memory test client: the span is read in 64 KiB pieces.
    let files = Files::new("memory");
    let pieces = Arc::new(Pieces::default());
    let client = Client::new(watched(&files.0, pieces.clone()));
    let res = client.get("/big.bin").send_blocking().unwrap();
    assert!(res.body == pattern(1 << 20));
    assert_eq!(*pieces.0.lock().unwrap(), vec![64 * 1024; 16]);
}

#[test]
fn keep_alive_carries_on_after_a_body_from_the_file() {
    let files = Files::new("keepalive");
    let root = files.0.clone();
    let addr = support::serve_on_thread(|s| s, move |_| serve_dir(root));
    let request = "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2)
        + "GET /small.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let all = send_all(addr, &request);
    // Three answers, each a head and exactly its Content-Length of bytes.
    let mut rest = &all[..];
    let mut bodies = Vec::new();
    while !rest.is_empty() {
        let split = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&rest[..split]).into_owned();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        bodies.push(rest[split..split + len].to_vec());
        rest = &rest[split + len..];
    }
    assert_eq!(bodies.len(), 3);
    assert!(bodies[0] == pattern(1 << 20) && bodies[1] == pattern(1 << 20));
    assert_eq!(bodies[2], pattern(4096));
}

#[test]
fn a_file_cut_short_while_sent_ends_the_connection_not_the_body() {
    let files = Files::new("shrinks");
    let path = files.0.join("huge.bin");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(256 << 20).unwrap();
    let root = files.0.clone();
    let addr = support::serve_on_thread(|s| s, move |_| serve_dir(root));
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_all(b"GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let got = conn.read(&mut buf).unwrap();
    // The file shrinks to 1 MiB while most of it is still to be sent.
    file.set_len(1 << 20).unwrap();
    let got = got + read_until_closed(&mut conn);
    assert!(got < 256 << 20, "the body must not look whole: {got} bytes");
}

#[test]
fn a_client_that_stops_reading_is_cut_off_while_others_are_served() {
    let files = Files::new("stalls");
    std::fs::File::create(files.0.join("huge.bin"))
        .unwrap()
        .set_len(256 << 20)
        .unwrap();
    let root = files.0.clone();
    let addr = support::serve_on_thread(
        |s| {
            let mut config = Config::default();
            config.write_timeout = Duration::from_millis(500);
            s.with_config(config)
        },
        move |_| serve_dir(root),
    );
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    // Another client is served meanwhile.
    let (head, body) = exchange(
        addr,
        "GET /big.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(body.len(), 1 << 20);
    // Past the write timeout the server gives up on the stalled one: read
    // now, it ends (EOF or reset) well short of the file.
    std::thread::sleep(Duration::from_secs(2));
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let got = read_until_closed(&mut stalled);
    assert!(got < 256 << 20, "{got} bytes");
}

#[test]
fn behind_a_proxy_header_the_file_still_goes_out_from_the_file() {
    let files = Files::new("proxied");
    let pieces = Arc::new(Pieces::default());
    let (root, seen) = (files.0.clone(), pieces.clone());
    let addr = support::serve_on_thread(
        |s| s.proxy_protocol(lath::app::IpFilter::new().allow("127.0.0.1").unwrap()),
        move |_| watched(&root, seen),
    );
    let (head, body) = exchange(
        addr,
        "PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\n\
         GET /big.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        body == pattern(1 << 20),
        "the file's bytes, {} of them",
        body.len()
    );
    assert_eq!(
        *pieces.0.lock().unwrap(),
        [1 << 20],
        "one piece, from the file"
    );
}

//! Heap allocations per request on the server's path, counted by a global
//! allocator: `hello` served on one worker, driven by an in-process client
//! that allocates nothing of its own, keep-alive and 16-deep pipelined.
//!
//! `cargo run --release --example alloc_count` (`-- 100000` sets the
//! number of requests per mode; `-- 100000 stack` serves the demo's whole
//! stack instead: a router with a `:param` route, `timeout`, `recover`,
//! `errors` and `logger` writing its lines).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};

use lath::{Request, Respond, Server};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

async fn hello(mut req: Request, respond: Respond) {
    let _ = req.bytes().await;
    respond.send("Hello, World!");
}

/// The demo's stack around a `:param` route.
fn stack() -> impl lath::App {
    use lath::layers::{errors, logger, recover, timeout};
    use lath::{handler, AppExt, Router};
    use std::time::Duration;
    Router::new()
        .get(
            "/users/:id",
            handler(|req: Request| async move {
                match req.param("id") {
                    Some("7") => Ok("Hello, World!"),
                    _ => Err(lath::HttpError::not_found()),
                }
            })
            .wrap(timeout(Duration::from_secs(5))),
        )
        .build()
        .expect("valid routes")
        .wrap(recover)
        .wrap(errors)
        // Lines written to a writer, so the logger does its whole work.
        .wrap(|app| logger(app).to(std::io::sink()))
}

const REQUEST: &[u8] = b"GET /users/7 HTTP/1.1\r\nHost: a\r\n\r\n";
const DEPTH: usize = 16;

/// Sends `rounds` batches of `depth` pipelined requests on one connection
/// and reads every answer, allocating nothing.
fn drive(conn: &mut TcpStream, answer_len: usize, rounds: usize, depth: usize) {
    let mut batch = [0u8; REQUEST.len() * DEPTH];
    for i in 0..depth {
        batch[i * REQUEST.len()..(i + 1) * REQUEST.len()].copy_from_slice(REQUEST);
    }
    let mut buf = [0u8; 64 * 1024];
    for _ in 0..rounds {
        conn.write_all(&batch[..REQUEST.len() * depth]).unwrap();
        let mut left = answer_len * depth;
        while left > 0 {
            let n = conn.read(&mut buf[..left.min(64 * 1024)]).unwrap();
            assert!(n > 0, "the server closed the connection");
            left -= n;
        }
    }
}

fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let whole_stack = std::env::args().nth(2).as_deref() == Some("stack");
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        lath::net::run(async move {
            let server = Server::bind("127.0.0.1:0").await.unwrap().workers(1);
            tx.send(server.local_addr().unwrap()).unwrap();
            match whole_stack {
                true => server.serve(stack()).await.unwrap(),
                false => server.serve(hello).await.unwrap(),
            }
        })
    });
    let addr = rx.recv().unwrap();
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_nodelay(true).unwrap();
    // One answer, to learn its length (the Date field's is fixed).
    conn.write_all(REQUEST).unwrap();
    let mut first = [0u8; 1024];
    let mut len = 0;
    while !first[..len].ends_with(b"Hello, World!") {
        len += conn.read(&mut first[len..]).unwrap();
    }
    for (mode, depth) in [("keep-alive", 1), ("pipelined x16", DEPTH)] {
        let rounds = requests / depth;
        drive(&mut conn, len, 1000, depth); // warm up
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        drive(&mut conn, len, rounds, depth);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        println!(
            "{mode}: {:.2} allocations per request ({} requests)",
            (after - before) as f64 / (rounds * depth) as f64,
            rounds * depth
        );
    }
}

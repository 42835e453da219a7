//! A router as the outermost app allocates nothing per request once a
//! connection is warm: the route's future goes into the connection's
//! reused memory, the lookup keeps its captures on the stack and a route
//! without parameters needs no parameter list. Counts, not timings.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use futures::{AsyncReadExt, AsyncWriteExt};
use lath::net::{mem, serve_connection, Config};
use lath::{handler, Request, Router};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";

/// Sends `rounds` batches of `depth` requests, reads every answer, and
/// returns what this thread allocated meanwhile.
async fn drive(client: &mut mem::MemStream, answer: usize, rounds: usize, depth: usize) -> u64 {
    let batch = REQUEST.repeat(depth);
    let mut buf = vec![0u8; answer * depth];
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    for _ in 0..rounds {
        client.write_all(&batch).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
    COUNTING.with(|c| c.set(false));
    assert!(buf.ends_with(b"Hello, World!"));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn a_router_serves_a_warm_connection_without_allocating() {
    let routes = Router::new()
        .get("/hello", handler(|_req: Request| async { "Hello, World!" }))
        .get("/users/:id", handler(|_req: Request| async { "user" }))
        .build()
        .unwrap();
    futures::executor::block_on(async {
        let (server, mut client) = mem::duplex(64 * 1024);
        let serving = serve_connection(server, routes, Config::default());
        let talk = async {
            client.write_all(REQUEST).await.unwrap();
            let mut first = Vec::new();
            let mut byte = [0u8];
            while !first.ends_with(b"Hello, World!") {
                client.read_exact(&mut byte).await.unwrap();
                first.push(byte[0]);
            }
            let answer = first.len();
            drive(&mut client, answer, 100, 16).await; // warm up
            assert_eq!(drive(&mut client, answer, 2_000, 1).await, 0, "keep-alive");
            assert_eq!(drive(&mut client, answer, 200, 16).await, 0, "pipelined");
            drop(client);
        };
        let (served, ()) = futures::join!(serving, talk);
        served.unwrap();
    });
}

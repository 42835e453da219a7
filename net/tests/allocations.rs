//! The request path allocates nothing once a connection is warm: `hello`
//! served over an in-memory pipe, keep-alive and 16-deep pipelined, with
//! a global allocator counting what the serving thread allocates. Counts,
//! not timings. (`examples/alloc_count.rs` measures the same over TCP,
//! where the runtime's reactor adds its own.)

#[path = "support/counting.rs"]
mod counting;

use lath_app::{Request, Respond};

async fn hello(mut req: Request, respond: Respond) {
    let _ = req.bytes().await;
    respond.send("Hello, World!");
}

#[test]
fn a_warm_connection_serves_hello_without_allocating() {
    let request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let (keep_alive, pipelined) = counting::allocations_when_warm(hello, request, b"Hello, World!");
    assert_eq!(keep_alive, 0, "allocations for 5 000 keep-alive requests");
    assert_eq!(pipelined, 0, "allocations for 500 batches of 16");
}

//! A router as the outermost app allocates nothing per request once a
//! connection is warm: the route's future goes into the connection's
//! reused memory, the lookup keeps its captures on the stack and a route
//! without parameters needs no parameter list. Counts, not timings.

#[path = "../net/tests/support/counting.rs"]
mod counting;

use lath::{handler, Request, Router};

#[test]
fn a_router_serves_a_warm_connection_without_allocating() {
    let routes = Router::new()
        .get("/hello", handler(|_req: Request| async { "Hello, World!" }))
        .get("/users/:id", handler(|_req: Request| async { "user" }))
        .build()
        .unwrap();
    let request = b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";
    let (keep_alive, pipelined) =
        counting::allocations_when_warm(routes, request, b"Hello, World!");
    assert_eq!(keep_alive, 0, "keep-alive");
    assert_eq!(pipelined, 0, "pipelined");
}

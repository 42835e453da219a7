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

/// The demo's stack: a `:param` route with a `timeout`, under `recover`,
/// `errors` and a `logger` that writes every line. Its shared per-request
/// values are reused, and its route's future goes into pooled memory.
#[test]
fn the_demo_stack_serves_a_warm_connection_without_allocating() {
    use lath::layers::{errors, logger, recover, timeout};
    use lath::{AppExt, HttpError};
    use std::time::Duration;

    let stack = Router::new()
        .get(
            "/users/:id",
            handler(|req: Request| async move {
                match req.param("id") {
                    Some("7") => Ok("Hello, World!"),
                    _ => Err(HttpError::not_found()),
                }
            })
            .wrap(timeout(Duration::from_secs(5))),
        )
        .build()
        .unwrap()
        .wrap(recover)
        .wrap(errors)
        .wrap(|app| logger(app).to(std::io::sink()));
    let request = b"GET /users/7 HTTP/1.1\r\nHost: a\r\n\r\n";
    let (keep_alive, pipelined) = counting::allocations_when_warm(stack, request, b"Hello, World!");
    assert_eq!(keep_alive, 0, "keep-alive");
    assert_eq!(pipelined, 0, "pipelined");
}

/// `compress` on the way out of an answer too small to compress: its
/// per-request value is reused, and it leaves the answer as it is.
#[test]
fn compress_adds_no_allocation_to_a_small_answer() {
    use lath::layers::compress;
    use lath::AppExt;
    let app = handler(|_req: Request| async { "Hello, World!" }).wrap(compress());
    let request = b"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, br\r\n\r\n";
    let (keep_alive, pipelined) = counting::allocations_when_warm(app, request, b"Hello, World!");
    assert_eq!(keep_alive, 0, "keep-alive");
    assert_eq!(pipelined, 0, "pipelined");
}

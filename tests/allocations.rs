//! A router as the outermost app allocates nothing per request once a
//! connection is warm: the route's future goes into the connection's
//! reused memory, the lookup keeps its captures on the stack and a route
//! without parameters needs no parameter list. Counts, not timings.

#[path = "../net/tests/support/counting.rs"]
mod counting;

use counting::allocations_during;
use futures::{AsyncReadExt, AsyncWriteExt};
use lath::net::{mem, serve_connection, Config};
use lath::{handler, Request, Router};

const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";

/// Sends `rounds` batches of `depth` requests, reads every answer, and
/// returns what this thread allocated meanwhile.
async fn drive(client: &mut mem::MemStream, answer: usize, rounds: usize, depth: usize) -> u64 {
    let batch = REQUEST.repeat(depth);
    let mut buf = vec![0u8; answer * depth];
    let measured = allocations_during(async {
        for _ in 0..rounds {
            client.write_all(&batch).await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
        }
    })
    .await;
    assert!(buf.ends_with(b"Hello, World!"));
    measured
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

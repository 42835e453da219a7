//! The request path allocates nothing once a connection is warm: `hello`
//! served over an in-memory pipe, keep-alive and 16-deep pipelined, with
//! a global allocator counting what the serving thread allocates. Counts,
//! not timings. (`examples/alloc_count.rs` measures the same over TCP,
//! where the runtime's reactor adds its own.)

#[path = "support/counting.rs"]
mod counting;

use counting::allocations_during;
use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{Request, Respond};
use lath_net::{mem, serve_connection, Config};

async fn hello(mut req: Request, respond: Respond) {
    let _ = req.bytes().await;
    respond.send("Hello, World!");
}

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";

/// Sends `rounds` batches of `depth` requests and reads every answer,
/// allocating nothing itself; returns what the server allocated.
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
fn a_warm_connection_serves_hello_without_allocating() {
    futures::executor::block_on(async {
        let (server, mut client) = mem::duplex(64 * 1024);
        let serving = serve_connection(server, hello, Config::default());
        let talk = async {
            client.write_all(REQUEST).await.unwrap();
            let mut first = Vec::new();
            let mut byte = [0u8];
            while !first.ends_with(b"Hello, World!") {
                client.read_exact(&mut byte).await.unwrap();
                first.push(byte[0]);
            }
            let answer = first.len();
            // Warm up: buffers grow to their working size.
            drive(&mut client, answer, 100, 1).await;
            drive(&mut client, answer, 100, 16).await;
            let keep_alive = drive(&mut client, answer, 5_000, 1).await;
            assert_eq!(keep_alive, 0, "allocations for 5 000 keep-alive requests");
            let pipelined = drive(&mut client, answer, 500, 16).await;
            assert_eq!(pipelined, 0, "allocations for 500 batches of 16");
            drop(client);
        };
        let (served, ()) = futures::join!(serving, talk);
        served.unwrap();
    });
}

//! A global allocator that counts what one thread allocates while asked
//! to, for tests that assert allocation counts (never timings).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;

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

/// Allocations (and reallocations) this thread makes while `f` runs.
pub async fn allocations_during<F: Future>(f: F) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f.await;
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// Serves `app` over an in-memory pipe, warms the connection up, then
/// returns what the serving thread allocated for 5 000 keep-alive
/// requests and for 500 batches of 16 pipelined ones. Each request is
/// `request`; each answer ends with `body`.
pub fn allocations_when_warm(app: impl lath_app::App, request: &[u8], body: &[u8]) -> (u64, u64) {
    use futures::{AsyncReadExt, AsyncWriteExt};
    use lath_net::{mem, serve_connection, Config};

    /// `rounds` batches of `depth` requests, every answer read; what the
    /// server allocated meanwhile (the client allocates nothing).
    async fn drive(
        client: &mut mem::MemStream,
        request: &[u8],
        answer: usize,
        (rounds, depth): (usize, usize),
    ) -> u64 {
        let batch = request.repeat(depth);
        let mut buf = vec![0u8; answer * depth];
        allocations_during(async {
            for _ in 0..rounds {
                client.write_all(&batch).await.unwrap();
                client.read_exact(&mut buf).await.unwrap();
            }
        })
        .await
    }

    futures::executor::block_on(async {
        let (server, mut client) = mem::duplex(64 * 1024);
        let serving = serve_connection(server, app, Config::default());
        let talk = async {
            // One answer, to learn its length (the Date field's is fixed).
            client.write_all(request).await.unwrap();
            let mut first = Vec::new();
            let mut byte = [0u8];
            while !first.ends_with(body) {
                client.read_exact(&mut byte).await.unwrap();
                first.push(byte[0]);
            }
            let answer = first.len();
            // Warm up: buffers and pools grow to their working size.
            drive(&mut client, request, answer, (100, 1)).await;
            drive(&mut client, request, answer, (100, 16)).await;
            let keep_alive = drive(&mut client, request, answer, (5_000, 1)).await;
            let pipelined = drive(&mut client, request, answer, (500, 16)).await;
            drop(client);
            (keep_alive, pipelined)
        };
        let (served, counts) = futures::join!(serving, talk);
        served.unwrap();
        counts
    })
}

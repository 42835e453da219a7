//! `serve_connection` allocates nothing that outlives its connection: a
//! counting allocator sees the live heap come back to where it was. Its
//! own test binary, so no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{Request, Respond};
use lath_net::{mem, serve_connection, Config};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

async fn hello(_req: Request, respond: Respond) {
    respond.send("Hello, World!");
}

/// One connection with two requests, the second closing it.
async fn one_connection() {
    let (server, mut client) = mem::duplex(16 * 1024);
    let talk = async {
        client
            .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert!(answer.ends_with(b"Hello, World!"));
    };
    let (served, ()) = futures::join!(serve_connection(server, hello, Config::default()), talk);
    served.unwrap();
}

#[test]
fn serve_connection_leaves_nothing_behind() {
    futures::executor::block_on(async {
        // The first connections set up what lives as long as the process:
        // the timer reactor, the thread's read buffer.
        for _ in 0..3 {
            one_connection().await;
        }
        let before = LIVE.load(Ordering::SeqCst);
        for _ in 0..200 {
            one_connection().await;
        }
        let grown = LIVE.load(Ordering::SeqCst) - before;
        assert!(grown < 2048, "{grown} bytes outlived 200 connections");
    });
}

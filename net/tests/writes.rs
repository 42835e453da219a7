//! How responses leave: a head and a small body in one write, pipelined
//! responses batched into as few writes as possible.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};
use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{Request, Respond};
use lath_net::{mem, serve_connection, Config};

/// A stream that counts the writes that carried bytes.
struct Counted {
    inner: mem::MemStream,
    writes: Arc<AtomicUsize>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 {
                self.writes.fetch_add(1, Ordering::SeqCst);
            }
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

async fn hello(_req: Request, respond: Respond) {
    respond.send("Hello, World!");
}

/// Sends `input` in one write, half-closes, and returns the response and
/// how many writes the server made.
async fn exchange(input: &[u8]) -> (String, usize) {
    let (server, mut client) = mem::duplex(1 << 20);
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        inner: server,
        writes: writes.clone(),
    };
    client.write_all(input).await.unwrap();
    client.close().await.unwrap();
    serve_connection(counted, hello, Config::default())
        .await
        .unwrap();
    let mut out = String::new();
    client.read_to_string(&mut out).await.unwrap();
    (out, writes.load(Ordering::SeqCst))
}

#[async_std::test]
async fn a_head_and_a_small_body_go_out_in_one_write() {
    let (out, writes) = exchange(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert!(out.ends_with("\r\n\r\nHello, World!"));
    assert_eq!(writes, 1);
}

#[async_std::test]
async fn pipelined_responses_are_batched() {
    let input = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(16);
    let (out, writes) = exchange(input.as_bytes()).await;
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 16);
    assert_eq!(writes, 1, "16 responses, one write");
}

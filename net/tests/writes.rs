//! How responses leave: a head and a small body in one write, pipelined
//! responses batched into as few writes as possible; over HTTP/2, the
//! answers to the streams of one read leave together, each stream with the
//! answer that is its own.

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

/// The client's side of an HTTP/2 connection (RFC 9113 §3.4): the
/// preface, empty SETTINGS, then `n` GET requests for `/` on streams 1, 3,
/// 5…, each one HEADERS frame that ends its stream.
fn h2_requests(n: u32) -> Vec<u8> {
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    out.extend((0..n).flat_map(|i| h2_get(2 * i + 1, "/")));
    out
}

/// A GET for `path` on stream `id`: one HEADERS frame that ends the
/// stream. HPACK (RFC 7541 Appendix A): `:method GET` and `:scheme http`
/// from the static table, `:path` and `:authority a` as literals.
fn h2_get(id: u32, path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x04, path.len() as u8];
    block.extend_from_slice(path.as_bytes());
    block.extend_from_slice(&[0x01, 0x01, b'a']);
    let mut out = vec![0, 0, block.len() as u8, 0x1, 0x5];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&block);
    out
}

/// A frame's type, flags, stream and first payload byte.
type Frame = (u8, u8, u32, Option<u8>);

/// The frames in `bytes`, and whether they end exactly at its end.
fn frames(bytes: &[u8]) -> (Vec<Frame>, bool) {
    let mut found = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 9 {
        let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
        if rest.len() < 9 + len {
            break;
        }
        let stream = u32::from_be_bytes([rest[5], rest[6], rest[7], rest[8]]) & 0x7fff_ffff;
        found.push((rest[3], rest[4], stream, rest.get(9).copied()));
        rest = &rest[9 + len..];
    }
    (found, rest.is_empty())
}

/// Reads from `client` until `streams` streams have ended (a DATA or
/// HEADERS frame with END_STREAM).
async fn read_until_ended(client: &mut mem::MemStream, streams: usize) -> Vec<u8> {
    let (mut out, mut buf) = (Vec::new(), [0u8; 16 * 1024]);
    let ended = |out: &[u8]| {
        let (frames, _) = frames(out);
        frames.iter().filter(|f| f.0 <= 1 && f.1 & 0x1 != 0).count()
    };
    while ended(&out) < streams {
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed early");
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[async_std::test]
async fn http2_answers_to_the_streams_of_one_read_leave_together() {
    let (server, mut client) = mem::duplex(1 << 20);
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        inner: server,
        writes: writes.clone(),
    };
    let serving = async_std::task::spawn(serve_connection(counted, hello, Config::default()));
    client.write_all(&h2_requests(32)).await.unwrap();
    let out = read_until_ended(&mut client, 32).await;
    let (frames, whole) = frames(&out);
    assert!(whole, "frames cut short");
    // RFC 9113 §6.1: each body is one DATA frame that ends its stream, not
    // a DATA frame and an empty one after it.
    let data: Vec<_> = frames.iter().filter(|f| f.0 == 0x0).collect();
    assert_eq!(data.len(), 32, "{frames:?}");
    assert!(data.iter().all(|f| f.1 & 0x1 != 0), "{frames:?}");
    // The server's SETTINGS, its ACK of the client's, and the 32 answers:
    // a few writes, not one (or more) per answer.
    let writes = writes.load(Ordering::SeqCst);
    assert!(writes <= 4, "{writes} writes for 32 answers");
    drop(client);
    serving.await.unwrap();
}

/// Answers `/`; drops its `Respond` unsent for any other path (a 500).
async fn answers_or_drops(req: Request, respond: Respond) {
    if req.path() == "/" {
        respond.send("Hello, World!");
    }
}

#[async_std::test]
async fn http2_streams_after_an_unanswered_one_get_their_own_answers() {
    let (server, mut client) = mem::duplex(1 << 20);
    let serving = async_std::task::spawn(serve_connection(
        server,
        answers_or_drops,
        Config::default(),
    ));
    client.write_all(&h2_requests(0)).await.unwrap();
    // Three rounds, each on the places the last one's streams left.
    let mut id = 1;
    for round in 0..3 {
        let paths = ["/", "/drop", "/", "/drop", "/"];
        let batch: Vec<u8> = paths
            .iter()
            .enumerate()
            .flat_map(|(i, path)| h2_get(id + 2 * i as u32, path))
            .collect();
        client.write_all(&batch).await.unwrap();
        let out = read_until_ended(&mut client, paths.len()).await;
        // RFC 7541 Appendix A: `:status 200` is static entry 8 (0x88),
        // `:status 500` entry 14 (0x8e).
        let (frames, _) = frames(&out);
        for (i, path) in paths.iter().enumerate() {
            let stream = id + 2 * i as u32;
            let head = frames.iter().find(|f| f.0 == 0x1 && f.2 == stream);
            let status = head.and_then(|f| f.3);
            let want = if *path == "/" { 0x88 } else { 0x8e };
            assert_eq!(
                status,
                Some(want),
                "round {round}, stream {stream} ({path})"
            );
        }
        id += 2 * paths.len() as u32;
    }
    drop(client);
    serving.await.unwrap();
}

//! A 200 MB multipart upload through the streaming API, with the process's
//! RSS before and after: the parts are read piece by piece and never
//! buffered whole.
//!
//! `cargo run --release --example upload_rss` (Linux: RSS from /proc)

use std::io::{Read, Write};
use std::net::TcpStream;

use lath::layers::{parts, MultipartLimits};
use lath::{handler, HttpError, Request, Server};

const SIZE: u64 = 200 << 20;
const BOUNDARY: &str = "lath-rss-boundary";

/// Resident and peak resident memory of this process, in KiB.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Counts the bytes of every part without keeping them.
async fn count(mut req: Request) -> Result<String, HttpError> {
    let mut limits = MultipartLimits::default();
    limits.max_file = u64::MAX;
    limits.max_total = u64::MAX;
    let mut upload = parts(&mut req, limits)?;
    let mut total = 0u64;
    while let Some(mut part) = upload.next_part().await? {
        while let Some(piece) = part.chunk(&mut upload).await? {
            total += piece.len() as u64;
        }
    }
    Ok(format!("{total} bytes received\n"))
}

fn main() {
    let addr = async_std::task::block_on(async {
        let server = Server::bind("127.0.0.1:0").await.expect("bind");
        let addr = server.local_addr().expect("bound");
        async_std::task::spawn(server.serve(handler(count)));
        addr
    });
    let head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"big\"; filename=\"big.bin\"\r\n\r\n");
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let length = head.len() as u64 + SIZE + tail.len() as u64;

    let (before, _) = rss();
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n{head}"
    )
    .expect("write head");
    let block = vec![b'x'; 64 * 1024];
    let mut sent = 0u64;
    while sent < SIZE {
        let n = block.len().min((SIZE - sent) as usize);
        stream.write_all(&block[..n]).expect("write body");
        sent += n as u64;
    }
    stream.write_all(tail.as_bytes()).expect("write tail");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    let (after, peak) = rss();

    println!("{}", answer.lines().last().unwrap_or(""));
    println!("RSS before: {before} KiB, after: {after} KiB, peak: {peak} KiB");
    println!(
        "growth during a {} MB upload: {} KiB",
        SIZE >> 20,
        peak.saturating_sub(before)
    );
}

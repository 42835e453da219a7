//! WebSocket end to end over TCP with Python's `websockets` client (pip)
//! and raw sockets: echo of text and binary, fragmented and 1 MiB
//! messages, ping, the limits (1009), invalid UTF-8 (1007), an unmasked
//! frame (1002), a client that vanishes mid-message, and the handshake's
//! refusals (400, 403, 426).
#![cfg(feature = "websocket")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use futures::StreamExt;
use lath::layers::{websocket, Router, WebSocket};

mod support;

/// Echoes every message; messages up to 2 MiB.
async fn echo(mut ws: WebSocket) {
    while let Some(message) = ws.next().await {
        if ws.send(message).await.is_err() {
            break;
        }
    }
}

fn start() -> SocketAddr {
    support::serve_on_thread(
        |server| server,
        |_| {
            Router::new()
                .get("/ws", websocket(echo).max_message_size(2 << 20))
                .get(
                    "/idle",
                    websocket(echo).idle_timeout(Duration::from_millis(400)),
                )
                .any(
                    "/strict",
                    websocket(echo).origins(["https://allowed.example"]),
                )
                .build()
                .unwrap()
        },
    )
}

const CLIENT: &str = r#"
import asyncio, json, sys
import websockets

url = sys.argv[1]
out = {}

async def main():
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send("hello")
        out["text"] = await ws.recv()
        await ws.send(b"\x00\x01\x02")
        out["binary"] = list(await ws.recv())
        await ws.send(["frag", "men", "ted"])
        out["fragmented"] = await ws.recv()
        big = "x" * (1 << 20)
        await ws.send(big)
        out["big"] = len(await ws.recv())
        latency = await (await ws.ping())
        out["ping"] = latency >= 0
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send("y" * (3 << 20))
        try:
            await ws.recv()
        except websockets.ConnectionClosed as closed:
            out["too_big"] = closed.rcvd.code
    async with websockets.connect(url) as ws:
        await ws.send(b"\xff\xfe", text=True)
        try:
            await ws.recv()
        except websockets.ConnectionClosed as closed:
            out["bad_utf8"] = closed.rcvd.code
    print(json.dumps(out))

asyncio.run(main())
"#;

#[test]
fn python_websockets_echo_and_limits() {
    support::python_module("websockets", "websockets");
    let addr = start();
    let got = support::python_json(&["-c", CLIENT, &format!("ws://{addr}/ws")]);
    assert_eq!(got["text"], "hello");
    assert_eq!(got["binary"], serde_json::json!([0, 1, 2]));
    assert_eq!(got["fragmented"], "fragmented");
    assert_eq!(got["big"], 1 << 20);
    assert_eq!(got["ping"], true);
    assert_eq!(got["too_big"], 1009, "over the message limit");
    assert_eq!(got["bad_utf8"], 1007, "text that is not UTF-8");
}

/// A raw connection past the handshake to `path`.
fn handshake(addr: SocketAddr, path: &str, extra: &str) -> (TcpStream, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    (conn, String::from_utf8_lossy(&head).into_owned())
}

#[test]
fn an_unmasked_client_frame_is_closed_with_1002() {
    let addr = start();
    let (mut conn, head) = handshake(addr, "/ws", "");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    // A text frame "hi" without the mask a client must set (RFC 6455 §5.1).
    conn.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    let mut frame = [0u8; 4];
    conn.read_exact(&mut frame).unwrap();
    assert_eq!(frame[0], 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([frame[2], frame[3]]), 1002);
}

#[test]
fn a_client_that_vanishes_mid_message_harms_no_one() {
    let addr = start();
    let (mut conn, head) = handshake(addr, "/ws", "");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    // A masked binary frame announcing 1000 bytes; 10 come, then nothing.
    conn.write_all(&[0x82, 0x80 | 126, 0x03, 0xE8, 1, 2, 3, 4])
        .unwrap();
    conn.write_all(&[0u8; 10]).unwrap();
    drop(conn);
    // Others are served as before.
    let (mut other, head) = handshake(addr, "/ws", "");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    // A masked "hi" (mask 0): the echo comes back unmasked.
    other
        .write_all(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i'])
        .unwrap();
    let mut echo = [0u8; 4];
    other.read_exact(&mut echo).unwrap();
    assert_eq!(echo, [0x81, 0x02, b'h', b'i']);
}

#[test]
fn handshakes_that_cannot_be_accepted_get_400_403_or_426() {
    let addr = start();
    let (_, head) = handshake(addr, "/ws", "Sec-WebSocket-Version: 8\r\n");
    assert!(
        head.starts_with("HTTP/1.1 101 "),
        "the first version field counts"
    );
    let status = |request: &str| {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    };
    let version = status(
        "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n",
    );
    assert!(version.starts_with("HTTP/1.1 426 "), "{version}");
    assert!(
        version.contains("Sec-WebSocket-Version: 13\r\n"),
        "{version}"
    );
    let no_key = status(
        "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(no_key.starts_with("HTTP/1.1 400 "), "{no_key}");
    let plain = status("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert!(plain.starts_with("HTTP/1.1 400 "), "{plain}");
    let post = status(
        "POST /strict HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(post.starts_with("HTTP/1.1 400 "), "{post}");
    let (_, foreign) = handshake(addr, "/strict", "Origin: https://evil.example\r\n");
    assert!(foreign.starts_with("HTTP/1.1 403 "), "{foreign}");
    let (_, allowed) = handshake(addr, "/strict", "Origin: https://allowed.example\r\n");
    assert!(allowed.starts_with("HTTP/1.1 101 "), "{allowed}");
}

#[test]
fn a_silent_client_is_pinged_then_closed_with_1001() {
    let addr = start();
    let (mut conn, head) = handshake(addr, "/idle", "");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    // A ping at half the idle timeout, unanswered; then the close.
    let mut ping = [0u8; 2];
    conn.read_exact(&mut ping).unwrap();
    assert_eq!(ping, [0x89, 0x00], "an empty ping");
    let mut close = [0u8; 4];
    conn.read_exact(&mut close).unwrap();
    assert_eq!(close[0], 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1001);
}

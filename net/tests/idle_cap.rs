//! At the connection cap, with every connection an idle keep-alive one, a
//! new client is served at once: the longest-idle connection makes room
//! (nginx's "reusing connections"). Its own test binary, since it holds
//! 10 000 sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use lath_app::{Request, Respond};
use lath_net::Server;

const IDLE: usize = 10_000;

async fn hello(_req: Request, respond: Respond) {
    respond.send("Hello, World!");
}

#[test]
fn ten_thousand_idle_connections_and_a_new_client_is_answered_within_1_s() {
    // Each side of each connection is a file descriptor; the idle clients
    // live in a child process, the server here.
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
    let needed = IDLE as u64 + 512;
    if soft < needed {
        if hard < needed {
            println!("skipped: the open-file hard limit ({hard}) is under {needed}");
            return;
        }
        rlimit::Resource::NOFILE.set(needed, hard).unwrap();
    }
    let (addr, stop) = async_std::task::block_on(async {
        // One worker holds the whole cap (workers share it out).
        let server = Server::bind("127.0.0.1:0").await.unwrap().workers(1);
        assert_eq!(server_cap(), IDLE, "the default cap");
        let addr = server.local_addr().unwrap();
        let stop = server.shutdown_handle();
        async_std::task::spawn(server.serve(hello));
        (addr, stop)
    });
    let script = r#"
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    got = b""
    while not got.endswith(b"Hello, World!"):
        got += s.recv(4096)
    conns.append(s)
print("ready", flush=True)
sys.stdin.readline()
closed = 0
for s in conns:
    s.setblocking(False)
    try:
        closed += s.recv(1) == b""
    except BlockingIOError:
        pass
print(closed, flush=True)
"#;
    let mut idle = Command::new("python3")
        .args(["-c", script, &addr.port().to_string(), &IDLE.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut lines = BufReader::new(idle.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    client
        .write_all(b"GET /new HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    client
        .read_to_string(&mut answer)
        .expect("answered within 1 s");
    assert!(answer.ends_with("Hello, World!"), "{answer}");

    // One idle connection, the oldest, was closed to make room.
    std::thread::sleep(Duration::from_millis(200));
    idle.stdin.take().unwrap().write_all(b"\n").unwrap();
    let closed: usize = lines.next().unwrap().unwrap().parse().unwrap();
    assert_eq!(closed, 1);
    idle.wait().unwrap();
    stop.shutdown();
}

fn server_cap() -> usize {
    lath_net::Config::default().max_connections
}

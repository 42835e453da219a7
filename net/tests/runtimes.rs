//! Every runtime this build enables serves, picked at run time with
//! `Server::runtime`, on one worker and on two. (CI builds with each
//! runtime feature, so each runs here beside the default.)

use std::io::{Read, Write};
use std::net::TcpStream;

use lath_app::{Request, Respond};
use lath_net::{Runtime, Server};

async fn hello(_req: Request, respond: Respond) {
    let thread = std::thread::current().name().unwrap_or("caller").to_owned();
    respond.send(format!("on {thread}"));
}

fn get(addr: std::net::SocketAddr) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn every_enabled_runtime_serves_on_one_worker_and_on_two() {
    assert_eq!(Runtime::enabled()[0], Runtime::default());
    for &runtime in Runtime::enabled() {
        for workers in [1, 2] {
            let (tx, rx) = std::sync::mpsc::channel();
            let serving = std::thread::spawn(move || {
                runtime.run(async move {
                    let server = Server::bind("127.0.0.1:0")
                        .await
                        .unwrap()
                        .workers(workers)
                        .runtime(runtime);
                    tx.send((server.local_addr().unwrap(), server.shutdown_handle()))
                        .unwrap();
                    server.serve(hello).await
                })
            });
            let (addr, stop) = rx.recv().unwrap();
            for _ in 0..4 {
                let answer = get(addr);
                assert!(
                    answer.starts_with("HTTP/1.1 200 OK\r\n"),
                    "{runtime:?}: {answer}"
                );
                let on = match workers {
                    1 => "\r\n\r\non caller",
                    _ => "\r\n\r\non lath-worker-",
                };
                assert!(answer.contains(on), "{runtime:?}: {answer}");
            }
            stop.shutdown();
            serving.join().unwrap().unwrap();
        }
    }
}

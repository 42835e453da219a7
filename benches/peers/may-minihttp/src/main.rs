//! `Hello, World!` on may_minihttp, one worker thread, on `PORT`.

use std::io;

use may_minihttp::{HttpServer, HttpService, Request, Response};

#[derive(Clone)]
struct Hello;

impl HttpService for Hello {
    fn call(&mut self, _req: Request, res: &mut Response) -> io::Result<()> {
        res.body("Hello, World!");
        Ok(())
    }
}

fn main() {
    may::config().set_workers(1);
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let server = HttpServer(Hello)
        .start(format!("127.0.0.1:{port}"))
        .expect("listening");
    server.wait();
}

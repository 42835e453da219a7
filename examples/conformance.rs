//! The app HTTP/1.1 conformance testers expect behind a server:
//! `GET /` → `OK`; `POST /` → the body echoed; `/echo` → the request's
//! headers, one `Name: value` per line; `/cookie` → each cookie as
//! `name=value`, one per line.
//!
//! `cargo run --release --example conformance -- --port 8080`

#[path = "support/mod.rs"]
mod support;

use lath::{Method, Request, Respond, Response};

async fn conformance(mut req: Request, respond: Respond) {
    let res = match (req.method().clone(), req.path()) {
        (Method::POST, "/") => match req.bytes(16 << 20).await {
            Ok(body) => Response::bytes(body),
            Err(e) => e.into(),
        },
        (_, "/") => Response::text("OK"),
        (_, "/echo") => {
            let lines: String = req
                .headers()
                .iter()
                .map(|(name, value)| format!("{name}: {}\n", String::from_utf8_lossy(value)))
                .collect();
            Response::text(lines)
        }
        (_, "/cookie") => {
            let lines: String = req
                .headers()
                .get_all("cookie")
                .flat_map(|v| {
                    String::from_utf8_lossy(v)
                        .split(';')
                        .map(|c| c.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|pair| pair.contains('='))
                .map(|pair| format!("{pair}\n"))
                .collect();
            Response::text(lines)
        }
        _ => Response::status_page(lath::Status::NOT_FOUND),
    };
    respond.send(res);
}

fn main() {
    support::run(support::port(8080), conformance);
}

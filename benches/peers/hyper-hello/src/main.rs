//! hyper 1.x on a tokio current-thread runtime, answering `GET /hello`
//! with `Hello, World!`: the peer for `benches/load.sh`.

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = if req.uri().path() == "/hello" {
        Response::builder()
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from_static(b"Hello, World!")))
    } else {
        Response::builder().status(StatusCode::NOT_FOUND).body(Full::new(Bytes::new()))
    };
    Ok(response.expect("valid response"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8081);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!("listening on http://127.0.0.1:{port}");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        tokio::task::spawn(async move {
            let _ = http1::Builder::new()
                .pipeline_flush(true)
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}

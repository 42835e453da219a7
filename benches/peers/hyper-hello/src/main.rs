//! hyper 1.x on a tokio current-thread runtime, answering `GET /hello`
//! with `Hello, World!`: the peer for `benches/load.sh` and
//! `benches/tls_h2.sh`.
//!
//! Cleartext HTTP/1.1 by default. With `TLS_CERT` and `TLS_KEY` (PEM), it
//! serves HTTPS with tokio-rustls (ring), ALPN `h2` and `http/1.1`, through
//! hyper-util's auto connection (HTTP/1.1 or HTTP/2). With `H2C=1`, cleartext
//! connections go through the auto connection too (HTTP/2 by prior
//! knowledge), for `benches/instructions.sh h2`.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
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

fn tls() -> Option<tokio_rustls::TlsAcceptor> {
    let (cert, key) = (std::env::var("TLS_CERT").ok()?, std::env::var("TLS_KEY").ok()?);
    let chain = rustls_pemfile::certs(&mut std::io::BufReader::new(std::fs::File::open(cert).ok()?))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(std::fs::File::open(key).ok()?))
        .ok()??;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .ok()?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8081);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let tls = tls();
    let h2c = std::env::var_os("H2C").is_some();
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://127.0.0.1:{port}");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let tls = tls.clone();
        tokio::task::spawn(async move {
            match tls {
                Some(tls) => {
                    let Ok(stream) = tls.accept(stream).await else { return };
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service_fn(hello))
                        .await;
                }
                // `H2C=1`: cleartext HTTP/2 by prior knowledge as well.
                None if h2c => {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service_fn(hello))
                        .await;
                }
                None => {
                    let _ = http1::Builder::new()
                        .pipeline_flush(true)
                        .serve_connection(TokioIo::new(stream), service_fn(hello))
                        .await;
                }
            }
        });
    }
}

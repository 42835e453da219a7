//! HTTPS end to end with curl, against certificates made here with the
//! openssl command: HTTP/1.1 over TLS 1.2 and 1.3, SNI, a certificate
//! replaced while serving, a handshake that never comes, plain HTTP on
//! the HTTPS port.
#![cfg(feature = "tls")]

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lath::net::{Config, TlsConfig};
use lath::{handler, Request};

mod support;
use support::certificate;

fn scratch(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lath-tls-{test}-{}", std::process::id()))
}

/// Serves, over HTTPS, an app that tells what it knows of the session.
fn start(tls: TlsConfig, config: Config) -> SocketAddr {
    support::serve_on_thread(
        move |server| server.with_config(config).tls(tls),
        |_| {
            handler(|req: Request| async move {
                let tls = req.tls().unwrap();
                format!(
                    "secure={} alpn={} sni={} {}",
                    req.is_secure(),
                    tls.alpn().unwrap_or("-"),
                    tls.server_name().unwrap_or("-"),
                    tls.version()
                )
            })
        },
    )
}

/// curl over HTTPS to `name` (resolved to `addr`), trusting `ca`; its
/// output, or `None` if it failed.
fn curl(addr: SocketAddr, name: &str, ca: &Path, extra: &[&str]) -> Option<String> {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("{name}:{}:127.0.0.1", addr.port())])
        .args(extra)
        .arg(format!("https://{name}:{}/", addr.port()))
        .output()
        .expect("curl runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn curl_speaks_http1_over_tls_1_2_and_1_3() {
    let dir = scratch("versions");
    let (cert, key) = certificate(&dir, "localhost");
    let addr = start(
        TlsConfig::from_pem_files(&cert, &key).unwrap(),
        Config::default(),
    );
    assert_eq!(
        curl(addr, "localhost", &cert, &["--http1.1"]).as_deref(),
        Some("secure=true alpn=http/1.1 sni=localhost TLSv1_3")
    );
    assert_eq!(
        curl(addr, "localhost", &cert, &["--http1.1", "--tls-max", "1.2"]).as_deref(),
        Some("secure=true alpn=http/1.1 sni=localhost TLSv1_2")
    );
}

#[test]
fn sni_picks_the_certificate_and_a_replaced_one_serves_the_next_handshake() {
    let dir = scratch("sni");
    let (a, a_key) = certificate(&dir, "a.test");
    let (b, b_key) = certificate(&dir, "b.test");
    let (c, c_key) = certificate(&dir, "c.test");
    let tls = TlsConfig::from_pem_files(&a, &a_key)
        .unwrap()
        .with_sni_pem_files("b.test", &b, &b_key)
        .unwrap();
    let addr = start(tls.clone(), Config::default());
    assert!(curl(addr, "a.test", &a, &[]).is_some(), "the default");
    assert!(curl(addr, "b.test", &b, &[]).is_some(), "b's own");
    assert!(curl(addr, "b.test", &a, &[]).is_none(), "not the default");
    // Renewed: the default becomes c's certificate.
    tls.replace_pem_files(&c, &c_key).unwrap();
    assert!(curl(addr, "c.test", &c, &[]).is_some(), "the new default");
    assert!(
        curl(addr, "a.test", &a, &[]).is_none(),
        "the old one is gone"
    );
    assert!(curl(addr, "b.test", &b, &[]).is_some(), "b's stays");
}

#[test]
fn a_silent_client_is_dropped_at_the_handshake_timeout_while_others_are_served() {
    let dir = scratch("timeout");
    let (cert, key) = certificate(&dir, "localhost");
    let mut config = Config::default();
    config.tls_handshake_timeout = Duration::from_secs(1);
    let addr = start(TlsConfig::from_pem_files(&cert, &key).unwrap(), config);
    let mut silent = TcpStream::connect(addr).unwrap();
    let mut half = TcpStream::connect(addr).unwrap();
    // A ClientHello record begun and never finished.
    std::io::Write::write_all(&mut half, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).unwrap();
    assert!(
        curl(addr, "localhost", &cert, &[]).is_some(),
        "served meanwhile"
    );
    for conn in [&mut silent, &mut half] {
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 64];
        // Closed by the server (EOF, or a reset): not a read that timed out.
        match conn.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("not dropped at the handshake timeout: {other:?}"),
        }
    }
}

#[test]
fn plain_http_on_the_https_port_gets_400() {
    let dir = scratch("plain");
    let (cert, key) = certificate(&dir, "localhost");
    let addr = start(
        TlsConfig::from_pem_files(&cert, &key).unwrap(),
        Config::default(),
    );
    let out = Command::new("curl")
        .args(["-s", "-i", "--max-time", "10"])
        .arg(format!("http://{addr}/"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request"), "{text}");
    assert!(
        text.ends_with("plain HTTP was sent to an HTTPS port"),
        "{text}"
    );
}

//! HTTPS: rustls (ring provider) over futures-io, so every runtime serves
//! it. Certificates chosen by SNI, replaceable while the server runs;
//! ALPN offers `h2` (with the `http2` feature) and `http/1.1`.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use futures::future::{self, Either};
use futures::{AsyncReadExt, AsyncWriteExt};
use lath_app::{App, Io, TlsInfo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::admit::Slot;
use crate::conn::{self, Setting};
use crate::prefixed::Prefixed;

/// Certificates and settings for HTTPS ([`Server::tls`]): TLS 1.2 and
/// 1.3, a certificate per SNI name with a default for the rest, ALPN
/// offering `h2` (with the `http2` feature) and `http/1.1`. Clones share
/// their certificates: replacing one is seen by the next handshake.
///
/// [`Server::tls`]: crate::Server::tls
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("lath-doc-tls-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
/// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
/// # assert!(made.status.success());
/// use lath::net::{Server, TlsConfig};
/// # lath::net::run(async {
/// let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
/// let server = Server::bind("127.0.0.1:0").await.unwrap().tls(tls.clone());
/// // Later, a renewed certificate: new handshakes use it.
/// tls.replace_pem_files(&cert, &key).unwrap();
/// # let _ = server;
/// # });
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    certificates: Arc<Certificates>,
    rustls: Arc<rustls::ServerConfig>,
}

/// The certificates a handshake chooses among.
#[derive(Default)]
struct Certificates {
    default: RwLock<Option<Arc<CertifiedKey>>>,
    by_name: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = read(&self.by_name).keys().cloned().collect();
        f.debug_struct("Certificates")
            .field("sni_names", &names)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificates", &self.certificates)
            .field("alpn", &self.rustls.alpn_protocols)
            .finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = hello.server_name() {
            if let Some(key) = read(&self.by_name).get(&name.to_ascii_lowercase()) {
                return Some(key.clone());
            }
        }
        read(&self.default).clone()
    }
}

fn invalid(what: impl fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// A certificate chain and its key, from PEM.
fn certified(chain: &[u8], key: &[u8]) -> io::Result<Arc<CertifiedKey>> {
    let chain = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(invalid("certificate chain: no CERTIFICATE in the PEM"));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key).map_err(|e| invalid(format!("private key: {e}")))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| invalid(format!("private key: {e}")))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

impl TlsConfig {
    /// Serves the PEM certificate chain `chain` (leaf first) with the PEM
    /// private key `key` (PKCS#8, PKCS#1 or SEC1) to every client.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("lath-doc-tls-pem-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    /// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
    /// # assert!(made.status.success());
    /// let (chain, key) = (std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap());
    /// let tls = lath::net::TlsConfig::from_pem(&chain, &key).unwrap();
    /// assert!(lath::net::TlsConfig::from_pem(b"not a certificate", &key).is_err());
    /// # let _ = tls;
    /// ```
    pub fn from_pem(chain: &[u8], key: &[u8]) -> io::Result<TlsConfig> {
        let certificates = Arc::new(Certificates::default());
        *write(&certificates.default) = Some(certified(chain, key)?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut rustls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_cert_resolver(certificates.clone());
        rustls.alpn_protocols = alpn();
        Ok(TlsConfig {
            certificates,
            rustls: Arc::new(rustls),
        })
    }

    /// [`from_pem`](TlsConfig::from_pem), reading both files.
    ///
    /// ```
    /// let missing = lath::net::TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem");
    /// assert!(missing.unwrap_err().to_string().contains("/nonexistent/cert.pem"));
    /// ```
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<TlsConfig> {
        TlsConfig::from_pem(&read_file(chain.as_ref())?, &read_file(key.as_ref())?)
    }

    /// Serves this chain and key to clients that ask for `name` by SNI
    /// (case-insensitive); others get the default one.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("lath-doc-tls-sni-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    /// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
    /// # assert!(made.status.success());
    /// use lath::net::TlsConfig;
    /// let tls = TlsConfig::from_pem_files(&cert, &key)
    ///     .unwrap()
    ///     .with_sni_pem_files("api.example.com", &cert, &key)
    ///     .unwrap();
    /// # let _ = tls;
    /// ```
    pub fn with_sni_pem_files(
        self,
        name: &str,
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> io::Result<TlsConfig> {
        let key = certified(&read_file(chain.as_ref())?, &read_file(key.as_ref())?)?;
        write(&self.certificates.by_name).insert(name.to_ascii_lowercase(), key);
        Ok(self)
    }

    /// Replaces the default certificate and key: handshakes from now on
    /// use them, connections already open keep theirs. On an error the
    /// old ones stay.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("lath-doc-tls-re-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    /// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
    /// # assert!(made.status.success());
    /// let tls = lath::net::TlsConfig::from_pem_files(&cert, &key).unwrap();
    /// tls.replace_pem_files(&cert, &key).unwrap();
    /// assert!(tls.replace_pem_files(&key, &key).is_err(), "a key is no certificate");
    /// ```
    pub fn replace_pem_files(
        &self,
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> io::Result<()> {
        let key = certified(&read_file(chain.as_ref())?, &read_file(key.as_ref())?)?;
        *write(&self.certificates.default) = Some(key);
        Ok(())
    }

    /// The rustls configuration, for a TLS listener of one's own.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("lath-doc-tls-rc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    /// # let made = std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"]).arg(&key).arg("-out").arg(&cert).output().unwrap();
    /// # assert!(made.status.success());
    /// let tls = lath::net::TlsConfig::from_pem_files(&cert, &key).unwrap();
    /// assert!(tls.rustls_config().alpn_protocols.contains(&b"http/1.1".to_vec()));
    /// ```
    pub fn rustls_config(&self) -> Arc<rustls::ServerConfig> {
        self.rustls.clone()
    }
}

/// The protocols ALPN offers, best first.
fn alpn() -> Vec<Vec<u8>> {
    let mut protocols = Vec::new();
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

/// The stream with its first byte read and put back, or, when that byte
/// cannot begin a TLS handshake record (0x16) but a request line, the
/// stream to answer `400` on.
async fn plain_http<IO: Io>(mut stream: IO) -> io::Result<Result<Prefixed<IO>, IO>> {
    let mut first = [0u8; 1];
    if stream.read(&mut first).await? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if first[0].is_ascii_uppercase() {
        return Ok(Err(stream));
    }
    Ok(Ok(Prefixed {
        rest: bytes::Bytes::copy_from_slice(&first),
        io: stream,
    }))
}

/// A handshake within `tls_handshake_timeout` of the accept, then the
/// connection as HTTP/1.1, or HTTP/2 if ALPN chose it. A handshake
/// that fails or comes too late is dropped and reported as a `tracing`
/// event.
pub(crate) async fn serve<IO: Io, A: App>(
    stream: IO,
    app: Arc<A>,
    mut setting: Setting,
    tls: TlsConfig,
    peer: Option<SocketAddr>,
    slot: Option<Arc<Slot>>,
) {
    let acceptor = futures_rustls::TlsAcceptor::from(tls.rustls.clone());
    let handshake = async move {
        let stream = match plain_http(stream).await? {
            Ok(stream) => stream,
            Err(mut plain) => {
                // nginx's answer to plain HTTP on an HTTPS port.
                let body = "plain HTTP was sent to an HTTPS port";
                let answer = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                plain.write_all(answer.as_bytes()).await?;
                plain.close().await?;
                return Err(io::Error::new(io::ErrorKind::InvalidData, body));
            }
        };
        acceptor.accept(stream).await
    };
    let deadline = setting.runtime.sleep(setting.config.tls_handshake_timeout);
    let stream = match future::select(std::pin::pin!(handshake), deadline).await {
        Either::Left((Ok(stream), _)) => stream,
        Either::Left((Err(error), _)) => {
            tracing::debug!(?peer, %error, "TLS handshake failed");
            return;
        }
        Either::Right(_) => {
            tracing::debug!(?peer, "TLS handshake timed out");
            return;
        }
    };
    let session = stream.get_ref().1;
    let alpn = session
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let version = match session.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1_2",
        _ => "TLSv1_3",
    };
    let info = TlsInfo::new(alpn, session.server_name().map(str::to_owned), version);
    setting.secure = Some(Arc::new(info));
    #[cfg(feature = "http2")]
    if setting.secure.as_ref().and_then(|s| s.alpn()) == Some("h2") {
        return crate::http2::serve(stream, &*app, &setting, peer, slot.as_deref()).await;
    }
    let _ = conn::drive(stream, app, setting, peer, slot, None).await;
}

//! What a TLS handshake settled, as the app sees it.

/// The TLS session a request came over: see [`Request::tls`].
///
/// [`Request::tls`]: crate::Request::tls
///
/// ```
/// use std::sync::Arc;
/// use lath::app::{Request, TlsInfo};
/// let mut req = Request::builder("GET", "/").build();
/// assert!(!req.is_secure());
/// req.set_tls(Arc::new(TlsInfo::new(Some("h2".into()), Some("example.com".into()), "TLSv1_3")));
/// assert!(req.is_secure());
/// assert_eq!(req.tls().unwrap().alpn(), Some("h2"));
/// assert_eq!(req.tls().unwrap().server_name(), Some("example.com"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    alpn: Option<String>,
    server_name: Option<String>,
    version: &'static str,
}

impl TlsInfo {
    /// A session that negotiated `alpn` (`h2`, `http/1.1`), for the SNI
    /// name `server_name`, at `version` (`TLSv1_3`).
    ///
    /// ```
    /// let info = lath::app::TlsInfo::new(None, None, "TLSv1_2");
    /// assert_eq!(info.version(), "TLSv1_2");
    /// ```
    pub fn new(
        alpn: Option<String>,
        server_name: Option<String>,
        version: &'static str,
    ) -> TlsInfo {
        TlsInfo {
            alpn,
            server_name,
            version,
        }
    }

    /// The application protocol ALPN chose, if any.
    ///
    /// ```
    /// let info = lath::app::TlsInfo::new(Some("http/1.1".into()), None, "TLSv1_3");
    /// assert_eq!(info.alpn(), Some("http/1.1"));
    /// ```
    pub fn alpn(&self) -> Option<&str> {
        self.alpn.as_deref()
    }

    /// The host name the client asked for (SNI), if it sent one.
    ///
    /// ```
    /// let info = lath::app::TlsInfo::new(None, Some("a.example".into()), "TLSv1_3");
    /// assert_eq!(info.server_name(), Some("a.example"));
    /// ```
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The protocol version: `TLSv1_2` or `TLSv1_3`.
    ///
    /// ```
    /// assert_eq!(lath::app::TlsInfo::new(None, None, "TLSv1_3").version(), "TLSv1_3");
    /// ```
    pub fn version(&self) -> &'static str {
        self.version
    }
}

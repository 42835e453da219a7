//! Client addresses behind trusted proxies.

use std::net::IpAddr;

use lath_app::{App, Layer, Request, Respond};

use crate::request::ClientIp;

/// Believes `X-Forwarded-For` and `Forwarded` only when the peer is one of
/// `proxies`: the client is the rightmost address that is not a trusted
/// proxy. From anyone else the headers are ignored, so a client cannot
/// claim another's address. Read the result with
/// [`RequestExt::ip`](crate::RequestExt::ip).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::trusted_proxies;
///
/// let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
/// let app = handler(|req: Request| async move { req.ip().map_or("-".to_owned(), |ip| ip.to_string()) })
///     .wrap(trusted_proxies([proxy]));
/// // The test client has no peer address, so nobody is trusted: the
/// // header is ignored.
/// let res = Client::new(app).get("/").header("X-Forwarded-For", "1.2.3.4").send_blocking().unwrap();
/// assert_eq!(res.text(), "-");
/// ```
pub fn trusted_proxies(proxies: impl IntoIterator<Item = IpAddr>) -> TrustedProxiesLayer {
    TrustedProxiesLayer {
        proxies: proxies.into_iter().collect(),
    }
}

/// The layer [`trusted_proxies`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{trusted_proxies, TrustedProxiesLayer};
/// let layer: TrustedProxiesLayer = trusted_proxies(["127.0.0.1".parse().unwrap()]);
/// let app = handler(|_req: Request| async { "hi" }).wrap(layer);
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
#[derive(Debug, Clone)]
pub struct TrustedProxiesLayer {
    proxies: Vec<IpAddr>,
}

impl<A: App> Layer<A> for TrustedProxiesLayer {
    type App = TrustedProxies<A>;

    fn layer(self, app: A) -> TrustedProxies<A> {
        TrustedProxies {
            proxies: self.proxies,
            app,
        }
    }
}

/// The app a [`trusted_proxies`] layer makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{trusted_proxies, TrustedProxies};
/// let app: TrustedProxies<_> = handler(|_req: Request| async { "hi" }).wrap(trusted_proxies([]));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
#[derive(Debug)]
pub struct TrustedProxies<A> {
    proxies: Vec<IpAddr>,
    app: A,
}

/// The addresses a request passed through, nearest last.
fn forwarded_chain(req: &Request) -> Vec<IpAddr> {
    let mut chain = Vec::new();
    for value in req.headers().get_all("forwarded") {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for element in value.split(',') {
            for pair in element.split(';') {
                let Some((key, node)) = pair.trim().split_once('=') else {
                    continue;
                };
                if key.eq_ignore_ascii_case("for") {
                    if let Some(ip) = parse_node(node) {
                        chain.push(ip);
                    }
                }
            }
        }
    }
    if chain.is_empty() {
        for value in req.headers().get_all("x-forwarded-for") {
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            chain.extend(value.split(',').filter_map(parse_node));
        }
    }
    chain
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse()
        .ok()
        .or_else(|| node.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

impl<A: App> App for TrustedProxies<A> {
    async fn call(&self, mut req: Request, respond: Respond) {
        if let Some(peer) = req.peer_addr().map(|a| a.ip()) {
            if self.proxies.contains(&peer) {
                let chain = forwarded_chain(&req);
                let client = chain
                    .iter()
                    .rev()
                    .find(|ip| !self.proxies.contains(ip))
                    .copied();
                if let Some(client) = client.or_else(|| chain.first().copied()) {
                    req.extensions_mut().insert(ClientIp(client));
                }
            }
        }
        self.app.call(req, respond).await
    }
}

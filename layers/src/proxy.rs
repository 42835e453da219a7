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
    let mut trusted = Trusted::new();
    for proxy in proxies {
        trusted = match trusted.clone().allow(&proxy.to_string()) {
            Ok(more) => more,
            Err(_) => trusted,
        };
    }
    TrustedProxiesLayer { proxies: trusted }
}

/// [`trusted_proxies`] for whole ranges: the proxies are the addresses
/// `ranges` allows (its allow list; with none, no proxy is trusted). The
/// same list can tell the server whose PROXY headers to read
/// (`Server::proxy_protocol`).
///
/// ```
/// use lath::prelude::*;
/// use lath::app::IpFilter;
/// use lath::layers::trusted_proxy_ranges;
/// let balancers = IpFilter::new().allow("10.0.0.0/8").unwrap();
/// let app = handler(|req: Request| async move { req.ip().map_or("-".into(), |ip| ip.to_string()) })
///     .wrap(trusted_proxy_ranges(balancers));
/// let mut req = Request::builder("GET", "/").header("X-Forwarded-For", "203.0.113.7").build();
/// req.set_peer_addr(Some("10.1.2.3:40000".parse().unwrap()));
/// let (respond, responded) = lath::app::Respond::channel();
/// futures::executor::block_on(async {
///     app.call(req, respond).await;
///     let mut body = responded.await.take_body();
///     let piece = futures::StreamExt::next(&mut body).await.unwrap().unwrap();
///     assert_eq!(&piece[..], b"203.0.113.7"); // told by a trusted balancer
/// });
/// ```
pub fn trusted_proxy_ranges(ranges: Trusted) -> TrustedProxiesLayer {
    TrustedProxiesLayer { proxies: ranges }
}

/// The trusted proxies, as an allow list.
type Trusted = lath_app::IpFilter;

/// Is `ip` one of the trusted proxies?
fn trusts(proxies: &Trusted, ip: &IpAddr) -> bool {
    proxies.requires_address() && proxies.allows(*ip)
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
    proxies: Trusted,
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
    proxies: Trusted,
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
            if trusts(&self.proxies, &peer) {
                let chain = forwarded_chain(&req);
                let client = chain
                    .iter()
                    .rev()
                    .find(|ip| !trusts(&self.proxies, ip))
                    .copied();
                if let Some(client) = client.or_else(|| chain.first().copied()) {
                    req.extensions_mut().insert(ClientIp(client));
                }
            }
        }
        self.app.call(req, respond).await
    }
}

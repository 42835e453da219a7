//! An IP filter for a branch (or a whole app): `403` for clients outside
//! it.

use std::sync::Arc;

use lath_app::{App, HttpError, IpFilter, Layer, Request, Respond};

use crate::RequestExt;

/// A layer that answers `403 Forbidden` to clients `filter` refuses,
/// judged by their address as the app sees it ([`RequestExt::ip`]: the
/// peer's, or what a trusted proxy said). Under an allow list, a request
/// whose address is unknown is refused too. Scope it to a branch with
/// `Router::layer`; to refuse connections before any byte is read, give
/// the filter to the server instead (`Server::ip_filter`).
///
/// ```
/// use lath::prelude::*;
/// use lath::app::IpFilter;
/// use lath::layers::ip_filter;
///
/// let admin = Router::new()
///     .get("/stats", handler(|_req: Request| async { "secret stats" }))
///     .layer(ip_filter(IpFilter::new().allow("10.0.0.0/8").unwrap()));
/// let routes = Router::new()
///     .branch("/admin", admin)
///     .get("/", handler(|_req: Request| async { "home" }))
///     .build()
///     .unwrap();
/// let client = Client::new(routes); // in memory: no client address at all
/// assert_eq!(client.get("/admin/stats").send_blocking().unwrap().status.code(), 403);
/// assert_eq!(client.get("/").send_blocking().unwrap().text(), "home");
/// ```
pub fn ip_filter(filter: IpFilter) -> IpFilterLayer {
    IpFilterLayer {
        filter: Arc::new(filter),
    }
}

/// The layer [`ip_filter`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::app::IpFilter;
/// use lath::layers::{ip_filter, IpFilterLayer};
/// let layer: IpFilterLayer = ip_filter(IpFilter::new().deny("192.0.2.0/24").unwrap());
/// let app = handler(|_req: Request| async { "hi" }).wrap(layer);
/// // Deny lists let an unknown address through.
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
#[derive(Debug, Clone)]
pub struct IpFilterLayer {
    filter: Arc<IpFilter>,
}

impl<A: App> Layer<A> for IpFilterLayer {
    type App = IpFiltered<A>;

    fn layer(self, app: A) -> IpFiltered<A> {
        IpFiltered {
            app,
            filter: self.filter,
        }
    }
}

/// The app an [`IpFilterLayer`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::app::{IpFilter, Respond};
/// use lath::layers::{ip_filter, IpFiltered};
/// let app: IpFiltered<_> = handler(|_req: Request| async { "hi" })
///     .wrap(ip_filter(IpFilter::new().deny("192.0.2.7").unwrap()));
/// let mut req = Request::builder("GET", "/").build();
/// req.set_peer_addr(Some("192.0.2.7:4000".parse().unwrap()));
/// let (respond, responded) = Respond::channel();
/// futures::executor::block_on(async {
///     app.call(req, respond).await;
///     assert_eq!(responded.await.status().code(), 403);
/// });
/// ```
#[derive(Debug)]
pub struct IpFiltered<A> {
    app: A,
    filter: Arc<IpFilter>,
}

impl<A: App> App for IpFiltered<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let allowed = match req.ip() {
            Some(ip) => self.filter.allows(ip),
            None => !self.filter.requires_address(),
        };
        if allowed {
            self.app.call(req, respond).await
        } else {
            respond.send(HttpError::forbidden());
        }
    }
}

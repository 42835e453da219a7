//! A limit on request bodies.

use futures::StreamExt;
use lath_app::{App, Body, BodyError, BodySize, HttpError, Layer, Request, Respond};

/// Refuses request bodies over `max` bytes with `413 Content Too Large`
/// (per app, branch or route, wherever the layer is put; the buffered
/// helpers of [`BodyExt`](crate::BodyExt) use it as their limit):
/// at once when `Content-Length` says so, without calling the app; a
/// chunked body fails the app's read as soon as it passes the limit (and
/// the body helpers answer 413).
///
/// ```
/// use lath::app::{handler, AppExt, Request};
/// use lath::layers::limit_body;
/// use lath::net::Client;
///
/// let app = handler(|mut req: Request| async move {
///     req.bytes().await.map(|b| format!("{} bytes", b.len()))
/// })
/// .wrap(limit_body(4));
/// let client = Client::new(app);
/// assert_eq!(client.post("/").body("1234").send_blocking().unwrap().text(), "4 bytes");
/// assert_eq!(client.post("/").body("12345").send_blocking().unwrap().status.code(), 413);
/// ```
pub fn limit_body(max: u64) -> LimitBodyLayer {
    LimitBodyLayer { max }
}

/// The layer [`limit_body`] makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{limit_body, LimitBodyLayer};
/// let small: LimitBodyLayer = limit_body(8);
/// let app = handler(|mut req: Request| async move { req.text().await }).wrap(small);
/// let client = Client::new(app);
/// assert_eq!(client.post("/").body("tiny").send_blocking().unwrap().text(), "tiny");
/// assert_eq!(client.post("/").body("far too long").send_blocking().unwrap().status.code(), 413);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LimitBodyLayer {
    max: u64,
}

impl<A: App> Layer<A> for LimitBodyLayer {
    type App = LimitBody<A>;

    fn layer(self, app: A) -> LimitBody<A> {
        LimitBody { max: self.max, app }
    }
}

/// The app a [`limit_body`] layer makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{limit_body, LimitBody};
/// // Streaming reads are cut at the limit too.
/// let app: LimitBody<_> = handler(|mut req: Request| async move {
///     use futures::StreamExt;
///     let mut n = 0;
///     while let Some(piece) = req.body_mut().next().await {
///         n += piece?.len();
///     }
///     Ok::<_, HttpError>(n.to_string())
/// })
/// .wrap(limit_body(1000));
/// let res = Client::new(app).post("/").body(vec![0u8; 5000]).send_blocking().unwrap();
/// assert_eq!(res.status.code(), 413);
/// ```
#[derive(Debug)]
pub struct LimitBody<A> {
    max: u64,
    app: A,
}

impl<A: App> App for LimitBody<A> {
    async fn call(&self, mut req: Request, respond: Respond) {
        let max = self.max;
        // The buffered body helpers use this limit too.
        req.set_body_limit(max);
        match req.body_mut().size() {
            BodySize::Known(n) if n > max => return respond.send(HttpError::too_large(max)),
            BodySize::Known(_) => {}
            BodySize::Unknown => {
                let mut seen = 0u64;
                let limited = req.take_body().map(move |piece| {
                    let piece = piece?;
                    seen += piece.len() as u64;
                    if seen > max {
                        return Err(BodyError::too_large(max));
                    }
                    Ok(piece)
                });
                *req.body_mut() = Body::stream(limited);
            }
        }
        self.app.call(req, respond).await
    }
}

//! lath apps as tower services, and tower services as lath apps (feature
//! `tower`), so tower-http's layers and tower-based servers meet lath's
//! apps.
//!
//! ```
//! use lath::app::{from_tower, App, Body, IntoService, Request, Respond, Response, ResponseSlot};
//! use tower_service::Service;
//!
//! async fn hello(req: Request, respond: Respond) {
//!     respond.send(format!("Hello from {}", req.path()));
//! }
//!
//! # futures::executor::block_on(async {
//! // A lath app as a tower service...
//! let mut service = IntoService::new(hello);
//! futures::future::poll_fn(|cx| Service::<http::Request<Body>>::poll_ready(&mut service, cx))
//!     .await
//!     .unwrap();
//! let res = service.call(http::Request::get("/a").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(res.status(), http::StatusCode::OK);
//!
//! // ...and a tower service as a lath app.
//! let app = from_tower(IntoService::new(hello));
//! let slot = std::sync::Arc::new(ResponseSlot::default());
//! app.call(Request::builder("GET", "/b").build(), slot.respond()).await;
//! let res = futures::future::poll_fn(|cx| slot.poll_take(cx)).await;
//! assert_eq!(res.status().code(), 200);
//! # });
//! ```

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::{self, BoxFuture, Either};
use futures::{FutureExt, Stream};
use http_body::Frame;
use lath_codec::{BodySize, Headers};

use crate::interop::HttpConvert;
use crate::{App, Body, BodyError, HttpError, Request, Respond, Response, Trailers};

/// A lath app as a `tower_service::Service<http::Request<B>>` for any
/// request body `B` that is an `http_body::Body` of bytes. Its responses'
/// bodies are lath [`Body`] values, which are `http_body::Body`s; the app
/// keeps running while its response body is read.
///
/// ```
/// use lath::app::{Body, IntoService, Request, Respond};
/// use tower_service::Service;
/// async fn teapot(_req: Request, respond: Respond) {
///     respond.send(lath::app::Response::send_status(418));
/// }
/// # futures::executor::block_on(async {
/// let mut service = IntoService::new(teapot);
/// let res = service.call(http::Request::get("/tea").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), http::StatusCode::IM_A_TEAPOT);
/// # });
/// ```
pub struct IntoService<A>(Arc<A>);

impl<A: App> IntoService<A> {
    /// `app` as a service.
    ///
    /// ```
    /// use lath::app::{Body, IntoService, Request, Respond};
    /// use tower_service::Service;
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("Hello");
    /// }
    /// # futures::executor::block_on(async {
    /// let mut service = IntoService::new(hello);
    /// let res = service.call(http::Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    /// # });
    /// ```
    pub fn new(app: A) -> IntoService<A> {
        IntoService(Arc::new(app))
    }
}

impl<A> Clone for IntoService<A> {
    fn clone(&self) -> IntoService<A> {
        IntoService(self.0.clone())
    }
}

impl<A> fmt::Debug for IntoService<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoService")
    }
}

impl<A, B> tower_service::Service<http::Request<B>> for IntoService<A>
where
    A: App,
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: fmt::Display,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let app = self.0.clone();
        Box::pin(async move {
            let req = match Request::try_from(req.map(Body::from_http)) {
                Ok(req) => req,
                Err(e) => return Ok(answer(HttpError::bad_request(e.to_string()).into())),
            };
            let (respond, responded) = Respond::channel();
            let running: BoxFuture<'static, ()> =
                Box::pin(async move { app.call(req, respond).await });
            let res = match future::select(running, responded).await {
                // The response came first: the app goes on with its body.
                Either::Right((res, running)) => with_task(res, running),
                Either::Left(((), responded)) => responded.await,
            };
            Ok(answer(res))
        })
    }
}

/// `res` as an `http` response; a header `http` refuses is a 500.
fn answer(res: Response) -> http::Response<Body> {
    http::Response::try_from(res).unwrap_or_else(|_| {
        let mut res = http::Response::new(Body::full("internal server error\n"));
        *res.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        res
    })
}

/// `res` with `task` polled alongside its body until both are done.
fn with_task(mut res: Response, task: BoxFuture<'static, ()>) -> Response {
    let body = res.take_body();
    let size = body.size();
    let both = WithTask {
        body,
        task: Some(task),
    };
    res.with_body(match size {
        BodySize::Known(n) => Body::sized_stream(n, both),
        BodySize::Unknown => Body::stream(both),
    })
}

/// A body whose producer is still running: polling the body polls it too.
struct WithTask {
    body: Body,
    task: Option<BoxFuture<'static, ()>>,
}

impl Stream for WithTask {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(task) = self.task.as_mut() {
            if task.poll_unpin(cx).is_ready() {
                self.task = None;
            }
        }
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// A tower service as a lath app: each request is converted to an
/// `http::Request<Body>` and the service's `http::Response` back (its body
/// streamed). A service that is not ready or fails answers 500, its error
/// kept as the private detail.
///
/// ```
/// use std::convert::Infallible;
/// use lath::app::{from_tower, App, Body, Request, Respond};
/// // A tower service written with `tower_service::Service` by hand.
/// #[derive(Clone)]
/// struct Teapot;
/// impl tower_service::Service<http::Request<Body>> for Teapot {
///     type Response = http::Response<Body>;
///     type Error = Infallible;
///     type Future = std::future::Ready<Result<http::Response<Body>, Infallible>>;
///     fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, _req: http::Request<Body>) -> Self::Future {
///         std::future::ready(Ok(http::Response::builder().status(418).body(Body::full("tea")).unwrap()))
///     }
/// }
/// # futures::executor::block_on(async {
/// let (respond, responded) = Respond::channel();
/// from_tower(Teapot).call(Request::builder("GET", "/").build(), respond).await;
/// assert_eq!(responded.await.status().code(), 418);
/// # });
/// ```
pub fn from_tower<S>(service: S) -> FromTower<S> {
    FromTower(service)
}

/// The app [`from_tower`] makes.
///
/// ```
/// use lath::app::{from_tower, App, FromTower, IntoService, Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("hi");
/// }
/// # futures::executor::block_on(async {
/// // A round trip: a lath app as a service, and back.
/// let app: FromTower<_> = from_tower(IntoService::new(hello));
/// let (respond, responded) = Respond::channel();
/// app.call(Request::builder("GET", "/").build(), respond).await;
/// assert_eq!(responded.await.status().code(), 200);
/// # });
/// ```
#[derive(Clone)]
pub struct FromTower<S>(S);

impl<S> fmt::Debug for FromTower<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromTower")
    }
}

impl<S, ResB> App for FromTower<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<ResB>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    S::Error: fmt::Display,
    ResB: http_body::Body + Send + 'static,
    ResB::Data: Into<Bytes>,
    ResB::Error: fmt::Display,
{
    async fn call(&self, req: Request, respond: Respond) {
        let failed = |e: &dyn fmt::Display| HttpError::internal().with_detail(e.to_string());
        let req = match http::Request::try_from(req) {
            Ok(req) => req,
            Err(e) => return respond.send(HttpError::bad_request(e.to_string())),
        };
        let mut service = self.0.clone();
        if let Err(e) = future::poll_fn(|cx| service.poll_ready(cx)).await {
            return respond.send(failed(&e));
        }
        match service.call(req).await {
            Ok(res) => respond.send(Response::from(res.map(Body::from_http))),
            Err(e) => respond.send(failed(&e)),
        }
    }
}

impl Body {
    /// A body read from any `http_body::Body` of bytes. Its trailers, if
    /// it ends with some, are the body's [`trailers`](Body::trailers):
    /// they go out where the framing allows (chunked HTTP/1.1, HTTP/2).
    /// An error ends the body with that error.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lath::app::{Body, BodySize};
    /// # futures::executor::block_on(async {
    /// // Any `http_body::Body`; lath's own `Body` is one.
    /// let mut fields = lath::codec::Headers::new();
    /// fields.append("X-Checksum", "abc");
    /// let mut body = Body::from_http(Body::full("abc").with_trailers(fields));
    /// assert_eq!(&body.next().await.unwrap().unwrap()[..], b"abc");
    /// assert!(body.next().await.is_none());
    /// assert_eq!(body.trailers().unwrap().get_str("x-checksum"), Some("abc"));
    /// assert_eq!(Body::from_http(Body::full("abc")).size(), BodySize::Known(3));
    /// # });
    /// ```
    pub fn from_http<B>(body: B) -> Body
    where
        B: http_body::Body + Send + 'static,
        B::Data: Into<Bytes>,
        B::Error: fmt::Display,
    {
        let exact = body.size_hint().exact();
        if exact == Some(0) && body.is_end_stream() {
            return Body::empty();
        }
        let trailers = Arc::new(Trailers::default());
        let stream = HttpBody(Box::pin(body), trailers.clone());
        let body = match exact {
            Some(n) => Body::sized_stream(n, stream),
            None => Body::stream(stream),
        };
        body.with_trailer_slot(trailers)
    }
}

/// An `http_body::Body` read as a stream of pieces, its trailers put in
/// the slot beside it.
struct HttpBody<B>(Pin<Box<B>>, Arc<Trailers>);

impl<B> Stream for HttpBody<B>
where
    B: http_body::Body,
    B::Data: Into<Bytes>,
    B::Error: fmt::Display,
{
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match self.0.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data.into()))),
                    Err(frame) => {
                        if let Ok(map) = frame.into_trailers() {
                            self.1.set(Headers::from_http(&map).unwrap_or_default());
                        }
                        continue;
                    }
                },
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyError::new(e.to_string())))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BodyError;

    /// The pieces as data frames, then the trailers (when the body has
    /// some) as the last frame.
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match Stream::poll_next(self.as_mut(), cx) {
            Poll::Ready(None) => {
                let trailers = self.end_data_take_trailers();
                let map = trailers.and_then(|fields| fields.to_http().ok());
                Poll::Ready(map.map(|map| Ok(Frame::trailers(map))))
            }
            polled => polled.map(|piece| piece.map(|piece| piece.map(Frame::data))),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.size() {
            BodySize::Known(n) => http_body::SizeHint::with_exact(n),
            BodySize::Unknown => http_body::SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use futures::StreamExt;
    use tower_service::Service;

    use super::*;

    #[test]
    fn a_streaming_body_keeps_its_app_running() {
        block_on(async {
            let app = |_req: Request, respond: Respond| async move {
                let (mut sender, body) = Body::channel();
                respond.send(Response::text("").with_body(body));
                // Still producing after the response went out.
                sender.send("one ").await.unwrap();
                sender.send("two").await.unwrap();
                sender.finish();
            };
            let mut service = IntoService::new(app);
            let req = http::Request::get("/").body(Body::empty()).unwrap();
            let res = service.call(req).await.unwrap();
            let pieces: Vec<Bytes> = res.into_body().map(|piece| piece.unwrap()).collect().await;
            assert_eq!(pieces.concat(), b"one two");
        });
    }

    #[test]
    fn a_failing_service_answers_500_with_a_private_detail() {
        #[derive(Clone)]
        struct Broken;
        impl Service<http::Request<Body>> for Broken {
            type Response = http::Response<Body>;
            type Error = String;
            type Future = future::Ready<Result<http::Response<Body>, String>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), String>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: http::Request<Body>) -> Self::Future {
                future::ready(Err("database on fire".to_owned()))
            }
        }
        block_on(async {
            let slot = Arc::new(crate::ResponseSlot::default());
            let req = Request::builder("GET", "/").build();
            from_tower(Broken).call(req, slot.respond()).await;
            let res = future::poll_fn(|cx| slot.poll_take(cx)).await;
            assert_eq!(res.status().code(), 500);
            assert_eq!(
                res.error().and_then(HttpError::detail),
                Some("database on fire")
            );
        });
    }

    #[test]
    fn trailers_cross_the_service_both_ways() {
        use http_body::Body as _;
        block_on(async {
            // The app reads the request's trailers and answers with its own.
            let app = |mut req: Request, respond: Respond| async move {
                let mut body = req.take_body();
                while body.next().await.is_some() {}
                let sum = body
                    .trailers()
                    .and_then(|t| t.get_str("x-sum").map(str::to_owned));
                let mut fields = Headers::new();
                fields.append("X-Echo", sum.unwrap_or_default());
                respond.send(Response::text("").with_body(Body::full("ok").with_trailers(fields)));
            };
            let mut sent = Headers::new();
            sent.append("X-Sum", "7");
            let req = http::Request::post("/")
                .body(Body::full("hi").with_trailers(sent))
                .unwrap();
            let res = IntoService::new(app).call(req).await.unwrap();
            let mut body = std::pin::pin!(res.into_body());
            let mut data = Vec::new();
            let mut trailers = None;
            while let Some(frame) = future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
                match frame.unwrap().into_data() {
                    Ok(piece) => data.extend_from_slice(&piece),
                    Err(frame) => trailers = frame.into_trailers().ok(),
                }
            }
            assert_eq!(data, b"ok");
            let trailers = trailers.expect("a trailers frame");
            assert_eq!(trailers.get("x-echo").unwrap(), "7");
        });
    }
}

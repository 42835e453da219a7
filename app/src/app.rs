//! The `App` trait, handlers, and layering.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{FutureSlot, Request, Respond, Response, SlotFuture};

/// An app: an async function of a request and a one-shot [`Respond`].
///
/// Every `async fn(Request, Respond)` and every closure of that shape is an
/// app, and so are `Arc<dyn App>` and `Box<dyn App>`, so routers can hold
/// mixed apps.
///
/// ```
/// use lath_app::{App, Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// fn takes_an_app(_: impl App) {}
/// takes_an_app(hello);
/// takes_an_app(|_req: Request, respond: Respond| async move { respond.send("hi") });
/// ```
#[async_trait]
pub trait App: Send + Sync + 'static {
    /// Handles one request; sends the response through `respond`.
    async fn call(&self, req: Request, respond: Respond);

    /// [`call`](App::call), with the request's future placed in `slot`,
    /// whose memory a driver reuses from request to request.
    ///
    /// Functions and closures place their future there directly, so a
    /// connection serving them allocates nothing per request for it;
    /// `Arc<dyn App>` and `Box<dyn App>` pass the slot on. The default
    /// places [`call`](App::call)'s boxed future there.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath_app::{App, FutureSlot, Request, Respond, ResponseSlot};
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("Hello, World!");
    /// }
    /// # futures::executor::block_on(async {
    /// let (mut slot, answer) = (FutureSlot::new(), Arc::new(ResponseSlot::default()));
    /// for _ in 0..2 {
    ///     let req = Request::builder("GET", "/").build();
    ///     hello.call_in(req, answer.respond(), &mut slot).await;
    ///     let res = futures::future::poll_fn(|cx| answer.poll_take(cx)).await;
    ///     assert_eq!(res.status().code(), 200);
    /// }
    /// # });
    /// ```
    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        slot.put(self.call(req, respond))
    }
}

#[async_trait]
impl<F, Fut> App for F
where
    F: Fn(Request, Respond) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    async fn call(&self, req: Request, respond: Respond) {
        self(req, respond).await
    }

    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        slot.put(self(req, respond))
    }
}

#[async_trait]
impl App for Arc<dyn App> {
    async fn call(&self, req: Request, respond: Respond) {
        (**self).call(req, respond).await
    }

    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        (**self).call_in(req, respond, slot)
    }
}

#[async_trait]
impl App for Box<dyn App> {
    async fn call(&self, req: Request, respond: Respond) {
        (**self).call(req, respond).await
    }

    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        (**self).call_in(req, respond, slot)
    }
}

/// Chaining for apps: `app.wrap(layer)` where a layer is any function from
/// app to app.
///
/// ```
/// use lath_app::{App, AppExt, Request, Respond};
/// fn shout<A: App>(app: A) -> impl App {
///     let app = std::sync::Arc::new(app);
///     move |req: Request, respond: Respond| {
///         let app = app.clone();
///         async move {
///             let respond = respond.map(|res| res.with_header("X-Shout", "yes"));
///             app.call(req, respond).await
///         }
///     }
/// }
/// let app = (|_req: Request, respond: Respond| async move { respond.send("hi") }).wrap(shout);
/// # let _ = app;
/// ```
pub trait AppExt: App + Sized {
    /// Applies `layer` to this app.
    fn wrap<B, L>(self, layer: L) -> B
    where
        L: FnOnce(Self) -> B,
    {
        layer(self)
    }

    /// This app behind a `Box<dyn App>`.
    fn boxed(self) -> Box<dyn App> {
        Box::new(self)
    }

    /// This app behind an `Arc<dyn App>`.
    fn shared(self) -> Arc<dyn App> {
        Arc::new(self)
    }
}

impl<A: App> AppExt for A {}

/// An app made from a function that *returns* its response.
#[derive(Debug, Clone)]
pub struct Handler<F>(F);

/// Turns a function returning anything that converts into a [`Response`]
/// into an app: a `Result<T, E>` does when both `T` and `E` do, so the
/// error may be an [`HttpError`](crate::HttpError) (which `?` makes from
/// any error) or a type of the app's own.
///
/// ```
/// use lath_app::{handler, HttpError, Request, Response};
/// let app = handler(|req: Request| async move {
///     match req.path() {
///         "/" => Ok("home"),
///         _ => Err(HttpError::not_found()),
///     }
/// });
///
/// /// An error of the app's own, answered as it chooses.
/// enum ApiError {
///     Invalid(&'static str),
/// }
/// impl From<ApiError> for Response {
///     fn from(ApiError::Invalid(why): ApiError) -> Response {
///         Response::text(why).with_status(lath_app::Status::UNPROCESSABLE_CONTENT)
///     }
/// }
/// let strict = handler(|req: Request| async move {
///     match req.query_string() {
///         Some(_) => Ok("fine"),
///         None => Err(ApiError::Invalid("a query is required")),
///     }
/// });
/// let res: Response = Err::<&str, _>(ApiError::Invalid("no")).into();
/// assert_eq!(res.status().code(), 422);
/// # let _ = (app, strict);
/// ```
pub fn handler<F, Fut, R>(f: F) -> Handler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Response>,
{
    Handler(f)
}

#[async_trait]
impl<F, Fut, R> App for Handler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Response>,
{
    async fn call(&self, req: Request, respond: Respond) {
        respond.send((self.0)(req).await.into());
    }

    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        slot.put(async move { respond.send((self.0)(req).await.into()) })
    }
}

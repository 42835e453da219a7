//! The `App` trait, handlers, and layering.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::{FutureSlot, Request, Respond, Response, SlotFuture};

/// An app: an async function of a request and a one-shot [`Respond`].
///
/// Every `async fn(Request, Respond)` and every closure of that shape is an
/// app. Its future is returned as it is, never boxed, so a stack of layers
/// is one future; [`SharedApp`] (`Arc<dyn DynApp>`) holds apps of
/// different types where a router needs to.
///
/// ```
/// use lath::app::{App, Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// fn takes_an_app(_: impl App) {}
/// takes_an_app(hello);
/// takes_an_app(|_req: Request, respond: Respond| async move { respond.send("hi") });
/// ```
///
/// A layer of its own is a type whose `call` returns an `async` block:
///
/// ```
/// use std::future::Future;
/// use lath::app::{App, Request, Respond};
///
/// struct PoweredBy<A>(A);
///
/// impl<A: App> App for PoweredBy<A> {
///     fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
///         let respond = respond.map(|res| res.with_header("X-Powered-By", "lath"));
///         self.0.call(req, respond)
///     }
/// }
/// # fn takes_an_app(_: impl App) {}
/// # takes_an_app(PoweredBy(|_req: Request, respond: Respond| async move { respond.send("hi") }));
/// ```
pub trait App: Send + Sync + 'static {
    /// Handles one request; sends the response through `respond`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// /// An app as a type of its own, with configuration.
    /// struct Greeter { greeting: String }
    /// impl App for Greeter {
    ///     async fn call(&self, req: Request, respond: Respond) {
    ///         respond.send(format!("{}, {}", self.greeting, req.param("name").unwrap_or("you")));
    ///     }
    /// }
    /// let routes = Router::new().get("/hi/:name", Greeter { greeting: "Hello".into() }).build().unwrap();
    /// assert_eq!(Client::new(routes).get("/hi/Ada").send_blocking().unwrap().text(), "Hello, Ada");
    /// ```
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_;

    /// [`call`](App::call), with the request's future placed in `slot`,
    /// whose memory a driver reuses from request to request: a connection
    /// allocates nothing per request for it.
    ///
    /// The default places [`call`](App::call)'s future there. A router
    /// overrides it to place the chosen route's future there directly,
    /// rather than a future of its own holding a boxed one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lath::app::{App, FutureSlot, Request, Respond, ResponseSlot};
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
    #[inline]
    fn call_in<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        slot.put_with(|| self.call(req, respond))
    }
}

impl<F, Fut> App for F
where
    F: Fn(Request, Respond) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        self(req, respond)
    }
}

/// [`App`] in a form that can be a trait object: every app is one, and
/// [`SharedApp`] (`Arc<dyn DynApp>`) is itself an app. Its future is
/// boxed, or placed in a driver's [`FutureSlot`].
///
/// ```
/// use lath::prelude::*;
/// // Different apps behind one type, chosen at run time.
/// let apps: Vec<SharedApp> = vec![
///     handler(|_req: Request| async { "one" }).shared(),
///     (|_req: Request, respond: Respond| async move { respond.send("two") }).shared(),
/// ];
/// let client = Client::new(apps[1].clone());
/// assert_eq!(client.get("/").send_blocking().unwrap().text(), "two");
/// ```
pub trait DynApp: Send + Sync + 'static {
    /// [`App::call`], boxed.
    ///
    /// ```
    /// use lath::app::{DynApp, Request, Respond};
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("hi");
    /// }
    /// # futures::executor::block_on(async {
    /// let app: Box<dyn DynApp> = Box::new(hello);
    /// let (respond, responded) = Respond::channel();
    /// app.call_boxed(Request::builder("GET", "/").build(), respond).await;
    /// assert_eq!(responded.await.status().code(), 200);
    /// # });
    /// ```
    fn call_boxed(&self, req: Request, respond: Respond) -> BoxFuture<'_, ()>;

    /// [`App::call_in`].
    ///
    /// ```
    /// use lath::app::{DynApp, FutureSlot, Request, Respond};
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("hi");
    /// }
    /// # futures::executor::block_on(async {
    /// let app: Box<dyn DynApp> = Box::new(hello);
    /// let mut slot = FutureSlot::new();
    /// let (respond, responded) = Respond::channel();
    /// app.call_in_dyn(Request::builder("GET", "/").build(), respond, &mut slot).await;
    /// assert_eq!(responded.await.status().code(), 200);
    /// # });
    /// ```
    fn call_in_dyn<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a>;
}

impl<A: App> DynApp for A {
    fn call_boxed(&self, req: Request, respond: Respond) -> BoxFuture<'_, ()> {
        Box::pin(self.call(req, respond))
    }

    fn call_in_dyn<'a>(
        &'a self,
        req: Request,
        respond: Respond,
        slot: &'a mut FutureSlot,
    ) -> SlotFuture<'a> {
        self.call_in(req, respond, slot)
    }
}

/// Any app behind one type, shared: what routers hold, one per route.
///
/// ```
/// use lath::app::{AppExt, Request, Respond, SharedApp};
/// async fn a(_req: Request, respond: Respond) { respond.send("a") }
/// async fn b(_req: Request, respond: Respond) { respond.send("b") }
/// let apps: Vec<SharedApp> = vec![a.shared(), b.shared()];
/// # let _ = apps;
/// ```
pub type SharedApp = Arc<dyn DynApp>;

/// `App` for pointers to a `dyn DynApp`: calls go through its vtable.
macro_rules! dyn_app {
    ($($pointer:ty),*) => {$(
        impl App for $pointer {
            fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
                (**self).call_boxed(req, respond)
            }

            fn call_in<'a>(
                &'a self,
                req: Request,
                respond: Respond,
                slot: &'a mut FutureSlot,
            ) -> SlotFuture<'a> {
                (**self).call_in_dyn(req, respond, slot)
            }
        }
    )*};
}

dyn_app!(Arc<dyn DynApp>, Box<dyn DynApp>);

impl<A: App> App for Arc<A> {
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        (**self).call(req, respond)
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
/// use lath::app::{from_fn, App, AppExt, Next, Request, Respond};
/// async fn hi(_req: Request, respond: Respond) {
///     respond.send("hi");
/// }
/// // A layer is a function from app to app...
/// fn shout<A: App>(app: A) -> impl App {
///     app.wrap(from_fn(|req: Request, respond: Respond, next: Next<A>| async move {
///         let respond = respond.map(|res| res.with_header("X-Shout", "yes"));
///         next.call(req, respond).await
///     }))
/// }
/// let app = hi.wrap(shout);
/// // ...or a value made by a function, used in place.
/// let app = app.wrap(from_fn(|req, respond, next| async move {
///     next.call(req, respond).await
/// }));
/// # let _ = app;
/// ```
pub trait AppExt: App + Sized {
    /// Applies `layer` to this app: a function from app to app, or a
    /// configured layer value such as `timeout(Duration::from_secs(2))`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::prelude::*;
    /// use lath::layers::{errors, logger, recover, timeout};
    /// // Layers apply inside out: `logger` sees what `errors` rendered.
    /// let app = handler(|_req: Request| async { "hi" })
    ///     .wrap(timeout(Duration::from_secs(5)))
    ///     .wrap(recover)
    ///     .wrap(errors)
    ///     .wrap(logger);
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
    /// ```
    fn wrap<L: Layer<Self>>(self, layer: L) -> L::App {
        layer.layer(self)
    }

    /// This app behind a `Box<dyn DynApp>`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let pick = |fancy: bool| -> Box<dyn lath::app::DynApp> {
    ///     if fancy {
    ///         handler(|_req: Request| async { Response::html("<b>hi</b>") }).boxed()
    ///     } else {
    ///         handler(|_req: Request| async { "hi" }).boxed()
    ///     }
    /// };
    /// assert_eq!(Client::new(pick(false)).get("/").send_blocking().unwrap().text(), "hi");
    /// ```
    fn boxed(self) -> Box<dyn DynApp> {
        Box::new(self)
    }

    /// This app as a [`SharedApp`].
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|_req: Request| async { "shared" }).shared();
    /// let (a, b) = (Client::new(app.clone()), Client::new(app));
    /// assert_eq!(a.get("/").send_blocking().unwrap().text(), b.get("/").send_blocking().unwrap().text());
    /// ```
    fn shared(self) -> SharedApp {
        Arc::new(self)
    }
}

impl<A: App> AppExt for A {}

/// What [`AppExt::wrap`] and a router's `layer` take: something that turns
/// an app into another. Every function from app to app is one (`logger`,
/// `recover`, a `fn` of your own, a closure); a layer with settings is a
/// value that is one (`timeout(d).status(504)`).
///
/// ```
/// use lath::app::{App, AppExt, Layer, Request, Respond};
///
/// /// A layer with a setting: adds one response header.
/// struct Header(&'static str, &'static str);
///
/// impl<A: App> Layer<A> for Header {
///     type App = WithHeader<A>;
///     fn layer(self, app: A) -> WithHeader<A> {
///         WithHeader { app, header: self }
///     }
/// }
///
/// struct WithHeader<A> {
///     app: A,
///     header: Header,
/// }
///
/// impl<A: App> App for WithHeader<A> {
///     async fn call(&self, req: Request, respond: Respond) {
///         let Header(name, value) = self.header;
///         self.app.call(req, respond.map(move |res| res.with_header(name, value))).await
///     }
/// }
///
/// async fn hi(_req: Request, respond: Respond) {
///     respond.send("hi");
/// }
/// let app = hi.wrap(Header("X-Frame-Options", "DENY"));
/// # let _ = app;
/// ```
pub trait Layer<A> {
    /// The app it makes.
    type App: App;

    /// Wraps `app`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::app::Layer;
    /// /// A configured layer: stamps every response with a header.
    /// struct Stamp(&'static str);
    /// /// The app it makes.
    /// struct Stamped<A> { app: A, value: &'static str }
    /// impl<A: App> App for Stamped<A> {
    ///     async fn call(&self, req: Request, respond: Respond) {
    ///         let value = self.value;
    ///         self.app.call(req, respond.map(move |res| res.with_header("X-Stamp", value))).await
    ///     }
    /// }
    /// impl<A: App> Layer<A> for Stamp {
    ///     type App = Stamped<A>;
    ///     fn layer(self, app: A) -> Stamped<A> {
    ///         Stamped { app, value: self.0 }
    ///     }
    /// }
    /// let app = handler(|_req: Request| async { "hi" }).wrap(Stamp("v1"));
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().header("x-stamp"), Some("v1"));
    /// ```
    fn layer(self, app: A) -> Self::App;
}

impl<A, B: App, F: FnOnce(A) -> B> Layer<A> for F {
    type App = B;

    fn layer(self, app: A) -> B {
        self(app)
    }
}

/// An app made from a function that *returns* its response.
///
/// ```
/// use lath::prelude::*;
/// let app: lath::app::Handler<_> = handler(|req: Request| async move { format!("you asked for {}", req.path()) });
/// assert_eq!(Client::new(app).get("/x").send_blocking().unwrap().text(), "you asked for /x");
/// ```
#[derive(Debug, Clone)]
pub struct Handler<F>(F);

/// Turns a function returning anything that converts into a [`Response`]
/// into an app: a `Result<T, E>` does when both `T` and `E` do, so the
/// error may be an [`HttpError`](crate::HttpError) (which `?` makes from
/// any error) or a type of the app's own.
///
/// ```
/// use lath::app::{handler, HttpError, Request, Response};
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
///         Response::text(why).with_status(lath::app::Status::UNPROCESSABLE_CONTENT)
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

impl<F, Fut, R> App for Handler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<Response>,
{
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        let answer = (self.0)(req);
        async move { respond.send(answer.await.into()) }
    }
}

/// The rest of the stack, handed to a layer written with [`from_fn`]: a
/// cheap handle on the app it wraps.
///
/// ```
/// use lath::prelude::*;
/// // A layer that answers some requests itself and passes the rest on.
/// let app = handler(|_req: Request| async { "app" }).wrap(from_fn(|req: Request, respond: Respond, next| async move {
///     if req.path() == "/health" {
///         respond.send("ok");
///     } else {
///         next.call(req, respond).await;
///     }
/// }));
/// let client = Client::new(app);
/// assert_eq!(client.get("/health").send_blocking().unwrap().text(), "ok");
/// assert_eq!(client.get("/").send_blocking().unwrap().text(), "app");
/// ```
pub struct Next<A>(Arc<A>);

impl<A: App> Next<A> {
    /// Runs the wrapped app.
    ///
    /// ```
    /// use std::time::Instant;
    /// use lath::prelude::*;
    /// // Times the rest of the stack and reports it in a header.
    /// let app = handler(|_req: Request| async { "done" }).wrap(from_fn(|req, respond: Respond, next| async move {
    ///     let start = Instant::now();
    ///     let respond = respond.map(move |res| res.with_header("Server-Timing", format!("app;dur={}", start.elapsed().as_millis())));
    ///     next.call(req, respond).await
    /// }));
    /// let res = Client::new(app).get("/").send_blocking().unwrap();
    /// assert!(res.header("server-timing").unwrap().starts_with("app;dur="));
    /// ```
    pub async fn call(self, req: Request, respond: Respond) {
        self.0.call(req, respond).await
    }
}

impl<A> Clone for Next<A> {
    fn clone(&self) -> Next<A> {
        Next(self.0.clone())
    }
}

impl<A> std::fmt::Debug for Next<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Next")
    }
}

/// A layer written as one async function of the request, the `respond`
/// and the rest of the stack: no `Arc`s or clones to write.
///
/// ```
/// use lath::app::{from_fn, handler, AppExt, HttpError, Request};
///
/// let app = handler(|_req: Request| async { "secret" }).wrap(from_fn(|req, respond, next| async move {
///     match req.header("authorization") {
///         Some("Bearer let-me-in") => next.call(req, respond).await,
///         _ => respond.send(HttpError::unauthorized()),
///     }
/// }));
/// # let _ = app;
/// ```
pub fn from_fn<A, F, Fut>(f: F) -> impl FnOnce(A) -> FromFn<A, F>
where
    A: App,
    F: Fn(Request, Respond, Next<A>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    move |app| FromFn {
        f,
        next: Arc::new(app),
    }
}

/// The app a [`from_fn`] layer makes.
///
/// ```
/// use lath::prelude::*;
/// let app = handler(|_req: Request| async { "inner" }).wrap(from_fn(|req, respond, next| async move { next.call(req, respond).await }));
/// let _: &lath::app::FromFn<_, _> = &app;
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "inner");
/// ```
pub struct FromFn<A, F> {
    f: F,
    next: Arc<A>,
}

impl<A, F> std::fmt::Debug for FromFn<A, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FromFn").finish_non_exhaustive()
    }
}

impl<A, F, Fut> App for FromFn<A, F>
where
    A: App,
    F: Fn(Request, Respond, Next<A>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, req: Request, respond: Respond) -> impl Future<Output = ()> + Send + '_ {
        (self.f)(req, respond, Next(self.next.clone()))
    }
}

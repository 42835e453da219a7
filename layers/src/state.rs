//! Shared state reachable from every request.

use std::sync::Arc;

use lath_app::{App, Layer, Request, Respond};

/// Makes `value` reachable from every request through [`state_of`]: a
/// database pool, a configuration, a cache.
///
/// ```
/// use lath::app::{handler, AppExt, Request};
/// use lath::layers::{state, state_of};
/// use lath::net::Client;
///
/// struct Greeting(&'static str);
/// let app = handler(|req: Request| async move {
///     state_of::<Greeting>(&req).map_or("none", |g| g.0)
/// })
/// .wrap(state(Greeting("hi")));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
pub fn state<T: Send + Sync + 'static>(value: T) -> StateLayer<T> {
    StateLayer {
        value: Arc::new(value),
    }
}

/// The layer [`state`] makes.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use lath::prelude::*;
/// use lath::layers::{state, StateLayer};
/// struct Hits(AtomicU64);
/// let layer: StateLayer<Hits> = state(Hits(AtomicU64::new(0)));
/// let app = handler(|req: Request| async move {
///     let hits = req.state::<Hits>();
///     (hits.0.fetch_add(1, Ordering::Relaxed) + 1).to_string()
/// })
/// .wrap(layer);
/// let client = Client::new(app);
/// client.get("/").send_blocking().unwrap();
/// assert_eq!(client.get("/").send_blocking().unwrap().text(), "2");
/// ```
#[derive(Debug)]
pub struct StateLayer<T> {
    value: Arc<T>,
}

impl<T> Clone for StateLayer<T> {
    fn clone(&self) -> StateLayer<T> {
        StateLayer {
            value: self.value.clone(),
        }
    }
}

impl<T: Send + Sync + 'static, A: App> Layer<A> for StateLayer<T> {
    type App = State<T, A>;

    fn layer(self, app: A) -> State<T, A> {
        State {
            value: self.value,
            app,
        }
    }
}

/// The app a [`state`] layer makes.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{state, State};
/// let app: State<&'static str, _> = handler(|req: Request| async move { *req.state::<&'static str>() }).wrap(state("v1"));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "v1");
/// ```
#[derive(Debug)]
pub struct State<T, A> {
    value: Arc<T>,
    app: A,
}

/// The state of type `T` a [`state`] layer put on this request.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{state, state_of};
/// let app = handler(|req: Request| async move { state_of::<u32>(&req).map_or("none".into(), |n| n.to_string()) });
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "none");
/// let app = handler(|req: Request| async move { state_of::<u32>(&req).map_or("none".into(), |n| n.to_string()) }).wrap(state(7u32));
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "7");
/// ```
pub fn state_of<T: Send + Sync + 'static>(req: &Request) -> Option<&T> {
    req.extensions().get::<Arc<T>>().map(|value| &**value)
}

impl<T: Send + Sync + 'static, A: App> App for State<T, A> {
    async fn call(&self, mut req: Request, respond: Respond) {
        req.extensions_mut().insert(self.value.clone());
        self.app.call(req, respond).await
    }
}

#[cfg(test)]
mod tests {
    use lath_app::Request;

    use crate::RequestExt;

    #[test]
    #[should_panic(expected = "no state of type `u32` on this request: wrap the app in")]
    fn a_missing_state_names_its_type_and_the_layer() {
        let req = Request::builder("GET", "/").build();
        let _ = req.state::<u32>();
    }
}

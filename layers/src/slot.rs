//! The way out shared between a layer and the app it wraps: the app's
//! `Respond` forwards at once, and the layer can still answer when the app
//! could not (it panicked, or ran out of time). The shared value is reused
//! from request to request on a thread, so a warm connection allocates
//! none.

use std::sync::{Arc, Mutex};

use lath_app::recycle::{self, KeptArcs};
use lath_app::{Forward, Respond, Response};

thread_local! {
    static OUTERS: KeptArcs<Outer> = const { KeptArcs::new() };
}

/// Holds the outer `Respond` until someone answers; gives the shared
/// value back for reuse when dropped.
#[derive(Debug)]
pub(crate) struct Slot(Option<Arc<Outer>>);

/// The outer `Respond`, while nobody has answered.
#[derive(Debug, Default)]
struct Outer(Mutex<Option<Respond>>);

impl Forward for Outer {
    /// What the app sends goes out at once; the 500 of a `Respond`
    /// dropped while its app unwinds from a panic does not, so the layer
    /// can answer in its place.
    fn forward(self: Arc<Self>, response: Response) {
        if !std::thread::panicking() {
            if let Some(outer) = self.take() {
                outer.send(response);
            }
        }
        recycle::give_arc(&OUTERS, self);
    }
}

impl Outer {
    fn take(&self) -> Option<Respond> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl Slot {
    pub(crate) fn new(respond: Respond) -> Slot {
        let outer = recycle::take_arc(&OUTERS);
        *outer
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(respond);
        Slot(Some(outer))
    }

    /// A `Respond` for the app, forwarding to the outer one.
    pub(crate) fn respond(&self) -> Respond {
        match &self.0 {
            Some(outer) => Respond::forwarding(outer.clone()),
            None => unreachable!("a slot holds its value until dropped"),
        }
    }

    /// Answers with `res` if nobody has yet; says whether it did.
    pub(crate) fn send(&self, res: Response) -> bool {
        let outer = self.take();
        let answered = outer.is_some();
        if let Some(outer) = outer {
            outer.send(res);
        }
        answered
    }

    /// Takes the outer `Respond`, so that nothing the app does later
    /// reaches the client.
    pub(crate) fn take(&self) -> Option<Respond> {
        self.0.as_ref().and_then(|outer| outer.take())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(outer) = self.0.take() {
            if Arc::strong_count(&outer) == 1 {
                // Nobody answered and nobody can: the outer `Respond`
                // answers its 500 now, not from a reused value later.
                drop(outer.take());
            }
            recycle::give_arc(&OUTERS, outer);
        }
    }
}

/// A way out that passes the app's response through `map` with the
/// layer's per-request `state` before sending it on: what
/// `Respond::map` does, without a box per request, as the value is reused
/// from request to request on a thread (each layer keeps a pool for its
/// own state type).
pub(crate) struct Mapped<S: Send + 'static>(Mutex<Option<Pending<S>>>);

/// A per-thread pool of [`Mapped`] values for one layer.
pub(crate) type MapPool<S> = recycle::ArcPool<Mapped<S>>;

/// What a layer's `thread_local!` pool of [`Mapped`] values holds.
pub(crate) type Ways<S> = recycle::KeptArcs<Mapped<S>>;

struct Pending<S: Send + 'static> {
    respond: Respond,
    state: S,
    map: fn(S, Response) -> Response,
    pool: &'static MapPool<S>,
}

impl<S: Send + 'static> Default for Mapped<S> {
    fn default() -> Mapped<S> {
        Mapped(Mutex::new(None))
    }
}

impl<S: Send + 'static> Forward for Mapped<S> {
    fn forward(self: Arc<Self>, response: Response) {
        let pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(pending) = pending {
            recycle::give_arc(pending.pool, self);
            let mapped = (pending.map)(pending.state, response);
            pending.respond.send(mapped);
        }
    }
}

/// The layer's hold on a [`Mapped`] while its app runs: given back to the
/// pool when dropped (and kept there only if nobody else holds it).
pub(crate) struct Held<S: Send + 'static> {
    mapped: Option<Arc<Mapped<S>>>,
    pool: &'static MapPool<S>,
}

impl<S: Send + 'static> Drop for Held<S> {
    fn drop(&mut self) {
        if let Some(mapped) = self.mapped.take() {
            recycle::give_arc(self.pool, mapped);
        }
    }
}

/// A `Respond` for the app that sends `map(state, response)` on through
/// `respond`, and the hold to keep until the app's call ends.
pub(crate) fn mapped<S: Send + 'static>(
    pool: &'static MapPool<S>,
    respond: Respond,
    state: S,
    map: fn(S, Response) -> Response,
) -> (Respond, Held<S>) {
    let value = recycle::take_arc(pool);
    *value
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Pending {
        respond,
        state,
        map,
        pool,
    });
    let inner = Respond::forwarding(value.clone());
    (
        inner,
        Held {
            mapped: Some(value),
            pool,
        },
    )
}

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

//! The way out shared between a layer and the app it wraps: the app's
//! `Respond` forwards at once, and the layer can still answer when the app
//! could not (it panicked, or ran out of time).

use std::sync::{Arc, Mutex};

use lath_app::{Respond, Response};

/// Holds the outer `Respond` until someone answers.
#[derive(Debug, Clone)]
pub(crate) struct Slot(Arc<Mutex<Option<Respond>>>);

impl Slot {
    pub(crate) fn new(respond: Respond) -> Slot {
        Slot(Arc::new(Mutex::new(Some(respond))))
    }

    /// A `Respond` for the app. What it sends goes out at once; the 500 of
    /// one dropped while its app unwinds from a panic does not, so the
    /// layer can answer in its place.
    pub(crate) fn respond(&self) -> Respond {
        let slot = self.clone();
        Respond::new(move |res| {
            if !std::thread::panicking() {
                slot.send(res);
            }
        })
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
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

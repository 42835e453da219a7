//! The way out shared between a layer and the app it wraps: the app's
//! `Respond` forwards at once, and the layer can still answer when the app
//! could not (it panicked, or ran out of time).

use std::sync::{Arc, Mutex};

use lath_app::{Forward, Respond, Response};

/// Holds the outer `Respond` until someone answers.
#[derive(Debug, Clone)]
pub(crate) struct Slot(Arc<Outer>);

/// The outer `Respond`, while nobody has answered.
#[derive(Debug)]
struct Outer(Mutex<Option<Respond>>);

impl Forward for Outer {
    /// What the app sends goes out at once; the 500 of a `Respond`
    /// dropped while its app unwinds from a panic does not, so the layer
    /// can answer in its place.
    fn forward(&self, response: Response) {
        if !std::thread::panicking() {
            if let Some(outer) = self.take() {
                outer.send(response);
            }
        }
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
        Slot(Arc::new(Outer(Mutex::new(Some(respond)))))
    }

    /// A `Respond` for the app, forwarding to the outer one.
    pub(crate) fn respond(&self) -> Respond {
        Respond::forwarding(self.0.clone())
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
        self.0.take()
    }
}

//! One timer per connection, re-armed lazily.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use futures::FutureExt;

use crate::Runtime;

/// A connection's one timer. Several deadlines (head, body, write) may be
/// polled against it in one pass: it stays armed for the earliest, and
/// when it fires before a later deadline it is set again for the rest, so
/// a deadline that keeps moving later costs no new timer per request.
pub(crate) struct Deadline {
    runtime: Runtime,
    armed: Option<(Instant, BoxFuture<'static, ()>)>,
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline")
            .field("armed", &self.armed.as_ref().map(|(at, _)| at))
            .finish()
    }
}

impl Deadline {
    /// A timer of `runtime`, unarmed.
    pub(crate) fn new(runtime: Runtime) -> Deadline {
        Deadline {
            runtime,
            armed: None,
        }
    }

    /// Ready once `deadline` has passed.
    pub(crate) fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.armed {
                // Armed to fire no later than needed: wait for it.
                Some((at, timer)) if *at <= deadline => {
                    if timer.poll_unpin(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        self.armed = None;
                        return Poll::Ready(());
                    }
                    self.armed = Some((deadline, self.runtime.sleep(deadline - now)));
                }
                // None yet, or armed too late for an earlier deadline.
                _ => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    self.armed = Some((deadline, self.runtime.sleep(wait)));
                }
            }
        }
    }
}

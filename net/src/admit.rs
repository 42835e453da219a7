//! A connection cap that admits new clients: at `max_connections`, the
//! longest-idle keep-alive connection is closed to make room, as nginx
//! reuses connections. Only when every connection is busy does accepting
//! pause.
//!
//! Each connection owns a [`Slot`]; going idle and busy are two atomic
//! stores and no lock. The accept loop alone holds the list of slots and
//! scans it only when the cap is reached.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;

use crate::woken::SeenCell;

/// What connections and the accept loop share.
#[derive(Debug, Default)]
struct Shared {
    /// Orders idle periods: a smaller number went idle earlier (equal
    /// ones at about the same time).
    clock: AtomicU64,
    /// Connections idle now.
    idle: AtomicUsize,
    /// The accept loop waits for a connection to go idle.
    waiting: AtomicBool,
    accept: AtomicWaker,
}

/// One connection's idle state, seen by the accept loop.
#[derive(Debug)]
pub(crate) struct Slot {
    shared: Arc<Shared>,
    /// When it went idle (on `shared.clock`); 0 while busy.
    idle_since: AtomicU64,
    evicted: AtomicBool,
    waker: AtomicWaker,
    /// The waker registered last, as its connection's task alone sees it.
    registered: SeenCell,
}

impl Slot {
    /// The connection waits for a request with nothing buffered: it may be
    /// closed to admit another client.
    pub(crate) fn set_idle(&self) {
        // Only an order for eviction, so a load and a store rather than a
        // read-modify-write: connections of one accept loop run on one
        // thread, and were two to go idle at once elsewhere, a shared tick
        // would only make them equally old.
        let tick = self.shared.clock.load(Ordering::Relaxed) + 1;
        self.shared.clock.store(tick, Ordering::Relaxed);
        if self.idle_since.swap(tick, Ordering::AcqRel) == 0 {
            self.shared.idle.fetch_add(1, Ordering::AcqRel);
            if self.shared.waiting.load(Ordering::Acquire)
                && self.shared.waiting.swap(false, Ordering::AcqRel)
            {
                self.shared.accept.wake();
            }
        }
    }

    /// The connection has work again.
    pub(crate) fn set_busy(&self) {
        if self.idle_since.swap(0, Ordering::AcqRel) != 0 {
            self.shared.idle.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Ready once the accept loop chose this connection to close.
    pub(crate) fn poll_evicted(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.evicted.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        // Until the eviction (which sets `evicted` first) takes it, the
        // waker registered stays.
        if self.registered.changed(cx.waker()) {
            self.waker.register(cx.waker());
        }
        if self.evicted.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The accept loop's list of slots.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    shared: Arc<Shared>,
    all: Vec<Weak<Slot>>,
}

impl Slots {
    /// A slot for a new connection.
    pub(crate) fn add(&mut self, live: usize) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            shared: self.shared.clone(),
            idle_since: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            registered: SeenCell::default(),
        });
        // Forget closed connections once they outnumber the live ones.
        if self.all.len() > 2 * live + 64 {
            self.all.retain(|slot| slot.strong_count() > 0);
        }
        self.all.push(Arc::downgrade(&slot));
        slot
    }

    /// Is some connection idle, so that one could be closed to make room?
    pub(crate) fn any_idle(&self) -> bool {
        self.shared.idle.load(Ordering::Acquire) > 0
    }

    /// Ready once some connection is idle; wakes the accept loop when one
    /// turns idle later.
    pub(crate) fn poll_idle(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.any_idle() {
            return Poll::Ready(());
        }
        self.shared.accept.register(cx.waker());
        self.shared.waiting.store(true, Ordering::Release);
        if self.any_idle() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Closes the connection idle the longest; says whether there was one.
    pub(crate) fn evict_longest_idle(&mut self) -> bool {
        loop {
            let oldest = self
                .all
                .iter()
                .filter_map(Weak::upgrade)
                .filter_map(|slot| match slot.idle_since.load(Ordering::Acquire) {
                    0 => None,
                    since => Some((since, slot)),
                })
                .min_by_key(|(since, _)| *since);
            let Some((since, slot)) = oldest else {
                return false;
            };
            // It may have turned busy since the scan: then look again.
            if slot
                .idle_since
                .compare_exchange(since, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.shared.idle.fetch_sub(1, Ordering::AcqRel);
                slot.evicted.store(true, Ordering::Release);
                slot.waker.wake();
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_goes_first_and_busy_ones_stay() {
        let mut slots = Slots::default();
        let a = slots.add(0);
        let b = slots.add(1);
        let c = slots.add(2);
        assert!(!slots.any_idle());
        b.set_idle();
        a.set_idle();
        c.set_idle();
        c.set_busy();
        assert!(slots.any_idle());
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(slots.evict_longest_idle());
        assert!(b.poll_evicted(&mut cx).is_ready());
        assert!(a.poll_evicted(&mut cx).is_pending());
        assert!(slots.evict_longest_idle());
        assert!(a.poll_evicted(&mut cx).is_ready());
        assert!(!slots.any_idle());
        assert!(!slots.evict_longest_idle(), "c is busy");
        assert!(c.poll_evicted(&mut cx).is_pending());
    }
}

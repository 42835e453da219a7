//! Registering a task's waker once, not at every poll.
//!
//! An accept loop drives every connection inside one future, so each
//! wake of any connection polls the whole future again. Its listener sits
//! behind a [`Part`]: it is polled again only once the reactor woke it,
//! not at every request of every connection. And what a connection polls
//! at every wake registers its waker only when the waker changed
//! ([`Seen`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::task::{waker, ArcWake, AtomicWaker};

/// Which waker a poller registered last, to skip registering the same
/// one again.
///
/// `Waker::will_wake` compares vtable addresses, and an executor's one
/// vtable can have several addresses (one per codegen unit): a stored
/// clone seldom matches the waker the executor passes next. The waker
/// passed last, though, comes from the same code as the next one. While
/// the registered clone lives, its task's address is not reused, so the
/// same address and vtable mean the same task.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen(usize, usize);

impl Seen {
    /// The identity of `waker`.
    pub(crate) fn of(waker: &Waker) -> Seen {
        Seen(
            waker.data() as usize,
            std::ptr::from_ref(waker.vtable()) as usize,
        )
    }
}

/// A [`Seen`] kept where the task's waker is registered, read and written
/// by that one task only: relaxed atomics, no lock.
#[derive(Debug, Default)]
pub(crate) struct SeenCell(AtomicUsize, AtomicUsize);

impl SeenCell {
    /// Records `waker`; says whether it differs from the one recorded
    /// before (then it is to be registered).
    pub(crate) fn changed(&self, waker: &Waker) -> bool {
        let Seen(data, vtable) = Seen::of(waker);
        // Loads and stores, not swaps: the same waker again, the usual
        // case, costs no atomic read-modify-write.
        let old = (
            self.0.load(Ordering::Relaxed),
            self.1.load(Ordering::Relaxed),
        );
        if old == (data, vtable) {
            return false;
        }
        self.0.store(data, Ordering::Relaxed);
        self.1.store(vtable, Ordering::Relaxed);
        true
    }
}

/// A part of a future with a waker of its own.
pub(crate) struct Part {
    flag: Arc<Flag>,
    waker: Waker,
    /// The task's waker registered last.
    task: Seen,
}

/// Whether the part was woken, and the task that holds it.
struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl ArcWake for Flag {
    fn wake_by_ref(arc: &Arc<Self>) {
        arc.woken.store(true, Ordering::Release);
        arc.task.wake();
    }
}

impl Part {
    /// A part to be polled at its first chance.
    pub(crate) fn new() -> Part {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Part {
            waker: waker(flag.clone()),
            flag,
            task: Seen::default(),
        }
    }

    /// Polls `part` with this part's waker if it was woken (or returned
    /// `Ready`) since it last returned `Pending`; else `Pending` at once.
    /// The task of `cx` is woken when the part is.
    pub(crate) fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        part: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // A wake takes the registered waker (and sets `woken` first); until
        // one, the waker registered stays.
        // Looked at before it is taken: most polls come from another
        // part's wake, and a load is no read-modify-write.
        let woken = self.flag.woken.load(Ordering::Acquire)
            && self.flag.woken.swap(false, Ordering::AcqRel);
        let task = Seen::of(cx.waker());
        if woken || task != self.task {
            self.flag.task.register(cx.waker());
            self.task = task;
        }
        if !woken {
            return Poll::Pending;
        }
        let polled = part(&mut Context::from_waker(&self.waker));
        if polled.is_ready() {
            // Nothing will wake a part that did not wait: ask it again.
            self.flag.woken.store(true, Ordering::Release);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::mpsc;
    use futures::StreamExt;
    use std::sync::atomic::AtomicUsize;

    struct Count(AtomicUsize);

    impl ArcWake for Count {
        fn wake_by_ref(arc: &Arc<Self>) {
            arc.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_part_is_polled_again_only_once_woken_or_ready() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let task = waker(count.clone());
        let mut cx = Context::from_waker(&task);
        let (tx, mut rx) = mpsc::unbounded::<u8>();
        let mut part = Part::new();
        let polls = std::cell::Cell::new(0);
        let mut poll = |cx: &mut Context<'_>| {
            part.poll(cx, |cx| {
                polls.set(polls.get() + 1);
                rx.poll_next_unpin(cx)
            })
        };
        assert!(poll(&mut cx).is_pending(), "first poll: nothing sent");
        assert!(poll(&mut cx).is_pending(), "not woken: not polled");
        assert_eq!(polls.get(), 1);
        tx.unbounded_send(7).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the task is woken");
        assert_eq!(poll(&mut cx), Poll::Ready(Some(7)));
        assert!(poll(&mut cx).is_pending(), "after Ready: polled again");
        assert_eq!(polls.get(), 3);
    }

    #[test]
    fn a_seen_cell_tells_a_new_waker_from_the_same_one() {
        let first = waker(Arc::new(Count(AtomicUsize::new(0))));
        let second = waker(Arc::new(Count(AtomicUsize::new(0))));
        let cell = SeenCell::default();
        assert!(cell.changed(&first), "nothing recorded yet");
        assert!(!cell.changed(&first));
        assert!(cell.changed(&second));
        assert!(cell.changed(&first));
    }
}

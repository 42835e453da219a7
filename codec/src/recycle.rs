//! Storage recycled per thread, so a connection serving request after
//! request allocates none once warm: lists (a head's fields, a route's
//! parameters) and shared per-request values of layers.
//!
//! A list goes back to a small per-thread pool when its owner is dropped,
//! and the next owner on that thread takes it:
//!
//! ```
//! use lath_codec::recycle::{self, Kept};
//!
//! thread_local! {
//!     static NAMES: Kept<&'static str> = const { Kept::new() };
//! }
//!
//! let mut names = recycle::take(&NAMES, 2);
//! names.push("first");
//! let storage = names.as_ptr();
//! recycle::give(&NAMES, names);
//! let again = recycle::take(&NAMES, 1);
//! assert!(again.is_empty());
//! assert_eq!(again.as_ptr(), storage); // no new allocation
//! ```
//!
//! A shared value is reused once its last holder gives it back:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use lath_codec::recycle::{self, KeptArcs};
//!
//! thread_local! {
//!     static STATES: KeptArcs<Mutex<Option<u32>>> = const { KeptArcs::new() };
//! }
//!
//! let state = recycle::take_arc(&STATES);
//! let other = state.clone();
//! recycle::give_arc(&STATES, state); // still held elsewhere: dropped
//! let at = Arc::as_ptr(&other);
//! recycle::give_arc(&STATES, other); // the last holder: kept
//! assert_eq!(Arc::as_ptr(&recycle::take_arc(&STATES)), at);
//! ```

use std::cell::Cell;
use std::sync::Arc;
use std::thread::LocalKey;

/// Lists kept per thread and kind: enough for every request in flight on
/// a worker's pipelined connections without hoarding memory.
const KEPT: usize = 64;

/// Lists longer than this are freed rather than kept.
const MAX_CAPACITY: usize = 64;

/// Empty lists of `T` kept by one thread: a stack of cells, so taking and
/// giving cost no borrow bookkeeping.
pub struct Kept<T> {
    lists: [Cell<Vec<T>>; KEPT],
    len: Cell<usize>,
}

impl<T> Kept<T> {
    /// An empty pool, for a `thread_local!` with a `const` initializer.
    pub const fn new() -> Kept<T> {
        Kept {
            lists: [const { Cell::new(Vec::new()) }; KEPT],
            len: Cell::new(0),
        }
    }
}

impl<T> std::fmt::Debug for Kept<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("len", &self.len.get())
            .finish()
    }
}

impl<T> Default for Kept<T> {
    fn default() -> Kept<T> {
        Kept::new()
    }
}

/// A per-thread pool of empty lists of `T`.
pub type Pool<T> = LocalKey<Kept<T>>;

/// An empty list with room for `n`, from the pool when it has one.
pub fn take<T>(pool: &'static Pool<T>, n: usize) -> Vec<T> {
    let mut list = pool
        .try_with(|kept| match kept.len.get() {
            0 => Vec::new(),
            len => {
                kept.len.set(len - 1);
                kept.lists[len - 1].take()
            }
        })
        .unwrap_or_default();
    list.reserve(n);
    list
}

/// Returns `list`'s storage to the pool (or frees it, when the pool is
/// full, the list is large, or the thread is ending).
pub fn give<T>(pool: &'static Pool<T>, mut list: Vec<T>) {
    if list.capacity() == 0 || list.capacity() > MAX_CAPACITY {
        return;
    }
    list.clear();
    let _ = pool.try_with(|kept| {
        let len = kept.len.get();
        if len < KEPT {
            kept.lists[len].set(list);
            kept.len.set(len + 1);
        }
    });
}

/// Shared values kept per thread and kind.
const KEPT_ARCS: usize = 32;

/// Shared values of `T` kept by one thread for reuse, each held by
/// nobody else.
pub struct KeptArcs<T> {
    arcs: [Cell<Option<Arc<T>>>; KEPT_ARCS],
    len: Cell<usize>,
}

impl<T> KeptArcs<T> {
    /// An empty pool, for a `thread_local!` with a `const` initializer.
    pub const fn new() -> KeptArcs<T> {
        KeptArcs {
            arcs: [const { Cell::new(None) }; KEPT_ARCS],
            len: Cell::new(0),
        }
    }
}

impl<T> std::fmt::Debug for KeptArcs<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptArcs")
            .field("len", &self.len.get())
            .finish()
    }
}

impl<T> Default for KeptArcs<T> {
    fn default() -> KeptArcs<T> {
        KeptArcs::new()
    }
}

/// A per-thread pool of shared values of `T`.
pub type ArcPool<T> = LocalKey<KeptArcs<T>>;

/// A shared value held by nobody else: one from the pool, as its last
/// holder left it (reset what matters), or else `T::default()`.
pub fn take_arc<T: Default>(pool: &'static ArcPool<T>) -> Arc<T> {
    pool.try_with(|kept| match kept.len.get() {
        0 => None,
        len => {
            kept.len.set(len - 1);
            kept.arcs[len - 1].take()
        }
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// Lets go of `arc`, keeping it for reuse when this was its last holder
/// (when two holders give theirs back at once, both may be dropped).
pub fn give_arc<T>(pool: &'static ArcPool<T>, arc: Arc<T>) {
    if Arc::strong_count(&arc) != 1 || Arc::weak_count(&arc) != 0 {
        return;
    }
    let _ = pool.try_with(|kept| {
        let len = kept.len.get();
        if len < KEPT_ARCS {
            kept.arcs[len].set(Some(arc));
            kept.len.set(len + 1);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NUMBERS: Kept<u32> = const { Kept::new() };
    }

    #[test]
    fn storage_comes_back_empty_and_large_lists_are_freed() {
        let mut list = take(&NUMBERS, 4);
        list.extend([1, 2, 3]);
        let at = list.as_ptr();
        give(&NUMBERS, list);
        let again = take(&NUMBERS, 2);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at, "the same storage, reused");
        give(&NUMBERS, Vec::with_capacity(MAX_CAPACITY + 1));
        assert_eq!(NUMBERS.with(|kept| kept.len.get()), 0);
    }

    thread_local! {
        static SHARED: KeptArcs<u32> = const { KeptArcs::new() };
    }

    #[test]
    fn a_shared_value_is_kept_only_from_its_last_holder() {
        let first = take_arc(&SHARED);
        let weak = Arc::downgrade(&first);
        give_arc(&SHARED, first.clone());
        give_arc(&SHARED, first);
        assert_eq!(
            SHARED.with(|kept| kept.len.get()),
            0,
            "a weak holder remains"
        );
        drop(weak);
        let second = take_arc(&SHARED);
        let at = Arc::as_ptr(&second);
        give_arc(&SHARED, second);
        assert_eq!(SHARED.with(|kept| kept.len.get()), 1);
        assert_eq!(
            Arc::as_ptr(&take_arc(&SHARED)),
            at,
            "the same value, reused"
        );
        for _ in 0..KEPT_ARCS + 3 {
            give_arc(&SHARED, Arc::new(0));
        }
        assert_eq!(SHARED.with(|kept| kept.len.get()), KEPT_ARCS);
    }

    #[test]
    fn the_pool_is_bounded() {
        for _ in 0..KEPT + 10 {
            give(&NUMBERS, Vec::with_capacity(1));
        }
        assert_eq!(NUMBERS.with(|kept| kept.len.get()), KEPT);
    }
}

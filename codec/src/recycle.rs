//! Field lists recycled per thread: a head's lists go back to a small
//! per-thread pool when it is dropped and the next head on that thread
//! takes them, so a connection serving request after request allocates no
//! field storage once warm.

use std::cell::Cell;
use std::thread::LocalKey;

/// Lists kept per thread and kind: enough for every request in flight on
/// a worker's pipelined connections without hoarding memory.
const KEPT: usize = 64;

/// Lists longer than this are freed rather than kept.
const MAX_CAPACITY: usize = 64;

/// Empty lists of `T` kept by one thread: a stack of cells, so taking and
/// giving cost no borrow bookkeeping.
pub(crate) struct Kept<T> {
    lists: [Cell<Vec<T>>; KEPT],
    len: Cell<usize>,
}

impl<T> Kept<T> {
    pub(crate) const fn new() -> Kept<T> {
        Kept {
            lists: [const { Cell::new(Vec::new()) }; KEPT],
            len: Cell::new(0),
        }
    }
}

/// A per-thread pool of empty lists of `T`.
pub(crate) type Pool<T> = LocalKey<Kept<T>>;

/// An empty list with room for `n`, from the pool when it has one.
pub(crate) fn take<T>(pool: &'static Pool<T>, n: usize) -> Vec<T> {
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
pub(crate) fn give<T>(pool: &'static Pool<T>, mut list: Vec<T>) {
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

    #[test]
    fn the_pool_is_bounded() {
        for _ in 0..KEPT + 10 {
            give(&NUMBERS, Vec::with_capacity(1));
        }
        assert_eq!(NUMBERS.with(|kept| kept.len.get()), KEPT);
    }
}

//! Field lists recycled per thread: a head's lists go back to a small
//! per-thread pool when it is dropped and the next head on that thread
//! takes them, so a connection serving request after request allocates no
//! field storage once warm.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Lists kept per thread and kind: enough for every request in flight on
/// a worker's pipelined connections without hoarding memory.
const KEPT: usize = 64;

/// Lists longer than this are freed rather than kept.
const MAX_CAPACITY: usize = 64;

/// A per-thread pool of empty lists of `T`.
pub(crate) type Pool<T> = LocalKey<RefCell<Vec<Vec<T>>>>;

/// An empty list with room for `n`, from the pool when it has one.
pub(crate) fn take<T>(pool: &'static Pool<T>, n: usize) -> Vec<T> {
    let mut list = pool
        .try_with(|kept| kept.borrow_mut().pop())
        .ok()
        .flatten()
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
        if let Ok(mut kept) = kept.try_borrow_mut() {
            if kept.len() < KEPT {
                kept.push(list);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NUMBERS: RefCell<Vec<Vec<u32>>> = const { RefCell::new(Vec::new()) };
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
        assert_eq!(NUMBERS.with(|kept| kept.borrow().len()), 0);
    }

    #[test]
    fn the_pool_is_bounded() {
        for _ in 0..KEPT + 10 {
            give(&NUMBERS, Vec::with_capacity(1));
        }
        assert_eq!(NUMBERS.with(|kept| kept.borrow().len()), KEPT);
    }
}

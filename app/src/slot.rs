//! Room for one app future, reused from request to request, so a driver
//! that serves many requests on a connection allocates a future's memory
//! once, not once per request.
//!
//! Between requests a connection may hand its memory to a small pool of
//! its thread ([`FutureSlot::lend`]), so thousands of idle connections
//! hold none while a busy thread still allocates nothing.
//!
//! The one module of lath-app with `unsafe` code: it places a future in
//! memory it keeps between requests, which `Box` cannot do. The rules it
//! keeps:
//! - the memory holds at most one future, which is dropped in place by
//!   the [`SlotFuture`] that owns it, and only then reused;
//! - a future is never moved once placed (it is polled pinned), and its
//!   memory is never reused or freed without its drop having run: when a
//!   `SlotFuture` is leaked (`mem::forget`), the slot leaks that memory too
//!   and takes new memory for the next future.
#![allow(unsafe_code)]

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

/// Memory for one future, kept between requests. See [`App::call_in`].
///
/// ```
/// use lath::app::FutureSlot;
/// # futures::executor::block_on(async {
/// let mut slot = FutureSlot::new();
/// for i in 0..3 {
///     // The first future allocates; the next ones reuse its memory.
///     slot.put(async move { assert!(i < 3) }).await;
/// }
/// # });
/// ```
///
/// [`App::call_in`]: crate::App::call_in
pub struct FutureSlot {
    memory: NonNull<u8>,
    layout: Layout,
    /// A future placed here was leaked, never dropped: its memory may not
    /// be reused.
    occupied: bool,
}

// SAFETY: the slot holds raw memory only. The future placed in it is
// reached through its `SlotFuture` alone, which is `Send` because the
// future is.
unsafe impl Send for FutureSlot {}
// SAFETY: no method reads the memory through `&FutureSlot`.
unsafe impl Sync for FutureSlot {}

impl Default for FutureSlot {
    fn default() -> FutureSlot {
        FutureSlot::new()
    }
}

impl fmt::Debug for FutureSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureSlot")
            .field("capacity", &self.layout.size())
            .finish()
    }
}

impl FutureSlot {
    /// An empty slot; it allocates when the first future is put in it.
    pub const fn new() -> FutureSlot {
        FutureSlot {
            memory: NonNull::dangling(),
            layout: Layout::new::<()>(),
            occupied: false,
        }
    }

    /// Places `future` in the slot, reusing its memory when it is large
    /// enough and aligned enough, and returns the handle that polls it and
    /// drops it.
    ///
    /// ```
    /// use lath::app::FutureSlot;
    /// # futures::executor::block_on(async {
    /// let mut slot = FutureSlot::new();
    /// let mut total = 0;
    /// for n in 1..=3 {
    ///     slot.put(async { total += n }).await;
    /// }
    /// assert_eq!(total, 6);
    /// # });
    /// ```
    pub fn put<'a, F>(&'a mut self, future: F) -> SlotFuture<'a>
    where
        F: Future<Output = ()> + Send + 'a,
    {
        self.put_with(|| future)
    }

    /// Places the future `make` returns, made once the slot has room for
    /// it: the future can be written straight into the slot's memory
    /// rather than made elsewhere and moved in.
    ///
    /// ```
    /// use lath::app::FutureSlot;
    /// # futures::executor::block_on(async {
    /// let mut slot = FutureSlot::new();
    /// let mut seen = Vec::new();
    /// slot.put_with(|| async { seen.push("made in place") }).await;
    /// assert_eq!(seen, ["made in place"]);
    /// # });
    /// ```
    #[inline]
    pub fn put_with<'a, F>(&'a mut self, make: impl FnOnce() -> F) -> SlotFuture<'a>
    where
        F: Future<Output = ()> + Send + 'a,
    {
        let needed = Layout::new::<F>();
        if self.occupied {
            // The last future was leaked: leave its memory to it.
            self.memory = NonNull::dangling();
            self.layout = Layout::new::<()>();
            self.occupied = false;
        }
        let fits = needed.size() <= self.layout.size() && needed.align() <= self.layout.align();
        if needed.size() > 0 && !fits {
            self.grow(needed);
        }
        let place = match needed.size() {
            0 => NonNull::<F>::dangling(),
            _ => self.memory.cast::<F>(),
        };
        // SAFETY: `place` is valid for a write of `F` (the memory is at
        // least `needed` in size and alignment, or `F` is zero-sized), and
        // holds no live value: a previous future was dropped or its memory
        // given up.
        unsafe { place.as_ptr().write(make()) };
        self.occupied = true;
        let future: NonNull<dyn Future<Output = ()> + Send + 'a> = place;
        SlotFuture {
            future,
            occupied: &mut self.occupied,
            _future: PhantomData,
        }
    }

    /// Gives the memory to this thread's pool, for whichever slot on the
    /// thread needs it next; the slot takes memory again (from the pool,
    /// when it has some) for its next future. A driver calls this when a
    /// connection goes idle.
    ///
    /// ```
    /// use lath::app::FutureSlot;
    /// # futures::executor::block_on(async {
    /// let mut slot = FutureSlot::new();
    /// slot.put(async {}).await;
    /// slot.lend(); // idle: the slot holds no memory
    /// slot.put(async {}).await; // the pool's memory, no allocation
    /// # });
    /// ```
    pub fn lend(&mut self) {
        if self.layout.size() == 0 || self.occupied {
            return;
        }
        let block = Block {
            memory: self.memory,
            layout: self.layout,
        };
        self.memory = NonNull::dangling();
        self.layout = Layout::new::<()>();
        let kept = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED {
                pool.push(block);
                true
            } else {
                false
            }
        });
        if kept != Ok(true) {
            // SAFETY: the block's memory is unused, allocated with its layout.
            unsafe { alloc::dealloc(block.memory.as_ptr(), block.layout) };
        }
    }

    /// Replaces the memory with room for `needed` (and for anything the
    /// old memory could hold): from the thread's pool when a block there
    /// fits, else newly allocated.
    fn grow(&mut self, needed: Layout) {
        let layout = Layout::from_size_align(
            needed.size().max(self.layout.size()),
            needed.align().max(self.layout.align()),
        )
        .expect("a future's layout");
        self.release();
        let pooled = POOL
            .try_with(|pool| {
                let mut pool = pool.borrow_mut();
                let fits = pool.iter().rposition(|block| {
                    block.layout.size() >= layout.size() && block.layout.align() >= layout.align()
                })?;
                Some(pool.swap_remove(fits))
            })
            .ok()
            .flatten();
        if let Some(block) = pooled {
            self.memory = block.memory;
            self.layout = block.layout;
            return;
        }
        // SAFETY: `layout` has a non-zero size: `grow` is called only for
        // a future that is not zero-sized.
        let memory = unsafe { alloc::alloc(layout) };
        let Some(memory) = NonNull::new(memory) else {
            alloc::handle_alloc_error(layout)
        };
        self.memory = memory;
        self.layout = layout;
    }

    /// Frees the memory unless a leaked future still lives in it.
    fn release(&mut self) {
        if self.layout.size() > 0 && !self.occupied {
            // SAFETY: allocated in `grow` with exactly this layout, and
            // nothing lives in it.
            unsafe { alloc::dealloc(self.memory.as_ptr(), self.layout) };
        }
        self.memory = NonNull::dangling();
        self.layout = Layout::new::<()>();
    }
}

impl Drop for FutureSlot {
    fn drop(&mut self) {
        self.release();
    }
}

/// Blocks a thread keeps for its slots: enough for the connections one
/// thread serves at once, not for every idle one.
const POOLED: usize = 16;

/// Unused memory lent by an idle slot.
#[derive(Clone, Copy)]
struct Block {
    memory: NonNull<u8>,
    layout: Layout,
}

/// A thread's unused blocks, freed when the thread ends.
struct Pool(Vec<Block>);

impl std::ops::Deref for Pool {
    type Target = Vec<Block>;

    fn deref(&self) -> &Vec<Block> {
        &self.0
    }
}

impl std::ops::DerefMut for Pool {
    fn deref_mut(&mut self) -> &mut Vec<Block> {
        &mut self.0
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for block in self.0.drain(..) {
            // SAFETY: a pooled block is unused, allocated with its layout.
            unsafe { alloc::dealloc(block.memory.as_ptr(), block.layout) };
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool(Vec::new())) };
}

/// A future placed in a [`FutureSlot`]: polls it, and drops it in place
/// when dropped, leaving the memory to the next one.
///
/// ```
/// use lath::app::{App, FutureSlot, Request, Respond};
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("hi");
/// }
/// # futures::executor::block_on(async {
/// let mut slot = FutureSlot::new();
/// let (respond, responded) = Respond::channel();
/// // What a driver does: the app's future goes in the connection's slot.
/// let running = hello.call_in(Request::builder("GET", "/").build(), respond, &mut slot);
/// running.await;
/// assert_eq!(responded.await.status().code(), 200);
/// # });
/// ```
pub struct SlotFuture<'a> {
    future: NonNull<dyn Future<Output = ()> + Send + 'a>,
    occupied: &'a mut bool,
    /// Owns the future: drop checking treats it as holding one.
    _future: PhantomData<Pin<Box<dyn Future<Output = ()> + Send + 'a>>>,
}

// SAFETY: the future it owns is `Send`.
unsafe impl Send for SlotFuture<'_> {}

impl fmt::Debug for SlotFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlotFuture")
    }
}

impl Future for SlotFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the future lives until this handle drops it, and never
        // moves: its memory stays put while the slot is borrowed by this
        // handle, and is not reused after a leak.
        let future = unsafe { Pin::new_unchecked(&mut *self.get_mut().future.as_ptr()) };
        future.poll(cx)
    }
}

impl Drop for SlotFuture<'_> {
    fn drop(&mut self) {
        // Reusable even if the future's own drop panics: it has run.
        *self.occupied = false;
        // SAFETY: placed by `put`, dropped exactly once, here.
        unsafe { self.future.as_ptr().drop_in_place() };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use futures::executor::block_on;

    use super::*;

    /// Counts its drops.
    struct Dropped(Arc<AtomicUsize>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn memory_is_reused_for_futures_that_fit() {
        let mut slot = FutureSlot::new();
        block_on(slot.put(async {}));
        block_on(slot.put(async { std::future::ready(()).await }));
        let big = [7u8; 256];
        block_on(slot.put(async move { assert_eq!(big[255], 7) }));
        let at = slot.memory;
        let size = slot.layout.size();
        assert!(size >= 256);
        block_on(slot.put(async { std::future::ready(()).await }));
        block_on(slot.put(async move { assert_eq!(big[0], 7) }));
        assert_eq!(slot.memory, at, "no new memory for futures that fit");
        assert_eq!(slot.layout.size(), size);
    }

    #[test]
    fn a_future_is_dropped_exactly_once_polled_or_not() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = FutureSlot::new();
        let guard = Dropped(drops.clone());
        block_on(slot.put(async move { drop(guard) }));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let guard = Dropped(drops.clone());
        drop(slot.put(async move { drop(guard) }));
        assert_eq!(drops.load(Ordering::SeqCst), 2, "dropped unpolled");
    }

    #[test]
    fn a_leaked_future_keeps_its_memory() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = FutureSlot::new();
        let guard = Dropped(drops.clone());
        let at_first = {
            let leaked = slot.put(async move { drop(guard) });
            std::mem::forget(leaked);
            slot.memory
        };
        block_on(slot.put(async {
            std::future::ready(()).await;
        }));
        assert_ne!(slot.memory, at_first, "leaked memory is not reused");
        assert_eq!(drops.load(Ordering::SeqCst), 0, "a leak never drops");
    }

    #[test]
    fn a_panicking_future_can_be_dropped_and_the_slot_reused() {
        let mut slot = FutureSlot::new();
        let mut future = slot.put(async { panic!("inside") });
        let waker = futures::task::noop_waker();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Pin::new(&mut future).poll(&mut Context::from_waker(&waker))
        }));
        assert!(polled.is_err());
        drop(future);
        block_on(slot.put(async {}));
    }

    #[test]
    fn lent_memory_goes_to_the_next_slot_on_the_thread() {
        let mut first = FutureSlot::new();
        block_on(first.put(async { std::future::ready(()).await }));
        let at = first.memory;
        first.lend();
        assert_eq!(first.layout.size(), 0, "an idle slot holds nothing");
        let mut second = FutureSlot::new();
        block_on(second.put(async { std::future::ready(()).await }));
        assert_eq!(second.memory, at, "the lent memory, reused");
        // A leaked future's memory is never lent.
        let leaked = second.put(async {});
        std::mem::forget(leaked);
        second.lend();
        assert_eq!(second.memory, at);
    }

    #[test]
    fn the_pool_is_bounded() {
        let mut slots: Vec<FutureSlot> = (0..POOLED + 4).map(|_| FutureSlot::new()).collect();
        for slot in &mut slots {
            block_on(slot.put(async { std::future::ready(()).await }));
        }
        for slot in &mut slots {
            slot.lend();
        }
        assert_eq!(POOL.with(|pool| pool.borrow().len()), POOLED);
    }

    #[test]
    fn zero_sized_futures_take_no_memory() {
        #[repr(align(8))]
        struct Nothing;
        impl Future for Nothing {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                Poll::Ready(())
            }
        }
        let mut slot = FutureSlot::new();
        block_on(slot.put(Nothing));
        assert_eq!(slot.layout.size(), 0);
    }

    #[test]
    fn over_aligned_futures_get_aligned_memory() {
        #[repr(align(64))]
        struct Wide([u8; 64]);
        let mut slot = FutureSlot::new();
        block_on(slot.put(async {}));
        let wide = Wide([1; 64]);
        block_on(slot.put(async move {
            assert_eq!(&wide as *const Wide as usize % 64, 0);
            assert_eq!(wide.0[63], 1);
        }));
        assert_eq!(slot.memory.as_ptr() as usize % 64, 0);
    }
}

//! A list that keeps its first few items inline: most heads have a handful
//! of fields, and a list that fits costs no allocation per message.

use std::ops::Deref;

/// The first `N` items inline, more on the heap.
#[derive(Debug, Clone)]
pub(crate) enum Few<T, const N: usize> {
    Inline { len: usize, items: [T; N] },
    Heap(Vec<T>),
}

impl<T: Default, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few::Inline {
            len: 0,
            items: std::array::from_fn(|_| T::default()),
        }
    }
}

impl<T: Default, const N: usize> Few<T, N> {
    /// Room for `n` items without growing.
    pub(crate) fn with_capacity(n: usize) -> Self {
        if n <= N {
            Few::default()
        } else {
            Few::Heap(Vec::with_capacity(n))
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        match self {
            Few::Inline { len, items } if *len < N => {
                items[*len] = item;
                *len += 1;
            }
            Few::Inline { items, .. } => {
                let mut heap = Vec::with_capacity(2 * N + 1);
                heap.extend(items.iter_mut().map(std::mem::take));
                heap.push(item);
                *self = Few::Heap(heap);
            }
            Few::Heap(heap) => heap.push(item),
        }
    }

    /// Keeps the items `keep` says yes to, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        match self {
            Few::Inline { len, items } => {
                let mut kept = 0;
                for i in 0..*len {
                    if keep(&items[i]) {
                        items.swap(kept, i);
                        kept += 1;
                    }
                }
                for item in &mut items[kept..*len] {
                    *item = T::default();
                }
                *len = kept;
            }
            Few::Heap(heap) => heap.retain(keep),
        }
    }
}

impl<T, const N: usize> Deref for Few<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Few::Inline { len, items } => &items[..*len],
            Few::Heap(heap) => heap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_then_heap_in_order() {
        let mut few: Few<u32, 2> = Few::default();
        few.push(1);
        few.push(2);
        assert!(matches!(few, Few::Inline { len: 2, .. }));
        few.push(3);
        assert!(matches!(few, Few::Heap(_)));
        assert_eq!(&few[..], &[1, 2, 3]);
        few.retain(|&n| n != 2);
        assert_eq!(&few[..], &[1, 3]);
    }

    #[test]
    fn retain_inline_keeps_order() {
        let mut few: Few<u32, 4> = Few::default();
        for n in [5, 6, 7, 8] {
            few.push(n);
        }
        few.retain(|&n| n % 2 == 0);
        assert_eq!(&few[..], &[6, 8]);
        few.push(9);
        assert_eq!(&few[..], &[6, 8, 9]);
    }
}

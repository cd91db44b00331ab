//! The plugins' global allocator: size-class free lists in front of the
//! standard library's (wasi-libc's dlmalloc).
//!
//! Why: every call crosses the component boundary with allocations — the
//! host asks the guest's `cabi_realloc` for room for each string and list it
//! passes in (six agent names and a symbol per meta-agent call), the guest
//! frees them when the call's arguments drop, allocates the strings and
//! lists it returns, and the host's `post-return` frees those. With dlmalloc
//! each of these cost tens of nanoseconds of WebAssembly; a free-list pop or
//! push costs a few instructions.
//!
//! How: requests of up to [`MAX_SMALL`] bytes with an alignment of at most 8
//! are rounded up to a power of two from 8 bytes and served from that size
//! class's free list, refilled from 16 KiB blocks taken from the system
//! allocator. Freed small blocks go back on their class's list (they are
//! never returned to the system: a plugin's working set of small objects is
//! bounded by what one call needs). Everything else goes to the system
//! allocator unchanged, so a memory bomb still meets the host's memory cap
//! exactly as before.
//!
//! A wasm32-wasip2 guest is single-threaded (no `atomics` target feature):
//! the allocator keeps its state in a plain cell. Compiling it for a target
//! with threads is refused below.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

#[cfg(all(feature = "allocator", target_feature = "atomics"))]
compile_error!("tradebot_plugin_sdk::alloc is single-threaded; build without the `allocator` feature");

/// Size classes: 8, 16, 32, ..., 2048 bytes.
const CLASSES: usize = 9;
/// Largest request served from a size class.
pub const MAX_SMALL: usize = 8 << (CLASSES - 1);
/// Bytes taken from the system allocator at a time to carve small blocks from.
const REFILL: usize = 16 << 10;

struct State {
    /// Head of each class's free list; a free block's first word points to the next.
    free: [*mut u8; CLASSES],
    /// The unused rest of the last refill block.
    next: *mut u8,
    end: *mut u8,
}

/// The allocator; `tradebot_plugin_sdk` installs it as the global allocator
/// of every plugin built with the (default) `allocator` feature.
pub struct PluginAllocator {
    state: UnsafeCell<State>,
}

// SAFETY: WebAssembly guests of this target run on one thread (see the
// `compile_error!` above), so the state is never accessed concurrently.
unsafe impl Sync for PluginAllocator {}

impl PluginAllocator {
    pub const fn new() -> Self {
        PluginAllocator {
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
            }),
        }
    }
}

impl Default for PluginAllocator {
    fn default() -> Self {
        Self::new()
    }
}

/// The size class serving `layout`, or `None` for the system allocator.
#[inline]
fn class_of(size: usize, align: usize) -> Option<usize> {
    if size > MAX_SMALL || align > 8 {
        return None;
    }
    // 0..=8 -> 0, 9..=16 -> 1, ... (a zero size never reaches a GlobalAlloc).
    let rounded = size.max(8).next_power_of_two();
    Some(rounded.trailing_zeros() as usize - 3)
}

#[inline]
const fn class_size(class: usize) -> usize {
    8 << class
}

impl PluginAllocator {
    #[cold]
    unsafe fn refill(&self, state: &mut State, size: usize) -> *mut u8 {
        // The rest of the old block is left unused: at most 2 KiB per 16 KiB.
        // SAFETY: REFILL is non-zero and 8 a valid alignment.
        let block = unsafe { System.alloc(Layout::from_size_align_unchecked(REFILL, 8)) };
        if block.is_null() {
            return block;
        }
        state.next = block.wrapping_add(size);
        state.end = block.wrapping_add(REFILL);
        block
    }
}

unsafe impl GlobalAlloc for PluginAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout.size(), layout.align()) else {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.alloc(layout) };
        };
        // SAFETY: single-threaded (see `Sync` above) and never re-entered:
        // nothing below calls back into the global allocator while the
        // borrow is live (the system allocator is wasi-libc's malloc).
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if !head.is_null() {
            // SAFETY: a free block holds the next block's address in its
            // first word, written by `dealloc`; blocks are 8-aligned.
            state.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = class_size(class);
        if (state.end as usize) - (state.next as usize) >= size {
            let p = state.next;
            state.next = p.wrapping_add(size);
            return p;
        }
        // SAFETY: as above.
        unsafe { self.refill(state, size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout.size(), layout.align()) else {
            // SAFETY: `ptr` came from `System.alloc` with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        };
        // SAFETY: as in `alloc`; `ptr` is a block of this class, at least 8
        // bytes and 8-aligned, no longer used by the caller.
        let state = unsafe { &mut *self.state.get() };
        unsafe { ptr.cast::<*mut u8>().write(state.free[class]) };
        state.free[class] = ptr;
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class_of(layout.size(), layout.align());
        let new = class_of(new_size, layout.align());
        match (old, new) {
            // Still fits its block.
            (Some(a), Some(b)) if a == b => ptr,
            // SAFETY: both sides belong to the system allocator.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees `new_size` is valid for the
                // alignment; the copy covers the smaller of the two sizes.
                unsafe {
                    let fresh = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                    if !fresh.is_null() {
                        ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    fresh
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn size_classes() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(8, 8), Some(0));
        assert_eq!(class_of(9, 1), Some(1));
        assert_eq!(class_of(2048, 8), Some(CLASSES - 1));
        assert_eq!(class_of(2049, 1), None);
        assert_eq!(class_of(8, 16), None);
    }

    #[test]
    fn freed_blocks_are_reused_and_live_blocks_do_not_overlap() {
        let a = PluginAllocator::new();
        unsafe {
            let mut live: Vec<(*mut u8, Layout)> = Vec::new();
            for i in 0..5_000usize {
                let l = layout(1 + i % 3000, 1 << (i % 4));
                let p = a.alloc(l);
                assert!(!p.is_null());
                assert_eq!(p as usize % l.align(), 0);
                ptr::write_bytes(p, (i % 251) as u8, l.size());
                live.push((p, l));
                if i % 3 == 0 {
                    let (q, m) = live.swap_remove(i % live.len());
                    a.dealloc(q, m);
                }
            }
            let mut spans: Vec<(usize, usize)> =
                live.iter().map(|&(p, l)| (p as usize, p as usize + l.size())).collect();
            spans.sort_unstable();
            assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
            for (p, l) in live {
                a.dealloc(p, l);
            }
            let l = layout(24, 8);
            let p = a.alloc(l);
            a.dealloc(p, l);
            assert_eq!(a.alloc(l), p, "the last freed block of a class is handed out first");
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_classes_and_the_system_allocator() {
        let a = PluginAllocator::new();
        unsafe {
            let mut l = layout(5, 1);
            let mut p = a.alloc(l);
            ptr::copy_nonoverlapping(b"hello".as_ptr(), p, 5);
            for new_size in [7, 30, 5000, 100_000, 12, 5] {
                let q = a.realloc(p, l, new_size);
                assert!(!q.is_null());
                assert_eq!(std::slice::from_raw_parts(q, 5), b"hello");
                if new_size == 7 {
                    assert_eq!(q, p, "7 bytes still fit the 8-byte block");
                }
                p = q;
                l = layout(new_size, 1);
            }
            a.dealloc(p, l);
        }
    }
}

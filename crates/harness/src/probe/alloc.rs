//! A global allocator that counts live heap bytes, so the suite can check
//! that memory is back where it was after many cycles (invariant I6).
//!
//! Install it in a binary or test crate:
//!
//! ```
//! use cancel_harness::probe::{CountingAlloc, live_bytes};
//!
//! #[global_allocator]
//! static ALLOC: CountingAlloc = CountingAlloc;
//!
//! fn main() {
//!     let before = live_bytes().expect("installed above");
//!     let v = vec![0_u8; 4096];
//!     assert!(live_bytes().unwrap() >= before + 4096);
//!     drop(v);
//! }
//! ```
// `GlobalAlloc` is an unsafe trait: implementing it is the only way to count.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

static LIVE: AtomicI64 = AtomicI64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting the bytes currently allocated.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

/// Bytes currently allocated through [`CountingAlloc`], or `None` when it is
/// not the global allocator of this process.
pub fn live_bytes() -> Option<i64> {
    INSTALLED
        .load(Ordering::Relaxed)
        .then(|| LIVE.load(Ordering::SeqCst))
}

fn add(delta: i64) {
    LIVE.fetch_add(delta, Ordering::Relaxed);
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

fn size(layout: Layout) -> i64 {
    // A layout's size never exceeds isize::MAX, so it always fits in i64.
    i64::try_from(layout.size()).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counting only touches
// atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl comment.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            add(size(layout));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl comment.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add(size(layout));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; see the impl comment.
        unsafe { System.dealloc(ptr, layout) };
        add(-size(layout));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl comment.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            add(i64::try_from(new_size).unwrap_or(i64::MAX) - size(layout));
        }
        new
    }
}

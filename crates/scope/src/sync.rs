//! The synchronisation primitives the concurrent core is built on.
//!
//! `tests/loom.rs` compiles `node.rs` a second time with its own `sync`
//! module, whose `Mutex` and atomics are loom's, so the model checker can
//! permute every lock and atomic operation of the core. loom has no `Weak`,
//! so reference counts stay std's in both builds.

pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
pub(crate) use std::sync::{Mutex, MutexGuard};

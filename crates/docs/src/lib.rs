#![doc = include_str!("../../../docs/README.md")]
//!
//! # Layout
//!
//! This crate has no code. Each chapter of `docs/` is the documentation of
//! one module below, included with `#[doc = include_str!(..)]`, so that
//! `cargo test` compiles and runs every ` ```rust ` block of the book against
//! the workspace's own crates, and `cargo doc -p cancel-docs` renders it.
//! `tests/chapters.rs` checks that every chapter listed in `docs/SUMMARY.md`
//! is included here; `tests/python.rs` runs the Python scripts the Python
//! chapters cite.

#[doc = include_str!("../../../docs/contract.md")]
pub mod contract {}

#[doc = include_str!("../../../docs/select.md")]
pub mod select {}

#[doc = include_str!("../../../docs/channel.md")]
pub mod channel {}

#[doc = include_str!("../../../docs/token.md")]
pub mod token {}

#[doc = include_str!("../../../docs/scope.md")]
pub mod scope {}

#[doc = include_str!("../../../docs/abort.md")]
pub mod abort {}

#[doc = include_str!("../../../docs/abortable.md")]
pub mod abortable {}

#[doc = include_str!("../../../docs/thread.md")]
pub mod thread {}

#[doc = include_str!("../../../docs/choosing.md")]
pub mod choosing {}

#[doc = include_str!("../../../docs/pitfalls.md")]
pub mod pitfalls {}

#[doc = include_str!("../../../docs/patterns.md")]
pub mod patterns {}

#[doc = include_str!("../../../docs/cancel-safety.md")]
pub mod cancel_safety {}

#[doc = include_str!("../../../docs/myths.md")]
pub mod myths {}

#[doc = include_str!("../../../docs/python.md")]
pub mod python {}

#[doc = include_str!("../../../docs/reliability.md")]
pub mod reliability {}

#[doc = include_str!("../../../docs/real-work.md")]
pub mod real_work {}

#[doc = include_str!("../../../docs/shutdown.md")]
pub mod shutdown {}

#[doc = include_str!("../../../docs/results.md")]
pub mod results {}

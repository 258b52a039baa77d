//! What only cancel-lab's own suite, benches and lab use; never a strategy
//! crate, never a reuser.
//!
//! # Layout
//!
//! - [`registry`]: the closed set of strategies ([`StrategyKind`]) and
//!   runtimes ([`RuntimeKind`]), in report order. Everything that lists
//!   strategies or runtimes (the suite, the benches, the lab, its tables,
//!   CI) takes them from here, and every `match` on them is exhaustive, so a
//!   new member without its arms does not compile.
//! - [`runtime`]: a small adapter (block on, spawn, sleep, now) over tokio,
//!   async-std and smol, one cargo feature each, so the suite is written once.
//! - [`probe`]: the instruments the suite attaches to work to *observe* it:
//!   marks set from `Drop`, poll counters, and a counting global allocator
//!   (a `GlobalAlloc` impl: the one `unsafe` item the suite needs).
//!
//! - [`child`]: runs a test again in a child process, to watch from outside
//!   what takes a process down.
//!
//! `cancel-contract`, which reusers depend on, holds only the types their
//! code names; this crate holds the rest and is never published.

pub mod child;
pub mod probe;
pub mod registry;
pub mod runtime;

pub use registry::StrategyKind;
pub use runtime::RuntimeKind;

//! One adapter per strategy crate: it declares the strategy's capabilities
//! and calls the crate's own functions with work built from a script.

mod select;
mod thread;

pub use select::Select;
pub use thread::Thread;

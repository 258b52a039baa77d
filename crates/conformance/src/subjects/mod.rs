//! One adapter per strategy crate: it declares the strategy's capabilities
//! and calls the crate's own functions with work built from a script.

mod abort;
mod select;

pub use abort::Abort;
pub use select::Select;

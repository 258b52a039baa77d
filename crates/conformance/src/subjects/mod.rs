//! One adapter per strategy crate: it declares the strategy's capabilities
//! and calls the crate's own functions with work built from a script.

mod abort;
mod channel;
mod select;
mod thread;
mod token;

pub use abort::Abort;
pub use channel::Channel;
pub use select::Select;
pub use thread::Thread;
pub use token::Token;

//! `cancel-select` under the suite and the benches: the work is a plain
//! future, which the strategy drops to stop it.

/// Drop-on-select (`cancel-select`).
#[derive(Debug)]
pub struct Select;

super::forced_subject!(Select, cancel_select, SelectHandle);

//! `cancel-abortable` under the suite and the benches: the work is a plain
//! future inside futures' `Abortable`, stopped from outside by its
//! `AbortHandle`.

/// futures' `Abortable` (`cancel-abortable`).
#[derive(Debug)]
pub struct Abortable;

super::forced_subject!(Abortable, cancel_abortable, AbortableHandle);

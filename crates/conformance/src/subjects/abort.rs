//! `cancel-abort` under the suite and the benches: the work is a plain
//! future, spawned as a task of its own, and stopped from outside by an
//! abort. On smol its `run_with_timeout` spawns too, so it takes the executor.

/// A forced stop: the runtime's task abort (`cancel-abort`).
#[derive(Debug)]
pub struct Abort;

super::forced_subject!(Abort, cancel_abort, AbortHandle, run_with_timeout_spawns = smol_executor);

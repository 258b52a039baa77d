//! What the timer's test binaries share: a hang limit and tokio runtimes.

// Each binary uses some of it.
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

/// How long any one wait may take before a test calls it hung.
pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// `run` on a thread of its own, within [`LIMIT`], so that a hang fails.
pub(crate) fn bounded(name: &str, run: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        run();
        let _ = tx.send(());
    });
    assert!(rx.recv_timeout(LIMIT).is_ok(), "{name}: hung or panicked");
}

/// A tokio runtime with I/O and time (the reactor's timerfd needs I/O):
/// two workers when `multi`, else the current thread.
pub(crate) fn runtime(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("a tokio runtime")
}

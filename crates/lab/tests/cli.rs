//! The lab's command line: filters, and bad input — every usage error is a
//! clear message naming the bad value and what is accepted, exit code 2, no
//! panic, and no report left behind.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the lab with `args`, its report into a directory of its own.
fn lab(args: &[&str]) -> Output {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cancel-lab-cli-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    Command::new(env!("CARGO_BIN_EXE_cancel-lab"))
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .expect("the lab binary runs")
}

#[test]
fn tables_name_every_case_that_ran() {
    let args = [
        "--verdicts-only",
        "--strategy",
        "select",
        "--runtime",
        "smol",
        "--case",
        "I8_edge_durations,I3_bounded_lateness,leaves_blocking_running",
    ];
    // By default, what held in one line, the capabilities and I3's figures.
    let out = lab(&args);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("I3, I8 held for `select` on smol (2 verdicts)."),
        "{text}"
    );
    assert!(
        text.contains("| `select` | smol | yes |"),
        "the capability table: {text}"
    );
    assert!(
        text.contains("| strategy | smol |") && text.contains(" / 250 ms |"),
        "the lateness table, worst / bound: {text}"
    );
    assert!(text.contains("3 verdicts: 3 passed, 0 failed"), "{text}");

    // With --details, the full matrix, I3's figures in its cell.
    let out = lab(&[&args[..], &["--details"]].concat());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| `I8_edge_durations` | holds |"), "{text}");
    assert!(
        text.contains("| `I3_bounded_lateness` | holds (") && text.contains(" / 250 ms) |"),
        "{text}"
    );
    assert!(
        text.contains("| `leaves_blocking_running` | yes |"),
        "{text}"
    );
}

#[test]
fn an_unknown_strategy_is_a_usage_error_listing_the_valid_ones() {
    let out = lab(&["--strategy", "telepathy"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("telepathy") && err.contains("select"), "{err}");
}

#[test]
fn an_unknown_runtime_or_flag_is_a_usage_error() {
    let out = lab(&["--runtime", "tokio"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tokio-current-thread"));
    let out = lab(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A usage error: code 2, a message on stderr naming `bad`, and no panic.
fn assert_usage_error(out: &Output, bad: &str, accepted: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(bad), "the message names {bad:?}: {err}");
    assert!(
        err.contains(accepted),
        "the message says what is accepted ({accepted:?}): {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "nothing printed on stdout");
}

#[test]
fn zero_or_absurd_samples_are_rejected_with_the_accepted_range() {
    let accepted = "a whole number from 1 to 100000";
    for bad in ["0", "100000000", "-5", "many", ""] {
        assert_usage_error(&lab(&["--samples", bad]), &format!("'{bad}'"), accepted);
    }
}

#[test]
fn an_unwritable_out_is_a_usage_error_and_leaves_no_report() {
    // A regular file where the directory should be: no user can write there.
    let file = std::env::temp_dir().join(format!("cancel-lab-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"in the way").expect("a temp file");
    let dir = file.join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_cancel-lab"))
        .args(["--quick", "--out"])
        .arg(&dir)
        .output()
        .expect("the lab binary runs");
    assert_usage_error(
        &out,
        &dir.display().to_string(),
        "a directory you can write to",
    );
    assert!(!Path::new(&dir).exists(), "no report directory appeared");
    let _ = std::fs::remove_file(file);
}

#[test]
fn update_docs_refuses_a_partial_run() {
    let out = lab(&["--update-docs", "--quick"]);
    assert_usage_error(&out, "--quick", "--update-docs");
}

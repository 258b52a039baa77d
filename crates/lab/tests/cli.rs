//! The lab as a user runs it: its JSON report's shape and its usage errors.

use std::process::{Command, Output};

use serde_json::Value;

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cancel-lab"))
        .args(args)
        .output()
        .expect("the lab binary runs")
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = lab(&["--json", "--case", "I2_never_early,drop_runs_on_force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");

    let machine = &report["machine"];
    assert!(machine["cpus"].as_u64().is_some_and(|n| n >= 1));
    assert_eq!(machine["os"], std::env::consts::OS);
    assert!(
        machine["rustc"]
            .as_str()
            .is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
    );
    assert_eq!(
        report["runtimes"],
        serde_json::json!([
            "tokio-current-thread",
            "tokio-multi-thread",
            "async-std",
            "smol"
        ])
    );
    assert!(
        report["strategies"]
            .as_array()
            .is_some_and(|s| s.contains(&Value::from("select")))
    );
    assert!(report["latency"].is_array());
    assert!(report["floors"].is_array());

    let rows = report["conformance"]
        .as_array()
        .expect("conformance is an array");
    let strategies = report["strategies"].as_array().map_or(0, Vec::len);
    assert_eq!(
        rows.len(),
        strategies * 4 * 2,
        "one row per strategy × runtime × case"
    );
    for row in rows {
        for key in [
            "strategy", "runtime", "case", "declared", "observed", "pass", "detail",
        ] {
            assert!(row.get(key).is_some(), "row lacks {key}: {row}");
        }
        assert_eq!(row["pass"], true, "{row}");
    }
    let select_i2 = rows
        .iter()
        .filter(|r| r["strategy"] == "select" && r["case"] == "I2_never_early")
        .count();
    assert_eq!(select_i2, 4);
}

#[test]
fn tables_name_every_case_that_ran() {
    let out = lab(&[
        "--strategy",
        "select",
        "--runtime",
        "smol",
        "--case",
        "I8_edge_durations",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| `I8_edge_durations` | holds |"), "{text}");
    assert!(text.contains("1 verdicts: 1 passed, 0 failed"), "{text}");
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

//! The lab as a user runs it, once: `--quick --json` must print the report
//! (`ARCHITECTURE.md`, "Report format") with every field filled, write the
//! report directory, and produce exactly the verdict blocks the README and
//! docs show (they are a run's output, not typing). `CANCEL_LAB_BLESS=1`
//! rewrites those blocks from this run, and the I3 lateness blocks too,
//! whose real-time figures differ from run to run and so are never
//! compared; the latency blocks come from a full
//! `cargo run --release -- --update-docs`.

#[path = "../src/blocks.rs"]
mod blocks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

struct Run {
    out: Output,
    dir: PathBuf,
    report: Value,
}

/// The one quick run every test here reads.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cancel-lab-test-{}", std::process::id()));
        let out = Command::new(env!("CARGO_BIN_EXE_cancel-lab"))
            .args(["--quick", "--json", "--out"])
            .arg(&dir)
            .output()
            .expect("the lab binary runs");
        let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        Run { out, dir, report }
    })
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn quick_json_run_passes_and_prints_only_json() {
    let run = run();
    assert!(
        run.out.status.success(),
        "exit {:?}\n{}",
        run.out.status.code(),
        String::from_utf8_lossy(&run.out.stderr)
    );
    assert!(run.report.is_object(), "stdout is one JSON object");
}

#[test]
fn json_report_fills_every_field_of_the_report_format() {
    let r = &run().report;
    let machine = &r["machine"];
    assert!(machine["cpus"].as_u64().is_some_and(|n| n >= 1));
    assert_eq!(machine["os"], std::env::consts::OS);
    assert!(
        machine["rustc"]
            .as_str()
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    );
    let runtimes = [
        "tokio-current-thread",
        "tokio-multi-thread",
        "async-std",
        "smol",
    ];
    assert_eq!(r["runtimes"], serde_json::json!(runtimes));
    let strategies: Vec<&str> = r["strategies"]
        .as_array()
        .expect("strategies is an array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for s in ["select", "channel", "token", "abort", "thread"] {
        assert!(strategies.contains(&s), "{s} is in {strategies:?}");
    }

    let conformance = r["conformance"]
        .as_array()
        .expect("conformance is an array");
    assert_eq!(conformance.len(), strategies.len() * runtimes.len() * 16);
    for row in conformance {
        for key in [
            "strategy", "runtime", "case", "declared", "observed", "pass", "detail", "lateness",
        ] {
            assert!(row.get(key).is_some(), "row lacks {key}: {row}");
        }
        assert_eq!(row["pass"], true, "{row}");
        let lateness = &row["lateness"];
        if row["case"] == "I3_bounded_lateness" {
            let n = |k: &str| {
                lateness[k]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{k} in {row}"))
            };
            assert!(n("bound_ns") > 0 && n("worst_ns") <= n("bound_ns"), "{row}");
            assert!(
                lateness["clock"] == "virtual" || lateness["clock"] == "real",
                "{row}"
            );
        } else {
            assert!(lateness.is_null(), "only I3 has figures: {row}");
        }
    }
    for case in ["interrupts_blocking", "leaves_blocking_running"] {
        assert!(
            conformance.iter().any(|r| r["case"] == case),
            "the report has {case}"
        );
    }

    let latency = r["latency"].as_array().expect("latency is an array");
    for strategy in &strategies {
        for runtime in runtimes {
            for metric in [
                "cancel_to_stopped",
                "cancel_to_confirmed",
                "timeout_overshoot",
            ] {
                let row = latency
                    .iter()
                    .find(|l| {
                        l["strategy"] == *strategy
                            && l["runtime"] == runtime
                            && l["metric"] == metric
                    })
                    .unwrap_or_else(|| panic!("no {metric} row for {strategy} on {runtime}"));
                let n = |k: &str| row[k].as_u64().unwrap_or_else(|| panic!("{k} in {row}"));
                assert!(n("samples") >= 100, "{row}");
                assert!(n("p50_ns") <= n("p90_ns"), "{row}");
                assert!(n("p90_ns") <= n("p99_ns"), "{row}");
                assert!(n("p99_ns") <= n("max_ns"), "{row}");
                assert!(n("max_ns") > 0, "{row}");
                assert!(
                    row["floor_ratio"].as_f64().is_some_and(|f| f > 0.0),
                    "{row}"
                );
            }
        }
    }

    let floors = r["floors"].as_array().expect("floors is an array");
    for name in [
        "same_thread_wake",
        "unpark_after_park",
        "atomic_store_spinner",
        "sleep_overshoot",
    ] {
        let floor = floors
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no floor {name}"));
        assert!(floor["p50_ns"].as_u64().is_some_and(|n| n > 0), "{floor}");
    }
    let fanout = r["fanout"].as_array().expect("fanout is an array");
    assert!(
        fanout
            .iter()
            .any(|f| f["n"] == 1_000 && f["per_task_ns"].as_u64().is_some()),
        "--quick fans out up to 1 000"
    );
    let peers = &r["peers"];
    assert!(peers["status"].as_str().is_some_and(|s| !s.is_empty()));
    if peers["latency"].as_array().is_some_and(|p| p.is_empty()) {
        println!("no Python peer row: {}", peers["status"]);
    }
}

#[test]
fn the_report_directory_holds_the_report_and_its_charts() {
    let run = run();
    for file in [
        "report.md",
        "report.json",
        "verdicts.md",
        "capabilities.md",
        "lateness.md",
        "latency.md",
    ] {
        let text = std::fs::read_to_string(run.dir.join(file)).unwrap_or_default();
        assert!(!text.is_empty(), "{file} was written");
    }
    for chart in ["latency.svg", "overshoot.svg", "fanout.svg"] {
        let svg = std::fs::read_to_string(run.dir.join(chart)).unwrap_or_default();
        assert!(
            svg.starts_with("<svg") && svg.contains("</svg>"),
            "{chart} is an SVG"
        );
    }
    let json = std::fs::read_to_string(run.dir.join("report.json")).unwrap_or_default();
    let written: Value = serde_json::from_str(&json).expect("report.json is JSON");
    assert_eq!(written["conformance"], run.report["conformance"]);
}

#[test]
fn readme_and_docs_tables_match_this_run() {
    let run = run();
    let generated = |file: &str| {
        std::fs::read_to_string(run.dir.join(file))
            .unwrap_or_else(|e| panic!("the run wrote {file}: {e}"))
    };
    let blocks = [
        ("README.md", "lab-output", "verdicts.md"),
        ("docs/results.md", "lab-verdicts", "verdicts.md"),
        ("docs/choosing.md", "lab-capabilities", "capabilities.md"),
    ];
    let bless = std::env::var_os("CANCEL_LAB_BLESS").is_some();
    // Real-time figures: rewritten when blessing, never compared.
    for doc in ["README.md", "docs/results.md"] {
        let path = repo(doc);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
        let shown = blocks::get(&text, "lab-lateness").unwrap_or_else(|e| panic!("{doc}: {e}"));
        if bless {
            let blessed = blocks::replace(&text, "lab-lateness", &generated("lateness.md"))
                .expect("the block exists");
            std::fs::write(&path, blessed).expect("the doc is writable");
        } else {
            assert!(
                shown.contains("I3 lateness"),
                "{doc}'s lab-lateness block holds the I3 lateness table"
            );
        }
    }
    for (doc, block, source) in blocks {
        let path = repo(doc);
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("{doc} is readable");
        };
        let fresh = generated(source);
        if bless {
            let blessed = blocks::replace(&text, block, &fresh).expect("the block exists");
            std::fs::write(&path, blessed).expect("the doc is writable");
            continue;
        }
        let shown = blocks::get(&text, block).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(
            shown, fresh,
            "{doc}'s {block} block differs from a fresh run; rerun with CANCEL_LAB_BLESS=1 if the change is real"
        );
    }
}

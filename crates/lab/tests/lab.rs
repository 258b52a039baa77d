//! The lab as a user runs it, once: `--quick --json` must print the report
//! (`ARCHITECTURE.md`, "Report format") with every field filled, write the
//! report directory, and produce exactly the verdict blocks the README and
//! docs show (they are a run's output, not typing). `CANCEL_LAB_BLESS=1`
//! rewrites those blocks from this run, and the I3 lateness, real-work and
//! shutdown blocks too, whose real-time figures differ from run to run and
//! so are never compared; the latency blocks come from a full
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
            "strategy", "runtime", "timer", "case", "declared", "observed", "pass", "detail",
            "lateness",
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

    let run = &r["run"];
    let rounds = run["rounds"].as_u64().expect("run.rounds");
    assert!(rounds >= 5, "every figure in at least five rounds: {run}");
    for when in ["before", "after"] {
        assert!(run[when]["cpus"].as_u64().is_some_and(|n| n >= 1), "{run}");
        let load = &run[when]["load"];
        assert!(
            load.is_null() || load.as_array().is_some_and(|l| l.len() == 3),
            "{run}"
        );
    }
    assert!(run["noisy"].is_boolean(), "{run}");
    assert_eq!(run["noisy_above"], 2.0);
    assert_eq!(run["violation_below"], 0.9);
    let noisy_floors = run["noisy_floors"].as_array().expect("run.noisy_floors");
    assert_eq!(run["noisy"], !noisy_floors.is_empty(), "{run}");

    let floors = r["floors"].as_array().expect("floors is an array");
    let floor = |name: &str| {
        floors
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no floor {name}"))
    };
    let mut floor_names: Vec<String> =
        vec!["atomic_store_spinner".into(), "sleep_overshoot".into()];
    // Each timer source (the runtime's, the precise one) at each deadline.
    let timers = [
        ("runtime", 100_000, ""),
        ("precise", 100_000, "/precise"),
        ("runtime", 1_000_000, "/1ms"),
        ("precise", 1_000_000, "/precise/1ms"),
    ];
    for runtime in runtimes {
        for kind in ["task_stop", "task_join", "blocking_join"] {
            floor_names.push(format!("{kind}/{runtime}"));
        }
        for (_, _, suffix) in timers {
            floor_names.push(format!("timer/{runtime}{suffix}"));
        }
    }
    for name in &floor_names {
        let f = floor(name);
        assert!(f["p50_ns"].as_u64().is_some_and(|n| n > 0), "{f}");
        assert!(
            f["situation"].as_str().is_some_and(|s| !s.is_empty()),
            "{f}"
        );
        assert_eq!(f["paired"], name.as_str() != "sleep_overshoot", "{f}");
        let f_rounds = f["rounds"].as_array().expect("floor rounds");
        assert_eq!(f_rounds.len() as u64, rounds, "{f}");
        for round in f_rounds {
            assert!(round["p50_ns"].as_u64().is_some(), "{f}");
            assert!(round["p99_ns"].as_u64() >= round["p50_ns"].as_u64(), "{f}");
            let probe = round["probe"].as_str().expect("the round's probe");
            assert!(
                f["probes"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["name"] == probe)),
                "{f}"
            );
        }
        assert!(f["noisy"].is_boolean(), "{f}");
        assert_eq!(
            f["noisy"],
            noisy_floors.iter().any(|n| n == name.as_str()),
            "{f}"
        );
    }

    let latency = r["latency"].as_array().expect("latency is an array");
    // The cancels, then a timeout per timer source and deadline.
    let metrics = [("cancel_to_stopped", None), ("cancel_to_confirmed", None)]
        .into_iter()
        .chain(timers.map(|(timer, deadline, _)| ("timeout_overshoot", Some((timer, deadline)))));
    let metrics: Vec<_> = metrics.collect();
    assert_eq!(
        latency.len(),
        strategies.len() * runtimes.len() * metrics.len(),
        "one row per strategy × runtime × metric (and timer)"
    );
    let mut violations = 0;
    for strategy in &strategies {
        for runtime in runtimes {
            for &(metric, timer) in &metrics {
                let (source, deadline) = match timer {
                    Some((t, d)) => (Value::from(t), Value::from(d)),
                    None => (Value::Null, Value::Null),
                };
                let row = latency
                    .iter()
                    .find(|l| {
                        l["strategy"] == *strategy
                            && l["runtime"] == runtime
                            && l["metric"] == metric
                            && l["timer"] == source
                            && l["deadline_ns"] == deadline
                    })
                    .unwrap_or_else(|| {
                        panic!("no {metric} {timer:?} row for {strategy} on {runtime}")
                    });
                let n = |k: &str| row[k].as_u64().unwrap_or_else(|| panic!("{k} in {row}"));
                // `--quick`: 100 samples a cancel; timeouts fewer, one a
                // round at least.
                let least = if timer.is_some() { rounds } else { 100 };
                assert!(n("samples") >= least, "{row}");
                assert!(n("p50_ns") <= n("p90_ns"), "{row}");
                assert!(n("p90_ns") <= n("p99_ns"), "{row}");
                assert!(n("p99_ns") <= n("max_ns"), "{row}");
                assert!(n("max_ns") > 0, "{row}");
                // Read against a floor of its own runtime (or the spinner),
                // a timeout against a timer of its own source and deadline.
                let floor_name = row["floor"].as_str().expect("floor");
                match timer {
                    Some(_) => {
                        let suffix = timers
                            .iter()
                            .find(|(t, d, _)| Some((*t, *d)) == timer)
                            .map_or("", |(_, _, s)| *s);
                        assert_eq!(floor_name, format!("timer/{runtime}{suffix}"), "{row}");
                    }
                    None => assert!(
                        floor_name.ends_with(&format!("/{runtime}"))
                            || floor_name == "atomic_store_spinner",
                        "{row}"
                    ),
                }
                assert!(floor_names.iter().any(|f| f == floor_name), "{row}");
                let ratio = |k: &str| row[k].as_f64().unwrap_or_else(|| panic!("{k} in {row}"));
                assert!(ratio("floor_ratio") > 0.0, "{row}");
                assert!(ratio("floor_ratio_min") <= ratio("floor_ratio"), "{row}");
                assert!(ratio("floor_ratio") <= ratio("floor_ratio_max"), "{row}");
                assert_eq!(row["floor_violation"], ratio("floor_ratio") < 0.9, "{row}");
                if row["floor_violation"] == true {
                    violations += 1;
                }
                let row_rounds = row["rounds"].as_array().expect("latency rounds");
                assert_eq!(row_rounds.len() as u64, rounds, "{row}");
                for round in row_rounds {
                    for k in ["samples", "p50_ns", "p99_ns", "floor_p50_ns"] {
                        assert!(round[k].as_u64().is_some(), "{k} in {row}");
                    }
                    assert!(
                        round["p50_ns"].as_u64() <= round["p99_ns"].as_u64(),
                        "{row}"
                    );
                    assert!(round["ratio"].is_f64() || round["ratio"].is_null(), "{row}");
                }
            }
        }
    }

    let fanout = r["fanout"].as_array().expect("fanout is an array");
    assert!(
        fanout
            .iter()
            .any(|f| f["n"] == 1_000 && f["per_task_ns"].as_u64().is_some()),
        "--quick fans out up to 1 000"
    );
    for f in fanout {
        assert!(
            f["stop"] == "one signal" || f["stop"] == "N requests",
            "{f}"
        );
        assert!(f["runs"].as_u64().is_some_and(|n| n >= 1), "{f}");
        let n = |k: &str| f[k].as_u64().unwrap_or_else(|| panic!("{k} in {f}"));
        assert!(
            n("total_min_ns") <= n("total_ns") && n("total_ns") <= n("total_max_ns"),
            "{f}"
        );
    }
    for (strategy, stop) in [("select", "N requests"), ("token", "one signal")] {
        assert!(
            fanout
                .iter()
                .filter(|f| f["strategy"] == strategy)
                .all(|f| f["stop"] == stop),
            "{strategy}'s fanout stops with {stop}"
        );
    }

    let peers = &r["peers"];
    assert!(peers["status"].as_str().is_some_and(|s| !s.is_empty()));
    let peer_rows = peers["latency"].as_array().expect("peers.latency");
    if peer_rows.is_empty() {
        println!("no Python peer row: {}", peers["status"]);
    }
    let peer_floors = peers["floors"].as_array().expect("peers.floors");
    for row in peer_rows {
        // A peer timeout is its loop's own timer at 100 µs; a cancel has none.
        if row["metric"] == "timeout_overshoot" {
            assert_eq!(row["timer"], "runtime", "{row}");
            assert_eq!(row["deadline_ns"], 100_000, "{row}");
        } else {
            assert!(
                row["timer"].is_null() && row["deadline_ns"].is_null(),
                "{row}"
            );
        }
        // The peer is read against floors of its own, never a Rust floor.
        assert!(
            peer_floors.iter().any(|f| f["name"] == row["floor"]),
            "{row}"
        );
        assert!(!floor_names.iter().any(|f| *f == row["floor"]), "{row}");
        if row["floor_violation"] == true {
            violations += 1;
        }
    }
    assert_eq!(run["floor_violations"], violations, "{run}");
}

#[test]
fn real_work_has_a_row_per_workload_strategy_and_runtime_each_as_predicted() {
    let r = &run().report;
    let rows = r["real"].as_array().expect("real is an array");
    let names = |key: &str| -> Vec<Value> { r[key].as_array().cloned().unwrap_or_default() };
    let (strategies, runtimes) = (names("strategies"), names("runtimes"));
    let workloads = cancel_real::Workload::ALL.map(|w| w.name());
    assert_eq!(
        rows.len(),
        workloads.len() * strategies.len() * runtimes.len(),
        "one row per workload × strategy × runtime"
    );
    for row in rows {
        for key in [
            "workload",
            "strategy",
            "runtime",
            "not_applicable",
            "outcome",
            "released",
            "pass",
            "detail",
            "samples",
            "p50_ns",
            "p90_ns",
            "p99_ns",
            "min_ns",
            "max_ns",
            "floor",
            "floor_p50_ns",
            "floor_min_ns",
            "floor_ratio",
            "floor_within_noise",
            "floor_violation",
        ] {
            assert!(row.get(key).is_some(), "real row has {key}: {row}");
        }
        assert!(workloads.iter().any(|w| row["workload"] == *w), "{row}");
        assert_eq!(row["pass"], true, "as predicted: {row}");
        if row["not_applicable"].is_null() {
            assert!(
                row["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{row}"
            );
            // A workload with a release to time timed it against a floor.
            if row["floor"].is_string() {
                assert!(row["samples"].as_u64().is_some_and(|n| n >= 1), "{row}");
                assert!(row["p50_ns"].as_u64().is_some(), "{row}");
                assert!(row["floor_p50_ns"].as_u64().is_some(), "{row}");
                // Below the line is either within the floor's spread
                // (noise) or under all of it (a wrong floor), never both.
                let below = row["floor_ratio"].as_f64().is_some_and(|x| x < 0.9);
                let noise = row["floor_within_noise"] == true;
                let violation = row["floor_violation"] == true;
                assert_eq!(below, noise || violation, "{row}");
                assert!(!(noise && violation), "{row}");
                if let (Some(p50), Some(least)) =
                    (row["p50_ns"].as_u64(), row["floor_min_ns"].as_u64())
                {
                    assert_eq!(noise, below && p50 >= least, "{row}");
                }
            }
        } else {
            assert!(
                row["not_applicable"]
                    .as_str()
                    .is_some_and(|why| !why.is_empty()),
                "an n/a row carries its reason: {row}"
            );
        }
    }
}

/// The shutdown step: one row per way, the lab's thousand requests, and
/// each way as it promises: the graceful ways answer every request (the
/// stragglers 503, with a reason) and leave nothing alive, abort leaves
/// nothing alive and loses what was in flight; no connection after the
/// signal is served.
#[test]
fn shutdown_has_a_row_per_way_each_as_promised() {
    let r = &run().report;
    let rows = r["shutdown"].as_array().expect("shutdown is an array");
    let ways: Vec<&str> = rows.iter().filter_map(|w| w["way"].as_str()).collect();
    assert_eq!(ways, ["token + tracker", "scope", "abort"]);
    for row in rows {
        let n = |k: &str| row[k].as_u64().unwrap_or_else(|| panic!("{k} in {row}"));
        assert_eq!(row["pass"], true, "{row}");
        assert_eq!(row["detail"], "", "{row}");
        assert!(n("runs") >= 1, "{row}");
        assert_eq!(n("requests"), 1_000, "{row}");
        let (runs, requests, stragglers) = (n("runs"), n("requests"), n("stragglers"));
        assert!(stragglers > 0 && stragglers < requests, "{row}");
        assert!(n("work_ns") < n("grace_ns"), "{row}");
        assert_eq!(n("alive_after"), 0, "{row}");
        assert_eq!(n("answered_after_signal"), 0, "{row}");
        assert_eq!(n("refused") + n("unanswered"), n("probes"), "{row}");
        assert!(n("probes") > 0, "{row}");
        let times = row["quiescence_ns"].as_array().expect("quiescence_ns");
        assert_eq!(times.len() as u64, runs, "{row}");
        assert!(
            n("quiescence_min_ns") <= n("quiescence_p50_ns")
                && n("quiescence_p50_ns") <= n("quiescence_max_ns"),
            "{row}"
        );
        if row["way"] == "abort" {
            assert!(n("lost") >= runs * stragglers, "{row}");
            assert_eq!(n("unavailable"), 0, "{row}");
            assert_eq!(n("ok") + n("lost"), runs * requests, "{row}");
        } else {
            assert_eq!(n("lost"), 0, "{row}");
            assert_eq!(n("unavailable"), runs * stragglers, "{row}");
            assert_eq!(n("ok"), runs * (requests - stragglers), "{row}");
            assert!(n("quiescence_min_ns") >= n("grace_ns"), "{row}");
            let reasons = row["unavailable_reasons"].as_array().expect("reasons");
            assert_eq!(reasons.len(), 1, "{row}");
        }
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
        "timers.md",
        "real.md",
        "shutdown.md",
    ] {
        let text = std::fs::read_to_string(run.dir.join(file)).unwrap_or_default();
        assert!(!text.is_empty(), "{file} was written");
    }
    for chart in [
        "latency.svg",
        "overshoot.svg",
        "overshoot-1ms.svg",
        "fanout.svg",
        "real.svg",
    ] {
        let svg = std::fs::read_to_string(run.dir.join(chart)).unwrap_or_default();
        assert!(
            svg.starts_with("<svg") && svg.contains("</svg>"),
            "{chart} is an SVG"
        );
    }
    // The overshoot charts name each column's timer source.
    for chart in ["overshoot.svg", "overshoot-1ms.svg"] {
        let svg = std::fs::read_to_string(run.dir.join(chart)).unwrap_or_default();
        assert!(
            svg.contains("· precise") && svg.contains("· runtime"),
            "{chart} shows both timer sources"
        );
    }
    // The timer block: a table per deadline, both sources on every runtime.
    let timers = std::fs::read_to_string(run.dir.join("timers.md")).unwrap_or_default();
    for needle in [
        "#### Bare timers",
        "#### `timeout_overshoot`, 100 µs deadline",
        "#### `timeout_overshoot`, 1 ms deadline",
        "| `select` | tokio-multi-thread | precise (cancel-timer, tokio's reactor) |",
        "| `select` | tokio-multi-thread | runtime's (tokio) |",
        "| `select` | smol | runtime's (async-io) |",
    ] {
        assert!(timers.contains(needle), "timers.md has {needle}:\n{timers}");
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
    for doc in ["README.md", "docs/real-work.md"] {
        let path = repo(doc);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
        let shown = blocks::get(&text, "lab-real").unwrap_or_else(|e| panic!("{doc}: {e}"));
        if bless {
            let blessed = blocks::replace(&text, "lab-real", &generated("real.md"))
                .expect("the block exists");
            std::fs::write(&path, blessed).expect("the doc is writable");
        } else {
            assert!(
                shown.contains("| workload | strategy |"),
                "{doc}'s lab-real block holds the real-work table"
            );
        }
    }
    {
        let doc = "docs/shutdown.md";
        let path = repo(doc);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
        let shown = blocks::get(&text, "lab-shutdown").unwrap_or_else(|e| panic!("{doc}: {e}"));
        if bless {
            let blessed = blocks::replace(&text, "lab-shutdown", &generated("shutdown.md"))
                .expect("the block exists");
            std::fs::write(&path, blessed).expect("the doc is writable");
        } else {
            assert!(
                shown.contains("| way | requests |"),
                "{doc}'s lab-shutdown block holds the shutdown table"
            );
        }
    }
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
    // The timer tables come from a full run (`--update-docs`), as the
    // latency tables do: never compared, but the blocks it fills are there.
    for doc in ["docs/pitfalls.md", "docs/results.md"] {
        let text = std::fs::read_to_string(repo(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"));
        blocks::get(&text, "lab-timers").unwrap_or_else(|e| panic!("{doc}: {e}"));
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

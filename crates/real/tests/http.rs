//! The `http` workload's row, and per-request timeouts on a hyper server:
//! every strategy's `run_with_timeout` and tower's `Timeout`.

use cancel_real::{RuntimeKind, StrategyKind, Workload, observe};

/// The row on tokio: hyper drops the handler when the client hangs up, and
/// the work it started stops exactly where the strategy declares that
/// dropping a handle stops it.
fn http_row_matches_the_declaration_on(runtime: RuntimeKind) {
    let mut failed = Vec::new();
    for &strategy in StrategyKind::ALL {
        let row = observe(Workload::Http, strategy, runtime, 3);
        eprintln!("{strategy} on {runtime}: {}: {}", row.outcome, row.detail);
        assert!(row.not_applicable.is_none(), "{strategy}: {}", row.detail);
        assert_eq!(row.latency.len(), 3, "{strategy}: {}", row.detail);
        assert_eq!(row.floor_samples.len(), 3, "{strategy}: {}", row.detail);
        if !row.pass {
            failed.push(format!("{strategy}: {}", row.detail));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn http_row_matches_the_declaration_on_tokio_current_thread() {
    http_row_matches_the_declaration_on(RuntimeKind::TokioCurrentThread);
}

#[test]
fn http_row_matches_the_declaration_on_tokio_multi_thread() {
    http_row_matches_the_declaration_on(RuntimeKind::TokioMultiThread);
}

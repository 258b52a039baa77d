//! The `http` workload's row, and per-request timeouts on a hyper server:
//! every strategy's `run_with_timeout` and tower's `Timeout`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Subject, Visit, visit};
use cancel_contract::Outcome;
use cancel_harness::runtime::{Clock, Runtime, TokioCurrentThread, TokioMultiThread};
use cancel_real::http::{Body, Work, WorkProbe, get, serve_connection, text};
use cancel_real::{RuntimeKind, StrategyKind, Workload, observe};
use hyper::{Response, StatusCode};
use tokio::net::TcpListener;
use tower::ServiceExt;

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

/// How long a request may take before the server answers 504.
const DEADLINE: Duration = Duration::from_millis(50);

/// A bound no passing run comes near: the answer came, however loaded the
/// machine.
const WIDE: Duration = Duration::from_secs(5);

/// What the handler saw when it answered.
#[derive(Debug, Clone)]
struct Answered {
    /// Handler start → its deadline machinery returned.
    took: Duration,
    /// The work's `Drop` had run when the response was built.
    work_ended: bool,
    /// What the deadline machinery returned, as text.
    outcome: String,
}

/// One request to a handler whose work never finishes, under a deadline;
/// `answer` is the handler: it returns the response and what it saw. Checks
/// that the client got 504, never before the deadline, and that the work
/// had stopped before the response was built.
async fn one_deadline<F, Fut>(what: &str, work: Arc<WorkProbe>, answer: F) -> Result<String, String>
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Response<Body>, Answered)>,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let seen: Mutex<Option<Answered>> = Mutex::new(None);
    let handler = |_req| {
        let answering = answer();
        let seen = &seen;
        async move {
            let (response, answered) = answering.await;
            *seen.lock().expect("nothing panics holding it") = Some(answered);
            response
        }
    };
    let server = async {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        serve_connection(stream, handler)
            .await
            .map_err(|e| format!("server: {e}"))
    };
    let client = async {
        let sent = Instant::now();
        let response = get(addr, "/slow").await.map_err(|e| format!("client: {e}"));
        (response, sent.elapsed())
    };
    let (served, (response, elapsed)) =
        tokio::time::timeout(WIDE, async { tokio::join!(server, client) })
            .await
            .map_err(|_| format!("{what}: no answer within {WIDE:?}"))?;
    served?;
    let (status, body) = response?;
    let answered = seen
        .lock()
        .expect("nothing panics holding it")
        .clone()
        .ok_or("the handler never answered")?;
    // Let work that was not stopped end, so nothing outlives the check.
    if !work.ended.is_set() {
        work.release();
        work.wait_ended(WIDE).await;
    }
    let mut wrong = Vec::new();
    if status != StatusCode::GATEWAY_TIMEOUT {
        wrong.push(format!("status {status} ({body}), not 504"));
    }
    if answered.took < DEADLINE || elapsed < DEADLINE {
        wrong.push(format!(
            "early: the handler returned after {:?}, the client had its answer after {elapsed:?}, the deadline is {DEADLINE:?}",
            answered.took
        ));
    }
    if !answered.work_ended {
        wrong.push("the response went out while the work still ran".to_owned());
    }
    if !work.parked.is_set() || work.finished.is_set() {
        wrong.push("the work never waited, or ran to its end".to_owned());
    }
    if wrong.is_empty() {
        Ok(format!(
            "{what}: 504 after {elapsed:?} ({}), the work stopped first",
            answered.outcome
        ))
    } else {
        Err(format!("{what}: {}", wrong.join("; ")))
    }
}

/// One request under `S::run_with_timeout` on `R`.
struct StrategyDeadline;

impl Visit for StrategyDeadline {
    type Output = Result<String, String>;

    fn visit<S: Subject<R>, R: Runtime>(self) -> Self::Output {
        let rt = R::build(Clock::Real).map_err(|e| format!("runtime: {e}"))?;
        let handle = rt.handle();
        let work = WorkProbe::new();
        let answer = || {
            let (handle, work) = (handle.clone(), Arc::clone(&work));
            async move {
                let started = Instant::now();
                let outcome = S::run_with_timeout(&handle, DEADLINE, Work(Arc::clone(&work))).await;
                let answered = Answered {
                    took: started.elapsed(),
                    work_ended: work.ended.is_set(),
                    outcome: format!("{outcome:?}"),
                };
                let response = match outcome {
                    Ok(Outcome::TimedOut) => text(StatusCode::GATEWAY_TIMEOUT, "deadline passed"),
                    Ok(Outcome::Completed(())) => text(StatusCode::OK, "done"),
                    Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
                };
                (response, answered)
            }
        };
        rt.block_on(one_deadline(S::NAME, Arc::clone(&work), answer))
    }
}

/// Every strategy's `run_with_timeout` around a handler's work on `runtime`.
fn per_request_timeout_on(runtime: RuntimeKind) {
    let results: Vec<Result<String, String>> = StrategyKind::ALL
        .iter()
        .map(|&strategy| visit(strategy, runtime, StrategyDeadline))
        .collect();
    for r in results.iter().flatten() {
        eprintln!("{runtime}: {r}");
    }
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn per_request_timeout_stops_the_work_on_tokio_current_thread() {
    per_request_timeout_on(RuntimeKind::TokioCurrentThread);
}

#[test]
fn per_request_timeout_stops_the_work_on_tokio_multi_thread() {
    per_request_timeout_on(RuntimeKind::TokioMultiThread);
}

/// tower's `TimeoutLayer` around a service whose future is the work: on
/// the deadline tower drops the future, so the work ends with it.
fn tower_timeout_on<R: Runtime>() {
    let rt = R::build(Clock::Real).expect("the runtime builds");
    let handle = rt.handle();
    let work = WorkProbe::new();
    let inner = {
        let (handle, work) = (handle.clone(), Arc::clone(&work));
        tower::service_fn(move |_: ()| {
            let job = Work(Arc::clone(&work)).forced(handle.clone());
            async move {
                job.await;
                Ok::<_, Infallible>(text(StatusCode::OK, "done"))
            }
        })
    };
    let service = tower::ServiceBuilder::new()
        .layer(tower::timeout::TimeoutLayer::new(DEADLINE))
        .service(inner);
    let answer = || {
        let (service, work) = (service.clone(), Arc::clone(&work));
        async move {
            let started = Instant::now();
            let outcome = service.oneshot(()).await;
            let answered = Answered {
                took: started.elapsed(),
                work_ended: work.ended.is_set(),
                outcome: match &outcome {
                    Ok(_) => "answered".to_owned(),
                    Err(e) => format!("error: {e}"),
                },
            };
            let response = match outcome {
                Ok(response) => response,
                Err(e) if e.is::<tower::timeout::error::Elapsed>() => {
                    text(StatusCode::GATEWAY_TIMEOUT, "deadline passed")
                }
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            (response, answered)
        }
    };
    let checked = rt.block_on(one_deadline("tower Timeout", Arc::clone(&work), answer));
    match checked {
        Ok(seen) => eprintln!("{}: {seen}", R::KIND),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn tower_timeout_stops_the_work_on_tokio_current_thread() {
    tower_timeout_on::<TokioCurrentThread>();
}

#[test]
fn tower_timeout_stops_the_work_on_tokio_multi_thread() {
    tower_timeout_on::<TokioMultiThread>();
}

/// The check can fail: a deadline around a spawned task's `JoinHandle`
/// answers 504 on time while the task runs on, and is caught.
#[test]
fn a_deadline_that_detaches_the_work_is_caught() {
    let rt = TokioMultiThread::build(Clock::Real).expect("the runtime builds");
    let handle = rt.handle();
    let work = WorkProbe::new();
    let answer = || {
        let (handle, work) = (handle.clone(), Arc::clone(&work));
        async move {
            let started = Instant::now();
            let job = Work(Arc::clone(&work)).forced(handle);
            // Dropping a tokio JoinHandle detaches its task: the timeout
            // gives up waiting, the work goes on.
            let outcome = tokio::time::timeout(DEADLINE, tokio::spawn(job)).await;
            let answered = Answered {
                took: started.elapsed(),
                work_ended: work.ended.is_set(),
                outcome: format!("{outcome:?}"),
            };
            (
                text(StatusCode::GATEWAY_TIMEOUT, "deadline passed"),
                answered,
            )
        }
    };
    let checked = rt.block_on(one_deadline("detached", Arc::clone(&work), answer));
    let err = checked.expect_err("the work ran on after the response: the check must fail");
    assert!(err.contains("still ran"), "{err}");
}

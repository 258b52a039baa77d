//! Work that returns `None` although nobody asked it to stop has neither an
//! output nor a reason: every runtime's handle reports `Error::Lost`, even
//! when the work dropped its receiver first.

use cancel_contract::Error;

#[tokio::test]
async fn tokio_reports_an_unasked_none_as_lost() {
    let handle = cancel_channel::tokio::start(|stop| async move {
        drop(stop);
        None::<()>
    });
    assert!(matches!(handle.join().await, Err(Error::Lost(_))));
}

#[test]
fn async_std_reports_an_unasked_none_as_lost() {
    let handle = cancel_channel::async_std::start(|stop| async move {
        drop(stop);
        None::<()>
    });
    let joined = async_std::task::block_on(handle.join());
    assert!(matches!(joined, Err(Error::Lost(_))), "{joined:?}");
}

#[test]
fn smol_reports_an_unasked_none_as_lost() {
    let ex = async_executor::Executor::new();
    let handle = cancel_channel::smol::start(&ex, |stop| async move {
        drop(stop);
        None::<()>
    });
    let joined = futures_lite::future::block_on(ex.run(handle.join()));
    assert!(matches!(joined, Err(Error::Lost(_))), "{joined:?}");
}

#[test]
fn smol_reports_a_task_its_executor_dropped_as_lost() {
    let ex = async_executor::Executor::new();
    let handle = cancel_channel::smol::start(&ex, |stop| async move {
        let _ = stop.recv().await;
        None::<()>
    });
    // Dropping the executor drops the task before it ever ran.
    drop(ex);
    let joined = futures_lite::future::block_on(handle.join());
    assert!(matches!(joined, Err(Error::Lost(_))), "{joined:?}");
}

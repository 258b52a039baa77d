//! The `file` workload: a large write (`SIZE` bytes in `CHUNK`-byte
//! chunks) through the runtime's file API, cancelled part way, then
//! observed on disk from outside.
//!
//! Every form writes the way that survives a cancel: into a temporary file
//! beside the target, renamed over it only once the data is on disk, so the
//! target path holds the whole file or nothing. What differs is who removes
//! the temporary file: forced work a guard's `Drop`, cooperative work its
//! stop branch, blocking work the check between chunks. Writing in place
//! instead leaves half a file (`writing_in_place_and_cancelling_leaves_a_partial_file`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use cancel_conformance::{Play, Stop, Subject};
use cancel_contract::{CancelHandle, Cancellation};
use cancel_harness::runtime::real_io::Io;
use cancel_harness::runtime::{Runtime, RuntimeHandle};
use futures_lite::FutureExt as _;

use crate::{Form, Row, WAIT_LIMIT, Workload, bounded, yield_until};

/// The whole file: big enough that a cancel lands part way.
pub(crate) const SIZE: u64 = 64 << 20;

/// One write.
pub(crate) const CHUNK: usize = 64 << 10;

/// How many chunks the work has written when the observer cancels it.
const CANCEL_AFTER: u64 = 8;

/// How long after the cancel the disk is looked at a second time: a
/// runtime's file may finish a write in flight after its future is gone.
const LOOK_AGAIN: Duration = Duration::from_millis(100);

/// A directory of its own under the system's temporary directory, removed
/// with what is in it when dropped.
#[derive(Debug)]
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    pub(crate) fn new() -> Result<TempDir, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("cancel-real-file-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("could not create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing to report to from a drop; a leftover lives in the temp dir.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The target and its temporary file in `dir`.
pub(crate) fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("out.bin"), dir.join("out.bin.part"))
}

/// Removes the temporary file when dropped, unless the write finished.
///
/// `std::fs::remove_file` in `Drop` is one `unlink`: it does not wait on
/// the runtime (a `Drop` cannot await), takes no lock the runtime holds,
/// and a blocking file still writing in the background keeps writing to an
/// inode no path names any more.
#[derive(Debug)]
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Gone already is as good as removed.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What the work reports as it goes.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Bytes handed to the file and written.
    pub(crate) written: AtomicU64,
}

impl Progress {
    fn add(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::SeqCst);
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

/// Writes [`SIZE`] bytes to `file` in chunks through the runtime's API.
async fn write_chunks<H: Io>(file: &mut H::File, progress: &Progress) -> std::io::Result<()> {
    let chunk = vec![0xa5_u8; CHUNK];
    let mut left = SIZE;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        <H as Io>::write_file(file, &chunk[..n]).await?;
        progress.add(n);
        left -= n as u64;
    }
    Ok(())
}

/// Creates `path`, writes it whole and syncs it; the file is closed when
/// this returns.
async fn write_whole<H: Io>(path: PathBuf, progress: &Progress) -> Result<(), String> {
    let mut file = <H as Io>::create(path).await.map_err(|e| io("create", e))?;
    write_chunks::<H>(&mut file, progress)
        .await
        .map_err(|e| io("write", e))?;
    <H as Io>::sync(&mut file).await.map_err(|e| io("sync", e))
}

/// The write as work, in the three forms.
#[derive(Debug)]
struct Write<H> {
    rt: H,
    dir: PathBuf,
    progress: Arc<Progress>,
}

/// Why a write failed, in words.
fn io(what: &str, e: std::io::Error) -> String {
    format!("{what}: {e}")
}

impl<H: RuntimeHandle + Io> Play for Write<H> {
    type Output = Result<u64, String>;

    /// A plain future; a guard's `Drop` removes the temporary file if it is
    /// dropped before the rename.
    fn forced<G: RuntimeHandle>(
        self,
        _rt: G,
    ) -> impl Future<Output = Result<u64, String>> + Send + 'static {
        let Write { dir, progress, .. } = self;
        async move {
            let (target, temp) = paths(&dir);
            let mut guard = RemoveOnDrop(Some(temp.clone()));
            write_whole::<H>(temp.clone(), &progress).await?;
            // A rename is one metadata call: the target appears whole.
            std::fs::rename(&temp, &target).map_err(|e| io("rename", e))?;
            guard.0 = None;
            Ok(progress.written())
        }
    }

    /// Races the write against the stop; on stop drops the file and
    /// removes the temporary file on the blocking pool.
    fn until<G, S, K, C>(
        self,
        _rt: G,
        stop: S,
        _child: Option<K>,
    ) -> impl Future<Output = Option<Result<u64, String>>> + Send + 'static
    where
        G: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let Write { rt, dir, progress } = self;
        async move {
            let (target, temp) = paths(&dir);
            let write = write_whole::<H>(temp.clone(), &progress);
            // The stop races the whole write; the loser is dropped.
            let first = async { Some(write.await) }
                .or(async {
                    stop.await;
                    None
                })
                .await;
            match first {
                Some(Ok(())) => {
                    let (from, to) = (temp.clone(), target);
                    Some(
                        rt.spawn_blocking(move || std::fs::rename(from, to))
                            .await
                            .map(|()| progress.written())
                            .map_err(|e| io("rename", e)),
                    )
                }
                Some(Err(e)) => {
                    let _ = rt.spawn_blocking(move || std::fs::remove_file(temp)).await;
                    Some(Err(e))
                }
                None => {
                    // Stopped: the file was dropped with the write; remove
                    // what it left, and wait until that is done.
                    let removed = rt.spawn_blocking(move || std::fs::remove_file(temp)).await;
                    match removed {
                        Ok(()) => None,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                        Err(e) => Some(Err(io("remove", e))),
                    }
                }
            }
        }
    }

    /// std writes on this thread, the flag checked between chunks; on stop
    /// the temporary file is removed.
    fn blocking<S: Stop>(self, stop: S) -> Option<Result<u64, String>> {
        use std::io::Write as _;
        let (target, temp) = paths(&self.dir);
        let mut file = match std::fs::File::create(&temp) {
            Ok(f) => f,
            Err(e) => return Some(Err(io("create", e))),
        };
        let chunk = vec![0xa5_u8; CHUNK];
        let mut left = SIZE;
        while left > 0 {
            if stop.is_stopped() {
                drop(file);
                return match std::fs::remove_file(&temp) {
                    Ok(()) => None,
                    Err(e) => Some(Err(io("remove", e))),
                };
            }
            let n = left.min(CHUNK as u64) as usize;
            if let Err(e) = file.write_all(&chunk[..n]) {
                drop(file);
                let _ = std::fs::remove_file(&temp);
                return Some(Err(io("write", e)));
            }
            self.progress.add(n);
            left -= n as u64;
        }
        let done = file
            .sync_all()
            .map_err(|e| io("sync", e))
            .and_then(|()| std::fs::rename(&temp, &target).map_err(|e| io("rename", e)));
        Some(done.map(|()| self.progress.written()))
    }
}

/// What a form's cancel leaves on disk.
///
/// The same for every form, each for its own reason: forced work's guard
/// removes the temporary file when the future is dropped, cooperative work
/// removes it on its stop before it returns, blocking work removes it at
/// its next check of the flag; none renamed it, so the target path has
/// nothing.
fn predicted_left(form: Form) -> Disk {
    match form {
        Form::Forced | Form::Cooperative | Form::Blocking => Disk {
            target: None,
            temp: None,
        },
    }
}

/// What is on disk: the length of the target and of the temporary file,
/// `None` where there is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Disk {
    pub(crate) target: Option<u64>,
    pub(crate) temp: Option<u64>,
}

impl Disk {
    pub(crate) fn of(dir: &Path) -> Disk {
        let (target, temp) = paths(dir);
        let len = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
        Disk {
            target: len(&target),
            temp: len(&temp),
        }
    }

    fn describe(self) -> String {
        let one = |name: &str, len: Option<u64>| match len {
            None => format!("no {name}"),
            Some(n) => format!("{name} of {n} bytes"),
        };
        format!(
            "{}, {}",
            one("target", self.target),
            one("temporary file", self.temp)
        )
    }
}

/// One cancel, observed.
#[derive(Debug)]
struct Sample {
    written: u64,
    after: Disk,
    later: Disk,
}

fn figure<S: Subject<R>, R: Runtime>(rt: &R) -> Result<Sample, String> {
    let dir = TempDir::new()?;
    let h = rt.handle();
    rt.block_on(async {
        let progress = Arc::new(Progress::default());
        let work = Write {
            rt: h.clone(),
            dir: dir.0.clone(),
            progress: Arc::clone(&progress),
        };
        let handle = S::start(&h, work);
        let part_way = CANCEL_AFTER * CHUNK as u64;
        if !yield_until(&h, || {
            progress.written() >= part_way || handle.is_finished()
        })
        .await
        {
            return Err(format!(
                "the write had not reached {part_way} bytes in {WAIT_LIMIT:?}"
            ));
        }
        let written = progress.written();
        let cancelled = bounded(&h, "the cancel", handle.cancel()).await?;
        let after = Disk::of(&dir.0);
        match cancelled {
            Ok(Cancellation::Finished(_)) => {
                return Err(format!(
                    "the write finished before the cancel ({written} bytes): it is too small"
                ));
            }
            Ok(Cancellation::Stopped) => {}
            Err(e) => return Err(format!("the cancel failed: {e}")),
        }
        h.sleep(LOOK_AGAIN).await;
        Ok(Sample {
            written,
            after,
            later: Disk::of(&dir.0),
        })
    })
}

/// Runs the workload under `S` on `R`, `samples` cancels.
pub(crate) fn observe<S: Subject<R>, R: Runtime>(samples: usize) -> Row {
    let failed = |why: String| Row::failed::<S, R>(Workload::File, why);
    let form = Form::of::<S, R>();
    let rt = match crate::runtime::<R>() {
        Ok(rt) => rt,
        Err(e) => return failed(e),
    };
    let mut seen = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        match figure::<S, R>(&rt) {
            Ok(s) => seen.push(s),
            Err(e) => return failed(e),
        }
    }
    let want = predicted_left(form);
    let released = seen
        .iter()
        .all(|s| s.after.target.is_none() && s.later.target.is_none());
    let pass = seen.iter().all(|s| s.after == want && s.later == want);
    let outcome = if !released {
        "partial file at the target"
    } else if pass {
        "no partial file"
    } else {
        "temporary file left"
    };
    let detail = seen
        .iter()
        .map(|s| {
            let mut d = format!(
                "{} form: {} of {SIZE} bytes written before the cancel; after it: {}",
                form.name(),
                s.written,
                s.after.describe()
            );
            if s.later != s.after {
                d.push_str(&format!(
                    "; {} ms later (a write in flight finished after the drop): {}",
                    LOOK_AGAIN.as_millis(),
                    s.later.describe()
                ));
            } else {
                d.push_str(&format!(", the same {} ms later", LOOK_AGAIN.as_millis()));
            }
            d
        })
        .collect::<Vec<_>>()
        .join("; ");
    Row {
        outcome: outcome.to_owned(),
        released,
        pass,
        detail,
        ..Row::ran::<S, R>(Workload::File)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::runtime::{AsyncStd, Smol, TokioCurrentThread, TokioMultiThread};

    /// The pitfall: a task writing straight to the target, stopped part way
    /// with the runtime's own abort, leaves a partial file there.
    fn in_place<R: Runtime>() {
        let dir = TempDir::new().expect("a temp dir");
        let (target, _) = paths(&dir.0);
        let rt = crate::runtime::<R>().expect("the runtime builds");
        let h = rt.handle();
        let progress = Arc::new(Progress::default());
        let (p2, t2) = (Arc::clone(&progress), target.clone());
        rt.block_on(async {
            let task = h.spawn(async move {
                write_whole::<R::Handle>(t2, &p2)
                    .await
                    .expect("the target is written");
            });
            let part_way = CANCEL_AFTER * CHUNK as u64;
            assert!(
                yield_until(&h, || progress.written() >= part_way).await,
                "the write got part way"
            );
            // Aborting drops the writer where it stands.
            <R::Handle as RuntimeHandle>::abort(task).await;
            h.sleep(LOOK_AGAIN).await;
        });
        let len = Disk::of(&dir.0).target.expect("the target exists");
        eprintln!("{}: {len} of {SIZE} bytes left at the target", R::KIND);
        assert!(len > 0 && len < SIZE, "{}: {len} of {SIZE} bytes", R::KIND);
    }

    #[test]
    fn writing_in_place_and_cancelling_leaves_a_partial_file() {
        in_place::<TokioCurrentThread>();
        in_place::<TokioMultiThread>();
        in_place::<AsyncStd>();
        in_place::<Smol>();
    }
}

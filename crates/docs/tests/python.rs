//! The Python claims of the book are settled in Python.
//!
//! Every script `peers/python/myth_*.py` and `peers/python/map_*.py` asserts
//! what a chapter says Python does and exits non-zero, printing what it saw,
//! when Python does otherwise. This test runs each with `python3` (3.11 or
//! later) when it is on the `PATH`, and says plainly that it skipped them
//! when it is not. Whether or not Python is there, it checks that every
//! ` ```python ` block of the book is quoted verbatim from the script its
//! first line names, and that every script is quoted or named by a chapter.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one script may run before it counts as hung.
const SCRIPT_LIMIT: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The scripts this test runs, by file name, sorted.
fn scripts() -> Vec<String> {
    let dir = root().join("peers/python");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            name.ends_with(".py") && (name.starts_with("myth_") || name.starts_with("map_"))
        })
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no myth_*.py or map_*.py scripts in peers/python"
    );
    names
}

/// Every chapter's text, with its file name.
fn chapters() -> Vec<(String, String)> {
    let docs = root().join("docs");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&docs).unwrap_or_else(|e| panic!("{}: {e}", docs.display())) {
        let path = entry.expect("a readable docs/ entry").path();
        if path.extension().is_some_and(|ext| ext == "md") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            all.push((name.unwrap_or_default(), read(&path)));
        }
    }
    all
}

/// The ```python blocks of a text: (first line number, body).
fn python_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut in_other = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            match (&mut current, in_other) {
                (Some(_), _) => blocks.push(current.take().expect("an open block")),
                (None, true) => in_other = false,
                (None, false) if info.trim() == "python" => current = Some((i + 1, String::new())),
                (None, false) => in_other = true,
            }
        } else if let Some((_, body)) = &mut current {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks
}

#[test]
fn every_python_snippet_is_quoted_from_its_script() {
    let mut quoted = 0;
    for (chapter, text) in chapters() {
        for (line, body) in python_blocks(&text) {
            let (first, snippet) = body.split_once('\n').unwrap_or((&body, ""));
            let script = first.strip_prefix("# ").unwrap_or_else(|| {
                panic!(
                    "{chapter}:{line}: a python block must start with `# peers/python/<script>.py`"
                )
            });
            let source = read(&root().join(script));
            assert!(
                !snippet.trim().is_empty() && source.contains(snippet),
                "{chapter}:{line}: the snippet is not a verbatim part of {script}"
            );
            quoted += 1;
        }
    }
    assert!(quoted > 0, "the book quotes no Python");
    let book: String = chapters().into_iter().map(|(_, text)| text).collect();
    for script in scripts() {
        assert!(
            book.contains(&format!("peers/python/{script}")),
            "peers/python/{script} is neither quoted nor named by any chapter"
        );
    }
}

/// The version `python3 --version` prints, or `None` if there is no `python3`.
fn python3_version() -> Option<(u32, u32)> {
    let out = Command::new("python3").arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    // "Python 3.11.7" (older versions print it on stderr).
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .into_owned();
    let version = text.trim().strip_prefix("Python ")?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

/// Starts one script.
fn spawn(script: &str) -> Child {
    Command::new("python3")
        .arg(root().join("peers/python").join(script))
        // `assert` statements are the claims: make sure none is optimised away.
        .env_remove("PYTHONOPTIMIZE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts")
}

/// Waits for a script started at `start`, killing it if it outlives
/// [`SCRIPT_LIMIT`]; returns whether it exited with success, and its output.
fn finish(mut child: Child, start: Instant) -> (bool, String) {
    while child
        .try_wait()
        .expect("the script can be waited for")
        .is_none()
    {
        if start.elapsed() > SCRIPT_LIMIT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("the script's output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn every_python_claim_holds_in_python() {
    let Some(version) = python3_version() else {
        println!("skipped: python3 not on PATH; the Python claims of the book were not checked");
        return;
    };
    if version < (3, 11) {
        println!(
            "skipped: python3 is {}.{}, the scripts need 3.11 (asyncio.timeout, TaskGroup)",
            version.0, version.1
        );
        return;
    }
    // The scripts are independent and mostly wait: run them side by side.
    let start = Instant::now();
    let running: Vec<(String, Child)> = scripts()
        .into_iter()
        .map(|script| {
            let child = spawn(&script);
            (script, child)
        })
        .collect();
    let mut failed = Vec::new();
    for (script, child) in running {
        let (ok, output) = finish(child, start);
        println!(
            "--- peers/python/{script}: {}\n{output}",
            if ok { "holds" } else { "FAILED" }
        );
        if !ok {
            failed.push(script);
        }
    }
    assert!(
        failed.is_empty(),
        "these Python claims do not hold: {failed:?}"
    );
}

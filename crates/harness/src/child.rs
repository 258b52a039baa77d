//! Runs one test of the current test binary again, in a child process, so a
//! test can watch from outside something that takes a process down (a
//! panicking `Drop` under async-task aborts the whole process).

use std::process::{Command, Output};

/// Set in the child's environment; a helper test does nothing without it, so
/// running it by hand in the main test process is harmless.
const CHILD: &str = "CANCEL_LAB_CHILD";

/// `true` inside the child process.
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the ignored helper test `name` of this test binary in a child
/// process and returns what it printed and how it ended.
///
/// # Panics
///
/// Panics if the test binary cannot run again: the test cannot go on.
pub fn run(name: &str) -> Output {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    Command::new(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        // What the child prints is the finding; a backtrace would bury it.
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the test binary runs again as a child")
}

/// How the child ended, in words.
pub fn describe(output: &Output) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = output.status.signal() {
            let name = match signal {
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                _ => "",
            };
            return format!("was killed by signal {signal}{name}");
        }
    }
    match output.status.code() {
        Some(0) => "exited successfully".to_owned(),
        Some(code) => format!("exited with code {code}"),
        None => format!("ended with {}", output.status),
    }
}

/// Prints what the child printed, without backtraces, for whoever reads the
/// test output.
pub fn show(what: &str, output: &Output) {
    println!("{what}: the child process {}", describe(output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let is_frame = |line: &str| {
        let line = line.trim_start();
        line.starts_with("at ")
            || line == "stack backtrace:"
            || line
                .split_once(':')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
    };
    for line in stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.trim().is_empty() && !is_frame(l))
    {
        println!("  child | {line}");
    }
}

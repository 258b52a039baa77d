//! `ARCHITECTURE.md`'s "Where new things go" is kept true: every file it
//! lists for a new strategy exists for every registered strategy, and no
//! other code file names a strategy, outside the strategy crates, the book,
//! and the files it lists as naming one on purpose.

use std::path::{Path, PathBuf};

use cancel_conformance::StrategyKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text between `<!-- name:begin -->` and `<!-- name:end -->`.
fn block(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md"))
        .unwrap_or_else(|e| panic!("ARCHITECTURE.md: {e}"));
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let from = text
        .find(&begin)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {begin}"));
    let to = text[from..]
        .find(&end)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {end}"));
    text[from + begin.len()..from + to].to_owned()
}

/// The paths a block names: backticked spans that are files (a `/` or a
/// manifest), directories ending in `/` left out.
fn files(block: &str) -> Vec<String> {
    block
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            (span.contains('/') || span.ends_with(".toml"))
                && !span.ends_with('/')
                && !span.contains(' ')
        })
        .map(str::to_owned)
        .collect()
}

/// Every code file of the workspace (Rust sources, manifests, CI's script),
/// relative to the root, outside `target/`, `.git/` and the skipped folders.
fn code_files(skip: &[String]) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, skip: &[String], out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if path.is_dir() {
                let rel_dir = format!("{rel}/");
                let hidden = rel.starts_with('.') && rel != ".ci";
                if hidden || rel == "target" || skip.contains(&rel_dir) {
                    continue;
                }
                walk(&path, root, skip, out);
            } else if rel.ends_with(".rs")
                || (rel.ends_with(".toml") && !rel.ends_with("Cargo.lock"))
                || rel == ".ci/run"
            {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    let root = root().canonicalize().expect("the workspace root exists");
    walk(&root, &root, skip, &mut out);
    out.sort();
    out
}

/// Whether `text` has `needle` not followed by a word character (so
/// `cancel-abort` is not found in `cancel-abortable`).
fn names(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        text[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

#[test]
fn a_new_strategy_needs_four_files_outside_its_crate() {
    let listed = files(&block("new-strategy"));
    assert_eq!(
        listed,
        [
            "Cargo.toml",
            "crates/harness/src/registry.rs",
            "crates/conformance/src/subjects/<name>.rs",
            "crates/conformance/Cargo.toml",
        ],
        "the list ARCHITECTURE.md gives"
    );
}

#[test]
fn every_strategy_is_wired_in_the_listed_files_and_named_nowhere_else() {
    let listed = files(&block("new-strategy"));
    let on_purpose = files(&block("named-on-purpose"));
    for kind in StrategyKind::ALL {
        let name = kind.name();
        let variant = format!("{kind:?}");
        let here: Vec<String> = listed.iter().map(|p| p.replace("<name>", name)).collect();
        assert!(
            root()
                .join("crates")
                .join(name)
                .join("Cargo.toml")
                .is_file(),
            "{name}: no crate at crates/{name}/"
        );
        for file in &here {
            assert!(
                root().join(file).is_file(),
                "{name}: {file} is listed but missing"
            );
        }
        // Strategy crates may mention one another in prose; that none
        // depends on another is checked below.
        let mut skip: Vec<String> = StrategyKind::ALL
            .iter()
            .map(|s| format!("crates/{}/", s.name()))
            .collect();
        skip.extend(["docs/".into(), "crates/docs/".into()]);
        let needles = [
            format!("cancel-{name}"),
            format!("cancel_{name}"),
            format!("StrategyKind::{variant}"),
            format!("subjects::{variant}"),
        ];
        // This file names strategies in its own examples.
        let this = "crates/conformance/tests/architecture.rs";
        for file in code_files(&skip).into_iter().filter(|f| f != this) {
            let text = std::fs::read_to_string(root().join(&file)).unwrap_or_default();
            if needles.iter().any(|n| names(&text, n)) {
                assert!(
                    here.contains(&file) || on_purpose.contains(&file),
                    "{file} names the strategy {name}, but ARCHITECTURE.md lists it \
                     neither for a new strategy nor as named on purpose"
                );
            }
        }
    }
}

#[test]
fn no_strategy_crate_depends_on_another() {
    for kind in StrategyKind::ALL {
        let manifest = root().join("crates").join(kind.name()).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        for other in StrategyKind::ALL.iter().filter(|o| *o != kind) {
            assert!(
                !names(&text, &format!("cancel-{}", other.name())),
                "cancel-{} names cancel-{} in its manifest",
                kind.name(),
                other.name()
            );
        }
    }
}

#[test]
fn the_listed_runtime_files_exist() {
    for file in files(&block("new-runtime")) {
        // Paths from the root; `src/lib.rs` and the like are per crate.
        let from_root = file.starts_with("crates/") || file.starts_with("benches/");
        if from_root && !file.contains('<') {
            assert!(root().join(&file).is_file(), "{file} is listed but missing");
        }
    }
}

//! The book cannot silently lose a chapter, a sample or a reference:
//!
//! - every chapter listed in `docs/SUMMARY.md` is included by this crate (so
//!   its samples are doc tests), and every included file is listed;
//! - every fenced block names its language, no Rust block is `ignore`d or
//!   `no_run`, and no indented code block (which rustdoc would also compile)
//!   hides in the prose;
//! - every conformance test a chapter names (`abort::smol::i1_completed_wins`)
//!   is one the suite emits, every `crates/…` or `peers/…` path exists, every
//!   "`test_name` in `path`" names a function in that file, and every link
//!   between chapters points to a file and a heading that exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cancel_conformance::Case;
use cancel_harness::runtime::RuntimeKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The chapter files `SUMMARY.md` links to, in order.
fn summary_chapters() -> Vec<String> {
    let summary = read(&root().join("docs/SUMMARY.md"));
    let chapters: Vec<String> = summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')'))
        .map(|(target, _)| target.to_owned())
        .collect();
    assert!(!chapters.is_empty(), "SUMMARY.md lists no chapters");
    chapters
}

/// The `docs/` files `src/lib.rs` includes.
fn included_chapters() -> BTreeSet<String> {
    let lib = read(&root().join("crates/docs/src/lib.rs"));
    lib.split("include_str!(\"../../../docs/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(file, _)| file.to_owned())
        .collect()
}

/// A fenced block: its info string and its first line number.
struct Fence {
    info: String,
    line: usize,
}

/// The fenced blocks of a Markdown text, and the lines outside them.
fn fences(text: &str) -> (Vec<Fence>, Vec<(usize, &str)>) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            if !open {
                blocks.push(Fence {
                    info: info.trim().to_owned(),
                    line: i + 1,
                });
            }
            open = !open;
        } else if !open {
            prose.push((i + 1, line));
        }
    }
    assert!(!open, "a fenced block is never closed");
    (blocks, prose)
}

/// `true` for the info strings rustdoc compiles as Rust.
fn is_rust(info: &str) -> bool {
    info.split(',')
        .next()
        .is_some_and(|lang| lang.trim() == "rust")
}

/// The backticked spans of a text, with line breaks turned into spaces.
fn code_spans(text: &str) -> Vec<String> {
    let flat = text.replace('\n', " ");
    flat.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every conformance test name the suite emits: `<strategy>::<runtime>::<case>`.
fn suite_tests() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for strategy in cancel_conformance::StrategyKind::ALL {
        for runtime in RuntimeKind::ALL {
            for case in Case::ALL {
                names.insert(format!(
                    "{strategy}::{}::{}",
                    runtime.name().replace('-', "_"),
                    case.name().to_lowercase()
                ));
            }
        }
    }
    names
}

/// The anchor a heading gets on GitHub and in mdBook.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let (_, prose) = fences(text);
    prose
        .iter()
        .filter_map(|(_, line)| line.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_chapter_in_the_summary_is_a_module_of_this_crate() {
    let listed: BTreeSet<String> = summary_chapters().into_iter().collect();
    let included = included_chapters();
    for chapter in &listed {
        assert!(
            root().join("docs").join(chapter).is_file(),
            "SUMMARY.md lists {chapter}, which does not exist"
        );
    }
    assert_eq!(
        listed, included,
        "SUMMARY.md and crates/docs/src/lib.rs must name the same chapters"
    );
}

#[test]
fn every_rust_block_is_compiled_and_run() {
    let mut total = 0;
    for chapter in summary_chapters() {
        let text = read(&root().join("docs").join(&chapter));
        let (blocks, prose) = fences(&text);
        for block in &blocks {
            let at = format!("{chapter}:{}", block.line);
            assert!(
                !block.info.is_empty(),
                "{at}: a fence without a language is compiled as Rust; name it"
            );
            if is_rust(&block.info) {
                for attr in block.info.split(',').map(str::trim) {
                    assert!(
                        attr != "ignore" && attr != "no_run",
                        "{at}: `{attr}`: every sample must compile and run (use compile_fail, with the reason, for one that must not compile)"
                    );
                }
            }
        }
        for (line, text) in prose {
            assert!(
                !text.starts_with("    ") || text.trim().is_empty(),
                "{chapter}:{line}: an indented line outside a fence is an indented code block, which rustdoc compiles"
            );
        }
        let rust = blocks.iter().filter(|b| is_rust(&b.info)).count();
        println!("{chapter}: {rust} rust blocks");
        total += rust;
    }
    println!("{total} rust blocks in all; `cargo test -p cancel-docs --doc` must run as many");
    assert!(total > 0);
}

#[test]
fn every_named_test_and_path_exists() {
    let tests = suite_tests();
    let strategies: Vec<&str> = cancel_conformance::StrategyKind::ALL
        .iter()
        .map(|s| s.name())
        .collect();
    for chapter in summary_chapters() {
        let text = read(&root().join("docs").join(&chapter));
        let spans = code_spans(&text);
        for span in &spans {
            let parts: Vec<&str> = span.split("::").collect();
            if parts.len() == 3 && strategies.contains(&parts[0]) && !parts[1].contains('<') {
                assert!(
                    tests.contains(span.as_str()),
                    "{chapter}: `{span}` is not a conformance test"
                );
            }
            if span.starts_with("crates/") || span.starts_with("peers/") {
                assert!(
                    root().join(span).exists(),
                    "{chapter}: `{span}` does not exist"
                );
            }
        }
        // "`name` in `path`": the test or function `name` is in that file.
        let flat = text.replace('\n', " ");
        for (before, after) in flat.split("` in `").zip(flat.split("` in `").skip(1)) {
            let name = before.rsplit('`').next().unwrap_or_default();
            let path = after.split('`').next().unwrap_or_default();
            if path.starts_with("crates/")
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                let source = read(&root().join(path));
                // A plain or a generic function.
                assert!(
                    source.contains(&format!("fn {name}("))
                        || source.contains(&format!("fn {name}<")),
                    "{chapter}: there is no `fn {name}` in {path}"
                );
            }
        }
    }
}

#[test]
fn every_link_between_chapters_lands() {
    let docs = root().join("docs");
    for chapter in summary_chapters() {
        let text = read(&docs.join(&chapter));
        for rest in text.split("](").skip(1) {
            let Some((target, _)) = rest.split_once(')') else {
                continue;
            };
            if target.starts_with("http") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                docs.join(&chapter)
            } else {
                docs.join(file)
            };
            assert!(path.is_file(), "{chapter}: link to {target}: no such file");
            if !anchor.is_empty() {
                assert!(
                    anchors(&read(&path)).contains(anchor),
                    "{chapter}: link to {target}: no such heading"
                );
            }
        }
    }
}

/// The cancel-safety chapter's table: its rows, each a `(API, test name)`.
fn cancel_safety_rows(text: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut lines = text.lines().skip_while(|l| !l.starts_with("| API |"));
    let header = lines.next().expect("the cancel-safety table's header row");
    assert!(
        header.trim_end().ends_with("| test |"),
        "the last column must be the test"
    );
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
        let api = cells.first().copied().unwrap_or_default().trim().to_owned();
        let test = cells.last().copied().unwrap_or_default().trim();
        let name = test
            .strip_prefix('`')
            .and_then(|t| t.strip_suffix('`'))
            .unwrap_or_else(|| {
                panic!("cancel-safety.md: row {api}: the test cell is not one `name`")
            });
        rows.push((api, name.to_owned()));
    }
    rows
}

#[test]
fn every_cancel_safety_row_is_a_test_and_every_test_a_row() {
    let table = read(&root().join("docs/cancel-safety.md"));
    let source = read(&root().join("crates/docs/tests/cancel_safety.rs"));
    let rows = cancel_safety_rows(&table);
    assert!(
        rows.len() >= 20,
        "the cancel-safety table has {} rows; it promises at least 20",
        rows.len()
    );
    for (api, test) in &rows {
        assert!(
            source.contains(&format!("#[test]\nfn {test}()")),
            "cancel-safety.md: row {api} names `{test}`, which is no test in crates/docs/tests/cancel_safety.rs"
        );
    }
    let named: BTreeSet<&str> = rows.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(named.len(), rows.len(), "two rows name the same test");
    for test in source.split("#[test]\nfn ").skip(1) {
        let name = test.split('(').next().unwrap_or_default();
        assert!(
            named.contains(name),
            "`{name}` in crates/docs/tests/cancel_safety.rs is in no row of the table"
        );
    }
}

/// The counts the prose may state, each with what it must equal: the
/// registry's strategies and runtimes, and the suite's cases. A count is a
/// claim about the whole when it follows "all" ("all four runtimes"), when
/// it follows "the" for anything but strategies ("the eight capabilities";
/// "the two later strategies" is a part), and always for strategy ×
/// runtime. "Cases" only when spelled out ("sixteen cases"): "256 cases"
/// are proptest's.
fn registry_counts() -> Vec<(&'static str, usize)> {
    let strategies = cancel_conformance::StrategyKind::ALL.len();
    let runtimes = RuntimeKind::ALL.len();
    let invariants = Case::ALL.iter().filter(|c| c.is_invariant()).count();
    vec![
        ("strategy × runtime", strategies * runtimes),
        ("strategies", strategies),
        ("runtimes", runtimes),
        ("invariants", invariants),
        ("capabilities", Case::ALL.len() - invariants),
        ("cases", Case::ALL.len()),
    ]
}

/// `"seven"` → 7, `"28"` → 28.
fn count_of(word: &str) -> Option<usize> {
    const WORDS: [&str; 31] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "twenty-one",
        "twenty-two",
        "twenty-three",
        "twenty-four",
        "twenty-five",
        "twenty-six",
        "twenty-seven",
        "twenty-eight",
        "twenty-nine",
        "thirty",
    ];
    let word = word.to_lowercase();
    word.parse()
        .ok()
        .or_else(|| WORDS.iter().position(|w| *w == word))
}

/// A text's prose: outside fenced blocks and outside the blocks the lab
/// writes (those are a run's, and the lab's own tests check them).
fn prose_outside_generated_blocks(text: &str) -> String {
    let (_, prose) = fences(text);
    let mut out = String::new();
    let mut generated = false;
    for (_, line) in prose {
        if line.contains("<!-- lab-") && line.contains(":begin") {
            generated = true;
        } else if line.contains("<!-- lab-") && line.contains(":end") {
            generated = false;
        } else if !generated {
            out.push_str(line);
            out.push(' ');
        }
    }
    out
}

#[test]
fn every_count_in_prose_is_the_registrys() {
    let counts = registry_counts();
    let mut texts: Vec<(String, String)> = summary_chapters()
        .into_iter()
        .map(|c| {
            let text = read(&root().join("docs").join(&c));
            (c, text)
        })
        .collect();
    texts.push(("README.md".to_owned(), read(&root().join("README.md"))));
    let mut checked = 0;
    for (file, text) in texts {
        let prose = prose_outside_generated_blocks(&text);
        let words: Vec<&str> = prose.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let word = word.trim_matches(|c: char| "(*_,".contains(c));
            let Some(n) = count_of(word) else { continue };
            let spelled = word.parse::<usize>().is_err();
            let before = if i > 0 {
                words[i - 1].to_lowercase()
            } else {
                String::new()
            };
            let after = words[i + 1..words.len().min(i + 4)]
                .join(" ")
                .to_lowercase();
            let whole = |noun: &str| {
                noun == "strategy × runtime"
                    || before == "all"
                    || (before == "the" && noun != "strategies")
            };
            let found = counts.iter().find(|(noun, _)| {
                after.starts_with(noun) && whole(noun) && (spelled || *noun != "cases")
            });
            if let Some((noun, expected)) = found {
                assert_eq!(
                    n, *expected,
                    "{file}: \"{word} {noun}\": the registry and the suite say {expected}"
                );
                checked += 1;
            }
        }
    }
    println!("{checked} counts in prose checked against the registry");
    assert!(
        checked > 0,
        "no count found: the pattern no longer matches the book"
    );
}

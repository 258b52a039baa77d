//! The README's result tables are a run's output, not typing: this test runs
//! the lab and fails if the tables differ. `CANCEL_LAB_BLESS=1` rewrites them.

use std::path::PathBuf;
use std::process::Command;

const BEGIN: &str = "<!-- lab-output:begin -->\n";
const END: &str = "<!-- lab-output:end -->";

#[test]
fn readme_tables_match_a_fresh_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_cancel-lab"))
        .output()
        .expect("the lab binary runs");
    let stdout = String::from_utf8(out.stdout).expect("the tables are UTF-8");
    assert!(out.status.success(), "the lab found failures:\n{stdout}");
    // The tables are everything before the closing summary line.
    let tables = stdout
        .rsplit_once("\n\n")
        .map_or(stdout.as_str(), |(tables, _summary)| tables)
        .trim_end()
        .to_owned()
        + "\n";

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let start = readme.find(BEGIN).expect("README has the begin marker") + BEGIN.len();
    let end = readme.find(END).expect("README has the end marker");
    if std::env::var_os("CANCEL_LAB_BLESS").is_some() {
        let blessed = format!("{}{tables}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, blessed).expect("README.md is writable");
        return;
    }
    assert_eq!(
        readme[start..end],
        tables,
        "README tables differ from a fresh run; rerun with CANCEL_LAB_BLESS=1 if the change is real"
    );
}

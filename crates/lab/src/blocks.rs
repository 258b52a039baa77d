//! Generated blocks in Markdown files: the text between
//! `<!-- NAME:begin -->` and `<!-- NAME:end -->` is a run's output, replaced
//! whole by `--update-docs` and compared with a fresh run by the tests.

/// The text of block `name` in `doc`, or why there is none.
#[allow(
    dead_code,
    reason = "the tests read blocks; the binary only writes them"
)]
pub(crate) fn get<'a>(doc: &'a str, name: &str) -> Result<&'a str, String> {
    let (start, end) = span(doc, name)?;
    Ok(&doc[start..end])
}

/// `doc` with block `name` holding `content` (a trailing newline is added
/// when missing), or why it cannot be replaced.
pub(crate) fn replace(doc: &str, name: &str, content: &str) -> Result<String, String> {
    let (start, end) = span(doc, name)?;
    let mut content = content.to_owned();
    if !content.ends_with('\n') {
        content.push('\n');
    }
    Ok(format!("{}{content}{}", &doc[..start], &doc[end..]))
}

fn span(doc: &str, name: &str) -> Result<(usize, usize), String> {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = doc
        .find(&begin)
        .ok_or_else(|| format!("no `{}` marker", begin.trim_end()))?
        + begin.len();
    let stop = doc[start..]
        .find(&end)
        .ok_or_else(|| format!("no `{end}` marker after its begin marker"))?
        + start;
    Ok((start, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_named_block() {
        let doc = "a\n<!-- x:begin -->\nold\n<!-- x:end -->\nb\n";
        let new = replace(doc, "x", "new").expect("the block exists");
        assert_eq!(new, "a\n<!-- x:begin -->\nnew\n<!-- x:end -->\nb\n");
        assert_eq!(get(&new, "x"), Ok("new\n"));
    }

    #[test]
    fn a_missing_marker_is_an_error_naming_it() {
        let err = replace("text", "x", "new").expect_err("no markers");
        assert!(err.contains("x:begin"), "{err}");
        let err = get("<!-- x:begin -->\n", "x").expect_err("no end");
        assert!(err.contains("x:end"), "{err}");
    }
}

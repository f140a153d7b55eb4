//! Formatting as edits: the canonical layout of `guifan fmt`, given as the
//! runs of lines that change, so that an editor keeps its cursor and undo
//! history, and a range can be formatted alone.

use std::ops::Range;
use std::path::Path;

use guifan_syntax::Span;
use similar::{ChangeTag, TextDiff};

use super::Edit;
use crate::error::LoadError;

/// The edits that put `text` in the canonical layout, each replacing whole
/// lines; with `within`, only the edits that touch those bytes (the rest of
/// the file is left as it is). A text that does not parse gives its problems.
///
/// ```
/// use guifan::analysis::format_edits;
///
/// let text = "kind k {  n:int }\n\nkind   j { m: int }\n";
/// let all = format_edits("a.schema".as_ref(), text, None)?;
/// assert!(all.iter().any(|e| e.span.start > 17));
/// // Only the first declaration's line.
/// let first = format_edits("a.schema".as_ref(), text, Some(0..17))?;
/// assert!(first.iter().all(|e| e.span.end <= 17));
/// # Ok::<(), guifan::LoadError>(())
/// ```
pub fn format_edits(
    path: &Path,
    text: &str,
    within: Option<Range<usize>>,
) -> Result<Vec<Edit>, LoadError> {
    let formatted = crate::format_source(path, text)?;
    // The formatter drops a byte-order mark: the diff is of the text after it.
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let shift = text.len() - body.len();
    let starts = line_starts(body);
    let new_starts = line_starts(&formatted);
    let diff = TextDiff::from_lines(body, &formatted);
    let mut edits = Vec::new();
    // Each run of changed lines as one hunk: the diff may give a run's
    // deletions and insertions as separate operations.
    for (old, new) in hunks(&diff) {
        let start = starts.get(old.start).copied().unwrap_or(body.len());
        let end = starts.get(old.end).copied().unwrap_or(body.len());
        let new_start = new_starts
            .get(new.start)
            .copied()
            .unwrap_or(formatted.len());
        let new_end = new_starts.get(new.end).copied().unwrap_or(formatted.len());
        let before = body.get(start..end).unwrap_or("");
        let after = formatted.get(new_start..new_end).unwrap_or("");
        for (span, replacement) in refine(before, after) {
            let span = Span::new(start + shift + span.start, start + shift + span.end);
            let touches = within.as_ref().is_none_or(|w| {
                let (s, e) = (span.start as usize, span.end as usize);
                s < w.end && w.start < e.max(s + 1)
            });
            if touches {
                edits.push(Edit {
                    path: path.to_path_buf(),
                    span,
                    text: replacement,
                });
            }
        }
    }
    Ok(edits)
}

/// The largest run of changed lines refined word by word (a longer one is
/// one edit: the word diff's time grows with the product of the sizes).
const MAX_REFINED: usize = 16 << 10;

/// A run of changed lines as the smallest edits: the words and spaces that
/// change, relative to the run's start.
fn refine(before: &str, after: &str) -> Vec<(Range<usize>, String)> {
    if before.len() > MAX_REFINED || after.len() > MAX_REFINED {
        return vec![(0..before.len(), after.to_string())];
    }
    let diff = TextDiff::from_words(before, after);
    let old_tokens = diff.old_slices();
    let new_tokens = diff.new_slices();
    let offset =
        |tokens: &[&str], i: usize| -> usize { tokens.iter().take(i).map(|t| t.len()).sum() };
    hunks(&diff)
        .into_iter()
        .map(|(o, n)| {
            let text: String = new_tokens.get(n).unwrap_or(&[]).concat();
            (offset(old_tokens, o.start)..offset(old_tokens, o.end), text)
        })
        .collect()
}

/// Each run of changes of a diff: the old and new token ranges it covers,
/// counted along the edit script (the operations' own indices may place an
/// insertion inside the deletion next to it).
fn hunks<'a>(diff: &TextDiff<'a, 'a, 'a, str>) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out = Vec::new();
    let (mut old, mut new) = (0, 0);
    let mut run: Option<(usize, usize)> = None;
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            match change.tag() {
                ChangeTag::Equal => {
                    if let Some((o, n)) = run.take() {
                        out.push((o..old, n..new));
                    }
                    old += 1;
                    new += 1;
                }
                ChangeTag::Delete => {
                    run.get_or_insert((old, new));
                    old += 1;
                }
                ChangeTag::Insert => {
                    run.get_or_insert((old, new));
                    new += 1;
                }
            }
        }
    }
    if let Some((o, n)) = run {
        out.push((o..old, n..new));
    }
    out
}

/// Where each line starts, and the text's end as the start of the line after the last.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    if starts.last() != Some(&text.len()) {
        starts.push(text.len());
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut out = text.to_string();
        for e in edits.iter().rev() {
            out.replace_range(e.span.start as usize..e.span.end as usize, &e.text);
        }
        out
    }

    #[test]
    fn all_edits_together_give_the_formatted_file() {
        let text = "// a\nkind k {  n:int }\nkind j { m: int }\n\n\neffect   e\n";
        let edits = format_edits(Path::new("a.schema"), text, None).unwrap();
        let formatted = crate::format_source("a.schema", text).unwrap();
        assert_eq!(apply(text, &edits), formatted);
        assert!(
            edits.iter().all(|e| e.span.start as usize > 0),
            "the comment line is kept"
        );
    }

    #[test]
    fn a_range_formats_only_what_it_touches() {
        let text = "kind k {  n:int }\nkind j { m: int }\neffect   e\n";
        let last = text.find("effect").unwrap();
        let edits = format_edits(Path::new("a.schema"), text, Some(last..text.len())).unwrap();
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert_eq!(edits[0].text, " ");
        assert_eq!(
            apply(text, &edits),
            "kind k {  n:int }\nkind j { m: int }\neffect e\n"
        );
    }

    #[test]
    fn a_byte_order_mark_stays_and_offsets_follow_it() {
        let text = "\u{FEFF}kind   k { n: int }\n";
        let edits = format_edits(Path::new("a.schema"), text, None).unwrap();
        assert_eq!(apply(text, &edits), "\u{FEFF}kind k {\n  n: int\n}\n");
    }

    #[test]
    fn a_text_that_does_not_parse_is_an_error() {
        assert!(format_edits(Path::new("a.schema"), "kind k {", None).is_err());
    }

    #[test]
    fn line_starts_end_with_the_text_end() {
        assert_eq!(line_starts("a\nb"), vec![0, 2, 3]);
        assert_eq!(line_starts("a\n"), vec![0, 2]);
        assert_eq!(line_starts(""), vec![0]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const FILE: &str = include_str!("../../../../rules/douyin/zero_deposit_trial.policy");

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Spaces and blank lines put in anywhere there is white space: the
        /// edits, sorted and apart, together give the formatted file, and
        /// those of any range stay in it or touch it.
        #[test]
        fn edits_apply_to_the_formatted_file(
            inserts in prop::collection::vec((0usize..10_000, prop_oneof![Just("  "), Just("\n\n"), Just(" \n")]), 0..12),
            range in (0usize..8_000, 0usize..2_000),
        ) {
            let mut text = FILE.to_string();
            let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
            // From the end, so that the places found stay where they were.
            let mut places: Vec<(usize, &str)> = inserts
                .into_iter()
                .filter_map(|(at, what)| spaces.get(at % spaces.len()).map(|&i| (i, what)))
                .collect();
            places.sort_by_key(|&(i, _)| std::cmp::Reverse(i));
            for (i, what) in places {
                text.insert_str(i, what);
            }
            let Ok(formatted) = crate::format_source("p.policy", &text) else { return Ok(()) };
            let edits = format_edits(Path::new("p.policy"), &text, None).unwrap();
            for pair in edits.windows(2) {
                prop_assert!(pair[0].span.end <= pair[1].span.start);
            }
            let mut out = text.clone();
            for e in edits.iter().rev() {
                out.replace_range(e.span.start as usize..e.span.end as usize, &e.text);
            }
            prop_assert_eq!(out, formatted);
            let within = range.0..range.0 + range.1;
            let some = format_edits(Path::new("p.policy"), &text, Some(within.clone())).unwrap();
            for e in &some {
                prop_assert!((e.span.start as usize) < within.end.max(e.span.start as usize + 1));
                prop_assert!(edits.contains(e));
            }
        }
    }
}

//! Comments and white space anywhere: each bundled rule file with a comment
//! (ASCII or CJK, on its own line or after code) or trailing spaces put in
//! at its white-space positions, one at a time. Every variant that parses
//! formats to text that parses to the same tree, comments included, and a
//! second format changes nothing (so `fmt --check` passes right after `fmt`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};

use guifan_syntax::{parse, same_ignoring_spans, SourceId};

fn rule_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "policy") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// What is put in at a position.
const INSERTS: [&str; 5] = [
    "// note\n",
    " // 备注：中文注释\n",
    "\n  // a comment of its own\n",
    "   ",
    "/* not a comment */",
];

/// Formats `text` and holds the result to the round trip; the failure, if any.
fn round_trip(text: &str) -> Option<String> {
    let before = parse(SourceId(0), text).ok()?;
    let once = match guifan_fmt::format_text(text) {
        Ok(t) => t,
        Err(e) => return Some(format!("does not format: {e:?}")),
    };
    let Ok(after) = parse(SourceId(0), &once) else {
        return Some(format!("formatted text does not parse:\n{once}"));
    };
    if !same_ignoring_spans(&before, &after) {
        return Some(format!("the tree changed:\n{once}"));
    }
    let twice = guifan_fmt::format_text(&once).unwrap();
    (once != twice).then(|| format!("not idempotent:\n--- once\n{once}\n--- twice\n{twice}"))
}

#[test]
fn a_comment_or_trailing_spaces_anywhere_format_in_one_go() {
    let mut failures = Vec::new();
    let mut tried = 0;
    for path in rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let positions: Vec<usize> = text
            .char_indices()
            .filter(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        for (k, at) in positions.iter().enumerate().step_by(4) {
            let insert = INSERTS[k % INSERTS.len()];
            let variant = format!("{}{insert}{}", &text[..*at], &text[*at..]);
            if parse(SourceId(0), &variant).is_err() {
                continue;
            }
            tried += 1;
            if let Some(why) = round_trip(&variant) {
                failures.push(format!(
                    "{} at byte {at} ({insert:?}): {why}",
                    path.display()
                ));
            }
        }
    }
    assert!(tried > 1000, "only {tried} variants parsed");
    assert!(
        failures.is_empty(),
        "{} of {tried} variants fail; the first:\n{}",
        failures.len(),
        failures.first().unwrap()
    );
}

#[test]
fn trailing_spaces_on_every_line_are_dropped_in_one_go() {
    for path in rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let spaced: String = text.lines().map(|l| format!("{l}   \n")).collect();
        assert_eq!(round_trip(&spaced), None, "{}", path.display());
    }
}

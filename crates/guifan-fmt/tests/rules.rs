//! Every rule file of the repository: already in the canonical layout, and
//! formatting it keeps its tree and comments and changes nothing the second time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};

use guifan_syntax::{parse, same_ignoring_spans, SourceId};

fn repository_rule_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e == "policy" || e == "schema")
        })
        .collect();
    files.sort();
    assert!(files.len() > 10, "the rules were not found");
    files
}

#[test]
fn formatting_keeps_the_tree_and_comments_and_is_idempotent() {
    for path in repository_rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let once =
            guifan_fmt::format_text(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let before = parse(SourceId(0), &text).unwrap();
        let after = parse(SourceId(0), &once).unwrap_or_else(|e| {
            panic!(
                "{}: formatted text does not parse: {e:?}\n{once}",
                path.display()
            )
        });
        assert!(
            same_ignoring_spans(&before, &after),
            "{}: the tree changed\n{once}",
            path.display()
        );
        let twice = guifan_fmt::format_text(&once).unwrap();
        assert_eq!(once, twice, "{}: not idempotent", path.display());
    }
}

#[test]
fn the_repository_rules_are_formatted() {
    for path in repository_rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = guifan_fmt::format_text(&text).unwrap();
        assert!(
            formatted == text,
            "{} is not formatted: run `guifan fmt rules/`",
            path.display()
        );
    }
}

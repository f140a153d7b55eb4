//! The analysis over the bundled catalogue and small inline files.

use std::path::{Path, PathBuf};

use super::*;

/// The bundled rules directory's files, with `edit` applied to one of them.
fn catalogue(edit: Option<(&str, &str, &str)>) -> Analysis {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut texts = Vec::new();
    for path in crate::rule_files(&root).expect("the rules directory") {
        let mut text = std::fs::read_to_string(&path).expect("readable");
        let rel = path.strip_prefix(&root).expect("under root").to_path_buf();
        if let Some((file, from, to)) = edit {
            if rel == Path::new(file) {
                text = text.replacen(from, to, 1);
            }
        }
        texts.push((rel, text));
    }
    Analysis::new(texts)
}

fn offset_of(a: &Analysis, path: &str, needle: &str) -> usize {
    a.text(Path::new(path))
        .and_then(|t| t.find(needle))
        .unwrap_or_else(|| panic!("`{needle}` in {path}"))
}

const POLICY: &str = "douyin/zero_deposit_trial.policy";

#[test]
fn the_catalogue_has_no_problems() {
    let a = catalogue(None);
    assert!(a.checks());
    let problems: Vec<_> = a.all_problems().iter().map(|p| (&p.path, p.code)).collect();
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_misspelt_field_is_found_with_its_fix() {
    let a = catalogue(Some((POLICY, "listings_online >", "listings_onlin >")));
    let problems = a.problems(Path::new(POLICY));
    let p = problems
        .iter()
        .find(|p| p.code == "guifan::check::unknown_field")
        .expect("unknown field");
    let text = a.text(Path::new(POLICY)).unwrap();
    assert_eq!(slice(text, p.span), "listings_onlin");
    assert_eq!(p.fixes.len(), 1);
    assert!(p.fixes[0].preferred);
    assert_eq!(p.fixes[0].edits[0].text, "listings_online");
    assert_eq!(p.fixes[0].edits[0].span, p.span);
    assert_eq!(p.fixes[0].edits[0].path, PathBuf::from(POLICY));
}

#[test]
fn hover_on_a_field_gives_its_type_and_declaration() {
    let a = catalogue(None);
    let at = offset_of(&a, POLICY, "deposit.balance") + "deposit.".len();
    let h = a.hover(Path::new(POLICY), at).expect("hover");
    assert!(h.markdown.contains("balance: money"), "{}", h.markdown);
    assert!(h.markdown.contains("kinds.schema:"), "{}", h.markdown);
}

#[test]
fn definition_of_a_field_is_in_the_schema() {
    let a = catalogue(None);
    let at = offset_of(&a, POLICY, "deposit.balance") + 1;
    let loc = a.definition(Path::new(POLICY), at).expect("definition");
    assert_eq!(loc.path, PathBuf::from("schema/kinds.schema"));
    let text = a.text(&loc.path).unwrap();
    assert_eq!(slice(text, loc.span), "deposit");
}

#[test]
fn completion_after_a_dot_lists_the_record_fields() {
    let a = catalogue(None);
    let text = a.text(Path::new(POLICY)).unwrap().to_string();
    let at = text.find("and deposit.balance").unwrap() + "and deposit.".len();
    let edited = text.replacen("and deposit.balance", "and deposit.", 1);
    let labels: Vec<String> = a
        .completions(Path::new(POLICY), &edited, at)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&"balance".to_string()), "{labels:?}");
    assert!(labels.contains(&"required".to_string()), "{labels:?}");
}

#[test]
fn completion_after_a_dot_in_a_file_that_no_longer_parses() {
    let edited = catalogue(Some((POLICY, "and deposit.balance >=", "and deposit. >=")));
    assert!(!edited.checks());
    let text = edited.text(Path::new(POLICY)).unwrap().to_string();
    let at = text.find("and deposit. >=").unwrap() + "and deposit.".len();
    let labels: Vec<String> = edited
        .completions(Path::new(POLICY), &text, at)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&"balance".to_string()), "{labels:?}");
}

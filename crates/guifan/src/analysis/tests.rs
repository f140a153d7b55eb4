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

/// The labels of the completions at the end of `needle` once `from` is
/// replaced by `to` in the policy (the first occurrence).
fn completions_after(from: &str, to: &str, needle: &str) -> Vec<(String, CompletionKind)> {
    let a = catalogue(None);
    let text = a.text(Path::new(POLICY)).unwrap().replacen(from, to, 1);
    let at = text.find(needle).expect("needle") + needle.len();
    a.completions(Path::new(POLICY), &text, at)
        .into_iter()
        .map(|c| (c.label, c.kind))
        .collect()
}

#[test]
fn completion_offers_the_values_of_a_fixed_set_after_equals() {
    let got = completions_after(
        "store_type == \"personal\"",
        "store_type == \"",
        "store_type == \"",
    );
    let labels: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["\"personal\"", "\"individual\"", "\"enterprise\""]);
    assert!(got.iter().all(|(_, k)| *k == CompletionKind::Value));
}

#[test]
fn completion_offers_effects_after_then_with_their_arguments() {
    let a = catalogue(None);
    let text = a.text(Path::new(POLICY)).unwrap().replacen(
        "then reject(action: \"withdrawal\")",
        "then ",
        1,
    );
    let at = text.find("then \n").unwrap() + "then ".len();
    let got = a.completions(Path::new(POLICY), &text, at);
    let reject = got
        .iter()
        .find(|c| c.label == "reject")
        .expect("the effect reject");
    assert_eq!(reject.kind, CompletionKind::Effect);
    assert!(reject.snippet);
    assert_eq!(reject.insert.as_deref(), Some("reject(action: ${1})"));
    assert!(got.iter().all(|c| c.kind == CompletionKind::Effect));
}

#[test]
fn completion_offers_kinds_after_subject_and_zones_after_zone() {
    let kinds = completions_after("subject   merchant", "subject   ", "subject   ");
    assert!(kinds
        .iter()
        .any(|(l, k)| l == "merchant" && *k == CompletionKind::Kind));
    assert!(kinds.iter().all(|(_, k)| *k == CompletionKind::Kind));
    let zones = completions_after(
        "zone      Asia/Shanghai",
        "zone      Asia/Sh",
        "zone      Asia/Sh",
    );
    assert!(zones
        .iter()
        .any(|(l, k)| l == "Asia/Shanghai" && *k == CompletionKind::Zone));
}

#[test]
fn completion_in_an_expression_offers_names_builtins_and_words() {
    let got = completions_after(
        "when trial.active and listings_online",
        "when trial.active and listings_online",
        "when trial.active and ",
    );
    let has = |label: &str, kind: CompletionKind| got.iter().any(|(l, k)| l == label && *k == kind);
    assert!(has("personal_listing_cap", CompletionKind::Param));
    assert!(has("listing_cap", CompletionKind::Let));
    assert!(has("listings_online", CompletionKind::Field));
    assert!(has("count", CompletionKind::Function));
    assert!(has("is present", CompletionKind::Keyword));
    // Outside any policy: the words that start a declaration.
    let a = catalogue(None);
    let top: Vec<String> = a
        .completions(Path::new(POLICY), "", 0)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(top, ["kind", "record", "effect", "platform", "policy"]);
}

#[test]
fn hover_on_a_builtin_a_definition_and_a_rule() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let month = a
        .hover(p, offset_of(&a, POLICY, "month(w.at)") + 1)
        .unwrap();
    assert!(month
        .markdown
        .starts_with("```guifan\nmonth(t: timestamp | date) -> date\n```"));
    let cap = a
        .hover(p, offset_of(&a, POLICY, "listing_cap else") - 2)
        .unwrap();
    let def = a
        .hover(p, offset_of(&a, POLICY, "> listing_cap") + 3)
        .unwrap();
    assert!(
        def.markdown.contains("let listing_cap = if personal then"),
        "{}",
        def.markdown
    );
    assert!(def.markdown.contains("of type `int`"), "{}", def.markdown);
    assert!(
        cap.markdown
            .contains("param personal_listing_cap: int = 100"),
        "{}",
        cap.markdown
    );
    let rule = a
        .hover(p, offset_of(&a, POLICY, "rule listing_cap") + 6)
        .unwrap();
    assert!(rule
        .markdown
        .starts_with("**rule** `douyin.zero_deposit_trial.listing_cap`"));
    assert!(rule.markdown.contains("在线商品总量超过上限"));
}

#[test]
fn references_and_definitions_of_a_definition() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let at = offset_of(&a, POLICY, "> listing_cap") + 3;
    let decl = a.definition(p, at).unwrap();
    assert_eq!(slice(a.text(p).unwrap(), decl.span), "listing_cap");
    assert_eq!(
        decl.span.start as usize,
        offset_of(&a, POLICY, "listing_cap = if")
    );
    let all = a.references(p, at, true);
    let reads = a.references(p, at, false);
    assert_eq!(all.len(), reads.len() + 1);
    assert!(reads.iter().all(|l| l.span != decl.span));
    let text = a.text(p).unwrap();
    // Every `listing_cap` but the rule of that name and longer names.
    let written = text.matches("listing_cap").count()
        - text.matches("_listing_cap").count()
        - text.matches("listing_cap_").count()
        - text.matches("rule listing_cap").count();
    assert_eq!(all.len(), written, "{all:?}");
}

#[test]
fn rename_refuses_what_is_not_a_name_or_is_taken() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let at = offset_of(&a, POLICY, "listing_cap = if") + 1;
    assert_eq!(
        a.rename(p, at, "2cap"),
        Err(RenameError::NotAName("2cap".into()))
    );
    assert_eq!(
        a.rename(p, at, "when"),
        Err(RenameError::NotAName("when".into()))
    );
    assert!(matches!(
        a.rename(p, at, "store_type"),
        Err(RenameError::Clash {
            what: "a field of the subject",
            ..
        })
    ));
    assert!(matches!(
        a.rename(p, at, "order_cap"),
        Err(RenameError::Clash {
            what: "a definition",
            ..
        })
    ));
    let edits = a.rename(p, at, "cap_here").unwrap();
    assert_eq!(edits.len(), a.references(p, at, true).len());
    // A field is not renamed from a policy.
    let field = offset_of(&a, POLICY, "deposit.balance") + 9;
    assert_eq!(a.rename(p, field, "b"), Err(RenameError::NotRenameable));
}

#[test]
fn a_name_bound_in_a_rule_is_renamed_in_that_rule_only() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let at = offset_of(&a, POLICY, "w in withdrawals");
    let edits = a.rename(p, at, "each").unwrap();
    let text = a.text(p).unwrap();
    assert!(edits.iter().all(|e| slice(text, e.span) == "w"));
    assert_eq!(edits.len(), 2, "`w in` and `w.at`: {edits:?}");
}

#[test]
fn symbols_and_folding_outline_the_policy() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let symbols = a.symbols(p);
    assert_eq!(symbols.len(), 1);
    let policy = &symbols[0];
    assert_eq!(
        (policy.name.as_str(), policy.kind),
        ("douyin.zero_deposit_trial", SymbolKind::Policy)
    );
    let rule = policy
        .children
        .iter()
        .find(|c| c.name == "listing_cap" && c.kind == SymbolKind::Rule)
        .unwrap();
    assert_eq!(rule.detail.as_deref(), Some("在线商品总量超过上限"));
    let starts: Vec<u32> = policy.children.iter().map(|c| c.span.start).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "in file order");
    let kinds = a.symbols(Path::new("schema/kinds.schema"));
    let merchant = kinds.iter().find(|s| s.name == "merchant").unwrap();
    assert!(merchant
        .children
        .iter()
        .any(|f| f.name == "listings_online" && f.detail.as_deref() == Some("int")));
    let found = a.workspace_symbols("LISTING_CAP");
    assert!(found
        .iter()
        .any(|(path, s)| path == p && s.kind == SymbolKind::Rule));
    let folds = a.folding(p);
    let text = a.text(p).unwrap();
    assert!(folds.contains(&policy.span));
    assert!(folds.contains(&rule.span));
    assert!(folds.iter().all(|s| slice(text, *s).contains('\n')));
    // The comment lines at the top of the file fold as one.
    assert!(folds
        .iter()
        .any(|s| s.start == 0 && slice(text, *s).starts_with("// 《抖音")));
}

#[test]
fn builtin_docs_name_only_real_builtins() {
    let mut text = String::from("kind k { n: int, s: string, xs: [int] } effect e policy a.b { subject k zone UTC rule r { when ");
    for (i, b) in BUILTINS.iter().enumerate() {
        if i > 0 {
            text.push_str(" or ");
        }
        text.push_str(&format!("{}() == 1", b.name));
    }
    text.push_str(" then e } }");
    let a = Analysis::new(vec![("t.policy".into(), text)]);
    let unknown: Vec<&str> = a
        .all_problems()
        .iter()
        .filter(|p| p.message.contains("unknown function") || p.code.contains("unknown_function"))
        .map(|p| p.message.as_str())
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    assert!(!a.all_problems().is_empty(), "the calls are checked");
}

#[test]
fn a_named_condition_is_hovered_found_and_renamed_apart_from_its_siblings() {
    let a = catalogue(None);
    let p = Path::new(POLICY);
    let at = offset_of(&a, POLICY, "alliance \"加入精选联盟\"") + 2;
    let hover = a.hover(p, at).unwrap();
    assert!(
        hover.markdown.starts_with("**named condition** `alliance`"),
        "{}",
        hover.markdown
    );
    let decl = a.definition(p, at).unwrap();
    assert_eq!(slice(a.text(p).unwrap(), decl.span), "alliance");
    assert_eq!(a.references(p, at, true), vec![decl.clone()]);
    let edits = a.rename(p, at, "joined_alliance").unwrap();
    assert_eq!(
        edits,
        vec![Edit {
            path: p.to_path_buf(),
            span: decl.span,
            text: "joined_alliance".into()
        }]
    );
    assert!(matches!(
        a.rename(p, at, "subsidy"),
        Err(RenameError::Clash {
            what: "a condition beside it",
            ..
        })
    ));
    assert_eq!(
        a.name_at(p, at).map(|(_, t)| t),
        Some("alliance".to_string())
    );
}

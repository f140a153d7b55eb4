//! Each lint: a file that triggers it, and the same file with the warning allowed.

use std::collections::HashSet;

use guifan_syntax::{parse, SourceId};

use super::*;

const HEAD: &str = "policy t.p {\n  subject merchant\n  zone Asia/Shanghai\n";

/// The codes of the warnings about one file.
fn codes_with(text: &str, context: &Context) -> Vec<&'static str> {
    let file = parse(SourceId(0), text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    lint(&[(&file, text)], context)
        .into_iter()
        .map(|d| d.code)
        .collect()
}

fn codes(body: &str) -> Vec<&'static str> {
    codes_with(&format!("{HEAD}{body}}}\n"), &Context::default())
}

/// Asserts that `body` warns with `code`, and that `allowed` (the same with an allow comment) does not.
fn triggers_and_allows(body: &str, allowed: &str, code: &str) {
    assert_eq!(codes(body), [code], "{body}");
    assert!(codes(allowed).is_empty(), "{allowed}: {:?}", codes(allowed));
}

#[test]
fn unused_parameters() {
    triggers_and_allows(
        "  param cap: int = 1\n  rule r { when listings_online > 1 then end_trial }\n",
        "  // guifan: allow(unused_param)\n  param cap: int = 1\n  rule r { when listings_online > 1 then end_trial }\n",
        "guifan::lint::unused_param",
    );
    assert!(codes(
        "  param cap: int = 1\n  rule r { when listings_online > cap then end_trial }\n"
    )
    .is_empty());
}

#[test]
fn unused_definitions_of_policies_and_rules() {
    triggers_and_allows(
        "  let big = listings_online > 1\n  rule r { when true then end_trial }\n",
        "  let big = listings_online > 1 // guifan: allow(guifan::lint::unused_let)\n  rule r { when true then end_trial }\n",
        "guifan::lint::unused_let",
    );
    triggers_and_allows(
        "  rule r {\n    let n = 1\n    when true\n    then end_trial\n  }\n",
        "  // guifan: allow(unused_let)\n  rule r {\n    let n = 1\n    when true\n    then end_trial\n  }\n",
        "guifan::lint::unused_let",
    );
    // Read in a message: used.
    assert!(codes(
        "  rule r {\n    let n = 1\n    when true\n    then end_trial\n    message \"{n}\"\n  }\n"
    )
    .is_empty());
}

#[test]
fn conditions_that_never_hold() {
    triggers_and_allows(
        "  rule r { when listings_online > 200 and listings_online < 100 then end_trial }\n",
        "  // guifan: allow(never_holds)\n  rule r { when listings_online > 200 and listings_online < 100 then end_trial }\n",
        "guifan::lint::never_holds",
    );
    assert_eq!(
        codes("  rule r { when x >= 5 and x < 5 then end_trial }\n"),
        ["guifan::lint::never_holds"]
    );
    assert_eq!(
        codes("  rule r { when x and false then end_trial }\n"),
        ["guifan::lint::never_holds"]
    );
    // A point is allowed, and other fields do not meet.
    assert!(codes("  rule r { when x >= 5 and x <= 5 and y < 1 then end_trial }\n").is_empty());
    assert!(codes("  rule r { when a.b > 100 CNY and a.b < 200 CNY then end_trial }\n").is_empty());
}

#[test]
fn conditions_that_always_hold() {
    triggers_and_allows(
        "  rule r { when x <= 100 or x > 100 then end_trial }\n",
        "  rule r { // guifan: allow(always_holds)\n    when x <= 100 or x > 100\n    then end_trial\n  }\n",
        "guifan::lint::always_holds",
    );
    assert_eq!(
        codes("  rule r { when x or true then end_trial }\n"),
        ["guifan::lint::always_holds"]
    );
    assert!(codes("  rule r { when x < 100 or x > 100 then end_trial }\n").is_empty());
}

#[test]
fn ladder_tiers_that_cannot_be_reached() {
    triggers_and_allows(
        "  let fee = if n >= 10 then 1 else if n >= 20 then 2 else 0\n  rule r { when fee > 0 then end_trial }\n",
        "  // guifan: allow(unreachable_tier)\n  let fee = if n >= 10 then 1 else if n >= 20 then 2 else 0\n  rule r { when fee > 0 then end_trial }\n",
        "guifan::lint::unreachable_tier",
    );
    assert!(codes("  let fee = if n >= 20 then 2 else if n >= 10 then 1 else 0\n  rule r { when fee > 0 then end_trial }\n").is_empty());
}

#[test]
fn gaps_between_versions() {
    let gap = "  rule r {\n    version \"a\" from 2024-01-01 until 2024-03-01 { when true then end_trial }\n    version \"b\" from 2024-04-01 { when true then end_trial }\n  }\n";
    let allowed = gap.replace("  rule r {", "  // guifan: allow(version_gap)\n  rule r {");
    triggers_and_allows(gap, &allowed, "guifan::lint::version_gap");
    let contiguous = gap.replace("from 2024-04-01", "from 2024-03-01");
    assert!(codes(&contiguous).is_empty());
}

#[test]
fn two_policies_emitting_one_rule_id() {
    let text = format!("{HEAD}  rule r {{ when true then end_trial }}\n}}\n{HEAD}  rule r {{ when true then end_trial }}\n}}\n");
    assert_eq!(
        codes_with(&text, &Context::default()),
        ["guifan::lint::duplicate_rule_id"]
    );
    let (first, second) = text.split_at(text.rfind("  rule r").unwrap_or(0));
    let allowed = format!("{first}  // guifan: allow(duplicate_rule_id)\n{second}");
    assert!(codes_with(&allowed, &Context::default()).is_empty());
}

#[test]
fn policies_without_tests() {
    let text = format!("{HEAD}  rule r {{ when true then end_trial }}\n}}\n");
    let none = Context {
        tested_policies: Some(HashSet::new()),
    };
    assert_eq!(codes_with(&text, &none), ["guifan::lint::untested_policy"]);
    let tested = Context {
        tested_policies: Some(HashSet::from(["t.p".to_string()])),
    };
    assert!(codes_with(&text, &tested).is_empty());
    let allowed = format!("// guifan: allow(untested_policy)\n{text}");
    assert!(codes_with(&allowed, &none).is_empty());
}

#[test]
fn an_allow_comment_names_its_code() {
    // Allowing another lint does not silence this one.
    assert_eq!(
        codes("  // guifan: allow(unused_let)\n  param cap: int = 1\n  rule r { when true then end_trial }\n"),
        ["guifan::lint::unused_param"]
    );
    assert!(allows(
        " guifan: allow(a, unused_param)",
        "guifan::lint::unused_param",
        "unused_param"
    ));
    assert!(!allows(
        " allow(unused_param)",
        "guifan::lint::unused_param",
        "unused_param"
    ));
}

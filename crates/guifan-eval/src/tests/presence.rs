//! Presence facts: what a condition proves present for what reads after it.

use super::{codes, wrap};

/// What `not (x is absent or y is absent)` proves: both present, on the right
/// of `and`; an `or` of presences proves nothing on its own.
#[test]
fn a_negated_or_of_absences_proves_each_present() {
    let check = |cond: &str| {
        codes(&wrap(&format!(
            "rule r {{ when {cond} then violation(code: \"x\") }}"
        )))
    };
    assert_eq!(
        check("not (trial is absent or withdrawal_request is absent) and trial.active and withdrawal_request.amount > 1 CNY"),
        Vec::<&str>::new()
    );
    assert_eq!(
        check("not (trial is absent and withdrawal_request is absent) and trial.active"),
        ["guifan::check::maybe_absent"]
    );
    // Nor does an `or` of presences.
    assert_eq!(
        check("(trial is present or withdrawal_request is present) and trial.active"),
        ["guifan::check::maybe_absent"]
    );
}

/// `not x`, false, proves what `x`, true, proves: on the right of `or`.
#[test]
fn a_false_negation_proves_what_its_operand_proves() {
    assert_eq!(
        codes(&wrap(
            "rule r { when not (trial is present) or trial.active then violation(code: \"x\") }"
        )),
        Vec::<&str>::new()
    );
}

/// Items and map values written `T?` may be `null`: absent, handled like any
/// optional value, and refused where used as if present.
#[test]
fn optional_items_and_map_values_are_absent_when_null() {
    let policy = |rules: &str| {
        format!(
            "kind k {{ scores: [int?], marks: map<string, int?> }} effect e \
             policy a.b {{ subject k zone UTC {rules} }}"
        )
    };
    let rules = "rule missing { when count(s in scores where s is absent) == 1 then e }
        rule total { when sum(s for s in scores where s is present) == 5 then e }
        rule mark { when marks[\"x\"] is absent and marks[\"y\"] ?? 0 == 2 then e }";
    let source = policy(rules);
    let checked =
        crate::check(&[guifan_syntax::parse(guifan_syntax::SourceId(0), &source).expect("parses")])
            .expect("checks");
    let record = r#"{"kind":"k","id":"m","scores":[2,null,3],"marks":{"x":null,"y":2}}"#;
    let subject = crate::decode_subject(&checked.schema, record.as_bytes()).expect("decodes");
    let outcome = crate::evaluate(&checked, &subject, super::now());
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let fired: Vec<String> = outcome
        .decisions
        .iter()
        .map(|d| d.rule.to_string())
        .collect();
    assert_eq!(fired, ["a.b.missing", "a.b.total", "a.b.mark"]);
    // Used as if present, an optional item is refused where it is read.
    let unsafe_sum = policy("rule r { when sum(s for s in scores) > 1 then e }");
    let file = guifan_syntax::parse(guifan_syntax::SourceId(0), &unsafe_sum).expect("parses");
    assert_eq!(
        super::codes_of(crate::check(&[file])),
        ["guifan::check::maybe_absent"]
    );
}

/// `all { ... }`, true, proves what each of its conditions proves; `any`
/// proves nothing on its own.
#[test]
fn all_of_named_conditions_proves_what_each_proves() {
    let check = |cond: &str| {
        codes(&wrap(&format!(
            "rule r {{ when {cond} then violation(code: \"x\") }}"
        )))
    };
    assert_eq!(
        check("all { t: trial is present, w: withdrawal_request is present } and trial.active and withdrawal_request.amount > 1 CNY"),
        Vec::<&str>::new()
    );
    assert_eq!(
        check("any { t: trial is present, w: withdrawal_request is present } and trial.active"),
        ["guifan::check::maybe_absent"]
    );
}

//! What the checker records for tools (hover, definition, references): each
//! name written in a policy, where, and what it resolved to; and the errors
//! it leaves out because a syntax error already explains them.

use guifan_syntax::{parse, parse_recovering, SourceId};

use super::SCHEMA;
use crate::{check, check_indexed, Target};

/// Each use as (the text at its span, what it names, the name).
fn uses(policy: &str) -> Vec<(String, &'static str, String)> {
    let schema = parse(SourceId(0), SCHEMA).expect("schema parses");
    let file = parse(SourceId(1), policy).expect("policy parses");
    let checked = check_indexed(&[schema, file]);
    assert!(checked.result.is_ok(), "{:?}", checked.result.err());
    checked
        .uses
        .iter()
        .map(|u| {
            assert_eq!(u.source, SourceId(1));
            assert_eq!(&*u.policy, "t.p");
            let written = policy
                .get(u.span.start as usize..u.span.end as usize)
                .unwrap_or("?");
            let what = match u.target {
                Target::Field { .. } => "field",
                Target::Param { .. } => "param",
                Target::Let { .. } => "let",
                Target::Local { .. } => "local",
                Target::Rank { .. } => "rank",
                Target::Builtin { .. } => "builtin",
                Target::Effect { .. } => "effect",
            };
            (written.to_string(), what, u.target.name().to_string())
        })
        .collect()
}

#[test]
fn every_name_a_policy_writes_is_recorded_with_what_it_names() {
    let policy =
        "policy t.p { subject merchant where platform == \"douyin\" zone Asia/Shanghai currency CNY
      param cap: int = 100
      let big = listings_online > cap
      rule r {
        when big and any(w in withdrawals where w.amount > 1.00 CNY) and date(now) > 2023-01-01
        then violation(code: \"x\")
      }
    }";
    let expected = [
        ("cap", "param"),
        ("platform", "field"),
        ("listings_online", "field"),
        ("cap", "param"),
        ("big", "let"),
        ("big", "let"),
        ("withdrawals", "field"),
        ("w", "local"),
        ("w", "local"),
        ("amount", "field"),
        ("any", "builtin"),
        ("date", "builtin"),
        ("violation", "effect"),
    ]
    .map(|(name, what)| (name.to_string(), what, name.to_string()));
    assert_eq!(uses(policy), expected);
}

/// The codes of the errors checking reports beside the syntax errors of a
/// policy read with recovery.
fn codes_after_recovery(policy: &str) -> Vec<&'static str> {
    let schema = parse(SourceId(0), SCHEMA).expect("schema parses");
    let (file, syntax) = parse_recovering(SourceId(1), policy);
    assert!(!syntax.is_empty(), "{policy}");
    super::codes_of(check(&[schema, file]))
}

#[test]
fn an_entry_that_did_not_parse_is_not_reported_missing_but_the_others_are() {
    // `subject` is written but broken: its syntax error explains it.
    let broken_subject = "policy t.p {\n  subject merchant where\n  zone Asia/Shanghai\n}\n";
    assert_eq!(codes_after_recovery(broken_subject), Vec::<&str>::new());
    // `zone` is broken, `subject` is not written at all: still missing.
    let no_subject = "policy t.p {\n  zone = Asia/Shanghai\n}\n";
    assert_eq!(
        codes_after_recovery(no_subject),
        ["guifan::check::missing_entry"]
    );
    // A broken declaration hides only what it would have declared: a field
    // misspelt elsewhere is still unknown.
    let broken_kind = "kind shop { a: : int }\npolicy t.p {\n  subject merchant\n  zone Asia/Shanghai\n  rule r { when listings_onlin > 1 then violation(code: \"x\") }\n}\n";
    assert_eq!(
        codes_after_recovery(broken_kind),
        ["guifan::check::unknown_field"]
    );
    let misspelt_kind = "kind shop { a: : int }\npolicy t.p {\n  subject shop\n  zone Asia/Shanghai\n  rule r { when a > 1 then violation(code: \"x\") }\n}\n";
    assert_eq!(codes_after_recovery(misspelt_kind), Vec::<&str>::new());
}

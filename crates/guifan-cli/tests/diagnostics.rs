//! Snapshots of rule-file diagnostics as authors see them: file, line,
//! column, the source line with a caret, and a help line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

mod common;

use std::path::PathBuf;

use guifan::report::human_in;
use guifan::{LoadError, RuleSet};

/// The bundled schema plus one policy file; returns every rendered problem.
fn diagnose(policy: &str) -> String {
    let mut texts = Vec::new();
    for name in ["kinds.schema", "effects.schema", "platforms.schema"] {
        let path = common::root().join("rules/schema").join(name);
        texts.push((
            PathBuf::from(format!("rules/schema/{name}")),
            std::fs::read_to_string(path).expect("schema"),
        ));
    }
    texts.push((PathBuf::from("rules/demo/bad.policy"), policy.to_string()));
    match RuleSet::from_sources(texts) {
        Ok(_) => panic!("the policy was expected to fail"),
        Err(LoadError::Invalid {
            sources, problems, ..
        }) => problems
            .iter()
            .map(|p| human_in(p.diagnostic(), &sources, 100, false))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => panic!("{e}"),
    }
}

const HEADER: &str = r#"policy demo.trial {
  subject merchant where platform == "douyin" and trial is present
  zone Asia/Shanghai
  currency CNY
"#;

#[test]
fn a_misspelt_field() {
    let src = format!("{HEADER}  rule listing_cap {{\n    when listing_online > 100\n    then end_trial\n  }}\n}}\n");
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn a_type_error() {
    let src = format!("{HEADER}  rule listing_cap {{\n    when listings_online > 5000 CNY\n    then end_trial\n  }}\n}}\n");
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn a_syntax_error() {
    let src = format!(
        "{HEADER}  rule listing_cap {{\n    when listings_online >\n    then end_trial\n  }}\n}}\n"
    );
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn an_optional_field_used_without_a_check() {
    let src = format!("{HEADER}  rule big_request {{\n    when withdrawal_request.amount > 100 CNY\n    then reject(action: \"withdrawal\")\n  }}\n}}\n");
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn mixed_currencies() {
    let src = format!(
        "{HEADER}  rule rich {{\n    when goods_balance > 100 USD\n    then end_trial\n  }}\n}}\n"
    );
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn a_value_outside_a_fixed_set() {
    let src = format!("{HEADER}  rule personal {{\n    when store_type == \"persnal\"\n    then restrict(target: \"listings\")\n  }}\n}}\n");
    insta::assert_snapshot!(diagnose(&src));
}

#[test]
fn syntax_errors_explain_common_mistakes() {
    let unclosed = format!(
        "{HEADER}  rule listing_cap {{\n    when listings_online > 100\n    then end_trial\n  }}\n"
    );
    let single_equals = format!("{HEADER}  rule listing_cap {{\n    when listings_online = 100\n    then end_trial\n  }}\n}}\n");
    let misspelt = "policy demo.trial {\n  subjct merchant\n  zone Asia/Shanghai\n}\n".to_string();
    let report = [unclosed, single_equals, misspelt]
        .iter()
        .map(|src| diagnose(src))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(report);
}

#[test]
fn a_misspelt_entry_word_is_suggested_for_every_entry_and_declaration() {
    for (typo, word) in [
        ("rnak", "rank"),
        ("subjct", "subject"),
        ("recrod", "record"),
    ] {
        let src = format!("policy demo.trial {{\n  {typo} x\n  zone Asia/Shanghai\n}}\n");
        let report = diagnose(&src);
        assert!(
            report.contains(&format!("did you mean `{word}`?")),
            "{typo}: {report}"
        );
    }
}

/// Every rendered problem of loading the bundled schema plus the given files.
fn diagnose_files(files: &[(&str, &str)]) -> Vec<String> {
    let mut texts = Vec::new();
    for name in ["kinds.schema", "effects.schema", "platforms.schema"] {
        let path = common::root().join("rules/schema").join(name);
        texts.push((
            PathBuf::from(format!("rules/schema/{name}")),
            std::fs::read_to_string(path).expect("schema"),
        ));
    }
    for (name, text) in files {
        texts.push((PathBuf::from(name), text.to_string()));
    }
    match RuleSet::from_sources(texts) {
        Ok(_) => panic!("the policies were expected to fail"),
        Err(LoadError::Invalid {
            sources, problems, ..
        }) => problems
            .iter()
            .map(|p| human_in(p.diagnostic(), &sources, 100, false))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_error_of_every_file_is_reported_in_one_run() {
    // File a: a broken rule between two rules with type errors of their own.
    let a = format!(
        "{HEADER}  rule first {{\n    when listings_online > 5000 CNY\n    then end_trial\n  }}\n  rule broken {{\n    when listings_online >\n    then end_trial\n  }}\n  rule third {{\n    when listing_online > 1\n    then end_trial\n  }}\n}}\n"
    );
    // File b: a parameter that does not parse, and a rule that reads it (no cascade).
    let b = "policy demo.other {\n  subject merchant where platform == \"douyin\" and trial is present\n  zone Asia/Shanghai\n  param cap: int = = 3\n  rule r {\n    when listings_online > cap\n    then end_trial\n  }\n}\n";
    let problems = diagnose_files(&[("rules/demo/a.policy", &a), ("rules/demo/b.policy", b)]);
    insta::assert_snapshot!(problems.join("\n"));
    // Two type errors around the broken rule, its syntax error, and the parameter's.
    assert_eq!(problems.len(), 4, "{problems:#?}");
}

#[test]
fn a_broken_declaration_hides_only_itself() {
    // A kind that does not parse, then a policy with a misspelt field: the
    // policy is still checked, and the kind's name is not reported unknown.
    let schema = "kind gadget {\n  id: string\n  weight: : int\n}\n";
    let policy = "policy demo.gadgets {\n  subject gadget\n  zone Asia/Shanghai\n  rule r {\n    when true and listings_onlin > 1\n    then end_trial\n  }\n}\n";
    let problems = diagnose_files(&[
        ("rules/demo/gadget.schema", schema),
        ("rules/demo/gadgets.policy", policy),
    ]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("syntax error"), "{}", problems[0]);
}

#[test]
fn an_effect_argument_named_kind() {
    let src = format!("{HEADER}  rule listing_cap {{\n    when listings_online > 100\n    then violation(code: \"cap\", kind: \"listing\")\n  }}\n}}\n");
    insta::assert_snapshot!(diagnose(&src));
}

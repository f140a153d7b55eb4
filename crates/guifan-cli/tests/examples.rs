//! Golden tests: the catalogue's examples (`tests/examples/*.json`) decide as
//! expected, and every policy's `*.test.toml` passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

mod common;

use guifan_runner::testing::{run_test_file, test_files, Example};

#[test]
fn catalogue_examples_decide_as_expected() {
    let rules = common::bundled_rules();
    let dir = common::root().join("tests/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/examples exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut ran = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable");
        // Every example runs: none is skipped, whatever its policies.
        let example = Example::parse(&text)
            .unwrap_or_else(|e| panic!("{}: not an example: {e}", path.display()));
        let missing: Vec<&str> = example
            .rule_ids()
            .filter(|id| {
                !rules
                    .program()
                    .policies()
                    .iter()
                    .any(|p| id.starts_with(&format!("{}.", p.id())))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "{}: no policy for {missing:?}",
            path.display()
        );
        let report = example.run(rules);
        assert!(
            report.failures.is_empty(),
            "{}: {:#?}",
            path.display(),
            report.failures
        );
        assert!(report.passed > 0, "{}: no subject checked", path.display());
        ran.push(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    // The catalogue's examples, all of them.
    let catalogue = [
        "douyin_authenticity_guarantee.json",
        "douyin_zero_deposit_trial.json",
        "kuaishou_report_escalation.json",
        "wechat_channels_presale.json",
        "wildberries_buyer_chat.json",
    ];
    assert_eq!(ran, catalogue);
}

#[test]
fn policy_test_files_pass() {
    let rules = common::bundled_rules();
    let files = test_files(&common::root().join("rules")).unwrap();
    assert!(files.len() >= 2, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let report = run_test_file(rules, &text);
        assert!(
            report.failures.is_empty(),
            "{}: {:#?}",
            path.display(),
            report.failures
        );
        assert!(report.passed > 0);
    }
}

#[test]
fn example_outputs_match_their_snapshots() {
    for (data, at) in [
        (
            "examples/douyin_zero_deposit_trial.jsonl",
            "2023-04-20T12:00:00+08:00",
        ),
        (
            "examples/douyin_authenticity_guarantee.jsonl",
            "2023-05-01T12:00:00+08:00",
        ),
    ] {
        let out = common::guifan(&["run", "--data", data, "--at", at, "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        insta::assert_snapshot!(data.replace(['/', '.'], "_"), common::stdout(&out));
    }
}

/// Every catalogue example through the command itself: its records as JSON
/// Lines on standard input, `guifan run --at <its time>`, each subject's
/// decisions counted by rule and its arguments compared as values.
#[test]
fn every_example_passes_through_guifan_run() {
    let dir = common::root().join("tests/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 5, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let example = Example::parse(&text).unwrap();
        let input: String = example
            .records
            .iter()
            .map(|r| format!("{}\n", r.get().replace('\n', " ")))
            .collect();
        let out = common::guifan_stdin(&["run", "--data", "-", "--at", &example.at, "-q"], &input);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            common::stderr(&out)
        );
        let mut seen = 0;
        for line in common::stdout(&out).lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let subject = record["subject"].as_str().unwrap();
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for d in record["decisions"].as_array().unwrap() {
                *counts
                    .entry(d["rule"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            let expected = example.expect.get(subject).cloned().unwrap_or_default();
            assert_eq!(counts, expected, "{}: {subject}", path.display());
            for a in example
                .args
                .iter()
                .filter(|a| a.subject.as_deref() == Some(subject))
            {
                let values: Vec<&serde_json::Value> = record["decisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| d["rule"] == a.rule.as_str())
                    .flat_map(|d| d["effects"].as_array().unwrap())
                    .filter(|e| e["kind"] == a.effect.as_str())
                    .map(|e| &e[a.arg.as_str()])
                    .collect();
                let want = a
                    .equals
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| a.equals.to_string());
                let same = |v: &&serde_json::Value| {
                    let got = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    // Money and durations compare as values: "500 CNY" is "500.00 CNY", "72h" is "3d".
                    got == want
                        || money(&got).is_some() && money(&got) == money(&want)
                        || guifan_syntax::literal::duration_seconds(&got).is_some()
                            && guifan_syntax::literal::duration_seconds(&got)
                                == guifan_syntax::literal::duration_seconds(&want)
                };
                assert!(
                    values.iter().any(same),
                    "{}: {subject} {}.{}: {values:?} vs {want}",
                    path.display(),
                    a.effect,
                    a.arg
                );
            }
            seen += 1;
        }
        assert_eq!(seen, example.records.len(), "{}", path.display());
    }
}

fn money(text: &str) -> Option<(rust_decimal::Decimal, String)> {
    let (amount, currency) = text.split_once(' ')?;
    Some((amount.parse().ok()?, currency.to_string()))
}

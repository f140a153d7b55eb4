//! Differential test: the closures each policy is compiled into decide every
//! generated record of every kind exactly as the interpreter does (the same
//! decisions, effects, arguments, messages and errors, in the same order), at
//! several times, with the rankings' places, and with parameters set so that
//! other branches are taken. The generated mix reaches every rule, ladder tier
//! and named condition (`coverage.rs`), so every compiled form runs here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use guifan::data::{records, InputFormat};
use guifan::{Params, RuleSet};
use guifan_eval::{decode_subject, evaluate_interpreted, evaluate_with_ranks, rank::Ranks};

/// Decides `data` both ways at `at`; the numbers of decisions and of errors made.
fn agree(rules: &RuleSet, data: &str, at: &str) -> (usize, usize) {
    let now = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let keys = rules.rank_keys(&lines, now, &mut |p| panic!("{p:?}"));
    let ranks = Ranks::from_keys(keys);
    let program = rules.program();
    let (mut decisions, mut errors) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let subject = decode_subject(program.schema(), &line.json)
            .unwrap_or_else(|e| panic!("record {}: {e}", i + 1));
        let compiled = evaluate_with_ranks(program, &subject, now, &ranks);
        let interpreted = evaluate_interpreted(program, &subject, now, Some(&ranks));
        assert_eq!(
            compiled,
            interpreted,
            "record {} ({}) at {at}",
            i + 1,
            subject.id
        );
        decisions += compiled.decisions.len();
        errors += compiled.errors.len();
    }
    (decisions, errors)
}

fn bundled() -> RuleSet {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    RuleSet::from_dir(root.join("rules")).unwrap()
}

#[test]
fn compiled_and_interpreted_agree_on_every_kind_of_the_mix() {
    let rules = bundled();
    let data = guifan_bench::kinds::mix(6_000, 11);
    let (decisions, _) = agree(&rules, &data, guifan_bench::kinds::MIX_AT);
    assert!(
        decisions > 4_000,
        "too few decisions ({decisions}) to prove much"
    );
    // Before most policies are in force, and later, when other windows hold.
    agree(&rules, &data, "2022-01-01T00:00:00Z");
    agree(&rules, &data, "2024-06-30T23:59:59+08:00");
}

#[test]
fn compiled_and_interpreted_agree_on_trial_merchants() {
    let rules = bundled();
    let data = guifan_bench::trial_merchants(5_000, 5);
    let (decisions, _) = agree(&rules, &data, "2023-04-20T12:00:00+08:00");
    assert!(decisions > 5_000, "too few decisions ({decisions})");
}

#[test]
fn compiled_and_interpreted_agree_when_parameters_change() {
    // Parameters are read when the rules run, not folded into the closures:
    // a deployment's values take other branches, and errors (a share of 0%
    // makes every withdrawal out of range; a cap of -1 makes every count
    // exceed it).
    let params = Params::from_toml(
        "deploy.toml",
        r#"
        ["douyin.zero_deposit_trial"]
        personal_listing_cap = -1
        max_withdrawal_share = "0%"
        withdrawals_per_month = 0
        "#,
    )
    .unwrap();
    let rules = bundled().with_params(&params).unwrap();
    let data = guifan_bench::trial_merchants(2_000, 9);
    let (decisions, _) = agree(&rules, &data, "2023-04-20T12:00:00+08:00");
    assert!(decisions > 2_000, "too few decisions ({decisions})");
}

#[test]
fn compiled_and_interpreted_fail_alike() {
    // Runtime errors (overflow in a definition, in a sum, in a message; a
    // record in another currency than the policy's), each reported by both
    // with the same kind and span, while the other rules still decide.
    let rules = RuleSet::from_sources([
        (
            "k.schema",
            "kind shop { currency: string?, n: int, m: money?, xs: [int] }",
        ),
        (
            "p.policy",
            r#"policy t.p {
                 subject shop
                 zone UTC
                 currency CNY
                 let big = n * 4611686018427387904
                 rule overflow { when big > 0 then flag }
                 rule total { when sum(x * n for x in xs) > 10 then flag message "{n} {sum(xs)}" }
                 rule money { when m is present and m > 3 CNY then flag message "{m - 1 CNY}" }
                 rule fine { when n >= 0 then flag message "n = {n}" }
               }"#,
        ),
        ("e.schema", "effect flag"),
    ])
    .unwrap();
    let data = concat!(
        r#"{"kind":"shop","id":"a","currency":"CNY","n":1,"xs":[1,2,3],"m":"5.00"}"#,
        "\n",
        r#"{"kind":"shop","id":"b","n":4,"xs":[9223372036854775807,1]}"#,
        "\n",
        r#"{"kind":"shop","id":"c","currency":"CNY","n":-3,"m":"2.00","xs":[]}"#,
        "\n",
        r#"{"kind":"shop","id":"d","currency":"USD","n":1,"m":"9.00","xs":[]}"#,
        "\n",
    );
    let (decisions, errors) = agree(&rules, data, "2024-01-01T00:00:00Z");
    assert!(decisions >= 3, "{decisions}");
    assert!(errors >= 3, "{errors}");
}

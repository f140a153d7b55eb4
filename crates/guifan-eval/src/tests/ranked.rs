//! Rules that read a ranking, evaluated with the places of the population,
//! through each entry point that takes them.

use super::{now, program, record_subject, wrap};
use crate::{evaluate, evaluate_into, evaluate_with_ranks, rank, Outcome};

#[test]
fn a_rule_reads_the_subjects_place_through_every_entry_point_that_takes_ranks() {
    let program = program(&wrap(
        "rank busy by listings_online where listings_online > 10 rule first { when (busy ?? 0) == 1 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let now = now();
    let (keys, errors) = rank::rank_keys(&program, &subject, now);
    assert!(errors.is_empty(), "{errors:?}");
    let ranks = rank::Ranks::from_keys(keys);
    let rules = |o: &Outcome| {
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        o.decisions
            .iter()
            .map(|d| d.rule.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(&evaluate_with_ranks(&program, &subject, now, &ranks)),
        ["t.p.first"]
    );
    let mut into = Outcome::default();
    evaluate_into(&program, &subject, now, Some(&ranks), &mut into);
    assert_eq!(rules(&into), ["t.p.first"]);
    // Without the places, the rule fails rather than deciding.
    let without = evaluate(&program, &subject, now);
    assert!(without.decisions.is_empty());
    assert_eq!(without.errors.len(), 1);
}

#[test]
fn a_policy_without_rankings_is_evaluated_the_same_with_ranks() {
    let program = program(&wrap(
        "rule many { when listings_online > 100 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let now = now();
    let ranks = rank::Ranks::from_keys(Vec::new());
    let with = evaluate_with_ranks(&program, &subject, now, &ranks);
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert_eq!(with.decisions.len(), 1);
}

/// Only policies that rank the subject's kind are asked for keys: one
/// without rankings is not (its failing filter is no ranking's error).
#[test]
fn a_policy_without_rankings_gives_no_keys_and_no_errors() {
    let program = program(
        "policy t.p { subject merchant where listings_online / (listings_online - 101) > 1 zone Asia/Shanghai currency CNY \
         rule r { when true then violation(code: \"x\") } }",
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let (keys, errors) = rank::rank_keys(&program, &subject, now());
    assert!(keys.is_empty(), "{keys:?}");
    assert!(errors.is_empty(), "{errors:?}");
    // Evaluated, the filter fails: the policy's own error.
    assert_eq!(evaluate(&program, &subject, now()).errors.len(), 1);
}

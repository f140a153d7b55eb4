//! The advice an error carries (`help`): what to write instead.

use super::{program, wrap};

/// The one error of a rule whose condition is `cond`, and its advice.
fn advice(cond: &str) -> String {
    let errors = program(&wrap(&format!(
        "rule r {{ when {cond} then violation(code: \"x\") }}"
    )))
    .expect_err(cond);
    assert_eq!(errors.len(), 1, "{cond}: {errors:?}");
    errors
        .into_iter()
        .next()
        .and_then(|e| e.help)
        .unwrap_or_default()
}

#[test]
fn operands_that_never_compare_are_told_why() {
    let money = "money compares only with money";
    let count = "a count and a string never compare";
    assert!(advice("listings_online > 5 CNY").contains(money));
    assert!(advice("goods_balance > 5").contains(money));
    assert!(advice("goods_balance > 5.5").contains(money));
    assert!(advice("platform > 5").contains(count));
    assert!(advice("5 > store_type").contains(count));
    // A string against money is neither: no advice about amounts or counts.
    assert_eq!(advice("platform > 5 CNY"), "");
    assert_eq!(advice("goods_balance > platform"), "");
}

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

//! Built-ins over text, with exact expected values.

use super::{fired, RECORD};

/// Whether `cond` holds on the test record.
fn holds(cond: &str) -> bool {
    !fired(
        &format!("rule r {{ when {cond} then violation(code: \"x\") }}"),
        RECORD,
    )
    .is_empty()
}

#[test]
fn words_are_runs_of_letters_and_digits_joined_by_hyphens_and_apostrophes() {
    for (text, count) in [
        ("", 0),
        ("— Да.", 1),
        ("Да, конечно!", 2),
        ("кто-то don't", 2),
        ("a1 b2  c3", 3),
        ("  -- ' ", 0),
        ("发货 很快", 2),
    ] {
        assert!(holds(&format!("words(\"{text}\") == {count}")), "{text}");
    }
}

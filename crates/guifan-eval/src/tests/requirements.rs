//! `require`: conditions on a policy's parameters, over parameters and
//! constants only, met by the defaults.

use super::{codes, program, wrap};

const PARAMS: &str =
    "param warn_rate: percent = 10% param restrict_rate: percent = 20% param tiers: [int] = [1, 2]";

#[test]
fn defaults_that_meet_their_requirements_check() {
    let body = format!(
        "{PARAMS} require warn_rate < restrict_rate \"warn first\" require all(t > 0 for t in tiers) rule r {{ when listings_online > 1 then violation(code: \"x\") }}"
    );
    assert!(codes(&wrap(&body)).is_empty(), "{:?}", codes(&wrap(&body)));
}

#[test]
fn defaults_that_do_not_are_an_error_at_the_requirement() {
    let body = format!(
        "{PARAMS} require restrict_rate < warn_rate \"warn first\" rule r {{ when listings_online > 1 then violation(code: \"x\") }}"
    );
    let errors = program(&wrap(&body)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind.code(), "guifan::check::unmet_requirement");
    assert!(errors[0].kind.to_string().ends_with(": warn first"));
}

#[test]
fn a_requirement_reads_parameters_and_constants_only() {
    for (condition, read) in [
        ("listings_online > 1", "listings_online"),
        ("warn_rte < restrict_rate", "warn_rte"),
        ("now > 2023-01-01T00:00Z", "now"),
    ] {
        let body = format!(
            "{PARAMS} require {condition} rule r {{ when listings_online > 1 then violation(code: \"x\") }}"
        );
        let errors = program(&wrap(&body)).unwrap_err();
        assert_eq!(errors.len(), 1, "{condition}: {errors:?}");
        assert_eq!(errors[0].kind.code(), "guifan::check::not_a_parameter");
        assert!(errors[0].kind.to_string().contains(&format!("`{read}`")));
    }
    let body = format!("{PARAMS} require warn_rte < restrict_rate");
    let errors = program(&wrap(&body)).unwrap_err();
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `warn_rate`?"));
    // A requirement is a condition.
    let body = format!("{PARAMS} require warn_rate");
    assert_eq!(codes(&wrap(&body)), ["guifan::check::type_mismatch"]);
}

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

/// A requirement knows where its condition is written (the deployment's
/// parameter error quotes it), and a rule keeps its title (survivors of the
/// mutation run: both accessors made constant went unnoticed).
#[test]
fn a_requirement_places_its_condition_and_a_rule_keeps_its_title() {
    let policy = wrap(&format!(
        "{PARAMS} require warn_rate < restrict_rate \"warn first\" rule r \"超过上限\" {{ when listings_online > 1 then violation(code: \"x\") }}"
    ));
    let program = program(&policy).unwrap();
    let p = &program.policies()[0];
    let require = &p.requires[0];
    let span = require.condition_span();
    assert_eq!(
        policy.get(span.start as usize..span.end as usize),
        Some("warn_rate < restrict_rate")
    );
    assert_eq!(require.message(), Some("warn first"));
    let whole = require.span();
    assert_eq!(
        policy.get(whole.start as usize..whole.end as usize),
        Some("require warn_rate < restrict_rate \"warn first\"")
    );
    assert_eq!(p.rules()[0].title(), Some("超过上限"));
    assert_eq!(p.rules()[0].name(), "r");
    assert_eq!(&**p.rules()[0].id(), "t.p.r");
}

/// A check error's code is its kind's, for miette's reports.
#[test]
fn a_check_error_reports_its_code_to_miette() {
    use miette::Diagnostic as _;
    let errors = program(&wrap(
        "rule r { when listings_onlin > 1 then violation(code: \"x\") }",
    ))
    .unwrap_err();
    let code = errors[0].code().map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("guifan::check::unknown_field"));
}

/// `matches` with a parameter of patterns still wants text to match (a
/// survivor of the mutation run: either side typed right was enough).
#[test]
fn matching_a_number_against_a_pattern_parameter_is_a_type_error() {
    let body = "param patterns: [string] = [\"^a\"] rule r { when matches(listings_online, patterns) then violation(code: \"x\") }";
    assert_eq!(codes(&wrap(body)), ["guifan::check::type_mismatch"]);
    let fine = "param patterns: [string] = [\"^a\"] rule r { when matches(platform, patterns) then violation(code: \"x\") }";
    assert!(codes(&wrap(fine)).is_empty());
}

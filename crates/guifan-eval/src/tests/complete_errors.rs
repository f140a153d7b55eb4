//! One run reports every mistake of a policy: a wrong or missing zone does not
//! hide the others, and each comes with the name it is closest to.

use super::program;

#[test]
fn an_unknown_zone_is_reported_with_a_suggestion_beside_the_other_errors() {
    let errors = program(
        "policy t.p { subject merchant zone Asia/Shangai currency CNY rule r { when listing_online > 1 then violation(code: \"x\") } }",
    )
    .unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
    assert_eq!(
        codes,
        [
            "guifan::check::unknown_zone",
            "guifan::check::unknown_field"
        ]
    );
    assert_eq!(
        errors[0].help.as_deref(),
        Some("did you mean `Asia/Shanghai`?")
    );
    let far = program("policy t.p { subject merchant zone Nowhere/Atall rule r { when listings_online > 1 then violation(code: \"x\") } }")
        .unwrap_err();
    assert_eq!(
        far[0].help.as_deref(),
        Some("use an IANA name such as `Asia/Shanghai` or `Europe/Moscow`")
    );
}

#[test]
fn a_missing_zone_does_not_hide_the_other_errors() {
    let errors = program(
        "policy t.p { subject merchant rule r { when listing_online > 1 then violation(code: \"x\") } }",
    )
    .unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert_eq!(codes[1], "guifan::check::unknown_field");
}

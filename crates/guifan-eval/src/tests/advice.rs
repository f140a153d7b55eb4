//! Operands that do not go together: the error, and the advice it carries
//! (`help`) on what to write instead.

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
    // The message names the operator as written.
    let errors = program(&wrap(
        "rule r { when platform > 5 then violation(code: \"x\") }",
    ))
    .expect_err("invalid operands");
    assert_eq!(
        errors[0].kind.to_string(),
        "`>` cannot combine string and int"
    );
    assert!(advice("goods_balance > 5").contains(money));
    assert!(advice("goods_balance > 5.5").contains(money));
    assert!(advice("platform > 5").contains(count));
    assert!(advice("5 > store_type").contains(count));
    // A string against money is neither: no advice about amounts or counts.
    assert_eq!(advice("platform > 5 CNY"), "");
    assert_eq!(advice("goods_balance > platform"), "");
}

/// Ordering (`<`, `>`, ...) needs both sides orderable: truths, lists and the
/// items of an empty list (which have no type) are refused even where the
/// two sides fit each other (a survivor of the mutation run: one orderable
/// side was enough).
#[test]
fn ordering_needs_both_sides_orderable() {
    for cond in [
        "true < false",
        "[] < [1]",
        "any(x in [] where x < 5)",
        "count(x in [] where 5 > x) > 0",
    ] {
        let errors = super::codes(&wrap(&format!(
            "rule r {{ when {cond} then violation(code: \"x\") }}"
        )));
        assert_eq!(errors, ["guifan::check::invalid_operands"], "{cond}");
    }
}

/// Built-ins refuse arguments of the wrong type: `nth` a position that is not
/// a count; `matches` with a pattern parameter that is not text (one string or
/// a list of them is, set or not; survivors of the mutation run: any position,
/// and only a list of patterns, went unnoticed).
#[test]
fn built_ins_refuse_arguments_of_the_wrong_type() {
    let check = |params: &str, cond: &str| {
        super::codes(&wrap(&format!(
            "{params} rule r {{ when {cond} then violation(code: \"x\") }}"
        )))
    };
    assert_eq!(
        check("", "(nth([1, 2], \"1\") ?? 0) > 0"),
        ["guifan::check::type_mismatch"]
    );
    assert_eq!(check("", "(nth([1, 2], 1) ?? 0) > 0"), Vec::<&str>::new());
    // `len` of a list that may be absent: said so.
    assert_eq!(
        check("", "len(received_orders) > 0"),
        ["guifan::check::maybe_absent"]
    );
    // `contains` takes an item either side of a number's widening.
    assert_eq!(check("", "contains([1, 2], 2.0)"), Vec::<&str>::new());
    assert_eq!(check("", "contains([1.5, 2], 2)"), Vec::<&str>::new());
    assert_eq!(
        check("", "contains([1, 2], \"2\")"),
        ["guifan::check::type_mismatch"]
    );
    assert_eq!(
        check(
            "param pattern: string = \"^d\"",
            "matches(platform, pattern)"
        ),
        Vec::<&str>::new()
    );
    // Without a default, the parameter may be unset: still a pattern.
    assert_eq!(
        check("param pattern: string", "matches(platform, pattern)"),
        Vec::<&str>::new()
    );
    // A parameter without a default may be unset, like one declared `T?`.
    for param in ["param cap: int", "param cap: int? = 5"] {
        assert_eq!(
            check(param, "listings_online > cap"),
            ["guifan::check::maybe_absent"],
            "{param}"
        );
        assert_eq!(
            check(param, "listings_online > (cap ?? 5)"),
            Vec::<&str>::new(),
            "{param}"
        );
    }
    assert_eq!(
        check("param patterns: [string]", "matches(platform, patterns)"),
        Vec::<&str>::new()
    );
    assert_eq!(
        check("param pattern: int = 1", "matches(platform, pattern)"),
        ["guifan::check::type_mismatch"]
    );
    // An argument that did not check hides nothing wrong with the others,
    // and nothing more is said about itself.
    for (call, codes) in [
        (
            "tier(nosuch, 5)",
            &[
                "guifan::check::unknown_field",
                "guifan::check::type_mismatch",
            ][..],
        ),
        ("tier(5, nosuch)", &["guifan::check::unknown_field"][..]),
        (
            "nth(nosuch, \"1\") ?? 0",
            &[
                "guifan::check::unknown_field",
                "guifan::check::type_mismatch",
            ][..],
        ),
        (
            "nth([1], nosuch) ?? 0",
            &["guifan::check::unknown_field"][..],
        ),
    ] {
        assert_eq!(check("", &format!("({call}) == 1")), codes, "{call}");
    }
    // `max` and `min` of values take two or more.
    assert_eq!(
        check("", "max(1, 2, listings_online) > 1"),
        Vec::<&str>::new()
    );
    assert_eq!(check("", "min(1, listings_online) > 1"), Vec::<&str>::new());
    assert_eq!(check("", "max() > 1"), ["guifan::check::wrong_arity"]);
    // `any` and `all` of the items themselves need bools; with a `where`
    // alone, the condition is the predicate.
    assert_eq!(
        check("", "any(withdrawals)"),
        ["guifan::check::type_mismatch"]
    );
    assert_eq!(
        check("", "any(w.amount for w in withdrawals)"),
        ["guifan::check::type_mismatch"]
    );
    assert_eq!(
        check("", "any(w in withdrawals where w.amount > 1 CNY)"),
        Vec::<&str>::new()
    );
    // A list compares with the empty list, whichever side it is on.
    assert_eq!(
        check("", "map(w.amount for w in withdrawals) != []"),
        Vec::<&str>::new()
    );
    assert_eq!(
        check("", "[] != map(w.amount for w in withdrawals)"),
        Vec::<&str>::new()
    );
    // `tier` counts with a count.
    assert_eq!(
        check("", "tier(\"x\", [1, 2]) == 1"),
        ["guifan::check::type_mismatch"]
    );
    // `in` a list of a wider type, either way round.
    assert_eq!(check("", "listings_online in [1.5, 2]"), Vec::<&str>::new());
    assert_eq!(check("", "1.5 in [listings_online, 2]"), Vec::<&str>::new());
    // `in` a name that did not check says nothing more.
    assert_eq!(
        check("", "listings_online in nosuch"),
        ["guifan::check::unknown_field"]
    );
    // Branches of an `if`: one optional, the other of another type.
    assert_eq!(
        check(
            "",
            "(if listings_online > 1 then nth([1], 1) else \"x\") == 1"
        ),
        ["guifan::check::type_mismatch"]
    );
    assert_eq!(
        check(
            "",
            "((if listings_online > 1 then nth([1], 1) else 2.5) ?? 0) > 1"
        ),
        Vec::<&str>::new()
    );
}

/// A misspelt kind is answered with the nearest declared one.
#[test]
fn a_misspelt_kind_is_answered_with_the_nearest() {
    let errors = program("policy t.p { subject merchnt zone Asia/Shanghai rule r { when true then violation(code: \"x\") } }")
        .expect_err("an unknown kind");
    assert_eq!(errors[0].kind.code(), "guifan::check::unknown_kind");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `merchant`?"));
    assert_eq!(
        miette::Diagnostic::severity(&errors[0]),
        Some(miette::Severity::Error)
    );
    assert!(errors[0].to_string().contains("merchnt"), "{}", errors[0]);
    // As miette reads it too: at the misspelt name.
    let labels: Vec<(usize, usize)> = miette::Diagnostic::labels(&errors[0])
        .map(|l| l.map(|l| (l.offset(), l.len())).collect())
        .unwrap_or_default();
    assert_eq!(labels, [(21, 7)]);
    assert_eq!(
        miette::Diagnostic::help(&errors[0]).map(|h| h.to_string()),
        Some("did you mean `merchant`?".to_string())
    );
}

/// A misspelt effect is answered with the nearest declared one.
#[test]
fn a_misspelt_effect_is_answered_with_the_nearest() {
    let errors = program(&wrap("rule r { when true then violaton(code: \"x\") }"))
        .expect_err("an unknown effect");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `violation`?"));
}

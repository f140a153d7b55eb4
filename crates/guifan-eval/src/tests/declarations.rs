//! What is declared outside rules: parameter defaults, which must be known
//! when the rules load, and platforms, whose currency and zone are read.

use guifan_syntax::{parse, SourceId};

use super::{codes, program, wrap};
use crate::check;

/// The errors of a parameter of type `ty` defaulting to `default`: each
/// error's code, label, and the text its span covers.
fn default_errors(ty: &str, default: &str) -> Vec<(&'static str, Option<String>, String)> {
    let policy = wrap(&format!(
        "param p: {ty} = {default} rule r {{ when listings_online > 0 then violation(code: \"x\") }}"
    ));
    match program(&policy) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| {
                let at = policy
                    .get(e.span.start as usize..e.span.end as usize)
                    .unwrap_or("?")
                    .to_string();
                (e.kind.code(), e.label, at)
            })
            .collect(),
    }
}

#[test]
fn a_default_that_reads_the_subject_anywhere_is_refused_as_a_whole() {
    for (ty, default) in [
        ("bool", "1 > listings_online"),
        ("bool", "listings_online < 1"),
        ("bool", "listings_online in [1, 2]"),
        ("bool", "1 in [listings_online]"),
        ("int", "1 + listings_online"),
        ("int", "listings_online - 1"),
        ("bool", "true and listings_online > 1"),
        ("bool", "listings_online > 1 or true"),
        ("int", "if true then listings_online else 1"),
        ("int", "if listings_online > 1 then 1 else 2"),
        ("int", "if true then 1 else listings_online"),
        ("int", "max(1, listings_online)"),
        ("bool", "listings_online within [1, 2]"),
        ("bool", "1 within [listings_online, 2]"),
        ("bool", "1 within [0, listings_online]"),
    ] {
        assert_eq!(
            default_errors(ty, default),
            [("guifan::check::not_constant", None, default.to_string())],
            "{default}"
        );
    }
    // Constants in every form are computed.
    for (ty, default) in [
        ("bool", "1 > 0 and 2 in [1, 2] and 1 within [0, 2]"),
        ("int", "if 1 > 0 then max(1, 2) + 1 else 0"),
    ] {
        assert_eq!(default_errors(ty, default), [], "{default}");
    }
}

#[test]
fn a_platform_declares_its_currency_and_zone_and_a_misspelt_zone_is_refused() {
    let file = |text: &str| parse(SourceId(0), text).expect("parses");
    let program = check(&[file("platform ozon { currency RUB zone Europe/Moscow }")])
        .unwrap_or_else(|e| panic!("{e:?}"));
    let ozon = program.schema.platform("ozon").expect("declared");
    assert_eq!(ozon.zone, Some(chrono_tz::Europe::Moscow));
    assert_eq!(ozon.currency, crate::Currency::parse("RUB"));
    let errors = check(&[file("platform ozon { currency RUB zone Europe/Moskva }")])
        .expect_err("an unknown zone");
    let codes: Vec<_> = errors.iter().map(|e| e.kind.code()).collect();
    assert_eq!(codes, ["guifan::check::unknown_zone"]);
}

/// A deployment's parameter settings: each refusal has its stable code.
#[test]
fn setting_a_parameter_is_refused_with_a_stable_code() {
    let mut program = program(&wrap(
        "param cap: int = 100 rule r { when listings_online > cap then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let code = |r: Result<(), crate::ParamError>| r.err().map(|e| e.code());
    assert_eq!(code(program.set_param("t.p", "cap", "120")), None);
    assert_eq!(
        code(program.set_param("t.q", "cap", "120")),
        Some("guifan::params::unknown_policy")
    );
    assert_eq!(
        code(program.set_param("t.p", "cop", "120")),
        Some("guifan::params::unknown_param")
    );
    assert_eq!(
        code(program.set_param("t.p", "cap", "\"many\"")),
        Some("guifan::params::invalid")
    );
    // Each said in words, naming what was asked for.
    let said =
        |r: Result<(), crate::ParamError>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        said(program.set_param("t.q", "cap", "1")),
        "no policy `t.q`"
    );
    assert_eq!(
        said(program.set_param("t.p", "cop", "1")),
        "policy `t.p` has no parameter `cop` (its parameters: cap)"
    );
    assert!(said(program.set_param("t.p", "cap", "\"many\"")).starts_with("parameter `t.p.cap`: "));
}

/// Fields a kind declares for one platform (`when platform == "douyin" { ... }`)
/// are present in a policy whose filter names that platform, and may be absent
/// in one that does not.
#[test]
fn a_platforms_fields_are_present_under_a_filter_that_names_it() {
    let schema = "platform douyin { currency CNY }
        kind shop {
          platform: string
          when platform == \"douyin\" { rating: int }
        }
        effect violation(code: string)";
    let codes = |filter: &str| {
        let policy = format!(
            "policy t.p {{ subject shop {filter} zone Asia/Shanghai rule r {{ when rating > 3 then violation(code: \"x\") }} }}"
        );
        super::codes_of(check(&[
            parse(SourceId(0), schema).expect("parses"),
            parse(SourceId(1), &policy).expect("parses"),
        ]))
    };
    assert_eq!(codes("where platform == \"douyin\""), Vec::<&str>::new());
    assert_eq!(codes(""), ["guifan::check::maybe_absent"]);
    assert_eq!(
        codes("where platform == \"kuaishou\""),
        ["guifan::check::maybe_absent"]
    );
    // Under an `and` with the platform's equality, they are present.
    assert_eq!(
        codes("where platform == \"douyin\" and platform != \"x\""),
        Vec::<&str>::new()
    );
    // Nor under an `or` of platforms.
    assert_eq!(
        codes("where platform == \"douyin\" or platform == \"kuaishou\""),
        ["guifan::check::maybe_absent"]
    );
}

/// Every built-in type name a schema may write.
#[test]
fn a_schema_may_name_every_built_in_type() {
    let schema = "kind k {
          a: bool b: int c: decimal d: money e: percent f: string g: text
          h: date i: timestamp j: time k: duration l: period
        }
        effect metric(value: any)";
    assert!(check(&[parse(SourceId(0), schema).expect("parses")]).is_ok());
    let unknown = check(&[parse(SourceId(0), "kind k { a: moment }").expect("parses")]);
    assert_eq!(super::codes_of(unknown), ["guifan::check::unknown_type"]);
}

/// A chain of definitions reading one another is bounded exactly at
/// [`crate::check::MAX_LET_DEPTH`].
#[test]
fn a_chain_of_definitions_is_bounded_exactly() {
    let chain = |n: usize| {
        let lets: String = (1..n)
            .map(|i| format!("let d{i} = d{} + 1 ", i - 1))
            .collect();
        let policy = wrap(&format!(
            "let d0 = 1 {lets} rule r {{ when d{} > 0 then violation(code: \"x\") }}",
            n - 1
        ));
        super::codes(&policy)
    };
    let limit = crate::check::MAX_LET_DEPTH;
    assert_eq!(chain(limit), Vec::<&str>::new());
    assert_eq!(chain(limit + 1), ["guifan::check::too_deep"]);
}

/// A parameter, definition or ranking named twice, or named like a field of
/// the subject, is refused where the name is written again.
#[test]
fn a_name_declared_twice_or_like_a_field_is_refused() {
    let check = |entries: &str| {
        codes(&wrap(&format!(
            "{entries} rule r {{ when true then violation(code: \"x\") }}"
        )))
    };
    assert_eq!(check("param a: int = 1 let b = 2"), Vec::<&str>::new());
    assert_eq!(
        check("param a: int = 1 param a: int = 2"),
        ["guifan::check::duplicate"]
    );
    assert_eq!(check("let a = 1 let a = 2"), ["guifan::check::duplicate"]);
    // The first declaration is shown beside the second.
    let errors = program(&wrap(
        "let a = 1 let a = 2 rule r { when true then violation(code: \"x\") }",
    ))
    .expect_err("a duplicate");
    let labels = miette::Diagnostic::labels(&errors[0]).map_or(0, |l| l.count());
    assert_eq!(labels, 2);
    assert_eq!(
        check("param a: int = 1 let a = 2"),
        ["guifan::check::duplicate"]
    );
    assert_eq!(
        check("let listings_online = 1"),
        ["guifan::check::shadows_field"]
    );
}

/// `kind` and `id` are every kind's own: declaring either is refused, with
/// why.
#[test]
fn declaring_kind_or_id_is_refused_with_why() {
    for field in ["id", "kind"] {
        let src = format!("kind k {{ {field}: string, n: int }}");
        let errors = check(&[parse(SourceId(0), &src).expect("parses")]).expect_err(field);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].kind.code(), "guifan::check::duplicate");
        let help = errors[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("every kind has `kind` and `id`"), "{help}");
    }
}

/// A rule's versions may not be in force at once: windows that overlap are
/// refused, windows that meet end to start are not.
#[test]
fn versions_in_force_at_once_are_refused() {
    let versions = |a: &str, b: &str| {
        codes(&wrap(&format!(
            "rule r {{ version \"a\" {a} {{ when true then violation(code: \"a\") }} \
             version \"b\" {b} {{ when true then violation(code: \"b\") }} }}"
        )))
    };
    let overlap = ["guifan::check::version_overlap"];
    assert_eq!(
        versions(
            "until 2023-03-01T00:00+08:00",
            "from 2023-03-01T00:00+08:00"
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        versions(
            "until 2023-03-02T00:00+08:00",
            "from 2023-03-01T00:00+08:00"
        ),
        overlap
    );
    assert_eq!(versions("from 2023-01-01", "from 2023-02-01"), overlap);
    assert_eq!(
        versions("from 2023-03-01", "until 2023-02-01"),
        Vec::<&str>::new()
    );
}

/// A parameter may be of a record type the schema names.
#[test]
fn a_parameter_may_be_of_a_named_record_type() {
    let schema = "platform douyin { currency CNY }
        record Limit { n: int }
        kind shop { platform: string }
        effect e";
    let codes = |param: &str| {
        let policy = format!(
            "policy t.p {{ subject shop zone UTC {param} rule r {{ when len(lims) > 0 then e }} }}"
        );
        super::codes_of(check(&[
            parse(SourceId(0), schema).expect("parses"),
            parse(SourceId(1), &policy).expect("parses"),
        ]))
    };
    assert_eq!(codes("param lims: [Limit] = []"), Vec::<&str>::new());
    assert_eq!(
        codes("param lims: [Limt] = []"),
        ["guifan::check::unknown_type"]
    );
}

/// A record named twice, or like a built-in type, is refused.
#[test]
fn a_record_named_twice_or_like_a_type_is_refused() {
    for src in [
        "record r { a: int } record r { b: int }",
        "record money { a: int }",
    ] {
        let errors = check(&[parse(SourceId(0), src).expect("parses")]).expect_err(src);
        let codes: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
        assert_eq!(codes, ["guifan::check::duplicate"], "{src}");
    }
}

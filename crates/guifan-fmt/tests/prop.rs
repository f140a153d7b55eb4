//! Property tests over generated programs: parse → format → parse gives the
//! same tree (comments included), and formatting twice changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use guifan_syntax::{parse, same_ignoring_spans, SourceId};
use proptest::prelude::*;

/// Space between two tokens: a space, a line break, or a comment.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        1 => Just("\n      ".to_string()),
        1 => "[a-z ]{0,12}".prop_map(|c| format!(" // {c}\n  ")),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..100, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        (0u32..10000).prop_map(|n| format!("{n} CNY")),
        (0u32..100).prop_map(|n| format!("{n}%")),
        prop_oneof![
            Just("72h"),
            Just("30d"),
            Just("15min"),
            Just("2w"),
            Just("10s")
        ]
        .prop_map(str::to_string),
        prop_oneof![Just("1y"), Just("6mo")].prop_map(str::to_string),
        Just("2023-02-28".to_string()),
        Just("2023-02-24T00:00+08:00".to_string()),
        Just("09:00".to_string()),
        "[a-z\u{4e00}-\u{4e10} ]{0,8}".prop_map(|s| format!("\"{s}\"")),
        Just("\"\\u{4E2D}\\t\"".to_string()),
        Just("true".to_string()),
        Just("absent".to_string()),
        Just("permanent".to_string()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("listings_online"),
        Just("deposit.balance"),
        Just("now"),
        Just("r.at"),
        Just("xs[1]"),
    ]
    .prop_map(str::to_string)
}

/// An expression; operands of operators are atoms or parenthesised, so that
/// every generated text parses (comparisons do not chain).
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![literal(), name()];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let operand = inner.clone().prop_map(|e| format!("({e})"));
        prop_oneof![
            (
                operand.clone(),
                prop_oneof![
                    Just("and"),
                    Just("or"),
                    Just("+"),
                    Just("*"),
                    Just("??"),
                    Just(">"),
                    Just("=="),
                    Just("in")
                ],
                operand.clone(),
                gap()
            )
                .prop_map(|(a, op, b, g)| format!("{a}{g}{op} {b}")),
            proptest::collection::vec(operand.clone(), 2..5).prop_map(|xs| xs.join(" and ")),
            (operand.clone(), operand.clone(), operand.clone())
                .prop_map(|(c, a, b)| format!("if {c} then {a} else if {a} then {b} else {b}")),
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|xs| format!("[{}]", xs.join(", "))),
            proptest::collection::vec(inner.clone(), 1..4)
                .prop_map(|xs| format!("max({})", xs.join(", "))),
            (proptest::collection::vec(inner.clone(), 1..4), gap()).prop_map(|(xs, g)| {
                let fields: Vec<String> = xs
                    .iter()
                    .enumerate()
                    .map(|(k, x)| format!("f{k}:{g}{x}"))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }),
            (inner.clone(), operand.clone())
                .prop_map(|(m, w)| format!("sum({m} for d in ds where {w})")),
            operand
                .clone()
                .prop_map(|w| format!("count(w in ws where {w})")),
            operand.clone().prop_map(|x| format!("not {x}")),
            operand.clone().prop_map(|x| format!("-{x}")),
            operand.clone().prop_map(|x| format!("{x} is present")),
            (operand.clone(), operand.clone()).prop_map(|(l, h)| format!("t within ({l}, {h}]")),
            (inner.clone(), inner.clone(), gap())
                .prop_map(|(x, y, g)| format!("any {{{g}one \"一\": {x}\n two: {y} }}")),
        ]
    })
}

/// A policy with parameters, definitions, rules and comments.
fn policy() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((expr(), gap()), 1..4),
        proptest::collection::vec(expr(), 1..4),
        proptest::collection::vec((expr(), expr(), expr()), 1..3),
        "[a-z ]{0,20}",
    )
        .prop_map(|(lets, params, rules, comment)| {
            let mut out = format!("// {comment}\npolicy t.p {{\n  title \"标题\"\n  subject merchant where {}\n  zone Asia/Shanghai\n\n", "a > 1");
            for (k, e) in params.iter().enumerate() {
                out.push_str(&format!("  param p{k}: int = {e}\n"));
            }
            for (k, (e, g)) in lets.iter().enumerate() {
                out.push_str(&format!("  let l{k} ={g}{e} // after l{k}\n"));
            }
            for (k, (w, v, m)) in rules.iter().enumerate() {
                out.push_str(&format!(
                    "\n  // rule {k}\n  rule r{k} \"规则\" {{\n    let x = {v}\n    when {w}\n    then violation(code: \"c\", value: {v}) if {m}, end_trial\n    message \"{{x}} 和 {{ {m} }} {{{{literal}}}}\"\n  }}\n"
                ));
            }
            out.push_str("}\n");
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn formatting_keeps_the_tree_and_is_idempotent(text in policy()) {
        let before = parse(SourceId(0), &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let once = guifan_fmt::format_file(&before, &text);
        let after = parse(SourceId(0), &once)
            .unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n--- from\n{text}\n--- to\n{once}"));
        prop_assert!(same_ignoring_spans(&before, &after), "tree changed\n--- from\n{}\n--- to\n{}", text, once);
        let twice = guifan_fmt::format_text(&once).unwrap();
        prop_assert_eq!(&once, &twice, "not idempotent");
    }
}

//! The checked program as tools read it: each expression's form and where it
//! was written.

use super::{program, wrap};
use crate::ir::{ArithOp, ExprKind};

#[test]
fn an_arithmetic_chain_keeps_each_step_its_operator_operand_and_span() {
    let policy = wrap("rule r { when listings_online + 1 - 2 > 0 then violation(code: \"x\") }");
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let when = program.policies()[0].rules()[0].versions()[0].when();
    let text = |span: guifan_syntax::Span| {
        policy
            .get(span.start as usize..span.end as usize)
            .unwrap_or("?")
    };
    let ExprKind::Cmp(_, chain, _) = when.kind() else {
        panic!("{when:?}")
    };
    let ExprKind::Arith(first, steps) = chain.kind() else {
        panic!("{chain:?}")
    };
    assert_eq!(text(first.span()), "listings_online");
    let seen: Vec<(ArithOp, &str, &str)> = steps
        .iter()
        .map(|s| (s.op(), text(s.rhs().span()), text(s.span())))
        .collect();
    assert_eq!(
        seen,
        [
            (ArithOp::Add, "1", "listings_online + 1"),
            (ArithOp::Sub, "2", "listings_online + 1 - 2"),
        ]
    );
}

/// An effect whose arguments are all constants carries their values, shared
/// by every decision; one that reads the subject does not (a survivor of the
/// mutation run: no effect ever constant went unnoticed, as only speed
/// depends on it).
#[test]
fn an_effect_of_constant_arguments_carries_their_values() {
    let policy = wrap(
        "rule r { when listings_online > 0 then violation(code: \"x\"), reject(action: platform) }",
    );
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let effects = program.policies()[0].rules()[0].versions()[0].effects();
    let constant = effects[0].constant().expect("constant arguments");
    let args: Vec<(String, String)> = constant
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(args, [("code".to_string(), "x".to_string())]);
    assert!(effects[1].constant().is_none());
}

/// A rule's versions keep their windows, and a parameter used as a pattern
/// keeps its compiled expressions (survivors of the mutation run: both
/// accessors made constant went unnoticed).
#[test]
fn versions_keep_their_windows_and_pattern_parameters_their_patterns() {
    let policy = wrap(
        "param words: [string] = [\"^vx\", \"telegram\"] param cap: int = 1
         rule r {
           version \"old\" until 2024-01-01 { when matches(platform, words) then violation(code: \"x\") }
           version \"new\" from 2024-01-01 { when listings_online > cap then violation(code: \"x\") }
         }",
    );
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let p = &program.policies()[0];
    let windows: Vec<(Option<String>, Option<String>)> = p.rules()[0]
        .versions()
        .iter()
        .map(|v| {
            let w = v.window();
            (
                w.from().map(|t| t.to_rfc3339()),
                w.until().map(|t| t.to_rfc3339()),
            )
        })
        .collect();
    let midnight = Some("2024-01-01T00:00:00+08:00".to_string());
    assert_eq!(windows, [(None, midnight.clone()), (midnight, None)]);
    let words = p
        .params()
        .iter()
        .find(|x| x.name() == "words")
        .expect("declared");
    let patterns = words.patterns().expect("compiled");
    assert_eq!(patterns.len(), 2);
    assert!(!patterns.is_match("TELEGRAM channel") && patterns.is_match("vx123"));
    let cap = p
        .params()
        .iter()
        .find(|x| x.name() == "cap")
        .expect("declared");
    assert!(cap.patterns().is_none());
}

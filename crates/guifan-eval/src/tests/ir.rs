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
    // From inclusive, until exclusive.
    let instant = |t: &str| {
        t.parse::<chrono::DateTime<chrono::FixedOffset>>()
            .expect("an instant")
    };
    let versions = p.rules()[0].versions();
    let new_year = instant("2024-01-01T00:00:00+08:00");
    let eve = instant("2023-12-31T23:59:59+08:00");
    assert!(versions[0].window().contains(&eve) && !versions[0].window().contains(&new_year));
    assert!(versions[1].window().contains(&new_year) && !versions[1].window().contains(&eve));
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

/// Every part of a policy as tools read it (the language server, the
/// linter, `explain`): header, parameters, definitions, rankings, a rule
/// over items in groups, its effects and message.
#[test]
fn a_policy_reads_back_part_by_part() {
    let text = "policy t.tools {
  title \"工具\"
  subject merchant where platform == \"douyin\"
  zone Asia/Shanghai
  currency CNY
  governed by now - 1d
  param cap: int = 100
  let big = listings_online > cap
  rank busy by listings_online per store_type where big
  rule twice \"同日两次\" for w in withdrawals group by day: date(w.at) as same_day {
    when count(same_day) > 1
    then violation(code: \"x\") if big, reject(action: \"withdrawal\")
    message \"{day}\"
  }
}";
    let program = super::program(text).unwrap_or_else(|e| panic!("{e:?}"));
    let at = |span: guifan_syntax::Span| {
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("?")
    };
    let p = program.policy("t.tools").expect("found by ID");
    assert!(program.policy("t.other").is_none());
    let merchant = program.schema().kind("merchant").expect("a kind");
    assert_eq!(p.kind(), merchant);
    assert_eq!(program.policies_for(merchant).count(), 1);
    assert_eq!((&**p.id(), p.title()), ("t.tools", Some("工具")));
    assert_eq!(p.source_id(), guifan_syntax::SourceId(1));
    assert_eq!(p.zone(), chrono_tz::Asia::Shanghai);
    assert_eq!(p.currency(), crate::Currency::parse("CNY"));
    assert_eq!(at(p.currency_span()), "CNY");
    assert_eq!(
        at(p.filter().expect("a filter").span()),
        "platform == \"douyin\""
    );
    assert_eq!(at(p.governed_by().expect("governed").span()), "now - 1d");
    let param = &p.params()[0];
    assert_eq!(
        (param.name(), param.ty(), param.value()),
        ("cap", &crate::Type::Int, &crate::Value::Int(100))
    );
    assert_eq!(
        (p.lets()[0].name(), at(p.lets()[0].expr().span())),
        ("big", "listings_online > cap")
    );
    let rank = &p.rankings()[0];
    assert_eq!(rank.name(), "busy");
    assert_eq!(at(rank.score().span()), "listings_online");
    assert_eq!(rank.per().map(|e| at(e.span())), Some("store_type"));
    assert_eq!(rank.filter().map(|e| at(e.span())), Some("big"));
    let rule = &p.rules()[0];
    assert_eq!(
        (&**rule.id(), rule.name(), rule.title()),
        ("t.tools.twice", "twice", Some("同日两次"))
    );
    assert!(at(rule.span()).starts_with("rule twice"));
    assert!(rule.on().is_none());
    let each = rule.each().expect("for each item");
    assert_eq!(at(each.source().span()), "withdrawals");
    assert_eq!(
        each.keys()
            .map(|k| k.iter().map(|e| at(e.span())).collect::<Vec<_>>()),
        Some(vec!["date(w.at)"])
    );
    let version = &rule.versions()[0];
    assert!(version.label().is_none());
    assert_eq!(at(version.when().span()), "count(same_day) > 1");
    let effects = version.effects();
    assert_eq!(
        effects.iter().map(|e| &**e.kind()).collect::<Vec<_>>(),
        ["violation", "reject"]
    );
    assert_eq!(
        effects[0]
            .args()
            .iter()
            .map(|(n, e)| (&**n, at(e.span())))
            .collect::<Vec<_>>(),
        [("code", "\"x\"")]
    );
    assert_eq!(effects[0].guard().map(|g| at(g.span())), Some("big"));
    assert!(effects[1].guard().is_none());
    assert!(version.message().is_some());
    let whole = p.effective();
    assert!(whole.from().is_none() && whole.until().is_none());
}

/// What is the same for every item of an aggregate is computed once: the
/// checked program marks it (a negation and a field of what is invariant
/// are invariant too; survivors of the mutation run: not marking them went
/// unnoticed, as only speed changed).
#[test]
fn what_every_item_shares_is_marked_invariant() {
    let invariants = |cond: &str| {
        let policy = wrap(&format!(
            "rule r {{ when {cond} then violation(code: \"x\") }}"
        ));
        let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
        format!(
            "{:?}",
            program.policies()[0].rules()[0].versions()[0].when()
        )
        .matches("Invariant(")
        .count()
    };
    assert_eq!(
        invariants("count(w in withdrawals where w.amount > abs(-goods_balance)) > 0"),
        1
    );
    assert_eq!(
        invariants("count(w in withdrawals where w.amount > goods_balance) > 0"),
        0
    );
    assert_eq!(
        invariants("count(w in withdrawals where w.amount > abs(-w.amount)) > 0"),
        0
    );
}

/// A checked policy's debug form says that it was compiled.
#[test]
fn a_checked_policy_is_shown_compiled() {
    let program = program(&wrap(
        "rule r { when listings_online > 1 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let shown = format!("{:?}", program.policies()[0]);
    assert!(shown.contains("compiled: Compiled"), "{shown}");
}

/// A versioned rule's versions keep their labels; a single body has none.
#[test]
fn versions_keep_their_labels() {
    let policy = wrap(
        "rule v { version \"旧\" until 2023-03-01T00:00+08:00 { when true then violation(code: \"o\") } \
         version \"新\" from 2023-03-01T00:00+08:00 { when true then violation(code: \"n\") } } \
         rule s { when true then violation(code: \"s\") }",
    );
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let rules = program.policies()[0].rules();
    let labels: Vec<Option<&str>> = rules
        .iter()
        .flat_map(|r| r.versions().iter().map(|v| v.label().map(|l| &**l)))
        .collect();
    assert_eq!(labels, [Some("旧"), Some("新"), None]);
}

/// A rule on another kind keeps that kind and its filter; others have none.
#[test]
fn a_rule_on_another_kind_keeps_it() {
    let schema = "platform douyin { currency CNY }
        kind shop { platform: string, rating: int }
        kind pickup { platform: string, n: int }
        effect e";
    // After the rule on `pickup`, the next reads the subject's fields again.
    let policy = "policy t.p { subject shop zone UTC
        rule r on pickup where n > 1 { when n > 2 then e }
        rule s { when rating > 1 then e } }";
    let program = crate::check(&[
        guifan_syntax::parse(guifan_syntax::SourceId(0), schema).expect("parses"),
        guifan_syntax::parse(guifan_syntax::SourceId(1), policy).expect("parses"),
    ])
    .unwrap_or_else(|e| panic!("{e:?}"));
    let rules = program.policies()[0].rules();
    let on = rules[0].on().expect("on another kind");
    assert_eq!(
        program.schema.kind_def(on.0).map(|k| k.name.as_str()),
        Some("pickup")
    );
    assert!(on.1.is_some());
    assert!(rules[1].on().is_none());
}

/// A message without interpolations is kept as one constant text; one with
/// them as a template.
#[test]
fn a_message_without_interpolations_is_constant() {
    let policy = wrap(
        "rule c { when true then violation(code: \"c\") message \"常量 {{x}}\" } \
         rule t { when true then violation(code: \"t\") message \"第 {listings_online} 个\" } \
         rule e { when true then violation(code: \"e\") message \"\" }",
    );
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let messages: Vec<&crate::Message> = program.policies()[0]
        .rules()
        .iter()
        .filter_map(|r| r.versions()[0].message())
        .collect();
    assert!(
        matches!(messages[0], crate::Message::Constant(t) if &**t == "常量 {x}"),
        "{messages:?}"
    );
    assert!(
        matches!(messages[1], crate::Message::Template(_)),
        "{messages:?}"
    );
    assert!(
        matches!(messages[2], crate::Message::Constant(t) if t.is_empty()),
        "{messages:?}"
    );
}

/// A rule's own definitions are kept on its version, in order.
#[test]
fn a_rules_definitions_are_kept_in_order() {
    let policy = wrap(
        "rule r { let a = listings_online + 1 let b = a * 2 when b > 1 then violation(code: \"x\") }",
    );
    let program = program(&policy).unwrap_or_else(|e| panic!("{e:?}"));
    let lets = program.policies()[0].rules()[0].versions()[0].lets();
    let texts: Vec<&str> = lets
        .iter()
        .map(|e| {
            policy
                .get(e.span().start as usize..e.span().end as usize)
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(texts, ["listings_online + 1", "a * 2"]);
}

/// A record of the other kind is judged by the rules on it alone; the
/// subject's rules are not run on it.
#[test]
fn a_record_of_another_kind_meets_only_the_rules_on_it() {
    let schema = "platform douyin { currency CNY }
        kind shop { platform: string, rating: int }
        kind pickup { platform: string, n: int }
        effect e";
    let policy = "policy t.p { subject shop zone UTC
        rule r on pickup { when n > 2 then e }
        rule s { when rating > 1 then e } }";
    let program = crate::check(&[
        guifan_syntax::parse(guifan_syntax::SourceId(0), schema).expect("parses"),
        guifan_syntax::parse(guifan_syntax::SourceId(1), policy).expect("parses"),
    ])
    .unwrap_or_else(|e| panic!("{e:?}"));
    let decide = |record: &str| {
        let subject = crate::decode_subject(&program.schema, record.as_bytes()).expect("decodes");
        let outcome = crate::evaluate(&program, &subject, super::now());
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        outcome
            .decisions
            .iter()
            .map(|d| d.rule.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        decide(r#"{"kind":"pickup","id":"p","platform":"douyin","n":3}"#),
        ["t.p.r"]
    );
    assert_eq!(
        decide(r#"{"kind":"shop","id":"s","platform":"douyin","rating":3}"#),
        ["t.p.s"]
    );
}

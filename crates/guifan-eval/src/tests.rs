//! Checker and evaluator tests over small inline policies.

use guifan_syntax::{parse, SourceId};

mod advice;
mod compiled;
mod complete_errors;
mod declarations;
mod ir;
mod optional_lists;
mod presence;
mod ranked;
mod ratios;
mod requirements;
mod text;
mod traced;
mod uses;

use crate::{check, decode_subject, evaluate, CheckError, Program, Value};

const SCHEMA: &str = r#"
    platform douyin { currency CNY zone Asia/Shanghai }
    kind merchant {
      platform: string
      currency: string?
      store_type: "personal" | "individual" | "enterprise"
      listings_online: int
      goods_balance: money
      trial: { active: bool, ended_at: timestamp? }?
      withdrawals: [{ at: timestamp, amount: money }]
      withdrawal_request: { at: timestamp, amount: money }?
      received_orders: [{ id: string, amount: money }]?
    }
    effect violation(code: string)
    effect reject(action: string)
    effect restrict(target: "withdrawal" | "listing")
"#;

fn program(policy: &str) -> Result<Program, Vec<CheckError>> {
    let schema = parse(SourceId(0), SCHEMA).expect("schema parses");
    let file = parse(SourceId(1), policy).expect("policy parses");
    check(&[schema, file])
}

fn codes(policy: &str) -> Vec<&'static str> {
    codes_of(program(policy))
}

/// The codes of what checking reported: none when it passed.
fn codes_of(checked: Result<Program, Vec<CheckError>>) -> Vec<&'static str> {
    match checked {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.kind.code()).collect(),
    }
}

fn wrap(body: &str) -> String {
    format!("policy t.p {{ subject merchant where platform == \"douyin\" zone Asia/Shanghai currency CNY {body} }}")
}

const RECORD: &str = r#"{"kind":"merchant","id":"m","platform":"douyin","store_type":"personal","listings_online":101,
  "goods_balance":"1000.00","trial":{"active":true,"ended_at":null},
  "withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"}],
  "withdrawal_request":{"at":"2023-03-15T09:00:00+08:00","amount":500.10}}"#;

/// The time the tests decide at.
fn now() -> chrono::DateTime<chrono::FixedOffset> {
    "2023-03-20T12:00:00+08:00".parse().expect("an instant")
}

/// [`RECORD`], decoded for `program`.
fn record_subject(program: &Program) -> crate::Subject {
    decode_subject(&program.schema, RECORD.as_bytes()).expect("decodes")
}

fn fired(body: &str, record: &str) -> Vec<String> {
    let program = program(&wrap(body)).unwrap_or_else(|e| panic!("{e:?}"));
    let subject = decode_subject(&program.schema, record.as_bytes()).expect("decodes");
    let now = now();
    let outcome = evaluate(&program, &subject, now);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .decisions
        .iter()
        .map(|d| match &d.message {
            Some(m) => format!("{}: {m}", d.rule),
            None => d.rule.to_string(),
        })
        .collect()
}

#[test]
fn unknown_fields_are_rejected_with_a_suggestion() {
    let errors = program(&wrap(
        "rule r { when listing_online > 1 then violation(code: \"x\") }",
    ))
    .unwrap_err();
    assert_eq!(errors[0].kind.code(), "guifan::check::unknown_field");
    assert_eq!(
        errors[0].help.as_deref(),
        Some("did you mean `listings_online`?")
    );
}

#[test]
fn optional_fields_must_be_handled() {
    assert_eq!(
        codes(&wrap(
            "rule r { when withdrawal_request.amount > 1 CNY then violation(code: \"x\") }"
        )),
        ["guifan::check::maybe_absent"]
    );
    assert!(codes(&wrap(
        "rule r { when withdrawal_request is present and withdrawal_request.amount > 1 CNY then reject(action: \"withdrawal\") message \"{withdrawal_request.amount}\" }"
    ))
    .is_empty());
    assert!(codes(&wrap("rule r { when not (withdrawal_request is absent) and withdrawal_request.amount > 1 CNY then violation(code: \"x\") }")).is_empty());
}

#[test]
fn types_and_currencies_do_not_mix() {
    assert_eq!(
        codes(&wrap(
            "rule r { when listings_online > 5 CNY then violation(code: \"x\") }"
        )),
        ["guifan::check::invalid_operands"]
    );
    assert_eq!(
        codes(&wrap(
            "rule r { when goods_balance > 5 USD then violation(code: \"x\") }"
        )),
        ["guifan::check::currency_mismatch"]
    );
    assert_eq!(
        codes(&wrap(
            "rule r { when listings_online then violation(code: \"x\") }"
        )),
        ["guifan::check::type_mismatch"]
    );
}

#[test]
fn enum_strings_are_checked() {
    let errors = program(&wrap(
        "rule r { when store_type == \"personl\" then violation(code: \"x\") }",
    ))
    .unwrap_err();
    assert_eq!(errors[0].kind.code(), "guifan::check::unknown_enum_value");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `personal`?"));
    assert_eq!(
        codes(&wrap(
            "rule r { when true then restrict(target: \"listng\") }"
        )),
        ["guifan::check::unknown_enum_value"]
    );
}

#[test]
fn effects_are_checked() {
    assert_eq!(
        codes(&wrap(
            "rule r { when true then restrictt(target: \"listing\") }"
        )),
        ["guifan::check::unknown_effect"]
    );
    assert_eq!(
        codes(&wrap("rule r { when true then restrict }")),
        ["guifan::check::missing_argument"]
    );
    assert_eq!(
        codes(&wrap("rule r { when true then reject(action: 5) }")),
        ["guifan::check::type_mismatch"]
    );
}

#[test]
fn rules_fire_with_messages() {
    let body = r#"
        param cap: int = 100
        let over = listings_online - cap
        rule listing_cap { when listings_online > cap then violation(code: "x") message "超出 {over} 件" }
        rule quiet { when listings_online > 200 then violation(code: "y") }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.listing_cap: 超出 1 件"]);
}

#[test]
fn aggregates_and_calendar_months() {
    let body = r#"
        rule same_month {
          when withdrawal_request is present
           and any(w in withdrawals where month(w.at) == month(withdrawal_request.at))
          then reject(action: "withdrawal")
          message "{count(withdrawals)} 次, 共 {sum(w.amount for w in withdrawals)}, 最大 {max(w.amount for w in withdrawals) ?? 0 CNY}"
        }
    "#;
    assert_eq!(
        fired(body, RECORD),
        ["t.p.same_month: 1 次, 共 300.00 CNY, 最大 300.00 CNY"]
    );
}

#[test]
fn named_conditions_report_what_held() {
    let body = r#"
        rule exit {
          when any { many "商品过多": listings_online > 100, rich "余额高": goods_balance > 5000 CNY, big: listings_online > 50 }
          then violation(code: "x")
          message "{held}"
        }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.exit: 商品过多、big"]);
}

#[test]
fn json_numbers_are_exact_money() {
    let body = r#"rule r { when withdrawal_request is present and withdrawal_request.amount == 500.10 CNY then violation(code: "x") message "{withdrawal_request.amount * 50%}" }"#;
    assert_eq!(fired(body, RECORD), ["t.p.r: 250.05 CNY"]);
}

#[test]
fn parameters_can_be_overridden() {
    let mut program = program(&wrap(
        "param cap: int = 100 rule r { when listings_online > cap then violation(code: \"x\") }",
    ))
    .unwrap();
    program.set_param("t.p", "cap", "200").unwrap();
    let subject = record_subject(&program);
    let outcome = evaluate(&program, &subject, now());
    assert!(outcome.decisions.is_empty());
    assert!(program.set_param("t.p", "cap", "\"many\"").is_err());
    assert!(program.set_param("t.p", "capp", "1").is_err());
}

#[test]
fn the_program_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Program>();
}

#[test]
fn windows_include_and_exclude_their_bounds() {
    let body = r#"
        rule open_closed { when listings_online within (100, 101] then violation(code: "a") }
        rule closed_open { when listings_online within [101, 102) then violation(code: "b") }
        rule excluded { when listings_online within (101, 200] then violation(code: "c") }
        rule month { when any(w in withdrawals where w.at within [2023-03-01T00:00+08:00, now]) then violation(code: "d") }
    "#;
    assert_eq!(
        fired(body, RECORD),
        ["t.p.open_closed", "t.p.closed_open", "t.p.month"]
    );
    assert_eq!(
        codes(&wrap(
            "rule r { when listings_online within (1 CNY, now] then violation(code: \"x\") }"
        )),
        [
            "guifan::check::invalid_operands",
            "guifan::check::invalid_operands"
        ]
    );
}

#[test]
fn parameter_defaults_must_be_computable_constants() {
    assert_eq!(
        codes(&wrap("param cap: int = listings_online rule r { when listings_online > cap then violation(code: \"x\") }")),
        ["guifan::check::not_constant"]
    );
    let errors = program(&wrap("param cap: decimal = 1 / 0 rule r { when listings_online > cap then violation(code: \"x\") }")).unwrap_err();
    assert_eq!(errors[0].kind.code(), "guifan::check::not_constant");
    assert_eq!(errors[0].label.as_deref(), Some("division by zero"));
}

#[test]
fn membership_and_distinct_refuse_money_in_another_currency() {
    // No `currency` line: the record's money (CNY, from its platform) meets RUB literals.
    for when in [
        "goods_balance in [1000.00 RUB]",
        "contains([1000.00 RUB], goods_balance)",
        "count(distinct([goods_balance, 1000.00 RUB])) == 1",
        "goods_balance == 1000.00 RUB",
    ] {
        let policy = format!(
            "policy t.q {{ subject merchant where platform == \"douyin\" zone Asia/Shanghai rule r {{ when {when} then violation(code: \"x\") }} }}"
        );
        let program = program(&policy).unwrap_or_else(|e| panic!("{when}: {e:?}"));
        let subject = record_subject(&program);
        let now = now();
        let outcome = evaluate(&program, &subject, now);
        assert!(outcome.decisions.is_empty(), "{when}");
        let codes: Vec<_> = outcome.errors.iter().map(|e| e.error.kind.code()).collect();
        assert_eq!(codes, ["guifan::eval::currency_mismatch"], "{when}");
    }
}

#[test]
fn days_without_a_local_midnight_still_start() {
    // In America/Sao_Paulo the clocks jumped from 00:00 to 01:00 on 2018-11-04.
    let policy = r#"policy t.sp {
        subject merchant where platform == "douyin"
        zone America/Sao_Paulo
        effective from 2018-11-04
        rule r { when start_of_day(date(now)) == 2018-11-04T01:00-02:00 then violation(code: "x") }
    }"#;
    let program = program(policy).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        program.policies[0].effective.from.map(|t| t.to_rfc3339()),
        Some("2018-11-04T01:00:00-02:00".to_string())
    );
    let subject = record_subject(&program);
    let now = "2018-11-04T12:00:00-02:00".parse().unwrap();
    let outcome = evaluate(&program, &subject, now);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.decisions.len(), 1);
}

#[test]
fn inverted_windows_are_rejected() {
    assert_eq!(
        codes(&wrap("effective from 2024-01-01 until 2023-01-01 rule r { when true then violation(code: \"x\") }")),
        ["guifan::check::inverted_window"]
    );
    assert_eq!(
        codes(&wrap("effective from 2023-01-01 until 2023-01-01 rule r { when true then violation(code: \"x\") }")),
        ["guifan::check::inverted_window"]
    );
}

#[test]
fn long_chains_check_and_evaluate_without_recursing_per_operand() {
    let n = 20_000;
    let or_chain = vec!["listings_online == 0"; n].join(" or ") + " or listings_online == 101";
    let sum = vec!["1"; n].join(" + ");
    let coalesce = vec!["goods_balance"; n].join(" ?? ");
    let body = format!(
        "rule a {{ when {or_chain} then violation(code: \"a\") }}
         rule b {{ when {sum} == {n} then violation(code: \"b\") }}
         rule c {{ when ({coalesce}) == 1000.00 CNY then violation(code: \"c\") }}"
    );
    // On a thread with a small stack, to show the chains do not recurse.
    let fired = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || fired(&body, RECORD))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(fired, ["t.p.a", "t.p.b", "t.p.c"]);
}

#[test]
fn definitions_chains_are_bounded() {
    let lets: String = (1..=crate::check::MAX_LET_DEPTH + 1)
        .map(|i| format!("let d{i} = d{} + 1\n", i - 1))
        .collect();
    let body = format!("let d0 = 1\n{lets} rule r {{ when d1 > 0 then violation(code: \"x\") }}");
    let found = codes(&wrap(&body));
    assert!(
        !found.is_empty() && found.iter().all(|c| *c == "guifan::check::too_deep"),
        "{found:?}"
    );
}

#[test]
fn repeated_arguments_conditions_and_implicit_fields_are_rejected() {
    assert_eq!(
        codes(&wrap(
            "rule r { when true then violation(code: \"a\", code: \"b\") }"
        )),
        ["guifan::check::duplicate"]
    );
    assert_eq!(
        codes(&wrap("rule r { when any { big: listings_online > 1, big: listings_online > 2 } then violation(code: \"a\") }")),
        ["guifan::check::duplicate"]
    );
    let schema = "kind thing { id: int, name: string } effect e";
    let errors = check(&[parse(SourceId(0), schema).unwrap()]).unwrap_err();
    assert_eq!(errors[0].kind.code(), "guifan::check::duplicate");
}

#[test]
fn an_enum_parameter_default_must_be_one_of_its_values() {
    assert_eq!(
        codes(&wrap("param kind_of: \"personal\" | \"company\" = \"personl\" rule r { when store_type == kind_of then violation(code: \"a\") }")),
        ["guifan::check::unknown_enum_value"]
    );
    assert!(codes(&wrap("param kind_of: \"personal\" | \"company\" = \"personal\" rule r { when store_type == kind_of then violation(code: \"a\") }")).is_empty());
}

#[test]
fn the_deepest_expression_allowed_checks_and_evaluates_on_a_small_stack() {
    let mut inner = "listings_online".to_string();
    for _ in 0..60 {
        inner = format!("(listings_online + {inner})");
    }
    // 62 `not`s, a comparison and 60 nested sums: just under the depth limit.
    let body = format!(
        "rule r {{ when {}({inner} > 1) then violation(code: \"x\") }}",
        "not not ".repeat(31)
    );
    let fired = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || fired(&body, RECORD))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(fired, ["t.p.r"]);
}

#[test]
fn held_labels_travel_with_a_definition_into_every_rule_that_reads_it() {
    let body = r#"
        let risky = any { many "商品过多": listings_online > 100, rich "余额充足": goods_balance > 500.00 CNY }
        rule first { when risky then violation(code: "a") message "{held}" }
        rule second { when risky then violation(code: "b") message "{held}" }
    "#;
    let fired = fired(body, RECORD);
    assert_eq!(
        fired,
        [
            "t.p.first: 商品过多、余额充足",
            "t.p.second: 商品过多、余额充足"
        ]
    );
}

const WITHDRAWALS: &str = r#"{"kind":"merchant","id":"m","platform":"douyin","store_type":"personal","listings_online":1,
  "goods_balance":"1000.00","trial":null,
  "withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"},
                 {"at":"2023-03-01T23:30:00+08:00","amount":"50.00"},
                 {"at":"2023-03-02T00:30:00+08:00","amount":"700.00"},
                 {"at":"2023-03-01T16:30:00Z","amount":"20.00"}]}"#;

#[test]
fn a_for_rule_decides_once_per_item_it_fires_on() {
    let body = r#"
        rule big for w in withdrawals {
          let over = w.amount - 100.00 CNY
          when over > 0.00 CNY
          then violation(code: "big")
          message "{w.amount} 超出 {over}"
        }
    "#;
    assert_eq!(
        fired(body, WITHDRAWALS),
        [
            "t.p.big: 300.00 CNY 超出 200.00 CNY",
            "t.p.big: 700.00 CNY 超出 600.00 CNY"
        ]
    );
}

#[test]
fn a_grouped_rule_decides_once_per_group_in_the_order_of_first_items() {
    // Local days in Asia/Shanghai: 03-02 (10:00, 00:30, and 16:30Z on 03-01 = 00:30 on 03-02), 03-01 (23:30).
    let body = r#"
        rule per_day for w in withdrawals group by day: date(w.at) as taken {
          when count(taken) >= 1
          then violation(code: "day")
          message "{day}: {count(taken)} 笔, {sum(x.amount for x in taken)}"
        }
    "#;
    assert_eq!(
        fired(body, WITHDRAWALS),
        [
            "t.p.per_day: 2023-03-02: 3 笔, 1020.00 CNY",
            "t.p.per_day: 2023-03-01: 1 笔, 50.00 CNY"
        ]
    );
    // Two keys; the item's name is not visible in the group's body.
    let two = r#"rule r for w in withdrawals group by day: date(w.at), big: w.amount > 100.00 CNY as ws {
        when big then violation(code: "x") message "{day} {count(ws)}" }"#;
    assert_eq!(fired(two, WITHDRAWALS), ["t.p.r: 2023-03-02 2"]);
    let hidden = r#"rule r for w in withdrawals group by day: date(w.at) as ws { when w.amount > 0.00 CNY then violation(code: "x") }"#;
    assert_eq!(codes(&wrap(hidden)), ["guifan::check::unknown_field"]);
    let twice = r#"rule r for w in withdrawals group by day: date(w.at) as day { when true then violation(code: "x") }"#;
    assert_eq!(codes(&wrap(twice)), ["guifan::check::duplicate"]);
}

#[test]
fn a_for_rule_over_an_absent_or_empty_collection_decides_nothing() {
    let body = r#"rule r for w in withdrawals { when true then violation(code: "x") }"#;
    let empty = WITHDRAWALS.replace(
        r#""withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"},"#,
        r#""withdrawals":[],"ignored":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"},"#,
    );
    assert!(fired(body, &empty).is_empty());
    assert_eq!(
        codes(&wrap(
            "rule r for w in listings_online { when true then violation(code: \"x\") }"
        )),
        ["guifan::check::type_mismatch"]
    );
}

#[test]
fn lists_concatenate_with_plus() {
    let body = r#"rule r { when ["a"] + ["b", "c"] == ["a", "b", "c"] and count([] + [1]) == 1 then violation(code: "x") }"#;
    assert_eq!(fired(body, RECORD), ["t.p.r"]);
    assert_eq!(
        codes(&wrap(
            r#"rule r { when count(["a"] + [1]) == 2 then violation(code: "x") }"#
        )),
        ["guifan::check::invalid_operands"]
    );
}

#[test]
fn ladders_sorting_and_the_nth_item() {
    let body = r#"
        param tiers: [duration] = [72h, 7d, permanent]
        rule t1 { when tier(1, tiers) == 72h and tier(2, tiers) == 7d and tier(3, tiers) == permanent and tier(9, tiers) == permanent then violation(code: "a") }
        rule s { when sort([3, 1, 2]) == [1, 2, 3] and (nth(sort(map(w.amount for w in withdrawals)), 1) ?? 0.00 CNY) == 300.00 CNY then violation(code: "b") }
        rule n { when nth([1], 2) is absent and nth([1], 0) is absent then violation(code: "c") }
        rule z { when tier(0, tiers) == 72h then violation(code: "d") }
    "#;
    let program = program(&wrap(body)).unwrap();
    let subject = record_subject(&program);
    let outcome = evaluate(&program, &subject, now());
    let rules: Vec<&str> = outcome.decisions.iter().map(|d| &*d.rule).collect();
    assert_eq!(rules, ["t.p.t1", "t.p.s", "t.p.n"]);
    let errors: Vec<&str> = outcome.errors.iter().map(|e| e.error.kind.code()).collect();
    assert_eq!(errors, ["guifan::eval::no_tier"]);
}

#[test]
fn absent_leaves_an_optional_effect_argument_out() {
    let body = r#"rule r { when true then violation(code: "x", until: if listings_online > 1000 then now else absent) }"#;
    let program = program(&wrap(body)).unwrap();
    let subject = record_subject(&program);
    let outcome = evaluate(&program, &subject, now());
    assert_eq!(
        outcome.decisions[0].effects[0].arg("until"),
        Some(&Value::Absent)
    );
}

#[test]
fn calendar_periods_and_weeks_follow_the_local_calendar() {
    let body = r#"
        rule y { when 2024-02-29 + 1y == 2025-02-28 and 2023-01-31 + 1mo == 2023-02-28 and 2024-01-31 + 1mo == 2024-02-29 then violation(code: "a") }
        rule t { when 2022-11-11T10:00+08:00 + 1y == 2023-11-11T10:00+08:00 and 2023-01-31T15:30:00Z + 1mo == 2023-02-28T23:30+08:00 then violation(code: "b") }
        rule back { when 2023-03-31 - 1mo == 2023-02-28 and 2023-03-31 + 2 * 6mo == 2024-03-31 then violation(code: "c") }
        rule w { when week(2023-03-08, "thursday") == 2023-03-02 and week(2023-03-09, "thursday") == 2023-03-09 and week(2023-03-08T16:30:00Z, "Thursday") == 2023-03-09 and week(2023-03-12, "monday") == 2023-03-06 then violation(code: "d") }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.y", "t.p.t", "t.p.back", "t.p.w"]);
    assert_eq!(
        codes(&wrap(
            r#"rule r { when week(now, "thursdy") == 2023-03-02 then violation(code: "x") }"#
        )),
        ["guifan::check::unknown_enum_value"]
    );
    assert_eq!(
        codes(&wrap(
            r#"rule r { when now + 1y > now + 1d and 1y > 1d then violation(code: "x") }"#
        )),
        ["guifan::check::invalid_operands"]
    );
}

#[test]
fn a_rule_on_another_kind_judges_that_kind_only() {
    let schema = r#"
        kind order { platform: string, amount: int }
        kind refund { platform: string, days: int }
        effect violation(code: string)
    "#;
    let policy = r#"
        policy shop.mixed {
          subject order where platform == "x"
          zone Asia/Shanghai
          let big = amount > 10
          rule big_order { when big then violation(code: "order") }
          rule late_refund on refund where platform == "x" { when days > 7 then violation(code: "refund") }
        }
    "#;
    let files = [
        parse(SourceId(0), schema).unwrap(),
        parse(SourceId(1), policy).unwrap(),
    ];
    let program = check(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let now = now();
    let decide = |json: &str| -> Vec<String> {
        let s = decode_subject(&program.schema, json.as_bytes()).unwrap();
        let o = evaluate(&program, &s, now);
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        o.decisions.iter().map(|d| d.rule.to_string()).collect()
    };
    assert_eq!(
        decide(r#"{"kind":"order","id":"o","platform":"x","amount":11}"#),
        ["shop.mixed.big_order"]
    );
    assert_eq!(
        decide(r#"{"kind":"refund","id":"r","platform":"x","days":8}"#),
        ["shop.mixed.late_refund"]
    );
    assert!(decide(r#"{"kind":"refund","id":"r","platform":"y","days":8}"#).is_empty());
    // The policy's definitions read its own subject: not in scope on another kind.
    let bad = policy.replace("when days > 7", "when big and days > 7");
    let files = [
        parse(SourceId(0), schema).unwrap(),
        parse(SourceId(1), &bad).unwrap(),
    ];
    assert_eq!(codes_of(check(&files)), ["guifan::check::unknown_field"]);
}

#[test]
fn a_definition_read_inside_a_comprehension_sees_no_binding_of_it() {
    // `amounts` binds `w` itself; read inside another `for`, it must not see that one's binding.
    let body = r#"
        let amounts = map(w.amount for w in withdrawals)
        rule r { when any(x in [1, 2] where count(amounts) == 1 and x == 2) then violation(code: "x") }
        rule s for w2 in withdrawals { when w2.amount in amounts then violation(code: "y") }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.r", "t.p.s"]);
}

/// Found by fuzzing (`policy_eval`): a record type referring to itself twice
/// made the money check walk 2^32 paths. Each record is now visited once.
#[test]
fn self_referring_records_check_at_once() {
    let schema = r#"
        record Node { a: [Node], b: Node?, c: map<string, Node>, d: [Node?], e: Node?, f: [Node] }
        record Deep { next: Deep?, leaf: Leaf? }
        record Leaf { price: money }
        kind thing { platform: string, root: Node, deep: Deep? }
        kind bare { platform: string, root: Node }
        effect violation(code: string)
    "#;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let program = check(&[parse(SourceId(0), schema).unwrap()]).map(|p| {
            let money = |kind: &str| {
                let k = p.schema.kind(kind).unwrap();
                p.schema.kind_def(k).unwrap().has_money
            };
            (money("thing"), money("bare"))
        });
        let _ = tx.send(program);
    });
    let (thing, bare) = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("checking a self-referring record must not take exponential time")
        .unwrap();
    assert!(thing, "money two records away is found");
    assert!(!bare, "records without money have none");
}

#[test]
fn a_rule_on_an_unknown_kind_is_one_error() {
    assert_eq!(
        codes(&wrap(
            "rule r on pickup_reqest { when slot_end > 19:00 then violation(code: \"x\") }"
        )),
        ["guifan::check::unknown_kind"]
    );
}

/// How many computations the checker hoisted out of aggregates in a policy's rules.
fn hoisted(body: &str) -> usize {
    let program = program(&wrap(body)).unwrap_or_else(|e| panic!("{e:?}"));
    program.policies[0]
        .rules
        .iter()
        .flat_map(|r| &r.versions)
        .map(|v| format!("{:?}", v.when).matches("Invariant(").count())
        .sum()
}

#[test]
fn invariants_of_an_aggregate_are_hoisted_and_recomputed_in_each_run() {
    // `w.amount + 1.00 CNY` reads the outer binding only: hoisted out of the
    // inner count, and computed afresh for each outer item (were it kept from
    // the first, no withdrawal but the first would be compared rightly).
    let body = r#"rule r {
        when count(w in withdrawals where count(v in withdrawals where v.amount > w.amount + 1.00 CNY) == 0) == 1
          and count(w in withdrawals where month(w.at) == month(now)) == 4
        then violation(code: "x")
    }"#;
    assert_eq!(hoisted(body), 2);
    assert_eq!(fired(body, WITHDRAWALS_AND_REQUEST), ["t.p.r"]);
}

#[test]
fn a_hoisted_invariant_is_computed_only_where_it_was_evaluated_before() {
    // A division by zero behind a `where` that short-circuits, and one over an
    // empty list: neither was ever evaluated, and hoisting must not make them fail.
    let body = r#"rule r {
        when count(w in withdrawals where listings_online > 5 and w.amount > goods_balance / (listings_online - 1)) == 0
          and sum(w.amount * (1 / (listings_online - 1)) for w in withdrawals where w.amount > 1000000.00 CNY) == 0.00 CNY
        then violation(code: "x")
    }"#;
    assert_eq!(hoisted(body), 2);
    assert_eq!(fired(body, WITHDRAWALS_AND_REQUEST), ["t.p.r"]);
}

const WITHDRAWALS_AND_REQUEST: &str = r#"{"kind":"merchant","id":"m","platform":"douyin","store_type":"personal","listings_online":1,
  "goods_balance":"1000.00","trial":null,
  "withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"300.00"},
                 {"at":"2023-03-01T23:30:00+08:00","amount":"50.00"},
                 {"at":"2023-03-02T00:30:00+08:00","amount":"700.00"},
                 {"at":"2023-03-01T16:30:00Z","amount":"20.00"}],
  "withdrawal_request":{"at":"2023-04-15T09:00:00+08:00","amount":"10.00"}}"#;

#[test]
fn record_literals_make_items_of_one_type_from_lists_of_different_records() {
    // Withdrawals and the request are records of two types; literals with the
    // same fields make one type, so the two lists concatenate.
    let body = r#"
      let payments =
        map({at: w.at, amount: w.amount, pending: false} for w in withdrawals)
          + (if withdrawal_request is present
             then [{at: withdrawal_request.at, amount: withdrawal_request.amount, pending: true}]
             else [])
      rule big "大额" for p in payments {
        when p.amount >= 300.00 CNY
        then violation(code: "big")
        message "{p.amount} {if p.pending then "pending" else "paid"}"
      }"#;
    assert_eq!(
        fired(body, RECORD),
        ["t.p.big: 300.00 CNY paid", "t.p.big: 500.10 CNY pending"]
    );
}

#[test]
fn record_literal_fields_are_typed_and_written_once() {
    // A field read that the literal has not got, with its fields as help.
    let checked = program(&wrap(
        "let r = {amount: 1, paid: \"x\"} rule q { when r.weight > 0 then violation(code: \"x\") }",
    ));
    let errors = checked.expect_err("weight is no field");
    assert_eq!(errors[0].kind.code(), "guifan::check::unknown_field");
    assert_eq!(
        errors[0].help.as_deref(),
        Some("its fields are: amount, paid")
    );
    // A field given twice points at the first.
    assert_eq!(
        codes(&wrap(
            "let r = {a: 1, a: 2} rule q { when r.a > 0 then violation(code: \"x\") }"
        )),
        ["guifan::check::duplicate"]
    );
    // Literals with other field types are other types: a list cannot mix them,
    // and the error names both by their fields.
    let errors = program(&wrap(
        "let r = [{a: 1}, {a: \"one\"}] rule q { when count(r) > 0 then violation(code: \"x\") }",
    ))
    .expect_err("mixed records");
    assert_eq!(errors[0].kind.code(), "guifan::check::type_mismatch");
    assert_eq!(
        errors[0].kind.to_string(),
        "expected {a: int}, found {a: string}"
    );
    // The same fields in the same order are one type.
    assert!(codes(&wrap(
        "let r = [{a: 1, b: true}, {a: listings_online, b: false}] rule q { when count(r) > 1 then violation(code: \"x\") }"
    ))
    .is_empty());
    assert_eq!(
        fired(
            "let r = [{a: 1, b: true}, {a: listings_online, b: false}] rule q { when sum(x.a for x in r where not x.b) == 101 then violation(code: \"x\") }",
            RECORD
        ),
        ["t.p.q"]
    );
}

#[test]
fn an_effect_argument_named_kind_is_refused_where_it_is_written() {
    // In a rule's call: the effect's object would carry `kind` twice.
    let policy = wrap("rule r { when true then violation(code: \"a\", kind: \"b\") }");
    let errors = program(&policy).expect_err("kind is reserved");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind.code(), "guifan::check::reserved_argument");
    let at = errors[0].span.start as usize;
    assert_eq!(policy.get(at..at + 5), Some("kind:"));
    // In an effect's declaration.
    let schema = "effect reward(kind: \"traffic\" | \"coupon\")";
    let errors = check(&[parse(SourceId(0), schema).unwrap()]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind.code(), "guifan::check::reserved_argument");
    assert_eq!(
        schema.get(errors[0].span.start as usize..errors[0].span.end as usize),
        Some("kind")
    );
    // Any other name is an argument like the rest.
    assert!(codes(&wrap(
        "rule r { when true then violation(code: \"a\", type: \"b\") }"
    ))
    .is_empty());
}

#[test]
fn the_ranking_pass_traced_gives_the_same_keys_and_shows_its_comparisons() {
    #[derive(Default)]
    struct Seen {
        policies: Vec<String>,
        comparisons: usize,
    }
    impl crate::Tracer for Seen {
        fn policy_start(&mut self, policy: &str) {
            self.policies.push(policy.to_string());
        }
        fn compare(
            &mut self,
            _: guifan_syntax::Span,
            _: crate::CmpOp,
            _: &Value,
            _: &Value,
            _: bool,
        ) {
            self.comparisons += 1;
        }
    }
    let program = program(&wrap(
        "rank busy by listings_online where listings_online > 10 rule r { when (busy ?? 0) == 1 then violation(code: \"x\") }",
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let subject = record_subject(&program);
    let now = now();
    let plain = crate::rank::rank_keys(&program, &subject, now);
    let seen = std::cell::RefCell::new(Seen::default());
    let traced = crate::rank::rank_keys_traced(&program, &subject, now, &seen);
    assert_eq!(plain.0, traced.0);
    assert_eq!(traced.0.len(), 1);
    assert_eq!(traced.0[0].score, Value::Int(101));
    let seen = seen.into_inner();
    assert_eq!(seen.policies, ["t.p"]);
    assert!(seen.comparisons >= 1);
}

#[test]
fn pattern_parameters_are_bounded_before_they_are_compiled() {
    use crate::check::{compile_patterns, MAX_PATTERNS, MAX_PATTERN_BYTES};
    let list = |n: usize, each: usize| {
        Value::List(
            (0..n)
                .map(|i| Value::str(&format!("{i:0>each$}")))
                .collect::<Vec<_>>()
                .into(),
        )
    };
    // One pattern, a list, nothing: compiled and matching.
    let one = compile_patterns(&Value::str("(?i)telegram")).unwrap();
    assert!(one.is_match("TELEGRAM"));
    let two = compile_patterns(&list(2, 3)).unwrap();
    assert_eq!(two.len(), 2);
    assert!(two.is_match("001"));
    assert_eq!(compile_patterns(&Value::Absent).unwrap().len(), 0);
    // At the limits, and one past each.
    assert_eq!(
        compile_patterns(&list(MAX_PATTERNS, 4)).unwrap().len(),
        MAX_PATTERNS
    );
    let err = compile_patterns(&list(MAX_PATTERNS + 1, 4)).unwrap_err();
    assert!(err.starts_with("1001 patterns;"), "{err}");
    let each = MAX_PATTERN_BYTES / 16;
    assert_eq!(compile_patterns(&list(16, each)).unwrap().len(), 16);
    let err = compile_patterns(&list(17, each)).unwrap_err();
    assert!(err.contains("bytes of patterns"), "{err}");
    assert!(compile_patterns(&Value::str("(unclosed")).is_err());
}

#[test]
fn periods_add_and_subtract_to_periods() {
    // 1y - 6mo is 6mo, 1mo + 1mo is 2mo: both landing on month ends.
    let body = r#"
        param half: period = 6mo
        rule sums {
          when 2024-01-31 + (1y - half) == 2024-07-31 and 2024-01-31 + (1mo + 1mo) == 2024-03-31
          then violation(code: "p")
        }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.sums"]);
}

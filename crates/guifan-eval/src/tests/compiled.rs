//! The compiled closures against the interpreter, form by form: every kind
//! of expression, as a condition, a value, an effect's argument and a
//! message part, on records that put values below, on and above each bound
//! and that make evaluation fail. Both must give the same outcome (decisions,
//! effects, messages, errors and their spans); some outcomes are also pinned,
//! so that the two cannot agree on a wrong answer unnoticed.

use super::{now, program, wrap, RECORD};
use crate::{decode_subject, evaluate, evaluate_interpreted, Outcome};

/// The records every body is decided on: the shared one (101 listings,
/// 1000.00 CNY, one withdrawal, a request), one on the bounds, one without
/// the optional fields, and one whose numbers overflow.
const RECORDS: [&str; 4] = [
    RECORD,
    r#"{"kind":"merchant","id":"b","platform":"douyin","store_type":"enterprise","listings_online":100,
      "goods_balance":"1000.01","trial":{"active":false,"ended_at":"2023-03-19T12:00:00+08:00"},
      "withdrawals":[{"at":"2023-03-20T12:00:00+08:00","amount":"1000.01"},{"at":"2023-02-28T16:00:00Z","amount":"0.01"}],
      "withdrawal_request":{"at":"2023-03-20T12:00:00+08:00","amount":"1000.00"},
      "received_orders":[{"id":"o1","amount":"5.00"},{"id":"o1","amount":"5.00"}]}"#,
    r#"{"kind":"merchant","id":"c","platform":"douyin","store_type":"individual","listings_online":-1,
      "goods_balance":"-0.01","withdrawals":[]}"#,
    r#"{"kind":"merchant","id":"d","platform":"douyin","store_type":"personal","listings_online":9223372036854775807,
      "goods_balance":"79228162514264337593543950335","withdrawals":[{"at":"2023-03-02T10:00:00+08:00","amount":"79228162514264337593543950335"}]}"#,
];

/// Decides every record both ways; the outcomes, which must be equal.
fn both(body: &str) -> Vec<Outcome> {
    let program = program(&wrap(body)).unwrap_or_else(|e| panic!("{body}: {e:?}"));
    let now = now();
    RECORDS
        .iter()
        .map(|record| {
            let subject = decode_subject(&program.schema, record.as_bytes()).expect("decodes");
            let compiled = evaluate(&program, &subject, now);
            let interpreted = evaluate_interpreted(&program, &subject, now, None);
            assert_eq!(compiled, interpreted, "{body} on {}", subject.id);
            compiled
        })
        .collect()
}

/// What fired on each record, with messages, and the error codes.
fn fired(body: &str) -> Vec<String> {
    both(body)
        .iter()
        .map(|o| {
            let mut parts: Vec<String> = o
                .decisions
                .iter()
                .map(|d| {
                    let args: Vec<String> = d
                        .effects
                        .iter()
                        .flat_map(|e| e.args.iter().map(|(_, v)| v.to_string()))
                        .collect();
                    format!(
                        "{}[{}]{}",
                        d.rule.rsplit('.').next().unwrap_or_default(),
                        args.join(","),
                        d.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            parts.extend(o.errors.iter().map(|e| e.error.kind.code().to_string()));
            parts.join(" | ")
        })
        .collect()
}

/// One rule per condition, each named by its position.
fn conditions(conditions: &[&str]) -> String {
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| format!("rule r{i} {{ when {c} then violation(code: \"c\") }}\n"))
        .collect()
}

#[test]
fn comparisons_against_constants_on_each_side_of_the_bound() {
    let body = conditions(&[
        "listings_online > 100",
        "listings_online >= 101",
        "listings_online < 101",
        "listings_online <= 100",
        "listings_online == 101",
        "listings_online != 101",
        "goods_balance > 1000 CNY",
        "goods_balance >= 1000.01 CNY",
        "goods_balance < 1000.01 CNY",
        "goods_balance <= 1000 CNY",
        "goods_balance == 1000.00 CNY",
        "goods_balance != 1000 CNY",
        "listings_online > 100.5",
        "listings_online == 101.0",
    ]);
    assert_eq!(
        fired(&body),
        [
            "r0[c] | r1[c] | r4[c] | r8[c] | r9[c] | r10[c] | r12[c] | r13[c]",
            "r2[c] | r3[c] | r5[c] | r6[c] | r7[c] | r11[c]",
            "r2[c] | r3[c] | r5[c] | r8[c] | r9[c] | r11[c]",
            "r0[c] | r1[c] | r5[c] | r6[c] | r7[c] | r11[c] | r12[c]",
        ]
    );
}

#[test]
fn comparisons_of_computed_values() {
    let body = conditions(&[
        "listings_online > listings_online - 1",
        "listings_online < listings_online + 0",
        "goods_balance >= goods_balance",
        "store_type == \"personal\"",
        "store_type != \"personal\"",
        "store_type < \"personal\"",
        "withdrawal_request is present and withdrawal_request.at < now",
        "withdrawal_request is present and withdrawal_request.at >= now",
        "withdrawal_request is present and withdrawal_request.amount > goods_balance",
        "withdrawal_request is present and withdrawal_request.amount == goods_balance - 0.01 CNY",
        "trial is present and trial.ended_at is present and trial.ended_at <= now - 1d",
        "listings_online * 2 > 201",
        "store_type > \"individual\"",
        "store_type >= \"personal\"",
    ]);
    assert_eq!(
        fired(&body),
        [
            "r0[c] | r2[c] | r3[c] | r6[c] | r11[c] | r12[c] | r13[c]",
            "r0[c] | r2[c] | r4[c] | r5[c] | r7[c] | r9[c] | r10[c]",
            "r0[c] | r2[c] | r4[c] | r5[c]",
            "r0[c] | r2[c] | r3[c] | r12[c] | r13[c] | guifan::eval::overflow",
        ]
    );
}

#[test]
fn intervals_presence_and_boolean_operators() {
    let body = conditions(&[
        "listings_online within [100, 101]",
        "listings_online within (100, 101]",
        "listings_online within [100, 101)",
        "listings_online within (100, 101)",
        "withdrawal_request is present and withdrawal_request.at within (now - 5d, now]",
        "withdrawal_request is absent",
        "trial is present and trial.ended_at is absent",
        "not (listings_online > 100) or store_type == \"enterprise\"",
        "listings_online > 100 and goods_balance < 1000.01 CNY and store_type == \"personal\"",
        "not trial is present",
        "trial is present and trial.active",
        "store_type in [\"personal\", \"individual\"]",
    ]);
    assert_eq!(
        fired(&body),
        [
            "r0[c] | r1[c] | r6[c] | r8[c] | r10[c] | r11[c]",
            "r0[c] | r2[c] | r4[c] | r7[c]",
            "r5[c] | r7[c] | r9[c] | r11[c]",
            "r5[c] | r9[c] | r11[c]",
        ]
    );
}

#[test]
fn definitions_named_conditions_and_held_labels() {
    let body = r#"
        let many = any { many "多": listings_online > 100, rich "富": goods_balance > 1000 CNY }
        let double = listings_online * 2
        rule a "A" { when many and double > 0 then violation(code: "a") message "{held} {double}" }
        rule b "B" { when all { p "个人": store_type == "personal", m: many } then violation(code: "b") message "{held}" }
        rule c "C" { when not many then violation(code: "c") message "{held}" }
    "#;
    assert_eq!(
        fired(body),
        [
            "a[a]: 多 202 | b[b]: 个人、多、m",
            "a[a]: 富 200",
            "c[c]: ",
            "b[b]: 个人、多、富、m | guifan::eval::overflow",
        ]
    );
}

#[test]
fn values_of_every_form_in_messages_and_arguments() {
    let body = r#"
        rule v {
          when true
          then violation(code: store_type),
               reject(action: if listings_online > 100 then "many" else if listings_online > 0 then "some" else "none")
          message "{-goods_balance} {goods_balance * 50%} {len(received_orders ?? [])} {[1, 2, listings_online]} {[10, 20, 30][1]} {listings_online in [100, 101]} {len(withdrawals)} {month(now + 1mo)} {round(goods_balance * 33%, 1)} {max(listings_online, 7)} {now - 30d}"
        }
    "#;
    let out = fired(body);
    assert_eq!(
        out[0],
        "v[personal,many]: -1000.00 CNY 500.00 CNY 0 1、2、101 20 true 1 2023-04-01 330.00 CNY 101 2023-02-18T12:00:00+08:00"
    );
    assert!(out[3].contains("guifan::eval::"), "{}", out[3]);
}

#[test]
fn aggregates_of_every_kind_with_invariants() {
    let body = r#"
        rule g {
          when true
          then violation(code: "g")
          message "{count(w in withdrawals where month(w.at) == month(now))} {sum(w.amount for w in withdrawals where w.at > now - 30d)} {any(w in withdrawals where w.amount > 500 CNY)} {all(w in withdrawals where w.amount > 500 CNY)} {any(w.amount > 1 CNY for w in withdrawals)} {all(w.amount > 0 CNY for w in withdrawals)} {min(w.amount for w in withdrawals) ?? 0 CNY} {max(w.at for w in withdrawals) ?? now} {len(filter(w in withdrawals where w.amount < 1 CNY))} {map(w.amount * 2 for w in withdrawals)} {distinct(o.id for o in received_orders ?? [])} {sum(w.amount for w in withdrawals)}"
        }
    "#;
    assert_eq!(
        fired(body),
        [
            "g[g]: 1 300.00 CNY false false true true 300.00 CNY 2023-03-02T10:00:00+08:00 0 600.00 CNY  300.00 CNY",
            // 2023-02-28T16:00Z is 1 March in Shanghai: in the month of `now`.
            "g[g]: 2 1000.02 CNY true false true true 0.01 CNY 2023-03-20T12:00:00+08:00 1 2000.02 CNY、0.02 CNY o1 1000.02 CNY",
            "g[g]: 0 0.00 CNY false true false true 0.00 CNY 2023-03-20T12:00:00+08:00 0   0.00 CNY",
            "guifan::eval::overflow",
        ]
    );
}

#[test]
fn effect_guards_rules_for_each_item_and_versions() {
    let body = r#"
        rule each for w in withdrawals {
          when w.amount >= 300 CNY
          then reject(action: "withdrawal") if w.at < now, violation(code: "big") if w.amount > 1000 CNY
          message "{w.amount}"
        }
        rule versioned {
          version "old" until 2023-03-01T00:00+08:00 { when listings_online > 0 then violation(code: "old") }
          version "new" from 2023-03-01T00:00+08:00 { when listings_online > 100 then violation(code: "new") message "{listings_online}" }
        }
    "#;
    assert_eq!(
        fired(body),
        [
            "each[withdrawal]: 300.00 CNY | versioned[new]: 101",
            "each[big]: 1000.01 CNY",
            "",
            "each[withdrawal,big]: 79228162514264337593543950335.00 CNY | versioned[new]: 9223372036854775807",
        ]
    );
}

/// `min` and `max` keep the least and the greatest wherever they come in
/// the list (a survivor of the mutation run: the interpreter's `min` kept
/// the last item bigger than the first).
#[test]
fn min_and_max_keep_the_extreme_wherever_it_comes() {
    let body = r#"
        rule m {
          when true
          then violation(code: "m")
          message "{min(x for x in [listings_online - 1, listings_online - 2, listings_online - 1])} {max(x for x in [listings_online - 2, listings_online - 1, listings_online - 2])}"
        }
    "#;
    assert_eq!(
        fired(body),
        [
            "m[m]: 99 100",
            "m[m]: 98 99",
            "m[m]: -3 -2",
            "m[m]: 9223372036854775805 9223372036854775806",
        ]
    );
}

/// A message without interpolations is the same text on every decision.
#[test]
fn a_constant_message_is_given_whole() {
    let body =
        r#"rule c { when listings_online > 0 then violation(code: "c") message "常量 {{x}}" }"#;
    assert_eq!(
        fired(body),
        ["c[c]: 常量 {x}", "c[c]: 常量 {x}", "", "c[c]: 常量 {x}"]
    );
}

/// `any` and `all` with both a mapped condition and a `where`: only the
/// selected items are tested (a survivor of the mutation run: the
/// interpreter testing every item went unnoticed).
#[test]
fn quantifiers_test_only_the_selected_items() {
    let body = r#"
        rule q {
          when true
          then violation(code: "q")
          message "{any(w.amount > 1 CNY for w in withdrawals where w.amount < 1 CNY)} {all(w.amount < 1 CNY for w in withdrawals where w.amount < 1 CNY)}"
        }
    "#;
    assert_eq!(
        fired(body),
        [
            "q[q]: false true",
            "q[q]: false true",
            "q[q]: false true",
            "q[q]: false true"
        ]
    );
}

/// `filter` with a mapped value keeps the values of the selected items.
#[test]
fn filter_with_a_mapped_value_keeps_the_values() {
    let body = r#"
        rule f {
          when true
          then violation(code: "f")
          message "{filter(w.amount * 2 for w in withdrawals where w.amount > 1 CNY)} {len(filter(w in withdrawals where w.amount > 1 CNY))}"
        }
    "#;
    assert_eq!(
        fired(body),
        [
            "f[f]: 600.00 CNY 1",
            "f[f]: 2000.02 CNY 1",
            "f[f]:  0",
            "guifan::eval::overflow"
        ]
    );
}

/// What an inner aggregate computes once from the outer item is computed
/// afresh for each outer item (a survivor of the mutation run: keeping the
/// first outer item's value went unnoticed).
#[test]
fn an_inner_invariant_is_computed_afresh_for_each_outer_item() {
    let body = r#"
        rule n {
          when true
          then violation(code: "n")
          message "{count(w in withdrawals where count(v in withdrawals where v.amount > w.amount * 1) > 0)}"
        }
    "#;
    assert_eq!(fired(body), ["n[n]: 0", "n[n]: 1", "n[n]: 0", "n[n]: 0"]);
}

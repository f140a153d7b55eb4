//! Snapshots of the canonical layout: a policy written carelessly, formatted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

const MESSY: &str = r#"// A policy written in a hurry.
policy   demo.messy{
title "演示"   source "https://example.invalid/rules"
subject merchant where platform=="douyin" and trial is present
      zone Asia/Shanghai
currency CNY


// Caps.
param cap:int=100 // the published cap
param fee : money = 5 CNY
param window:duration=72h
let personal=store_type=="personal"
let cap_here = if personal then cap else if listings_online > 1000 then cap * 2 else cap + 50
  rule   listing_cap "在线商品总量超过上限"{
when trial.active and listings_online>cap_here and deposit.balance < deposit.required and not personal // too many
then violation(code:"listing_cap_exceeded"),restrict(target:"listing"),fine(amount: fee) if personal
message "在线商品 {listings_online} 件, 上限 {cap_here} 件"
}
rule   exit "试运营期结束" { when any { full "保证金足额": deposit.balance >= deposit.required
orders "订单过多": paid_orders.count > (cap*2)
// a third reason
late: sum(d.points for d in creator_deductions where d.at within (now - window, now]) >= 4 } then end_trial message "结束: {held}" }
}
"#;

#[test]
fn a_careless_policy_in_the_canonical_layout() {
    let formatted = guifan_fmt::format_text(MESSY).unwrap();
    insta::assert_snapshot!(formatted);
    assert_eq!(guifan_fmt::format_text(&formatted).unwrap(), formatted);
}

#[test]
fn schema_declarations_in_the_canonical_layout() {
    let messy = "record Payment{at:timestamp amount:money}\n// kinds\nkind shop {\nplatform:string\nwhen platform == \"douyin\" { deposit: { balance: money, required: money }? }\n}\neffect restrict(target:\"withdrawal\"|\"listing\"|\"transactions\"|\"platform_campaigns\"|\"affiliate_alliance\"|\"live_selling\")\neffect end_trial\nplatform douyin{currency CNY zone Asia/Shanghai}\n";
    let formatted = guifan_fmt::format_text(messy).unwrap();
    insta::assert_snapshot!(formatted);
    assert_eq!(guifan_fmt::format_text(&formatted).unwrap(), formatted);
}

#[test]
fn record_literals_on_one_line_or_one_field_per_line() {
    let messy = "policy t.p {\n  subject seller_chat\n  zone Europe/Moscow\n  let short = map({id:m.id,text : m.text} for m in messages)\n  let long = map({identifier_of_the_message: m.id, the_text_that_was_written: m.text, written_at: m.at, by: m.from} for m in messages)\n}\n";
    let formatted = guifan_fmt::format_text(messy).unwrap();
    insta::assert_snapshot!(formatted);
    assert_eq!(guifan_fmt::format_text(&formatted).unwrap(), formatted);
}

/// A long `for ... group by ...` header breaks before `group by`, then
/// before `for`, never inside a call that fits on a line of its own.
#[test]
fn a_long_rule_header_breaks_at_its_clauses() {
    let header = |name: &str| {
        let title = if name == "cap" {
            "上限"
        } else {
            "同一用户每天最多两次"
        };
        format!("policy t.p {{\n  subject shop_reminders\n  zone Asia/Shanghai\n  rule {name} \"{title}\" for r in reminders group by user: r.user, day: date(r.at) as sent {{\n    when count(sent) > 2\n    then e\n  }}\n}}\n")
    };
    let fits = guifan_fmt::format_text(&header("cap")).unwrap();
    let before_group = guifan_fmt::format_text(&header("daily_cap_over_the_limit")).unwrap();
    let before_for = guifan_fmt::format_text(&header(
        "a_daily_cap_with_a_name_so_long_that_even_the_for_clause_goes_to_a_line_of_its_own",
    ))
    .unwrap();
    insta::assert_snapshot!(format!("{fits}\n{before_group}\n{before_for}"));
    for text in [&fits, &before_group, &before_for] {
        assert!(!text.contains("date(\n"), "a call broken inside:\n{text}");
        assert_eq!(&guifan_fmt::format_text(text).unwrap(), text);
    }
}

/// `require` is an entry of its own, written as it reads.
#[test]
fn a_requirement_keeps_its_condition_and_message() {
    let messy = "policy t.p {\n  subject merchant\n  zone UTC\n  param warn:  int = 1\n  param stop: int = 2\n  require   warn<stop   \"warn first\"\n  require stop > 0\n}\n";
    let formatted = guifan_fmt::format_text(messy).unwrap();
    assert!(
        formatted.contains("\n  require warn < stop \"warn first\"\n  require stop > 0\n"),
        "{formatted}"
    );
    assert_eq!(guifan_fmt::format_text(&formatted).unwrap(), formatted);
}

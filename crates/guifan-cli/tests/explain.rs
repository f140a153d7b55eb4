//! `guifan explain`: each rule's comparisons with their values and their
//! distance to flipping; policies whose filter is false said so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::{guifan_stdin, merchant, stdout};

const AT: &str = "2023-04-20T12:00:00+08:00";

/// A personal trial merchant with exactly as many paid orders as its cap (100): one short of `trial_exit`.
fn one_order_short() -> String {
    merchant("m-short", 40).replace(
        r#""paid_orders":{"count":20"#,
        r#""paid_orders":{"count":100"#,
    )
}

#[test]
fn one_paid_order_short_of_trial_exit_is_a_distance_of_one() {
    let record = one_order_short();
    assert!(record.contains(r#""count":100"#));
    let out = guifan_stdin(
        &[
            "explain",
            "--data",
            "-",
            "--subject",
            "m-short",
            "--at",
            AT,
            "--format",
            "json",
        ],
        &record,
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let e: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let trial = e["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == "douyin.zero_deposit_trial")
        .unwrap();
    assert_eq!(trial["applies"], "applies");
    let exit = trial["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "douyin.zero_deposit_trial.trial_exit")
        .unwrap();
    assert_eq!(exit["status"], "not fired");
    let check = exit["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "paid_orders.count > order_cap")
        .unwrap();
    assert_eq!(
        (check["left"].as_str(), check["right"].as_str()),
        (Some("100"), Some("100"))
    );
    assert_eq!(check["held"], false);
    assert_eq!(check["distance"], "1 more");

    // A policy of the kind whose filter is false says so.
    let metrics = e["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == "tiktok_shop.service_metrics")
        .unwrap();
    assert_eq!(metrics["applies"], "filter false");
    assert_eq!(metrics["filter"][0]["held"], false);
}

#[test]
fn the_human_explanation() {
    let out = guifan_stdin(
        &["explain", "--data", "-", "--subject", "m-short", "--at", AT],
        &one_order_short(),
    );
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn an_unknown_subject_is_an_error() {
    let out = guifan_stdin(
        &["explain", "--data", "-", "--subject", "nobody", "--at", AT],
        &merchant("m-1", 40),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("no record with `id` `nobody`"));
}

#[test]
fn an_interval_is_explained_as_written() {
    let record = merchant("m-w", 40).replace(
        r#""creator_deductions":[]"#,
        r#""creator_deductions":[{"at":"2023-03-01T00:00:00+08:00","points":1},{"at":"2023-04-10T00:00:00+08:00","points":2}]"#,
    );
    assert!(record.contains("points"));
    let out = guifan_stdin(
        &[
            "explain",
            "--data",
            "-",
            "--subject",
            "m-w",
            "--at",
            AT,
            "--format",
            "json",
        ],
        &record,
    );
    let e: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let checks: Vec<&serde_json::Value> = e["policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["rules"].as_array().unwrap())
        .flat_map(|r| r["checks"].as_array().unwrap())
        .filter(|c| c["text"].as_str().unwrap().contains("within"))
        .collect();
    // One check per deduction, the whole interval as written: outside, then inside.
    assert_eq!(checks.len(), 2, "{checks:#?}");
    assert_eq!(checks[0]["text"], "d.at within (now - creator_window, now]");
    assert_eq!(checks[0]["held"], false);
    assert!(
        checks[0]["right"].as_str().unwrap().starts_with('('),
        "{}",
        checks[0]["right"]
    );
    assert_eq!(checks[1]["held"], true);
}

/// A presence test is shown with what it saw, so a filter that fails on it
/// shows its ✗ (not a lone ✓ under "filter false").
#[test]
fn a_presence_test_is_explained() {
    let record = merchant("m-none", 40).replace(r#""trial":{"active":true,"ended_at":null},"#, "");
    assert!(!record.contains("trial"));
    let why = common::bundled_rules()
        .explain(record.as_bytes(), AT.parse().unwrap())
        .unwrap();
    let trial = why
        .policies
        .iter()
        .find(|p| p.policy == "douyin.zero_deposit_trial")
        .unwrap();
    assert_eq!(trial.applies, "filter false");
    let presence = trial
        .filter
        .iter()
        .find(|c| c.text == "trial is present")
        .unwrap();
    assert_eq!(
        (presence.held, presence.left.as_deref()),
        (Some(false), Some("absent"))
    );
    let text = guifan::explain::human(&why, false);
    assert!(text.contains("✗ trial is present   (absent)"), "{text}");
}

/// Each evaluation of a rule over groups says which group it was for.
#[test]
fn a_rule_over_groups_labels_each_evaluation() {
    let reminder = |user: &str, at: &str| {
        format!(r#"{{"user":"{user}","at":"{at}","source":"agent","trigger":"unpaid"}}"#)
    };
    let record = format!(
        r#"{{"kind":"shop_reminders","id":"s-1","platform":"douyin","settings":{{"auto":true,"delay_minutes":30,"window_start":"09:00","window_end":"21:00"}},"reminders":[{},{},{}]}}"#,
        reminder("u-1", "2023-04-20T10:00:00+08:00"),
        reminder("u-1", "2023-04-20T11:00:00+08:00"),
        reminder("u-2", "2023-04-20T12:00:00+08:00"),
    );
    let why = common::bundled_rules()
        .explain(record.as_bytes(), AT.parse().unwrap())
        .unwrap();
    let cap = why
        .policies
        .iter()
        .flat_map(|p| &p.rules)
        .find(|r| r.rule == "douyin.order_reminders.daily_cap")
        .unwrap();
    let labels: Vec<&str> = cap
        .checks
        .iter()
        .filter_map(|c| c.item.as_deref())
        .collect();
    assert!(labels.contains(&"user: u-1, day: 2023-04-20"), "{labels:?}");
    assert!(labels.contains(&"user: u-2, day: 2023-04-20"), "{labels:?}");
    let text = guifan::explain::human(&why, false);
    assert!(
        text.contains("   for user: u-1, day: 2023-04-20\n"),
        "{text}"
    );
}

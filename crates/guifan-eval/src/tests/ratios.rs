//! Ratios against percents, `round` and `percent` in rules and messages, and
//! the weekday of `week`.

use super::{codes, fired, program, wrap, RECORD};

#[test]
fn a_ratio_compares_with_a_percent_exactly() {
    // 101 listings: 101 / 200 is 0.505, 101 / 202 is exactly 50%.
    let body = r#"
        param warn_rate: percent = 50%
        rule above { when listings_online / 200 > warn_rate then violation(code: "a") }
        rule equal { when listings_online / 202 == warn_rate and warn_rate == 0.5 then violation(code: "b") }
        rule not_above { when listings_online / 202 > 50% then violation(code: "c") }
        rule in_band { when (listings_online / 200) within [50%, 51%) and 1 == 100% then violation(code: "d") }
        rule whole { when listings_online > 10100% then violation(code: "e") }
    "#;
    assert_eq!(
        fired(body, RECORD),
        ["t.p.above", "t.p.equal", "t.p.in_band"]
    );
}

#[test]
fn messages_round_and_show_percents() {
    // goods_balance 1000.00, 101 listings; 101 / 300 = 0.33666…
    let body = r#"
        rule shares {
          let share = listings_online / 300
          when share > 30%
          then violation(code: "x")
          message "{share} {round(share, 2)} {round(percent(share), 1)} {percent(listings_online / 404)} {round(goods_balance / 3, 2)} {round(-2.5, 0)} {percent(2)}"
        }
    "#;
    assert_eq!(
        fired(body, RECORD),
        ["t.p.shares: 0.3366666666666666666666666667 0.34 33.7% 25% 333.33 CNY -3 200%"]
    );
}

#[test]
fn round_takes_places_written_out() {
    for call in [
        "round(goods_balance, -1)",
        "round(goods_balance, 29)",
        "round(goods_balance, listings_online)",
        "round(goods_balance, 1.5)",
        "round(\"x\", 2)",
        "percent(goods_balance)",
    ] {
        assert_eq!(
            codes(&wrap(&format!(
                "rule r {{ when listings_online > 1 then violation(code: \"x\") message \"{{{call}}}\" }}"
            ))),
            ["guifan::check::type_mismatch"],
            "{call}"
        );
    }
    assert_eq!(
        codes(&wrap(
            "rule r { when listings_online > 1 then violation(code: \"x\") message \"{round(goods_balance)}\" }"
        )),
        ["guifan::check::wrong_arity"]
    );
}

#[test]
fn a_weekday_is_named_in_full_and_a_wrong_one_is_quoted_with_a_suggestion() {
    let errors = |day: &str| {
        program(&wrap(&format!(
            "rule r {{ when week(now, \"{day}\") == 2023-03-02 then violation(code: \"x\") }}"
        )))
        .err()
        .unwrap_or_default()
    };
    assert!(errors("thursday").is_empty());
    assert!(errors("Thursday").is_empty());
    for (day, help) in [
        ("mon", "did you mean `monday`? weekdays are written in full"),
        ("thursdy", "did you mean `thursday`?"),
        (
            "xyz",
            "the weekdays are \"monday\" | \"tuesday\" | \"wednesday\" | \"thursday\" | \"friday\" | \"saturday\" | \"sunday\"",
        ),
    ] {
        let found = errors(day);
        assert_eq!(found.len(), 1, "{day}: {found:?}");
        assert_eq!(found[0].kind.code(), "guifan::check::unknown_enum_value");
        assert!(found[0].kind.to_string().contains(&format!("`{day}`")), "{day}");
        assert_eq!(found[0].help.as_deref(), Some(help), "{day}");
    }
    assert_eq!(
        codes(&wrap(
            "rule r { when week(now, store_type) == 2023-03-02 then violation(code: \"x\") }"
        )),
        ["guifan::check::type_mismatch"]
    );
}

#[test]
fn percents_add_and_scale_as_the_operator_table_says() {
    // percent ± percent is a percent; percent × count is a decimal.
    let body = r#"
        param warn_rate: percent = 10%
        rule sum { when warn_rate + 5% == 15% and warn_rate - 5% == 5% then violation(code: "a") }
        rule scaled { when warn_rate * 3 == 0.3 and 2 * warn_rate == 0.2 then violation(code: "b") }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.sum", "t.p.scaled"]);
}

#[test]
fn a_pattern_parameter_holding_one_string_is_matched() {
    let body = r#"
        param pattern: string = "^pers"
        rule p { when matches(store_type, pattern) then violation(code: "a") }
    "#;
    assert_eq!(fired(body, RECORD), ["t.p.p"]);
}

#[test]
fn the_effective_window_is_read_back_as_written() {
    let p = program(&wrap(
        "effective from 2023-02-28 until 2024-01-01 rule r { when listings_online > 1 then violation(code: \"x\") }",
    ))
    .unwrap();
    let window = p.policies()[0].effective();
    assert_eq!(
        window.from().map(|t| t.to_rfc3339()),
        Some("2023-02-28T00:00:00+08:00".into())
    );
    assert_eq!(
        window.until().map(|t| t.to_rfc3339()),
        Some("2024-01-01T00:00:00+08:00".into())
    );
}

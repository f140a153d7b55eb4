//! Every operation the language documents (docs/language.md, "Operators"),
//! with exact expected values and its error cases: a table per operand kind.

use chrono::{DateTime, NaiveDate, NaiveTime};
use guifan_syntax::Span;
use rust_decimal::Decimal;

use super::ops::{abs, arith, compare, equal, negate, order, round};
use crate::error::EvalErrorKind;
use crate::ir::{ArithOp, CmpOp};
use crate::value::{Currency, Duration, Money, Value};

use ArithOp::{Add, Div, Mul, Sub};

fn int(i: i64) -> Value {
    Value::Int(i)
}
fn dec(s: &str) -> Value {
    Value::Decimal(s.parse().expect("decimal"))
}
fn pct(fraction: &str) -> Value {
    Value::Percent(fraction.parse().expect("percent"))
}
fn cny(s: &str) -> Value {
    money(s, "CNY")
}
fn money(s: &str, c: &str) -> Value {
    Value::Money(Money {
        amount: s.parse().expect("amount"),
        currency: Currency::parse(c).expect("currency"),
    })
}
fn secs(n: i64) -> Value {
    Value::Duration(Duration(n))
}
fn permanent() -> Value {
    Value::Duration(Duration::PERMANENT)
}
fn ts(s: &str) -> Value {
    Value::Timestamp(DateTime::parse_from_rfc3339(s).expect("timestamp"))
}
fn date(s: &str) -> Value {
    Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"))
}
fn text(s: &str) -> Value {
    Value::str(s)
}

fn ok(op: ArithOp, a: &Value, b: &Value) -> Value {
    arith(op, a, b, Span::default()).unwrap_or_else(|e| panic!("{a:?} {op:?} {b:?}: {e:?}"))
}
fn fails(op: ArithOp, a: &Value, b: &Value) -> EvalErrorKind {
    match arith(op, a, b, Span::default()) {
        Ok(v) => panic!("{a:?} {op:?} {b:?} gave {v:?}"),
        Err(e) => e.kind,
    }
}

/// The same value, and of the same kind (`1.50` is `1.5`; `1.5` is not `1.5%`).
fn same(found: &Value, expected: &Value) -> bool {
    std::mem::discriminant(found) == std::mem::discriminant(expected) && equal(found, expected)
}

macro_rules! table {
    ($($op:expr, $a:expr, $b:expr => $want:expr;)*) => {
        $(
            let (a, b, want) = ($a, $b, $want);
            let found = ok($op, &a, &b);
            assert!(same(&found, &want), "{a:?} {:?} {b:?}: {found:?}, not {want:?}", $op);
        )*
    };
}

#[test]
fn ints() {
    table! {
        Add, int(2), int(3) => int(5);
        Sub, int(2), int(3) => int(-1);
        Mul, int(-4), int(3) => int(-12);
        Div, int(7), int(2) => dec("3.5");
        Div, int(6), int(3) => dec("2");
    }
    assert_eq!(fails(Add, &int(i64::MAX), &int(1)), EvalErrorKind::Overflow);
    assert_eq!(fails(Sub, &int(i64::MIN), &int(1)), EvalErrorKind::Overflow);
    assert_eq!(fails(Mul, &int(i64::MAX), &int(2)), EvalErrorKind::Overflow);
    assert_eq!(fails(Div, &int(1), &int(0)), EvalErrorKind::DivisionByZero);
}

#[test]
fn decimals_and_mixed_numbers() {
    table! {
        Add, dec("0.10"), dec("0.20") => dec("0.30");
        Sub, dec("0.10"), dec("0.25") => dec("-0.15");
        Mul, dec("1.5"), dec("1.5") => dec("2.25");
        Div, dec("1"), dec("8") => dec("0.125");
        Add, int(1), dec("0.5") => dec("1.5");
        Sub, dec("2.5"), int(1) => dec("1.5");
        Mul, int(3), dec("0.5") => dec("1.5");
        Div, dec("1"), int(3) => dec("0.3333333333333333333333333333");
    }
    assert_eq!(
        fails(Div, &dec("1"), &dec("0.00")),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        fails(Add, &Value::Decimal(Decimal::MAX), &dec("1")),
        EvalErrorKind::Overflow
    );
}

#[test]
fn exact_sums_whose_scale_rust_decimal_lowers_are_kept_and_inexact_ones_refused() {
    // 26 digits before the point and 3 after do not fit 96 bits: the result
    // is held with a lower scale, and is still exact.
    table! {
        Add, dec("79228162514264337593543950.000"), dec("1.000") => dec("79228162514264337593543951");
        Sub, dec("-79228162514264337593543950.000"), dec("1.000") => dec("-79228162514264337593543951");
        Mul, dec("10000000000000000000000000.0"), dec("2.0") => dec("20000000000000000000000000");
    }
    // The same sizes with a digit that would be dropped: refused.
    assert_eq!(
        fails(Add, &dec("79228162514264337593543950.000"), &dec("0.999")),
        EvalErrorKind::Inexact
    );
    assert_eq!(
        fails(Sub, &dec("-79228162514264337593543950.000"), &dec("0.999")),
        EvalErrorKind::Inexact
    );
    assert_eq!(
        fails(Mul, &dec("72345678901234567890123456.7"), &dec("1.11")),
        EvalErrorKind::Inexact
    );
}

#[test]
fn money_in_one_currency() {
    table! {
        Add, cny("0.10"), cny("0.20") => cny("0.30");
        Sub, cny("100.00"), cny("0.01") => cny("99.99");
        Mul, cny("1500.00"), pct("0.5") => cny("750.0000");
        Mul, cny("10.00"), int(3) => cny("30.00");
        Mul, int(3), cny("10.00") => cny("30.00");
        Mul, pct("0.5"), cny("10.00") => cny("5.000");
        Mul, cny("10.00"), dec("0.5") => cny("5.000");
        Div, cny("10.00"), int(4) => cny("2.5");
        Div, cny("10.00"), pct("0.5") => cny("20");
        Div, cny("30.00"), cny("12.00") => dec("2.5");
    }
    for op in [Add, Sub, Div] {
        assert!(matches!(
            fails(op, &cny("1"), &money("1", "USD")),
            EvalErrorKind::CurrencyMismatch { .. }
        ));
    }
    assert_eq!(
        fails(Div, &cny("1"), &cny("0")),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        fails(Div, &cny("1"), &int(0)),
        EvalErrorKind::DivisionByZero
    );
}

#[test]
fn percents() {
    table! {
        Add, pct("0.125"), pct("0.25") => pct("0.375");
        Sub, pct("0.125"), pct("0.25") => pct("-0.125");
        Mul, pct("0.5"), pct("0.5") => pct("0.25");
        Mul, pct("0.5"), int(3) => dec("1.5");
        Mul, pct("0.5"), dec("0.5") => dec("0.25");
        Mul, int(200), pct("0.05") => dec("10.00");
    }
}

#[test]
fn times_dates_and_durations() {
    let day = 86_400;
    table! {
        Add, ts("2023-03-01T10:00:00+08:00"), secs(3_600) => ts("2023-03-01T11:00:00+08:00");
        Add, secs(3_600), ts("2023-03-01T10:00:00+08:00") => ts("2023-03-01T11:00:00+08:00");
        Sub, ts("2023-03-01T10:00:00+08:00"), secs(30 * day) => ts("2023-01-30T10:00:00+08:00");
        Sub, ts("2023-03-01T10:00:00+08:00"), ts("2023-03-01T01:00:00Z") => secs(3_600);
        Add, date("2023-02-27"), secs(2 * day) => date("2023-03-01");
        Sub, date("2023-03-01"), secs(7 * day) => date("2023-02-22");
        Sub, date("2023-03-01"), date("2023-02-01") => secs(28 * day);
        Add, secs(60), secs(30) => secs(90);
        Sub, secs(60), secs(90) => secs(-30);
        Add, permanent(), secs(30) => permanent();
        Sub, secs(30), permanent() => permanent();
        Mul, secs(60), int(3) => secs(180);
        Mul, int(3), secs(60) => secs(180);
        Div, secs(180), int(3) => secs(60);
        Div, secs(90), secs(60) => dec("1.5");
        Mul, permanent(), int(1) => permanent();
        Mul, int(2), permanent() => permanent();
        Div, permanent(), int(2) => permanent();
    }
    assert_eq!(fails(Mul, &permanent(), &int(0)), EvalErrorKind::Overflow);
    assert_eq!(fails(Mul, &permanent(), &int(-1)), EvalErrorKind::Overflow);
    assert_eq!(fails(Div, &permanent(), &int(-1)), EvalErrorKind::Overflow);
    assert_eq!(
        fails(Div, &secs(60), &int(0)),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(fails(Div, &permanent(), &secs(60)), EvalErrorKind::Overflow);
    assert_eq!(fails(Div, &secs(60), &permanent()), EvalErrorKind::Overflow);
    assert_eq!(
        fails(Add, &secs(i64::MAX - 1), &secs(1_000)),
        EvalErrorKind::Overflow
    );
    assert_eq!(
        fails(Sub, &secs(i64::MIN + 1), &secs(1_000)),
        EvalErrorKind::Overflow
    );
    assert_eq!(
        fails(Mul, &secs(i64::MAX - 1), &int(2)),
        EvalErrorKind::Overflow
    );
    assert_eq!(
        fails(Add, &ts("2023-03-01T10:00:00Z"), &permanent()),
        EvalErrorKind::Overflow
    );
    assert_eq!(
        fails(Add, &ts("2023-03-01T10:00:00Z"), &secs(i64::MAX / 2)),
        EvalErrorKind::TimeOutOfRange
    );
}

#[test]
fn strings_and_lists() {
    table! {
        Add, text("抖"), text("音") => text("抖音");
        Add, Value::List(vec![int(1)].into()), Value::List(vec![int(2)].into()) => Value::List(vec![int(1), int(2)].into());
    }
    assert!(matches!(
        fails(Add, &text("a"), &int(1)),
        EvalErrorKind::Unexpected { .. }
    ));
    assert!(matches!(
        fails(Sub, &text("a"), &text("b")),
        EvalErrorKind::Unexpected { .. }
    ));
}

#[test]
fn negation_and_absolute_values() {
    let s = Span::default();
    let cases = [
        (int(5), int(-5), int(5)),
        (dec("-1.5"), dec("1.5"), dec("1.5")),
        (pct("0.25"), pct("-0.25"), pct("0.25")),
        (cny("-3.00"), cny("3.00"), cny("3.00")),
        (secs(-60), secs(60), secs(60)),
    ];
    for (x, negated, absolute) in cases {
        assert!(same(&negate(&x, s).unwrap(), &negated), "-{x:?}");
        assert!(same(&abs(&x, s).unwrap(), &absolute), "abs({x:?})");
    }
    assert_eq!(
        negate(&int(i64::MIN), s).unwrap_err().kind,
        EvalErrorKind::Overflow
    );
    assert_eq!(
        abs(&int(i64::MIN), s).unwrap_err().kind,
        EvalErrorKind::Overflow
    );
    assert!(negate(&permanent(), s).is_err());
    assert!(negate(&text("x"), s).is_err());
    assert!(abs(&text("x"), s).is_err());
}

#[test]
fn comparisons_and_equality_across_kinds() {
    let s = Span::default();
    let holds = |op, a: &Value, b: &Value| compare(op, a, b, s).unwrap();
    assert!(holds(CmpOp::Eq, &int(500), &dec("500.00")));
    assert!(holds(CmpOp::Eq, &dec("500.00"), &int(500)));
    assert!(holds(CmpOp::Ne, &int(500), &dec("500.01")));
    assert!(holds(CmpOp::Lt, &int(1), &dec("1.5")));
    assert!(holds(CmpOp::Le, &dec("1.0"), &int(1)));
    assert!(holds(CmpOp::Gt, &cny("5000.01"), &cny("5000.00")));
    assert!(holds(CmpOp::Ge, &cny("5000.00"), &cny("5000")));
    assert!(!holds(CmpOp::Gt, &cny("5000.00"), &cny("5000")));
    // A percent is the fraction it stands for: 50% is 0.5, 100% is 1.
    assert!(equal(&pct("0.5"), &dec("0.50")));
    assert!(equal(&dec("0.5"), &pct("0.5")));
    assert!(equal(&int(1), &pct("1")));
    assert!(equal(&pct("1.00"), &int(1)));
    assert!(!equal(&pct("0.5"), &dec("50")));
    assert!(holds(CmpOp::Gt, &dec("0.2166"), &pct("0.2")));
    assert!(holds(CmpOp::Lt, &pct("0.2"), &dec("0.2166")));
    assert!(holds(CmpOp::Lt, &pct("0.5"), &int(1)));
    assert!(holds(CmpOp::Gt, &int(1), &pct("0.999")));
    assert!(holds(CmpOp::Ge, &int(2), &pct("2")));
    assert!(!holds(CmpOp::Gt, &int(2), &pct("2")));
    assert!(holds(CmpOp::Lt, &int(2), &int(3)));
    assert!(!holds(CmpOp::Lt, &int(3), &int(2)));
    assert!(!equal(&int(2), &int(3)));
    // Equal digits of other kinds are not equal values.
    assert!(!equal(&pct("0.5"), &text("0.5")));
    assert!(!equal(&int(1), &Value::Bool(true)));
    assert!(!equal(&text("1"), &int(1)));
    assert!(equal(&cny("1.0"), &cny("1.00")));
    assert!(!equal(&cny("1"), &money("1", "USD")));
    assert!(matches!(
        compare(CmpOp::Eq, &cny("1"), &money("1", "USD"), s)
            .unwrap_err()
            .kind,
        EvalErrorKind::CurrencyMismatch { .. }
    ));
    // Times of day, dates, strings and durations order; kinds that differ do not.
    let t = |x: &str| Value::Time(NaiveTime::parse_from_str(x, "%H:%M:%S").unwrap());
    assert!(holds(CmpOp::Le, &t("21:00:00"), &t("21:00:00")));
    assert!(holds(CmpOp::Lt, &date("2023-02-27"), &date("2023-02-28")));
    assert!(holds(CmpOp::Lt, &text("a"), &text("b")));
    assert!(holds(CmpOp::Lt, &secs(60), &permanent()));
    assert!(order(&text("a"), &int(1), s).is_err());
}

#[test]
fn rounding_halves_away_from_zero_in_each_kind() {
    let s = Span::default();
    let cases = [
        (dec("0.6666666666666666666666666667"), 2, dec("0.67")),
        (dec("2.5"), 0, dec("3")),
        (dec("-2.5"), 0, dec("-3")),
        (dec("0.125"), 2, dec("0.13")),
        (dec("0.124"), 2, dec("0.12")),
        (dec("1.5"), 28, dec("1.5")),
        (int(12), 1, int(12)),
        (cny("333.335"), 2, cny("333.34")),
        (cny("-0.005"), 2, cny("-0.01")),
        // a percent rounds its figure: 21.666…% to one place is 21.7%
        (pct("0.2166666666666666666666666667"), 1, pct("0.217")),
        (pct("0.125"), 0, pct("0.13")),
    ];
    for (x, places, want) in cases {
        let found = round(&x, places, s).unwrap();
        assert!(same(&found, &want), "round({x:?}, {places}) = {found:?}");
        assert_eq!(found.to_string(), want.to_string());
    }
    assert!(matches!(
        round(&text("x"), 1, s).unwrap_err().kind,
        EvalErrorKind::Unexpected { .. }
    ));
}

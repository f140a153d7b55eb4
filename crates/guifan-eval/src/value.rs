//! Runtime values: exact numbers and money, times, strings, lists and records.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Timelike};
use rust_decimal::Decimal;

pub use crate::ids::Currency;

/// Text in values: up to 23 bytes held inline (no allocation: IDs, codes,
/// most enum labels), longer text shared behind one reference count, so a
/// clone never copies the text.
pub type Text = smol_str::SmolStr;

/// An exact amount in one currency (`5000.00 CNY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount, exact
    pub amount: Decimal,
    /// Its currency
    pub currency: Currency,
}

impl fmt::Display for Money {
    /// `1500.00 CNY`: at least two decimals, more only when the amount needs them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_amount(f, self.amount)?;
        f.write_str(" ")?;
        f.write_str(self.currency.as_str())
    }
}

/// An amount of money with at least two decimals, more only when the amount
/// needs them (`1500.00`, `0.125`, `-3.50`), written from its mantissa and
/// scale: no general decimal formatting, no allocation.
pub fn write_amount(out: &mut impl fmt::Write, amount: Decimal) -> fmt::Result {
    let mut mantissa = amount.mantissa().unsigned_abs();
    let mut scale = amount.scale();
    while scale > 2 && mantissa.is_multiple_of(10) {
        mantissa /= 10;
        scale -= 1;
    }
    let padding = 2u32.saturating_sub(scale);
    // A mantissa has at most 29 digits, and a scale at most 28; with the
    // padding, the point and a leading zero, 64 bytes always suffice.
    let mut buf = [0u8; 64];
    let mut at = buf.len();
    let mut put = |byte: u8| {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = byte;
        }
    };
    for _ in 0..padding {
        put(b'0');
    }
    for _ in 0..scale {
        put(b'0' + (mantissa % 10) as u8);
        mantissa /= 10;
    }
    put(b'.');
    loop {
        put(b'0' + (mantissa % 10) as u8);
        mantissa /= 10;
        if mantissa == 0 {
            break;
        }
    }
    if amount.is_sign_negative() && !amount.is_zero() {
        put(b'-');
    }
    let text = buf
        .get(at..)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("");
    out.write_str(text)
}

/// A decoded subject record: its kind, its ID and its fields in schema order.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    /// Its kind
    pub kind: crate::ids::KindId,
    /// Its `id`
    pub id: Text,
    /// Its fields, by slot (`kind` and `id` included)
    pub fields: Box<[Value]>,
    /// The currency of its money, when it holds any
    pub currency: Option<Currency>,
}

/// A length of time in whole seconds; [`Duration::PERMANENT`] has no end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub i64);

impl Duration {
    /// `permanent`: longer than any finite duration
    pub const PERMANENT: Duration = Duration(i64::MAX);

    /// Whether this is `permanent`.
    pub fn is_permanent(self) -> bool {
        self == Duration::PERMANENT
    }
}

impl fmt::Display for Duration {
    /// The language's literal form: `72h`, `7d`, `15min`, `permanent`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_permanent() {
            return f.write_str("permanent");
        }
        let secs = self.0;
        let (sign, secs) = if secs < 0 {
            ("-", secs.unsigned_abs())
        } else {
            ("", secs.unsigned_abs())
        };
        if secs == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("min", 60)] {
            if secs % size == 0 {
                return write!(f, "{sign}{}{unit}", secs / size);
            }
        }
        write!(f, "{sign}{secs}s")
    }
}

/// A value during evaluation. Cheap to clone: strings, lists and records are shared.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An optional value that is not there (missing or `null` in data)
    Absent,
    /// `true`, `false`
    Bool(bool),
    /// A whole number
    Int(i64),
    /// An exact decimal
    Decimal(Decimal),
    /// Money with its currency
    Money(Money),
    /// A percentage, held as its fraction (`50%` is `0.5`)
    Percent(Decimal),
    /// Text
    Str(Text),
    /// A calendar date
    Date(NaiveDate),
    /// An instant with the offset it was written with
    Timestamp(DateTime<FixedOffset>),
    /// A time of day
    Time(NaiveTime),
    /// A length of time
    Duration(Duration),
    /// A calendar period, in whole months (`1mo`; `1y` is 12): added to a date or
    /// timestamp in the policy's zone, the day clamped to the month's last
    Period(i64),
    /// A list
    List(Arc<[Value]>),
    /// A map, sorted by key
    Map(Arc<[(Value, Value)]>),
    /// A record: its fields in schema order
    Record(Arc<[Value]>),
}

impl Value {
    /// The empty list, shared by every empty list a thread decodes, so that
    /// one costs no allocation.
    pub fn empty_list() -> Value {
        thread_local! {
            static EMPTY: Arc<[Value]> = Arc::new([]);
        }
        Value::List(EMPTY.with(Arc::clone))
    }

    /// Text value from a `&str`.
    pub fn str(s: &str) -> Value {
        Value::Str(Text::new(s))
    }

    /// The kind of value, in words, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Absent => "absent",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Decimal(_) => "decimal",
            Value::Money(_) => "money",
            Value::Percent(_) => "percent",
            Value::Str(_) => "string",
            Value::Date(_) => "date",
            Value::Timestamp(_) => "timestamp",
            Value::Time(_) => "time",
            Value::Duration(_) => "duration",
            Value::Period(_) => "period",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Record(_) => "record",
        }
    }

    /// A total order used to sort map keys and compare like values; values of
    /// different kinds order by kind.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Int(a), Decimal(b)) => rust_decimal::Decimal::from(*a).cmp(b),
            (Decimal(a), Int(b)) => a.cmp(&rust_decimal::Decimal::from(*b)),
            (Decimal(a), Decimal(b)) | (Percent(a), Percent(b)) => a.cmp(b),
            (Money(a), Money(b)) => (a.currency, a.amount).cmp(&(b.currency, b.amount)),
            (Str(a), Str(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Time(a), Time(b)) => a.cmp(b),
            (Duration(a), Duration(b)) => a.cmp(b),
            (Period(a), Period(b)) => a.cmp(b),
            (List(a), List(b)) => cmp_slices(a, b),
            (Record(a), Record(b)) => cmp_slices(a, b),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Absent => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Decimal(_) => 2,
            Value::Money(_) => 3,
            Value::Percent(_) => 4,
            Value::Str(_) => 5,
            Value::Date(_) => 6,
            Value::Timestamp(_) => 7,
            Value::Time(_) => 8,
            Value::Duration(_) => 9,
            Value::Period(_) => 10,
            Value::List(_) => 11,
            Value::Map(_) => 12,
            Value::Record(_) => 13,
        }
    }
}

fn cmp_slices(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = x.total_cmp(y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Formats a calendar period as written: whole years as `1y`, else months (`18mo`).
pub fn period_text(months: i64) -> String {
    if months != 0 && months % 12 == 0 {
        format!("{}y", months / 12)
    } else {
        format!("{months}mo")
    }
}

/// Formats a percentage fraction as written (`0.5` → `50%`).
/// A percentage fraction in points, as written (`0.5` → `50`).
fn percent_points(fraction: Decimal) -> Decimal {
    fraction
        .checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or(fraction)
        .normalize()
}

/// Formats a timestamp as RFC 3339 with its own offset, seconds always shown.
pub fn timestamp_text(t: &DateTime<FixedOffset>) -> String {
    if t.nanosecond() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        t.to_rfc3339()
    }
}

/// What separates the items of a list in a message (`a、b、c`).
pub(crate) const LIST_SEPARATOR: &str = "、";

/// Appends a value's message text (its [`Display`](fmt::Display)) to `out`:
/// counts, text, money and lists of them directly, anything else through
/// the formatter.
pub(crate) fn write_text(out: &mut String, v: &Value) {
    match v {
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Str(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Money(m) => {
            let _ = write_amount(out, m.amount);
            out.push(' ');
            out.push_str(m.currency.as_str());
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(LIST_SEPARATOR);
                }
                write_text(out, item);
            }
        }
        other => {
            use fmt::Write;
            let _ = write!(out, "{other}");
        }
    }
}

impl fmt::Display for Value {
    /// The text used in messages: money as `5000.00 CNY`, lists joined with `、`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Absent => f.write_str("(absent)"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Money(m) => fmt::Display::fmt(m, f),
            Value::Percent(p) => write!(f, "{}%", percent_points(*p)),
            Value::Str(s) => f.write_str(s),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Timestamp(t) => f.write_str(&timestamp_text(t)),
            Value::Time(t) => {
                if t.second() == 0 {
                    write!(f, "{}", t.format("%H:%M"))
                } else {
                    write!(f, "{}", t.format("%H:%M:%S"))
                }
            }
            Value::Duration(d) => write!(f, "{d}"),
            Value::Period(months) => f.write_str(&period_text(*months)),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(LIST_SEPARATOR)?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Record(_) => f.write_str("{record}"),
        }
    }
}

/// A value in the JSON of decision records: money `"1500.00 CNY"`, durations
/// `"72h"`, timestamps RFC 3339, decimals as exact JSON numbers, absent as `null`.
pub struct JsonValue<'a>(pub &'a Value);

impl serde::Serialize for JsonValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Absent => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Decimal(d) => {
                match serde_json::value::RawValue::from_string(d.normalize().to_string()) {
                    Ok(raw) => raw.serialize(s),
                    Err(_) => s.serialize_str(&d.to_string()),
                }
            }
            Value::Str(text) => s.serialize_str(text),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items.iter() {
                    seq.serialize_element(&JsonValue(i))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries.iter() {
                    map.serialize_entry(&k.to_string(), &JsonValue(v))?;
                }
                map.end()
            }
            // Written straight into the output, escaped as it goes: no text is built.
            other => s.collect_str(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of value is named in errors as the language names its type.
    #[test]
    fn values_are_named_as_their_types() {
        let named = [
            (Value::Absent, "absent"),
            (Value::Bool(true), "bool"),
            (Value::Int(1), "int"),
            (Value::Decimal(Decimal::ONE), "decimal"),
            (Value::Percent(Decimal::ONE), "percent"),
            (Value::str("a"), "string"),
            (Value::Duration(Duration(1)), "duration"),
            (Value::Period(1), "period"),
            (Value::List(Arc::from([])), "list"),
            (Value::Record(Arc::from([])), "record"),
        ];
        for (value, name) in named {
            assert_eq!(value.kind_name(), name);
        }
    }

    /// Values of different kinds order by kind, in the documented order, and
    /// are never equal (a survivor of the mutation run: every kind ranked the same).
    #[test]
    fn values_of_different_kinds_order_by_kind() {
        let cny = Currency::parse("CNY").expect("a currency");
        let ordered = [
            Value::Absent,
            Value::Bool(true),
            Value::Int(5),
            Value::Money(Money {
                amount: Decimal::ONE,
                currency: cny,
            }),
            Value::Percent(Decimal::ONE),
            Value::str("a"),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(a.total_cmp(b), i.cmp(&j), "{a:?} {b:?}");
            }
        }
        // Like values order by value, each kind by its own arm.
        let date = |d: u32| NaiveDate::from_ymd_opt(2024, 3, d).expect("a date");
        let at = |h: u32| {
            FixedOffset::east_opt(8 * 3600)
                .and_then(|z| chrono::TimeZone::with_ymd_and_hms(&z, 2024, 3, 1, h, 0, 0).single())
                .expect("an instant")
        };
        let time = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).expect("a time");
        let money = |m: i64| {
            Value::Money(Money {
                amount: Decimal::new(m, 2),
                currency: cny,
            })
        };
        for (low, high) in [
            (Value::Bool(false), Value::Bool(true)),
            (Value::Int(1), Value::Int(2)),
            (Value::Int(1), Value::Decimal(Decimal::new(15, 1))),
            (Value::Decimal(Decimal::new(5, 1)), Value::Int(1)),
            (Value::Decimal(Decimal::ONE), Value::Decimal(Decimal::TWO)),
            (Value::Percent(Decimal::ONE), Value::Percent(Decimal::TWO)),
            (money(100), money(250)),
            (Value::str("a"), Value::str("b")),
            (Value::Date(date(1)), Value::Date(date(2))),
            (Value::Timestamp(at(1)), Value::Timestamp(at(2))),
            (Value::Time(time(1)), Value::Time(time(2))),
            (
                Value::Duration(Duration(60)),
                Value::Duration(Duration(3600)),
            ),
            (Value::Period(1), Value::Period(12)),
        ] {
            assert_eq!(low.total_cmp(&high), Ordering::Less, "{low:?} {high:?}");
            assert_eq!(high.total_cmp(&low), Ordering::Greater, "{low:?} {high:?}");
            assert_eq!(low.total_cmp(&low), Ordering::Equal, "{low:?}");
        }
        // Lists and records order item by item.
        let ints = |xs: &[i64]| -> Arc<[Value]> { xs.iter().map(|x| Value::Int(*x)).collect() };
        for (a, b, order) in [
            (ints(&[1, 2]), ints(&[1, 3]), Ordering::Less),
            (ints(&[1, 2]), ints(&[1, 2]), Ordering::Equal),
            (ints(&[2]), ints(&[1, 9]), Ordering::Greater),
        ] {
            assert_eq!(
                Value::List(a.clone()).total_cmp(&Value::List(b.clone())),
                order
            );
            assert_eq!(Value::Record(a).total_cmp(&Value::Record(b)), order);
        }
    }

    #[test]
    fn durations_print_in_their_largest_whole_unit() {
        assert_eq!(Duration(72 * 3600).to_string(), "3d");
        assert_eq!(Duration(3600 * 5).to_string(), "5h");
        assert_eq!(Duration(900).to_string(), "15min");
        assert_eq!(Duration(61).to_string(), "61s");
        assert_eq!(Duration(-3600).to_string(), "-1h");
        assert_eq!(Duration(-61).to_string(), "-61s");
        assert_eq!(Duration(0).to_string(), "0s");
        assert_eq!(Duration::PERMANENT.to_string(), "permanent");
    }

    #[test]
    fn timestamps_print_their_fraction_only_when_they_have_one() {
        let at = |t: &str| {
            Value::Timestamp(DateTime::parse_from_rfc3339(t).expect("a time")).to_string()
        };
        assert_eq!(at("2023-03-01T10:00:00+08:00"), "2023-03-01T10:00:00+08:00");
        assert_eq!(
            at("2023-03-01T10:00:00.5+08:00"),
            "2023-03-01T10:00:00.500+08:00"
        );
    }

    #[test]
    fn periods_and_maps_print_as_written() {
        assert_eq!(Value::Period(12).to_string(), "1y");
        assert_eq!(Value::Period(18).to_string(), "18mo");
        assert_eq!(Value::Period(0).to_string(), "0mo");
        let map = Value::Map(
            vec![
                (Value::str("a"), Value::Int(1)),
                (Value::str("b"), Value::Int(2)),
            ]
            .into(),
        );
        assert_eq!(map.to_string(), "{a: 1, b: 2}");
    }

    #[test]
    fn message_text_is_the_display_text() {
        let cny = Currency::parse("CNY").expect("a currency");
        let money = |m: i64, scale: u32| {
            Value::Money(Money {
                amount: Decimal::new(m, scale),
                currency: cny,
            })
        };
        let t = DateTime::parse_from_rfc3339("2023-03-01T00:30:00+08:00").expect("a time");
        let values = vec![
            Value::Int(0),
            Value::Int(-42),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::str("个人"),
            Value::str(""),
            Value::Bool(true),
            Value::Bool(false),
            money(150000, 2),
            money(-1, 3),
            money(0, 0),
            Value::Decimal(Decimal::new(-125, 2)),
            Value::Percent(Decimal::new(5, 1)),
            Value::Timestamp(t),
            Value::Duration(Duration(3600)),
            Value::Absent,
            Value::empty_list(),
            Value::List(vec![Value::Int(1), money(5, 0), Value::str("x")].into()),
            Value::List(
                vec![
                    Value::List(vec![Value::Int(1), Value::Int(2)].into()),
                    Value::Int(3),
                ]
                .into(),
            ),
        ];
        for v in values {
            let mut out = String::from("<");
            write_text(&mut out, &v);
            assert_eq!(out, format!("<{v}"), "{v:?}");
        }
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert_eq!(
            Currency::parse("CNY").map(|c| c.to_string()),
            Some("CNY".into())
        );
        assert!(Currency::parse("cny").is_none());
        assert!(Currency::parse("CNYX").is_none());
        // Debugged as its code too (as in a decoded record's `{:?}`).
        assert_eq!(
            Currency::parse("RUB").map(|c| format!("{c:?}")),
            Some("RUB".into())
        );
    }

    #[test]
    fn percent_text_round_trips() {
        assert_eq!(Value::Percent(Decimal::new(5, 1)).to_string(), "50%");
        assert_eq!(Value::Percent(Decimal::new(125, 3)).to_string(), "12.5%");
    }

    /// The text money had before it was written from mantissa and scale.
    fn by_normalizing(amount: Decimal) -> String {
        let mut amount = amount.normalize();
        if amount.scale() < 2 {
            amount.rescale(2);
        }
        amount.to_string()
    }

    fn written(amount: Decimal) -> String {
        let mut out = String::new();
        write_amount(&mut out, amount).unwrap_or_default();
        out
    }

    #[test]
    fn money_is_written_with_two_decimals_or_as_many_as_it_needs() {
        let cases = [
            (Decimal::new(1500, 0), "1500.00"),
            (Decimal::new(1500000, 3), "1500.00"),
            (Decimal::new(125, 3), "0.125"),
            (Decimal::new(-35, 1), "-3.50"),
            (Decimal::new(-0, 2), "0.00"),
            (Decimal::new(1, 28), "0.0000000000000000000000000001"),
        ];
        for (amount, text) in cases {
            assert_eq!(written(amount), text, "{amount:?}");
            assert_eq!(by_normalizing(amount), text, "{amount:?}");
        }
        // Normalizing could not give the largest amounts their two decimals
        // (`rescale` cannot make room for them); the mantissa can.
        assert_eq!(written(Decimal::MAX), "79228162514264337593543950335.00");
        assert_eq!(
            by_normalizing(Decimal::MAX),
            "79228162514264337593543950335"
        );
        assert_eq!(written(Decimal::MIN), "-79228162514264337593543950335.00");
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 3);
        assert_eq!(written(negative_zero), by_normalizing(negative_zero));
    }

    #[test]
    fn money_is_written_as_normalizing_wrote_it_for_every_mantissa_and_scale() {
        for scale in 0..=28 {
            for mantissa in [
                0i64,
                1,
                -1,
                7,
                10,
                -100,
                120,
                99_999,
                1_000_000,
                i64::MAX,
                i64::MIN + 1,
            ] {
                let amount = Decimal::new(mantissa, scale);
                assert_eq!(
                    written(amount),
                    by_normalizing(amount),
                    "{mantissa} at scale {scale}"
                );
            }
        }
    }
}

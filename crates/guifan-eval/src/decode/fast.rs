//! The fast path of decoding: one scan of the record's bytes driven by the
//! kind's layout, keys matched against the field expected next before any
//! lookup, money read as fixed point from its digits, timestamps in RFC 3339's
//! usual layout built without a general parser.
//!
//! It accepts only what it is sure of. Anything else (an escape in a string,
//! an unknown or repeated key, a map, a number with an exponent, a value of
//! the wrong type, a missing field...) makes it decline with `None`, and the
//! record is decoded again by the detailed decoder, which either accepts it
//! too or reports the error with its field path. So every record it accepts
//! decodes to the same subject as the detailed decoder would (tested on the
//! catalogue's records and damaged copies of them, and fuzzed).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use rust_decimal::Decimal;

use super::{check_required, finish_subject, note_currency, Ctx, SeenKeys};
use crate::schema::{KindId, RecordId, Schema, ID_SLOT, KIND_SLOT};
use crate::types::Type;
use crate::value::{Currency, Money, Subject, Value};

/// Decodes a record the quick way, or `None` when the detailed decoder must.
pub(super) fn decode(schema: &Schema, text: &str) -> Option<Subject> {
    let cx = Ctx::new(schema);
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        at: 0,
        items: ITEMS.with(std::cell::Cell::take),
    };
    let subject = root(&cx, &mut scan);
    scan.ws();
    let whole = scan.at == scan.bytes.len();
    // The list items' stack is kept (emptied) for the thread's next record.
    scan.items.clear();
    ITEMS.with(|items| items.set(scan.items));
    subject.filter(|_| whole)
}

thread_local! {
    /// The list items' stack of the last record this thread decoded, emptied,
    /// so that decoding the next one does not grow a new one.
    static ITEMS: std::cell::Cell<Vec<Value>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A position in a record's bytes (valid UTF-8: checked before).
struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    /// Items of the lists being read, innermost last
    items: Vec<Value>,
}

impl<'t> Scan<'t> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.at).copied()
    }

    /// Consumes `byte` after white space.
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Consumes `word` (`true`, `null`) and checks it ends there.
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let rest = self.bytes.get(self.at..)?;
        if !rest.starts_with(word) {
            return None;
        }
        self.at += word.len();
        self.delimited()
    }

    /// Whether the value just read ends at a delimiter (so `truex` or `12a` is refused).
    fn delimited(&self) -> Option<()> {
        match self.bytes.get(self.at) {
            None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') => Some(()),
            Some(_) => None,
        }
    }

    /// A string without escapes or control characters, and its text with quotes.
    fn string(&mut self) -> Option<(&'t str, &'t str)> {
        self.eat(b'"')?;
        let start = self.at;
        // The closing quote or an escape, found a word at a time; then no
        // control character may come before it.
        let rest = self.bytes.get(start..)?;
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        let body = rest.get(..end)?;
        if rest.get(end) != Some(&b'"') || body.iter().any(|b| *b < 0x20) {
            return None;
        }
        self.at = start + end + 1;
        // Slices of text already known to be UTF-8, cut at ASCII quotes: char boundaries.
        let body = self.text.get(start..self.at - 1)?;
        let quoted = self.text.get(start - 1..self.at)?;
        Some((body, quoted))
    }

    /// Consumes the key `"name"` when it comes next (after white space).
    fn key_is(&mut self, name: &str) -> bool {
        self.ws();
        let at = self.at;
        let end = at + name.len() + 2;
        let matches = self.bytes.get(at) == Some(&b'"')
            && self.bytes.get(at + 1..end - 1) == Some(name.as_bytes())
            && self.bytes.get(end - 1) == Some(&b'"');
        if matches {
            self.at = end;
        }
        matches
    }

    /// A JSON integer (`-?(0|[1-9][0-9]*)`) that fits an `i64`; a fraction, an exponent or `-0` declines.
    fn int(&mut self) -> Option<i64> {
        self.ws();
        let negative = self.bytes.get(self.at) == Some(&b'-');
        self.at += usize::from(negative);
        let start = self.at;
        let mut value: i64 = 0;
        while let Some(d @ b'0'..=b'9') = self.bytes.get(self.at) {
            let digit = i64::from(d - b'0');
            value = value.checked_mul(10)?;
            value = if negative {
                value.checked_sub(digit)?
            } else {
                value.checked_add(digit)?
            };
            self.at += 1;
        }
        let digits = self.at - start;
        // serde_json reads `-0` as a float, which an int refuses.
        if digits == 0
            || (digits > 1 && self.bytes.get(start) == Some(&b'0'))
            || (negative && value == 0)
        {
            return None;
        }
        self.delimited()?;
        Some(value)
    }

    /// A decimal written as a JSON string (`"5230.40"`) or number (`5230.40`).
    fn decimal(&mut self) -> Option<Decimal> {
        match self.peek()? {
            b'"' => {
                let (text, _) = self.string()?;
                fixed_point(text.as_bytes(), false)
            }
            _ => {
                let start = self.at;
                while let Some(b'-' | b'0'..=b'9' | b'.') = self.bytes.get(self.at) {
                    self.at += 1;
                }
                self.delimited()?;
                fixed_point(self.bytes.get(start..self.at)?, true)
            }
        }
    }
}

/// `-?digits(.digits)?` with at most 18 digits, exactly; `json_number` also
/// refuses leading zeros, as JSON does. Negative zero declines (the detailed
/// decoder keeps its sign).
fn fixed_point(text: &[u8], json_number: bool) -> Option<Decimal> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (int, frac) = match memchr::memchr(b'.', digits) {
        Some(dot) => (digits.get(..dot)?, Some(digits.get(dot + 1..)?)),
        None => (digits, None),
    };
    let frac = frac.unwrap_or_default();
    let well_formed = !int.is_empty()
        && (frac.is_empty() == (digits.len() == int.len()))
        && int.len() + frac.len() <= 18
        && int.iter().chain(frac).all(u8::is_ascii_digit)
        && !(json_number && int.len() > 1 && int.first() == Some(&b'0'));
    if !well_formed {
        return None;
    }
    let mantissa = int
        .iter()
        .chain(frac)
        .fold(0i64, |m, d| m * 10 + i64::from(d - b'0'));
    if negative && mantissa == 0 {
        return None;
    }
    let scale = u32::try_from(frac.len()).ok()?;
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

/// `YYYY-MM-DDTHH:MM:SS+HH:MM` or `...Z`, built directly; other layouts go to
/// the general parser (the detailed decoder's), so the result is the same.
fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let fixed = (b.len() == 25 || b.len() == 20)
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    let quick = || -> Option<DateTime<FixedOffset>> {
        let offset = match (b.len(), b.get(19)) {
            (20, Some(b'Z')) => 0,
            (25, Some(sign @ (b'+' | b'-'))) if b.get(22) == Some(&b':') => {
                let (h, m) = (num(20..22)?, num(23..25)?);
                if h > 23 || m > 59 || (*sign == b'-' && h == 0 && m == 0) {
                    return None;
                }
                let secs = i32::try_from(h * 3600 + m * 60).ok()?;
                if *sign == b'-' {
                    -secs
                } else {
                    secs
                }
            }
            _ => return None,
        };
        let date =
            NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
        let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if s > 59 {
            return None;
        }
        let time = NaiveTime::from_hms_opt(h, m, s)?;
        FixedOffset::east_opt(offset)?
            .from_local_datetime(&date.and_time(time))
            .single()
    };
    match fixed.then(quick).flatten() {
        Some(t) => Some(t),
        None => guifan_syntax::literal::timestamp(text).ok(),
    }
}

fn root(cx: &Ctx<'_>, scan: &mut Scan<'_>) -> Option<Subject> {
    let schema = cx.schema;
    scan.eat(b'{')?;
    if scan.string()?.0 != "kind" {
        return None;
    }
    scan.eat(b':')?;
    let name = scan.string()?.0;
    let kid: KindId = schema.kind(name)?;
    let def = schema.kind_def(kid)?;
    let record = def.record;
    let width = schema.record(record)?.fields.len();
    let mut fields = crate::recycle::fields(width);
    *fields.get_mut(KIND_SLOT)? = Value::Str(schema.interned_kind(kid)?.clone());
    let mut seen = SeenKeys::default();
    seen.slot(KIND_SLOT);
    let mut hint = ID_SLOT;
    while scan.peek()? == b',' {
        scan.at += 1;
        let slot = field(cx, scan, record, &mut fields, &mut hint, &mut seen)?;
        note_currency(
            cx,
            &fields,
            Some(slot),
            def.currency_slot,
            def.platform_slot,
        );
    }
    scan.eat(b'}')?;
    finish_subject::<serde_json::Error>(cx, kid, record, fields).ok()
}

/// One `"key": value` of a record into its slot; returns the slot.
fn field(
    cx: &Ctx<'_>,
    scan: &mut Scan<'_>,
    record: RecordId,
    fields: &mut [Value],
    hint: &mut usize,
    seen: &mut SeenKeys,
) -> Option<usize> {
    let def = cx.schema.record(record)?;
    // The field expected next is matched against the bytes at once (field
    // names are identifiers: nothing in them needs escaping); any other key is
    // scanned and looked up.
    let expected = def.fields.get(*hint).filter(|f| scan.key_is(&f.name));
    let slot = match expected {
        Some(_) => *hint,
        None => def.slot(scan.string()?.0)?,
    };
    if !seen.slot(slot) {
        return None;
    }
    *hint = slot + 1;
    let f = def.fields.get(slot)?;
    scan.eat(b':')?;
    *fields.get_mut(slot)? = value(cx, scan, &f.ty, f.optional)?;
    Some(slot)
}

fn value(cx: &Ctx<'_>, scan: &mut Scan<'_>, ty: &Type, optional: bool) -> Option<Value> {
    if optional && scan.peek()? == b'n' {
        scan.word(b"null")?;
        return Some(Value::Absent);
    }
    Some(match ty {
        Type::Bool => match scan.peek()? {
            b't' => scan.word(b"true").map(|()| Value::Bool(true))?,
            _ => scan.word(b"false").map(|()| Value::Bool(false))?,
        },
        Type::Int => Value::Int(scan.int()?),
        Type::Decimal => Value::Decimal(scan.decimal()?),
        Type::Money(c) => {
            let amount = scan.decimal()?;
            let currency = c.or_else(|| cx.currency.get()).unwrap_or_else(|| {
                cx.unresolved_money.set(true);
                Currency::UNKNOWN
            });
            Value::Money(Money { amount, currency })
        }
        Type::Percent => Value::Percent(super::percent(scan.string()?.1).ok()?),
        Type::Str => {
            // Long strings are left to the detailed decoder, which says why they are refused.
            let s = scan.string()?.0;
            if s.len() > super::MAX_STRING_BYTES {
                return None;
            }
            Value::str(s)
        }
        Type::Enum(id) => Value::Str(cx.schema.interned_enum(*id, scan.string()?.0)?.clone()),
        Type::Date => Value::Date(guifan_syntax::literal::date(scan.string()?.0).ok()?),
        Type::Timestamp => Value::Timestamp(timestamp(scan.string()?.0)?),
        Type::Time => {
            let s = scan.string()?.0;
            Value::Time(
                NaiveTime::parse_from_str(s, "%H:%M:%S")
                    .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
                    .ok()?,
            )
        }
        Type::Duration => Value::Duration(super::duration(scan.string()?.0)?),
        Type::Period => Value::Period(super::period(scan.string()?.0)?),
        Type::List(item) => list(cx, scan, item)?,
        Type::Record(id) => nested(cx, scan, *id)?,
        Type::Optional(inner) => value(cx, scan, inner, true)?,
        Type::Map(key, value) => map(cx, scan, key, value)?,
        Type::Any | Type::Nothing | Type::Error => return None,
    })
}

fn list(cx: &Ctx<'_>, scan: &mut Scan<'_>, item: &Type) -> Option<Value> {
    let (ty, optional) = match item {
        Type::Optional(inner) => (&**inner, true),
        other => (other, false),
    };
    scan.eat(b'[')?;
    if scan.peek()? == b']' {
        scan.at += 1;
        return Some(Value::empty_list());
    }
    // Items are gathered on the scan's stack (shared by nested lists, no
    // allocation once it has grown), then moved into the list's one allocation.
    let start = scan.items.len();
    loop {
        let item = value(cx, scan, ty, optional)?;
        scan.items.push(item);
        match scan.peek()? {
            b',' => scan.at += 1,
            b']' => {
                scan.at += 1;
                let mut items = crate::recycle::array(scan.items.len() - start);
                let slots = Arc::get_mut(&mut items)?;
                for (slot, item) in slots.iter_mut().zip(scan.items.drain(start..)) {
                    *slot = item;
                }
                return Some(Value::List(items));
            }
            _ => return None,
        }
    }
}

/// A map: keys decoded as their type, entries sorted by key; a repeated key declines.
fn map(cx: &Ctx<'_>, scan: &mut Scan<'_>, key_ty: &Type, value_ty: &Type) -> Option<Value> {
    let mut entries: Vec<(Value, Value)> = Vec::new();
    scan.eat(b'{')?;
    if scan.peek()? != b'}' {
        loop {
            let key = super::decode_key(cx.schema, key_ty, scan.string()?.0).ok()?;
            scan.eat(b':')?;
            entries.push((key, value(cx, scan, value_ty, false)?));
            if scan.peek()? != b',' {
                break;
            }
            scan.at += 1;
        }
    }
    scan.eat(b'}')?;
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    if entries
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.0.total_cmp(&b.0).is_eq()))
    {
        return None;
    }
    Some(Value::Map(entries.into()))
}

fn nested(cx: &Ctx<'_>, scan: &mut Scan<'_>, record: RecordId) -> Option<Value> {
    let width = cx.schema.record(record)?.fields.len();
    let mut values = crate::recycle::array(width);
    let fields = Arc::get_mut(&mut values)?;
    let mut hint = 0;
    let mut seen = SeenKeys::default();
    scan.eat(b'{')?;
    if scan.peek()? != b'}' {
        loop {
            field(cx, scan, record, fields, &mut hint, &mut seen)?;
            if scan.peek()? != b',' {
                break;
            }
            scan.at += 1;
        }
    }
    scan.eat(b'}')?;
    check_required::<serde_json::Error>(cx, record, fields).ok()?;
    Some(Value::Record(values))
}

#[cfg(test)]
mod tests {
    use super::Scan;

    /// The body of the string at the start of `text`, and where the scan ends.
    fn string(text: &str) -> Option<(String, usize)> {
        quoted(text).map(|(body, _, at)| (body, at))
    }

    /// The body, the text with its quotes, and where the scan ends.
    fn quoted(text: &str) -> Option<(String, String, usize)> {
        let mut scan = Scan {
            text,
            bytes: text.as_bytes(),
            at: 0,
            items: Vec::new(),
        };
        let (body, quoted) = scan.string()?;
        Some((body.to_owned(), quoted.to_owned(), scan.at))
    }

    #[test]
    fn strings_are_read_to_their_closing_quote() {
        assert_eq!(string(r#""abc","x""#), Some(("abc".to_owned(), 5)));
        assert_eq!(string(r#"  """#), Some((String::new(), 4)));
        assert_eq!(string(r#""抖音电商"}"#), Some(("抖音电商".to_owned(), 14)));
        assert_eq!(
            quoted(r#" "50%","#),
            Some(("50%".to_owned(), r#""50%""#.to_owned(), 6)),
            "body, and text with quotes"
        );
        // A space is the first byte that is not a control character.
        assert_eq!(string(r#""a b""#), Some(("a b".to_owned(), 5)));
    }

    #[test]
    fn escapes_control_characters_and_open_strings_decline() {
        assert_eq!(string(r#""a\"b""#), None);
        assert_eq!(string(r#""a\nb""#), None);
        assert_eq!(string("\"a\nb\""), None);
        assert_eq!(string("\"a\u{1f}\""), None);
        assert_eq!(string(r#""abc"#), None);
        assert_eq!(string(r#"abc""#), None);
    }
}

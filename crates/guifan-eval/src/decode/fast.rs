//! The fast path of decoding: one scan of the record's bytes driven by the
//! kind's layout (the kind read first, or guessed by a search and checked),
//! keys matched against the field expected next before any lookup, keys the
//! schema does not declare skipped (`skip.rs`), money read as fixed point
//! from its digits, timestamps in RFC 3339's usual layout built without a
//! general parser.
//!
//! It accepts only what it is sure of. Anything else (an escape in a string,
//! a repeated key, a number with an exponent, a value of the wrong type, a
//! missing field...) makes it decline with `None`, and the
//! record is decoded again by the detailed decoder, which either accepts it
//! too or reports the error with its field path. So every record it accepts
//! decodes to the same subject as the detailed decoder would (tested on the
//! catalogue's records and damaged copies of them, and fuzzed).

mod skip;

pub(super) use skip::{root_kind, sole_kind};

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use rust_decimal::Decimal;

use super::{check_required, finish_subject, note_currency, Ctx};
use crate::schema::{KindId, RecordDef, RecordId, Schema, ID_SLOT, KIND_SLOT};
use crate::types::Type;
use crate::value::{Currency, Money, Subject, Value};

/// Decodes a record the quick way, or `None` when the detailed decoder must.
pub(super) fn decode(schema: &Schema, text: &str) -> Option<Subject> {
    let cx = Ctx::new(schema);
    let mut scan = Scan {
        items: ITEMS.with(std::cell::Cell::take),
        undeclared: UNDECLARED.with(std::cell::Cell::take),
        ..Scan::new(text, 0)
    };
    let subject = root(&cx, &mut scan);
    scan.ws();
    let whole = scan.at == scan.bytes.len();
    // The stacks are kept (emptied) for the thread's next record.
    scan.items.clear();
    scan.undeclared.clear();
    ITEMS.with(|items| items.set(scan.items));
    UNDECLARED.with(|keys| keys.set(scan.undeclared));
    subject.filter(|_| whole)
}

thread_local! {
    /// The list items' stack of the last record this thread decoded, emptied,
    /// so that decoding the next one does not grow a new one.
    static ITEMS: std::cell::Cell<Vec<Value>> = const { std::cell::Cell::new(Vec::new()) };
    /// The same for the undeclared keys' stack.
    static UNDECLARED: std::cell::Cell<Vec<(usize, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// How deep arrays and objects may nest, counted from the record's root,
/// before the fast path leaves the record to the detailed decoder (whose
/// parser refuses 128 levels).
const MAX_DEPTH: usize = 64;

/// A position in a record's bytes (valid UTF-8: checked before).
struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    /// Arrays and objects open around `at`, the record's root included
    depth: usize,
    /// Items of the lists being read, innermost last
    items: Vec<Value>,
    /// Where the undeclared keys of the objects being read are (byte
    /// ranges of their bodies), innermost object's last
    undeclared: Vec<(usize, usize)>,
}

impl<'t> Scan<'t> {
    /// A scan of `text` from `at`, with empty stacks of its own.
    fn new(text: &'t str, at: usize) -> Self {
        Scan {
            text,
            bytes: text.as_bytes(),
            at,
            depth: 0,
            items: Vec::new(),
            undeclared: Vec::new(),
        }
    }

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

    /// A string without escapes or control characters: its body.
    fn string(&mut self) -> Option<&'t str> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = self.bytes.get(start..)?;
        let end = string_end(rest)?;
        self.at = start + end + 1;
        // A slice of text already known to be UTF-8, cut at ASCII quotes: char boundaries.
        self.text.get(start..start + end)
    }

    /// The same string, with its quotes (the text the detailed decoder's parsers take).
    fn quoted(&mut self) -> Option<&'t str> {
        let body = self.string()?;
        self.text.get(self.at - body.len() - 2..self.at)
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
                let text = self.string()?;
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

/// Where the closing quote of a string without escapes or control characters
/// is in `rest` (the bytes after its opening quote); `None` at an escape, a
/// control character or the end of the text.
///
/// Most strings in records are short (IDs, codes, amounts, times): their
/// first bytes are looked at eight at a time in a word (no vector search to
/// set up), the rest of a longer string by a vector search.
fn string_end(rest: &[u8]) -> Option<usize> {
    const SHORT: usize = 32;
    for at in (0..SHORT).step_by(8) {
        let Some(chunk) = rest.get(at..at + 8) else {
            // Under eight bytes are left in the text: one at a time.
            let tail = rest.get(at..)?;
            let end = tail
                .iter()
                .position(|b| matches!(b, b'"' | b'\\' | 0x00..=0x1f))?;
            return (tail.get(end) == Some(&b'"')).then_some(at + end);
        };
        if let Some(i) = first_special(chunk) {
            let end = at + i;
            return (rest.get(end) == Some(&b'"')).then_some(end);
        }
    }
    let tail = rest.get(SHORT..)?;
    let end = memchr::memchr2(b'"', b'\\', tail)?;
    let body = tail.get(..end)?;
    if tail.get(end) != Some(&b'"') || body.iter().any(|b| *b < 0x20) {
        return None;
    }
    Some(SHORT + end)
}

/// The first of eight bytes that is a quote, a backslash or a control
/// character, found in one word (SWAR): `x - 1 & !x` has the high bit set in
/// the lowest zero byte of `x` (bits above it may be set by the borrow, but
/// never below), so the lowest set bit of the three tests is the first such byte.
fn first_special(chunk: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = u64::from_le_bytes(chunk.try_into().ok()?);
    let quote = word ^ (ONES * u64::from(b'"'));
    let slash = word ^ (ONES * u64::from(b'\\'));
    let found = ((quote.wrapping_sub(ONES) & !quote)
        | (slash.wrapping_sub(ONES) & !slash)
        | (word.wrapping_sub(ONES * 0x20) & !word))
        & HIGH;
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// `-?digits(.digits)?` with at most 18 digits, exactly; `json_number` also
/// refuses leading zeros, as JSON does. Negative zero declines (the detailed
/// decoder keeps its sign).
fn fixed_point(text: &[u8], json_number: bool) -> Option<Decimal> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    // One pass: the digits into the mantissa (wrapping: more than 18 digits
    // are refused below, before it is used), and how many came before the point.
    let mut mantissa = 0i64;
    let mut count = 0usize;
    let mut before_point = None;
    for &b in digits {
        if b.is_ascii_digit() {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
            count += 1;
        } else if b == b'.' && before_point.is_none() {
            before_point = Some(count);
        } else {
            return None;
        }
    }
    let int_len = before_point.unwrap_or(count);
    let scale = count - int_len;
    let well_formed = int_len > 0
        && (before_point.is_none() || scale > 0)
        && count <= 18
        && !(json_number && int_len > 1 && digits.first() == Some(&b'0'));
    if !well_formed || (negative && mantissa == 0) {
        return None;
    }
    Decimal::try_new(
        if negative { -mantissa } else { mantissa },
        u32::try_from(scale).ok()?,
    )
    .ok()
}

/// `YYYY-MM-DDTHH:MM:SS+HH:MM` or `...Z`, built directly; other layouts go to
/// the general parser (the detailed decoder's), so the result is the same.
fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    match usual_timestamp(text.as_bytes()) {
        Some(t) => Some(t),
        None => guifan_syntax::literal::timestamp(text).ok(),
    }
}

/// A timestamp in RFC 3339's usual layout, `YYYY-MM-DDTHH:MM:SS` then `Z` or
/// `±HH:MM`, its bytes matched as a pattern; `None` for anything else,
/// including what the general parser must judge (`-00:00`, a leap second).
fn usual_timestamp(b: &[u8]) -> Option<DateTime<FixedOffset>> {
    let (local, zone) = b.split_first_chunk::<19>()?;
    let offset = match *zone {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (two_digits(h1, h2)?, two_digits(m1, m2)?);
            if h > 23 || m > 59 || (sign == b'-' && h == 0 && m == 0) {
                return None;
            }
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let [y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2] =
        *local
    else {
        return None;
    };
    let year = two_digits(y1, y2)? * 100 + two_digits(y3, y4)?;
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        two_digits(mo1, mo2)?,
        two_digits(d1, d2)?,
    )?;
    let (h, m, s) = (
        two_digits(h1, h2)?,
        two_digits(mi1, mi2)?,
        two_digits(s1, s2)?,
    );
    if s > 59 {
        return None;
    }
    let time = NaiveTime::from_hms_opt(h, m, s)?;
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&date.and_time(time))
        .single()
}

/// Two ASCII digits as a number.
fn two_digits(tens: u8, ones: u8) -> Option<u32> {
    (tens.is_ascii_digit() && ones.is_ascii_digit())
        .then(|| u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
}

fn root(cx: &Ctx<'_>, scan: &mut Scan<'_>) -> Option<Subject> {
    let schema = cx.schema;
    scan.eat(b'{')?;
    // The usual layout names the kind first; otherwise it is guessed by a
    // search (a kind written without escapes is always found so), and the
    // record is read from the start.
    let kind_first = scan.key_is("kind");
    let name = if kind_first {
        scan.eat(b':')?;
        scan.string()?
    } else {
        guessed_kind(schema, scan.text)?
    };
    let kid: KindId = schema.kind(name)?;
    let def = schema.kind_def(kid)?;
    let record = schema.record(def.record)?;
    let mut fields = crate::recycle::fields(record.fields.len());
    let mut seen = Seen::new(record, scan)?;
    let mut hint = KIND_SLOT;
    if kind_first {
        *fields.get_mut(KIND_SLOT)? = Value::Str(schema.interned_kind(kid)?.clone());
        seen.slot(KIND_SLOT)?;
        hint = ID_SLOT;
    }
    // Fields follow the kind after a comma; with the kind elsewhere, the first
    // comes at once (an empty record names no kind, so it has one).
    let mut after_comma = kind_first;
    loop {
        if after_comma {
            if scan.peek()? != b',' {
                break;
            }
            scan.at += 1;
        }
        after_comma = true;
        let slot = field(cx, scan, record, &mut fields, &mut hint, &mut seen)?;
        if slot == def.currency_slot || slot == def.platform_slot {
            note_currency(cx, &fields, slot, def.currency_slot, def.platform_slot);
        }
    }
    scan.eat(b'}')?;
    if !kind_first {
        // The record's own `kind`, read as a string into its slot, must be the
        // one whose layout it was read with (a guess may have been a nested
        // object's): then it is shared.
        let kind = fields.get_mut(KIND_SLOT)?;
        if !matches!(kind, Value::Str(read) if read == name) {
            return None;
        }
        *kind = Value::Str(schema.interned_kind(kid)?.clone());
    }
    let required_known = seen.has_required(record);
    seen.close(scan)?;
    finish_subject::<serde_json::Error>(cx, kid, def.record, fields, required_known).ok()
}

/// A guess at the kind of a record whose first key is not `kind`: the first
/// `"kind": "<a kind the schema knows>"` anywhere in its text, found by a
/// vector search, not by reading the keys before it. It may be a nested
/// object's: the caller checks it against the record's own.
fn guessed_kind<'t>(schema: &Schema, text: &'t str) -> Option<&'t str> {
    skip::kind_keys(text)
        .flatten()
        .find(|name| schema.kind(name).is_some())
}

/// The keys of one record read so far: declared fields by slot (a record
/// with more than 128 fields is left to the detailed decoder), undeclared
/// ones on the scan's stack from `undeclared_from` on.
struct Seen {
    slots: u128,
    undeclared_from: usize,
}

impl Seen {
    /// Opens a record: its keys' bookkeeping, one level deeper.
    fn new(record: &RecordDef, scan: &mut Scan<'_>) -> Option<Seen> {
        scan.depth += 1;
        (record.fields.len() <= 128 && scan.depth <= MAX_DEPTH).then_some(Seen {
            slots: 0,
            undeclared_from: scan.undeclared.len(),
        })
    }

    /// Marks a slot; `None` if it was already read (a repeated key).
    fn slot(&mut self, slot: usize) -> Option<()> {
        let bit = 1u128.checked_shl(u32::try_from(slot).ok()?)?;
        if self.slots & bit != 0 {
            return None;
        }
        self.slots |= bit;
        Some(())
    }

    /// Closes the record: `None` if an undeclared key was repeated (which
    /// the detailed decoder reports), and its keys leave the stack.
    fn close(self, scan: &mut Scan<'_>) -> Option<()> {
        scan.depth -= 1;
        if scan.undeclared.len() == self.undeclared_from {
            return Some(());
        }
        skip::no_repeated_keys(scan, self.undeclared_from)
    }

    /// Whether every field the record requires was read, known without
    /// looking at the values (false: look, a field may be required only
    /// under a condition).
    fn has_required(&self, record: &RecordDef) -> bool {
        record
            .required_bits()
            .is_some_and(|required| self.slots & required == required)
    }
}

/// One `"key": value` of a record into its slot; returns the slot, or
/// `Some(None)` for a key the schema does not declare, whose value is
/// skipped (checked to be well-formed JSON, not decoded).
fn field(
    cx: &Ctx<'_>,
    scan: &mut Scan<'_>,
    def: &RecordDef,
    fields: &mut [Value],
    hint: &mut usize,
    seen: &mut Seen,
) -> Option<Option<usize>> {
    // The field expected next is matched against the bytes at once (field
    // names are identifiers: nothing in them needs escaping); any other key is
    // scanned and looked up.
    let expected = def.fields.get(*hint).filter(|f| scan.key_is(&f.name));
    let slot = match expected {
        Some(_) => *hint,
        None => {
            let key = scan.string()?;
            match def.slot(key) {
                Some(slot) => slot,
                None => {
                    let end = scan.at - 1;
                    scan.undeclared.push((end - key.len(), end));
                    scan.eat(b':')?;
                    skip::value(scan)?;
                    return Some(None);
                }
            }
        }
    };
    seen.slot(slot)?;
    *hint = slot + 1;
    let f = def.fields.get(slot)?;
    scan.eat(b':')?;
    *fields.get_mut(slot)? = value(cx, scan, &f.ty, f.optional)?;
    Some(Some(slot))
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
        Type::Percent => Value::Percent(super::percent(scan.quoted()?).ok()?),
        Type::Str => {
            // Long strings are left to the detailed decoder, which says why they are refused.
            let s = scan.string()?;
            if s.len() > super::MAX_STRING_BYTES {
                return None;
            }
            Value::str(s)
        }
        Type::Enum(id) => Value::Str(cx.schema.interned_enum(*id, scan.string()?)?.clone()),
        Type::Date => Value::Date(guifan_syntax::literal::date(scan.string()?).ok()?),
        Type::Timestamp => Value::Timestamp(timestamp(scan.string()?)?),
        Type::Time => {
            let s = scan.string()?;
            Value::Time(
                NaiveTime::parse_from_str(s, "%H:%M:%S")
                    .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
                    .ok()?,
            )
        }
        Type::Duration => Value::Duration(super::duration(scan.string()?)?),
        Type::Period => Value::Period(super::period(scan.string()?)?),
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
            let key = super::decode_key(cx.schema, key_ty, scan.string()?).ok()?;
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
    let def = cx.schema.record(record)?;
    let mut values = crate::recycle::array(def.fields.len());
    let fields = Arc::get_mut(&mut values)?;
    let mut hint = 0;
    let mut seen = Seen::new(def, scan)?;
    scan.eat(b'{')?;
    if scan.peek()? != b'}' {
        loop {
            field(cx, scan, def, fields, &mut hint, &mut seen)?;
            if scan.peek()? != b',' {
                break;
            }
            scan.at += 1;
        }
    }
    scan.eat(b'}')?;
    if !seen.has_required(def) {
        check_required::<serde_json::Error>(cx, record, fields).ok()?;
    }
    seen.close(scan)?;
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
        let mut first = Scan::new(text, 0);
        let body = first.string()?.to_owned();
        let mut second = Scan::new(text, 0);
        let quoted = second.quoted()?.to_owned();
        assert_eq!(first.at, second.at, "both end after the closing quote");
        Some((body, quoted, first.at))
    }

    /// The closing quote's place, found one byte at a time.
    fn naive_string_end(rest: &[u8]) -> Option<usize> {
        let end = rest
            .iter()
            .position(|b| matches!(b, b'"' | b'\\' | 0x00..=0x1f))?;
        (rest.get(end) == Some(&b'"')).then_some(end)
    }

    proptest::proptest! {
        /// Bytes drawn mostly from the ones that matter (quote, backslash,
        /// control characters, the bytes next to them, UTF-8 lead and
        /// continuation bytes), at every offset of the eight-byte words and on
        /// both sides of where the vector search takes over.
        #[test]
        fn string_ends_are_found_as_one_byte_at_a_time_would(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => proptest::prop_oneof![
                        proptest::strategy::Just(b'a'),
                        proptest::strategy::Just(0xe4u8),
                        proptest::strategy::Just(0x80u8),
                        proptest::strategy::Just(0x7fu8),
                        proptest::strategy::Just(b' '),
                        proptest::strategy::Just(b'!'),
                        proptest::strategy::Just(b'#'),
                        proptest::strategy::Just(b'['),
                        proptest::strategy::Just(b']'),
                    ],
                    1 => proptest::prop_oneof![
                        proptest::strategy::Just(b'"'),
                        proptest::strategy::Just(b'\\'),
                        proptest::strategy::Just(0x1fu8),
                        0x00u8..0x20,
                    ],
                    1 => proptest::num::u8::ANY,
                ],
                0..80,
            )
        ) {
            proptest::prop_assert_eq!(super::string_end(&bytes), naive_string_end(&bytes));
        }
    }

    #[test]
    fn a_key_is_matched_with_its_quotes_and_nothing_else() {
        for (text, name, matches, at) in [
            (r#""trial":{"#, "trial", true, 7),
            (r#"  "trial" :"#, "trial", true, 9),
            (r#""trials":"#, "trial", false, 0),
            (r#""tria":"#, "trial", false, 0),
            (r#"trial":"#, "trial", false, 0),
            (r#""trial"#, "trial", false, 0),
            (r#""a""#, "a", true, 3),
        ] {
            let mut s = Scan::new(text, 0);
            assert_eq!(s.key_is(name), matches, "{text}");
            assert_eq!(s.at, if matches { at } else { s.at }, "{text}");
        }
    }

    #[test]
    fn money_digits_are_read_exactly_or_declined() {
        use rust_decimal::Decimal;
        for text in [
            "0",
            "1.5",
            "-3.50",
            "1518.46",
            "123456789012345678",
            "0.00000000000000001",
        ] {
            assert_eq!(
                super::fixed_point(text.as_bytes(), true),
                Some(text.parse::<Decimal>().unwrap()),
                "{text}"
            );
        }
        // The scale is kept: `2000.00` is not `2000`.
        assert_eq!(
            super::fixed_point(b"2000.00", false).map(|d| d.scale()),
            Some(2)
        );
        for text in [
            "",
            "-",
            ".5",
            "1.",
            "1.2.3",
            "1x5",
            "1.x",
            "1234567890123456789",
            "0.000000000000000001",
            "-0",
            "-0.00",
            "+1",
            "1e5",
        ] {
            assert_eq!(super::fixed_point(text.as_bytes(), false), None, "{text}");
        }
        // A leading zero: a JSON number may not have one, a string may.
        assert_eq!(super::fixed_point(b"01.5", true), None);
        assert_eq!(
            super::fixed_point(b"01.5", false),
            Some("1.5".parse().unwrap())
        );
        assert_eq!(
            super::fixed_point(b"0.5", true),
            Some("0.5".parse().unwrap())
        );
    }

    #[test]
    fn usual_timestamps_are_built_as_the_general_parser_builds_them() {
        let usual = [
            "2023-03-01T00:00:00+08:00",
            "2023-03-01T00:00:00Z",
            "1999-12-31T23:59:59-05:30",
            "2024-02-29T12:34:56+23:59",
            "2023-07-04T09:08:07-00:01",
            "2023-07-04T09:08:07-01:00",
            "2023-07-04T09:08:07+00:00",
            "0001-01-01T00:00:00Z",
            "9876-05-04T03:02:01+14:45",
        ];
        for text in usual {
            let general = guifan_syntax::literal::timestamp(text).ok();
            assert!(general.is_some(), "{text}");
            assert_eq!(super::usual_timestamp(text.as_bytes()), general, "{text}");
            assert_eq!(
                super::usual_timestamp(text.as_bytes()).map(|t| t.to_rfc3339()),
                Some(text.replace('Z', "+00:00")),
                "{text}"
            );
        }
        // Left to the general parser (which may accept some of them).
        for text in [
            "2023-03-01T00:00:00-00:00",
            "2023-03-01T23:59:60+08:00",
            "2023-03-01T24:00:00+08:00",
            "2023-03-01T00:00:00+24:00",
            "2023-03-01T00:00:00+08:60",
            "2023-02-29T00:00:00+08:00",
            "2023-03-01T00:00:00.5+08:00",
            "2023-03-01t00:00:00+08:00",
            "2023-03-01T00:00+08:00",
            "2023-03-01T00:00:00+0800",
            "2023-03-01T00:00:00z",
            "2023-0a-01T00:00:00Z",
        ] {
            assert_eq!(super::usual_timestamp(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn two_digits_are_a_number_from_00_to_99() {
        assert_eq!(super::two_digits(b'0', b'7'), Some(7));
        assert_eq!(super::two_digits(b'4', b'2'), Some(42));
        assert_eq!(super::two_digits(b'9', b'9'), Some(99));
        assert_eq!(super::two_digits(b'/', b'1'), None);
        assert_eq!(super::two_digits(b'1', b':'), None);
    }

    #[test]
    fn a_kind_is_guessed_from_the_first_key_that_names_a_known_one() {
        let src = "kind a { n: int }\nkind b { n: int }";
        let program =
            crate::check(&[guifan_syntax::parse(guifan_syntax::SourceId(0), src).unwrap()])
                .unwrap();
        let schema = &program.schema;
        for (text, guess) in [
            (r#"{"n":1,"kind":"a"}"#, Some("a")),
            (r#"{"n":1,"kind" : "b"}"#, Some("b")),
            (r#"{"x":{"kind":"zz"},"kind":"b"}"#, Some("b")),
            (r#"{"x":{"kind":"a"},"kind":"b"}"#, Some("a")),
            (r#"{"x":"kind","kind":"a"}"#, Some("a")),
            (r#"{"n":1}"#, None),
        ] {
            assert_eq!(super::guessed_kind(schema, text), guess, "{text}");
        }
    }

    #[test]
    fn string_ends_at_each_offset_of_a_word() {
        for len in 0..70 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                let mut bytes = vec![b'x'; len];
                bytes.push(special);
                bytes.extend_from_slice(b"\"tail");
                assert_eq!(
                    super::string_end(&bytes),
                    naive_string_end(&bytes),
                    "{special:#x} after {len} bytes"
                );
            }
            // No end at all: the text stops inside the string.
            assert_eq!(super::string_end(&vec![b'x'; len]), None);
        }
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

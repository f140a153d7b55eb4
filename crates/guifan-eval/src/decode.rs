//! Decoding JSON records straight into the schema's slot layout.
//!
//! A serde `DeserializeSeed` driven by the schema reads each field into its
//! slot as it is met: no intermediate `serde_json::Value`, strings borrowed
//! while parsing, and numbers for money and decimals taken from their JSON
//! text (never through `f64`). Errors name the field path that failed.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::schema::{KindId, RecordId, Schema, ID_SLOT, KIND_SLOT};
use crate::types::Type;
use crate::value::{Currency, Duration, Subject, Value};

/// A record that does not fit the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// Where in the record (`deposit.balance`, `withdrawals[2].amount`); empty for the whole record
    pub path: String,
    /// What is wrong
    pub message: String,
    /// Column within the record's text, when the JSON parser knows it
    pub column: Option<usize>,
    /// Line within the record's text (1 for a one-line record)
    pub line: Option<usize>,
    /// The record's other fields that do not decode either, each with its
    /// path (at most `MAX_FIELD_ERRORS`, 20, in all)
    pub also: Vec<DataError>,
}

/// The most field errors one record reports.
pub const MAX_FIELD_ERRORS: usize = 20;

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)?;
        }
        for other in &self.also {
            write!(f, "; at `{}`: {}", other.path, other.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// Decodes one JSON object into a subject of the kind its `"kind"` names.
///
/// The fast path (`decode/fast.rs`) is tried first; a record it declines is
/// decoded by the detailed decoder, which gives the same subject or the error
/// with its field path.
pub fn decode_subject(schema: &Schema, json: &[u8]) -> Result<Subject, DataError> {
    let text = utf8(json)?;
    if let Some(subject) = fast::decode(schema, text) {
        return Ok(subject);
    }
    decode_text(schema, text)
}

/// After a record's first error, the other fields that do not decode: each
/// declared field present is decoded on its own, so that one run names every
/// bad field, not one per fix.
fn other_errors(schema: &Schema, text: &str, first: &str) -> Vec<DataError> {
    type Fields<'t> = std::collections::HashMap<String, &'t RawValue>;
    let Ok(fields) = serde_json::from_str::<Fields<'_>>(text) else {
        return Vec::new();
    };
    let kind = fields
        .get("kind")
        .and_then(|k| serde_json::from_str::<&str>(k.get()).ok())
        .and_then(|k| schema.kind(k))
        .and_then(|k| schema.kind_def(k))
        .and_then(|k| schema.record(k.record));
    let Some(record) = kind else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in &record.fields {
        let Some(raw) = fields.get(&field.name) else {
            continue;
        };
        if raw.get() == "null" {
            continue;
        }
        if let Err(e) = decode_value(schema, &field.ty, raw.get()) {
            let path = if e.path.is_empty() {
                field.name.clone()
            } else if e.path.starts_with('[') {
                format!("{}{}", field.name, e.path)
            } else {
                format!("{}.{}", field.name, e.path)
            };
            if path != first && !path.starts_with(&format!("{first}.")) {
                out.push(DataError {
                    path,
                    message: e.message,
                    column: None,
                    line: None,
                    also: Vec::new(),
                });
            }
        }
        if out.len() + 1 >= MAX_FIELD_ERRORS {
            break;
        }
    }
    out
}

/// Decodes one JSON object with the detailed decoder alone (serde, with the
/// field path of any error), never the fast path [`decode_subject`] tries
/// first: for differential tests of the two (feature `test-hooks`).
#[cfg(any(test, feature = "test-hooks"))]
pub fn decode_subject_detailed(schema: &Schema, json: &[u8]) -> Result<Subject, DataError> {
    decode_text(schema, utf8(json)?)
}

/// The fast path alone: the subject, or `None` when it declines the record
/// (which [`decode_subject`] then hands to the detailed decoder). For
/// differential tests and fuzzing of the two paths (feature `test-hooks`).
#[cfg(any(test, feature = "test-hooks"))]
pub fn decode_subject_fast(schema: &Schema, json: &[u8]) -> Option<Subject> {
    fast::decode(schema, std::str::from_utf8(json).ok()?)
}

/// The record as text: validating the whole record once is much cheaper than
/// validating each string in it.
fn utf8(json: &[u8]) -> Result<&str, DataError> {
    std::str::from_utf8(json).map_err(|e| {
        let line = json
            .get(..e.valid_up_to())
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0)
            + 1;
        DataError {
            path: String::new(),
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
            column: None,
            line: Some(line),
            also: Vec::new(),
        }
    })
}

/// The detailed decoder: the subject, or the first error with the record's
/// other bad fields (`also`).
fn decode_text(schema: &Schema, text: &str) -> Result<Subject, DataError> {
    let cx = Ctx::new(schema);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = RootSeed { cx: &cx }
        .deserialize(&mut de)
        .and_then(|s| de.end().map(|()| s));
    result.map_err(|e| {
        let mut first = cx.error(&e);
        first.also = other_errors(schema, text, &first.path);
        first
    })
}

/// Decodes one JSON value of a given type (parameter overrides, test fixtures).
pub fn decode_value(schema: &Schema, ty: &Type, json: &str) -> Result<Value, DataError> {
    let cx = Ctx::new(schema);
    let (ty, optional) = match ty {
        Type::Optional(inner) => (&**inner, true),
        other => (other, false),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let result = ValueSeed {
        cx: &cx,
        ty,
        optional,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    // Money of a type that names its currency is read in it at once.
    result.map_err(|e| cx.error(&e))
}

/// A step of the path to the value being decoded; field names are looked up
/// only when an error is reported, so the happy path allocates nothing.
enum Seg {
    /// A field of a record, by layout and slot
    Slot(RecordId, usize),
    /// A key of a map
    Key(String),
    /// An item of a list
    Index(usize),
}

/// Decoding state: the schema, the path to the value being read, and the
/// record's currency once known.
struct Ctx<'s> {
    schema: &'s Schema,
    path: RefCell<Vec<Seg>>,
    /// The record's currency, once its `currency` field (or its platform's default) is read
    currency: Cell<Option<Currency>>,
    /// Whether money was read before the currency was known (fixed up at the end)
    unresolved_money: Cell<bool>,
}

impl<'s> Ctx<'s> {
    fn new(schema: &'s Schema) -> Self {
        Ctx {
            schema,
            path: RefCell::new(Vec::new()),
            currency: Cell::new(None),
            unresolved_money: Cell::new(false),
        }
    }

    fn push(&self, seg: Seg) {
        self.path.borrow_mut().push(seg);
    }

    fn pop(&self) {
        self.path.borrow_mut().pop();
    }

    fn path_text(&self) -> String {
        let mut out = String::new();
        for seg in self.path.borrow().iter() {
            let name = match seg {
                Seg::Slot(record, slot) => self
                    .schema
                    .record(*record)
                    .and_then(|r| r.fields.get(*slot))
                    .map(|f| f.name.clone()),
                Seg::Key(k) => Some(k.clone()),
                Seg::Index(_) => None,
            };
            match (seg, name) {
                (_, Some(f)) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&f);
                }
                (Seg::Index(i), None) => out.push_str(&format!("[{i}]")),
                (_, None) => {}
            }
        }
        out
    }

    /// The error with the path where decoding stopped (segments are popped only on success).
    fn error(&self, e: &serde_json::Error) -> DataError {
        let message = if e.is_syntax() || e.is_eof() {
            not_json(&without_position(e), e.column())
        } else {
            without_position(e)
        };
        let known = e.line() > 0;
        DataError {
            path: self.path_text(),
            message,
            column: known.then(|| e.column()),
            line: known.then(|| e.line()),
            also: Vec::new(),
        }
    }
}

/// serde_json's message without its " at line L column C" suffix (the caller
/// places the error itself), in the language's words rather than Rust's.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_string(),
        None => text,
    };
    language_words(&text)
}

/// A JSON syntax error in words, with the column where it is (`expected
/// ident` says nothing to someone who pasted `not json`).
pub(crate) fn not_json(message: &str, column: usize) -> String {
    let what = if message == "expected ident" || message == "expected value" {
        "a JSON value (an object in braces, a string in double quotes, a number, true, false or null) should start here"
    } else if let Some(inside) = message.strip_prefix("EOF while parsing ") {
        match inside {
            "an object" => "the text ends inside an object: a `}` is missing",
            "a list" => "the text ends inside a list: a `]` is missing",
            "a string" => "the text ends inside a string: a `\"` is missing",
            _ => "the text ends before the value does",
        }
    } else if message == "trailing characters" {
        "there is text after the end of the record"
    } else if message == "key must be a string" {
        "a field name must be in double quotes"
    } else {
        message
    };
    format!("not JSON: {what} (column {column})")
}

/// serde's `invalid type: string "x", expected i64` as the language says it:
/// `expected an int, found the string "x"`. Other messages are kept.
pub(crate) fn language_words(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message.to_string();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_string();
    };
    let expected = match expected {
        "i64" | "u64" | "i32" | "u32" | "an integer" | "usize" => "an int",
        "a boolean" | "bool" => "a bool (true or false)",
        "f64" | "a number" => "a number",
        "a string" | "a borrowed string" | "string" => "a string",
        "a sequence" | "a list" => "a list",
        "a map" => "an object",
        other => other,
    };
    let found = if let Some(s) = found.strip_prefix("string ") {
        format!("the string {s}")
    } else if let Some(f) = found.strip_prefix("floating point ") {
        format!("the number {}", f.trim_matches('`'))
    } else if let Some(i) = found.strip_prefix("integer ") {
        format!("the number {}", i.trim_matches('`'))
    } else if let Some(b) = found.strip_prefix("boolean ") {
        b.trim_matches('`').to_string()
    } else {
        match found {
            "map" => "an object".to_string(),
            "sequence" => "a list".to_string(),
            "null" | "unit value" => "null".to_string(),
            other => other.to_string(),
        }
    };
    format!("expected {expected}, found {found}")
}

fn custom<E: de::Error>(msg: impl fmt::Display) -> E {
    E::custom(msg)
}

/// Reads an object key, borrowed when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

struct RootSeed<'c, 's> {
    cx: &'c Ctx<'s>,
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_> {
    type Value = Subject;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Subject, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_> {
    type Value = Subject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with \"kind\" and \"id\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Subject, A::Error> {
        let cx = self.cx;
        let schema = cx.schema;
        let mut kind: Option<(KindId, RecordId)> = None;
        let mut fields: Vec<Value> = Vec::new();
        let mut hint = 0usize;
        let mut currency_slot = None;
        let mut platform_slot = None;
        // Fields met before `"kind"`: kept as raw JSON text until the layout is known.
        let mut pending: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match kind {
                Some((_, record)) => {
                    let slot = read_field(
                        cx,
                        record,
                        &mut fields,
                        &key,
                        &mut hint,
                        &mut seen,
                        |seed| map.next_value_seed(seed),
                    )?;
                    note_currency(cx, &fields, slot, currency_slot, platform_slot);
                }
                None if key == "kind" => {
                    cx.push(Seg::Key("kind".into()));
                    let name = map.next_value_seed(KeySeed)?;
                    let kid = schema.kind(&name).ok_or_else(|| {
                        let known: Vec<&str> = schema.kind_names().collect();
                        let hint = crate::suggest::closest(&name, known.iter().copied())
                            .map(|c| format!("did you mean `{c}`? "))
                            .unwrap_or_default();
                        custom::<A::Error>(format!(
                            "unknown kind `{name}` ({hint}known kinds: {})",
                            known.join(", ")
                        ))
                    })?;
                    cx.pop();
                    let record = schema
                        .kind_def(kid)
                        .map(|k| k.record)
                        .ok_or_else(|| custom::<A::Error>("kind without layout"))?;
                    let width = schema.record(record).map(|r| r.fields.len()).unwrap_or(0);
                    fields = vec![Value::Absent; width];
                    if let Some(slot) = fields.get_mut(KIND_SLOT) {
                        *slot = match schema.interned_kind(kid) {
                            Some(n) => Value::Str(n.clone()),
                            None => Value::str(&name),
                        };
                    }
                    kind = Some((kid, record));
                    seen.slot(KIND_SLOT);
                    if let Some(def) = schema.kind_def(kid) {
                        currency_slot = def.currency_slot;
                        platform_slot = def.platform_slot;
                    }
                    hint = ID_SLOT;
                    for (k, raw) in pending.drain(..) {
                        let mut no_hint = usize::MAX;
                        let slot = read_field(
                            cx,
                            record,
                            &mut fields,
                            &k,
                            &mut no_hint,
                            &mut seen,
                            |seed| {
                                let mut de = serde_json::Deserializer::from_str(raw.get());
                                seed.deserialize(&mut de)
                                    .map_err(|e| custom::<A::Error>(without_position(&e)))
                            },
                        )?;
                        note_currency(cx, &fields, slot, currency_slot, platform_slot);
                    }
                }
                None => {
                    let raw: &'de RawValue = map.next_value()?;
                    pending.push((key, raw));
                }
            }
        }
        let Some((kid, record)) = kind else {
            return Err(custom("missing field `kind`"));
        };
        finish_subject(cx, kid, record, fields, false)
    }
}

/// The longest record `id` accepted, in bytes (IDs name subjects in every output line).
pub const MAX_ID_BYTES: usize = 1024;
/// The longest string value accepted in a record, in bytes.
pub const MAX_STRING_BYTES: usize = 1 << 20;

/// The subject of a root record whose fields are all read: required fields
/// checked (unless the caller already knows they are all there), its `id`,
/// and money read before its currency was known given it.
fn finish_subject<E: de::Error>(
    cx: &Ctx<'_>,
    kid: KindId,
    record: RecordId,
    mut fields: Vec<Value>,
    required_known: bool,
) -> Result<Subject, E> {
    if !required_known {
        check_required(cx, record, &fields)?;
    }
    let id = match fields.get(ID_SLOT) {
        Some(Value::Str(s)) => s.clone(),
        _ => return Err(custom("missing field `id`")),
    };
    if id.len() > MAX_ID_BYTES {
        return Err(custom(format!(
            "`id` is {} bytes; an id is at most {MAX_ID_BYTES} bytes",
            id.len()
        )));
    }
    let mut currency = cx.currency.get();
    if let Some(def) = cx.schema.kind_def(kid) {
        if def.has_money && cx.unresolved_money.get() {
            let found = record_currency(cx.schema, def, &fields).map_err(custom::<E>)?;
            for f in fields.iter_mut() {
                fix_currency(f, found);
            }
            currency = Some(found);
        }
    }
    Ok(Subject {
        kind: kid,
        id,
        fields: fields.into_boxed_slice(),
        currency,
    })
}

/// After a root field is read: when it settles the record's currency, later money takes it directly.
fn note_currency(
    cx: &Ctx<'_>,
    fields: &[Value],
    slot: Option<usize>,
    currency_slot: Option<usize>,
    platform_slot: Option<usize>,
) {
    let Some(slot) = slot else { return };
    if Some(slot) == currency_slot {
        if let Some(Value::Str(code)) = fields.get(slot) {
            cx.currency.set(Currency::parse(code));
        }
    } else if Some(slot) == platform_slot && currency_slot.is_none() {
        if let Some(Value::Str(p)) = fields.get(slot) {
            cx.currency
                .set(cx.schema.platform(p).and_then(|p| p.currency));
        }
    }
}

/// The currency of a record's money: its `currency` field, else its platform's default.
fn record_currency(
    schema: &Schema,
    def: &crate::schema::KindDef,
    fields: &[Value],
) -> Result<Currency, String> {
    if let Some(Value::Str(code)) = def.currency_slot.and_then(|s| fields.get(s)) {
        return Currency::parse(code).ok_or_else(|| {
            format!("invalid currency `{code}` (expected three capitals such as CNY)")
        });
    }
    let platform = match def.platform_slot.and_then(|s| fields.get(s)) {
        Some(Value::Str(p)) => p.clone(),
        _ => return Err("cannot tell the currency of this record's money: it has no `currency` and no `platform`".into()),
    };
    schema
        .platform(&platform)
        .and_then(|p| p.currency)
        .ok_or_else(|| format!("cannot tell the currency of this record's money: no `currency` field, and platform `{platform}` declares no default"))
}

/// Gives money decoded before its record's currency was known that currency.
fn fix_currency(v: &mut Value, currency: Currency) {
    match v {
        Value::Money(m) if m.currency == Currency::UNKNOWN => m.currency = currency,
        Value::List(items) | Value::Record(items) => {
            if let Some(items) = Arc::get_mut(items) {
                items.iter_mut().for_each(|i| fix_currency(i, currency));
            }
        }
        Value::Map(entries) => {
            if let Some(entries) = Arc::get_mut(entries) {
                for (k, v) in entries.iter_mut() {
                    fix_currency(k, currency);
                    fix_currency(v, currency);
                }
            }
        }
        _ => {}
    }
}

/// The keys of one JSON object read so far, to refuse a repeated one.
#[derive(Default)]
struct SeenKeys {
    /// Declared fields, by slot: the first 128 inline (no allocation per record)
    first: [u64; 2],
    /// Slots from 128 on
    more: Vec<u64>,
    /// Undeclared keys (skipped, but a repeat is still an error), hashed:
    /// a record with many of them costs no more per key than one with few
    others: rustc_hash::FxHashSet<String>,
}

impl SeenKeys {
    /// Marks a slot; false if it was already seen.
    fn slot(&mut self, slot: usize) -> bool {
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        let w = match self.first.get_mut(word) {
            Some(w) => w,
            None => {
                let i = word - self.first.len();
                if self.more.len() <= i {
                    self.more.resize(i + 1, 0);
                }
                match self.more.get_mut(i) {
                    Some(w) => w,
                    None => return true,
                }
            }
        };
        let first = *w & bit == 0;
        *w |= bit;
        first
    }

    /// Marks an undeclared key; false if it was already seen.
    fn other(&mut self, key: &str) -> bool {
        if self.others.contains(key) {
            return false;
        }
        self.others.insert(key.to_string())
    }
}

/// Reads one field's value into its slot; unknown fields are skipped.
///
/// `hint` is the slot expected next: records usually list fields in schema
/// order, so a name comparison often saves the hash lookup. Returns the slot read.
fn read_field<E: de::Error>(
    cx: &Ctx<'_>,
    record: RecordId,
    fields: &mut [Value],
    key: &str,
    hint: &mut usize,
    seen: &mut SeenKeys,
    next: impl FnOnce(FieldSeed<'_, '_>) -> Result<Option<Value>, E>,
) -> Result<Option<usize>, E> {
    let def = cx.schema.record(record);
    let found = def.and_then(|r| {
        let slot = match r.fields.get(*hint) {
            Some(f) if f.name == key => Some(*hint),
            _ => r.slot(key),
        };
        slot.and_then(|s| r.fields.get(s).map(|f| (s, f)))
    });
    let first = match found {
        Some((slot, _)) => seen.slot(slot),
        None => seen.other(key),
    };
    if !first {
        return Err(custom(format!(
            "duplicate key `{key}`: each field may be given once"
        )));
    }
    if let Some((slot, _)) = found {
        *hint = slot + 1;
    }
    let seed = match found {
        Some((slot, f)) => {
            cx.push(Seg::Slot(record, slot));
            FieldSeed::Value(ValueSeed {
                cx,
                ty: &f.ty,
                optional: f.optional,
            })
        }
        None => FieldSeed::Skip,
    };
    let value = next(seed)?;
    if found.is_some() {
        cx.pop();
    }
    if let (Some((slot, _)), Some(v)) = (found, value) {
        if let Some(s) = fields.get_mut(slot) {
            *s = v;
        }
    }
    Ok(found.map(|(slot, _)| slot))
}

/// A field's seed: decode it into its type, or skip an undeclared field.
enum FieldSeed<'c, 's> {
    Value(ValueSeed<'c, 's>),
    Skip,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        match self {
            FieldSeed::Value(seed) => seed.deserialize(d).map(Some),
            FieldSeed::Skip => d.deserialize_any(Skipped).map(|_| None),
        }
    }
}

/// An undeclared field's value, read and dropped. Unlike `IgnoredAny`, which
/// serde_json skips without counting levels, each nested array and object is
/// visited, so the parser's nesting limit (128 levels from the record's root)
/// holds for undeclared fields as for declared ones.
struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skipped, D::Error> {
        d.deserialize_any(Skipped)
    }
}

impl<'de> Visitor<'de> for Skipped {
    type Value = Skipped;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_i128<E>(self, _: i128) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_u128<E>(self, _: u128) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_unit<E>(self) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_none<E>(self) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skipped, D::Error> {
        d.deserialize_any(Skipped)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
        while seq.next_element::<Skipped>()?.is_some() {}
        Ok(Skipped)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skipped, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<Skipped>()?;
        }
        Ok(Skipped)
    }
}

use serde::Deserialize;

fn check_required<E: de::Error>(cx: &Ctx<'_>, record: RecordId, fields: &[Value]) -> Result<(), E> {
    let Some(def) = cx.schema.record(record) else {
        return Ok(());
    };
    for (f, v) in def.fields.iter().zip(fields) {
        if !matches!(v, Value::Absent) {
            continue;
        }
        if !f.optional {
            return Err(custom(format!("missing field `{}`", f.name)));
        }
        if let Some((slot, value)) = &f.required_when {
            if let Some(Value::Str(s)) = fields.get(*slot) {
                if **s == **value {
                    let on = def
                        .fields
                        .get(*slot)
                        .map(|d| d.name.as_str())
                        .unwrap_or("?");
                    return Err(custom(format!(
                        "missing field `{}` (required when `{on}` is \"{value}\")",
                        f.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The kind a record names, read without decoding the rest of it (the other
/// fields are skipped): `None` when it names none the schema knows, or is not
/// a JSON object. A glance, not a check: for text that is not a record (no
/// `kind` of its own, or not JSON past the kind) it may name a kind anyway;
/// [`decode_subject`] refuses such text whatever this says.
pub fn peek_kind(schema: &Schema, json: &[u8]) -> Option<KindId> {
    // The usual layout, `{"kind":"video",...`: read at once, without scanning the record.
    let leading = json
        .trim_ascii_start()
        .strip_prefix(b"{")
        .map(<[u8]>::trim_ascii_start)
        .and_then(|r| r.strip_prefix(b"\"kind\""))
        .map(<[u8]>::trim_ascii_start)
        .and_then(|r| r.strip_prefix(b":"))
        .map(<[u8]>::trim_ascii_start)
        .and_then(|r| r.strip_prefix(b"\""))
        .and_then(|body| {
            let end = body.iter().position(|b| *b == b'"' || *b == b'\\')?;
            let name = body.get(..end)?;
            (body.get(end) == Some(&b'"')).then_some(name)
        })
        .and_then(|name| std::str::from_utf8(name).ok());
    if let Some(name) = leading {
        return schema.kind(name);
    }
    // Elsewhere: the only `"kind"` key in the text, or found by following
    // the record's nesting; what those scans are not sure of is parsed.
    let text = std::str::from_utf8(json).ok();
    if let Some(name) = text.and_then(|t| fast::sole_kind(t).or_else(|| fast::root_kind(t))) {
        return schema.kind(name);
    }
    #[derive(serde::Deserialize)]
    struct KindOnly<'a> {
        #[serde(borrow)]
        kind: Option<Cow<'a, str>>,
    }
    let found: KindOnly<'_> = serde_json::from_slice(json).ok()?;
    schema.kind(&found.kind?)
}

/// Parses a calendar period (`1y`, `6mo`) into months.
pub fn period(s: &str) -> Option<i64> {
    guifan_syntax::literal::period_months(s)
}

/// Parses the language's duration literal (`72h`, `7d`, `15min`, `30s`, `2w`, `permanent`).
pub fn duration(s: &str) -> Option<Duration> {
    if s == "permanent" {
        return Some(Duration::PERMANENT);
    }
    guifan_syntax::literal::duration_seconds(s).map(Duration)
}

mod fast;
mod values;

use values::ValueSeed;
use values::{decode_key, percent};
#[cfg(test)]
mod tests;

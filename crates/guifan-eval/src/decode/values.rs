//! Decoding one value by its type: scalars from their JSON (numbers and
//! money exactly, never through a float), and lists, maps and records.

use super::*;
use crate::schema::{RecordId, Schema};
use crate::types::Type;
use crate::value::{Currency, Money, Value};
use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Decodes one value of a schema type.
#[derive(Clone, Copy)]
pub(super) struct ValueSeed<'c, 's> {
    pub(super) cx: &'c Ctx<'s>,
    pub(super) ty: &'s Type,
    pub(super) optional: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.optional {
            return d.deserialize_option(OptionVisitor(ValueSeed {
                optional: false,
                ..self
            }));
        }
        let text = |d: D| -> Result<Cow<'de, str>, D::Error> { d.deserialize_str(StrVisitor) };
        match self.ty {
            Type::Bool => bool::deserialize(d).map(Value::Bool),
            Type::Int => i64::deserialize(d).map(Value::Int),
            Type::Decimal => decimal(d).map(Value::Decimal),
            Type::Percent => {
                let raw: &'de RawValue = Deserialize::deserialize(d)?;
                percent(raw.get()).map(Value::Percent).map_err(custom)
            }
            Type::Money(c) => decimal(d).map(|amount| {
                let currency = c.or_else(|| self.cx.currency.get()).unwrap_or_else(|| {
                    self.cx.unresolved_money.set(true);
                    Currency::UNKNOWN
                });
                Value::Money(Money { amount, currency })
            }),
            Type::Str => {
                let s = text(d)?;
                if s.len() > MAX_STRING_BYTES {
                    return Err(custom(format!(
                        "a string of {} bytes; strings are at most {MAX_STRING_BYTES} bytes",
                        s.len()
                    )));
                }
                Ok(Value::str(&s))
            }
            Type::Enum(id) => {
                let s = text(d)?;
                if let Some(shared) = self.cx.schema.interned_enum(*id, &s) {
                    Ok(Value::Str(shared.clone()))
                } else {
                    let values = self.cx.schema.enum_values(*id);
                    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                    let hint = crate::suggest::closest(&s, values.iter().map(|v| &**v))
                        .map(|c| format!("did you mean \"{c}\"? "))
                        .unwrap_or_default();
                    Err(custom(format!(
                        "unknown value \"{s}\" ({hint}expected one of {})",
                        quoted.join(", ")
                    )))
                }
            }
            Type::Date => {
                let s = text(d)?;
                guifan_syntax::literal::date(&s)
                    .map(Value::Date)
                    .map_err(|e| custom(format!("invalid date \"{s}\": {e}")))
            }
            Type::Timestamp => {
                let s = text(d)?;
                guifan_syntax::literal::timestamp(&s)
                    .map(Value::Timestamp)
                    .map_err(|e| {
                        custom(format!(
                            "invalid timestamp \"{s}\": {e} (expected RFC 3339 with offset)"
                        ))
                    })
            }
            Type::Time => {
                let s = text(d)?;
                NaiveTime::parse_from_str(&s, "%H:%M:%S")
                    .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M"))
                    .map(Value::Time)
                    .map_err(|e| {
                        custom(format!("invalid time of day \"{s}\": {e} (expected HH:MM)"))
                    })
            }
            Type::Duration => {
                let s = text(d)?;
                duration(&s).map(Value::Duration).ok_or_else(|| {
                    custom(format!(
                        "invalid duration \"{s}\" (expected 72h, 7d, 15min or permanent)"
                    ))
                })
            }
            Type::Period => {
                let s = text(d)?;
                period(&s)
                    .map(Value::Period)
                    .ok_or_else(|| custom(format!("invalid period \"{s}\" (expected 1y or 6mo)")))
            }
            Type::List(item) => d.deserialize_seq(ListVisitor { cx: self.cx, item }),
            Type::Map(k, v) => d.deserialize_map(MapVisitor {
                cx: self.cx,
                key: k,
                value: v,
            }),
            Type::Record(id) => d.deserialize_map(RecordVisitor {
                cx: self.cx,
                record: *id,
            }),
            Type::Optional(inner) => ValueSeed {
                ty: inner,
                optional: true,
                ..self
            }
            .deserialize(d),
            Type::Any | Type::Nothing | Type::Error => {
                Err(custom("this field's type is not decodable"))
            }
        }
    }
}

struct OptionVisitor<'c, 's>(ValueSeed<'c, 's>);

impl<'de> Visitor<'de> for OptionVisitor<'_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Absent)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.0.deserialize(d)
    }
}

/// Reads a decimal from its JSON text: a string (`"5230.40"`) or a number (`5230.40`), never via `f64`.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw: &'de RawValue = Deserialize::deserialize(d)?;
    parse_decimal_json(raw.get()).map_err(custom)
}

fn unquote(text: &str) -> Result<Cow<'_, str>, String> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Ok(Cow::Borrowed(inner)),
        Some(_) => serde_json::from_str::<String>(text)
            .map(Cow::Owned)
            .map_err(|e| e.to_string()),
        None => Ok(Cow::Borrowed(text)),
    }
}

/// Whether `s` is a plain decimal: `-?digits(.digits)?` (no `_`, `+`, spaces or exponent).
fn plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_decimal_json(text: &str) -> Result<Decimal, String> {
    let quoted = text.starts_with('"');
    let inner = unquote(text)?;
    let s: &str = &inner;
    // A string holds a plain decimal; a JSON number may also have an exponent (`1e3`).
    let well_formed = if quoted {
        plain_decimal(s)
    } else {
        plain_decimal(s.split(['e', 'E']).next().unwrap_or(""))
    };
    if !well_formed {
        return Err(format!(
            "invalid amount {text} (expected a decimal such as \"5230.40\")"
        ));
    }
    let parsed = if s.contains(['e', 'E']) {
        Decimal::from_scientific(s)
    } else {
        Decimal::from_str_exact(s)
    };
    parsed.map_err(|_| {
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if digits > 28
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        {
            format!("amount {text} has more digits than exact arithmetic holds (28 at most)")
        } else {
            format!("invalid amount {text} (expected a decimal such as \"5230.40\")")
        }
    })
}

/// A percentage is written with its sign: `"50%"`, `"12.5%"`. A bare number is
/// refused: `50` could mean 50% or 5000%, and `0.5` half or half a percent.
pub(super) fn percent(text: &str) -> Result<Decimal, String> {
    let inner = unquote(text)?;
    match inner.strip_suffix('%') {
        Some(points) if text.starts_with('"') && plain_decimal(points) => {
            Decimal::from_str_exact(points)
                .ok()
                .and_then(|p| p.checked_div(Decimal::ONE_HUNDRED))
                .ok_or_else(|| format!("invalid percentage {text}: too many digits"))
        }
        _ => Err(format!(
            "invalid percentage {text}: write it with a percent sign, such as \"50%\" (a bare number could mean 50% or 5000%)"
        )),
    }
}

struct ListVisitor<'c, 's> {
    cx: &'c Ctx<'s>,
    item: &'s Type,
}

impl<'de> Visitor<'de> for ListVisitor<'_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let (ty, optional) = match self.item {
            Type::Optional(inner) => (&**inner, true),
            other => (other, false),
        };
        loop {
            self.cx.push(Seg::Index(items.len()));
            let next = seq.next_element_seed(ValueSeed {
                cx: self.cx,
                ty,
                optional,
            })?;
            self.cx.pop();
            match next {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::List(items.into()))
    }
}

struct MapVisitor<'c, 's> {
    cx: &'c Ctx<'s>,
    key: &'s Type,
    value: &'s Type,
}

impl<'de> Visitor<'de> for MapVisitor<'_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(Value, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key_seed(KeySeed)? {
            self.cx.push(Seg::Key(k.to_string()));
            let key = decode_key(self.cx.schema, self.key, &k).map_err(custom::<A::Error>)?;
            let value = map.next_value_seed(ValueSeed {
                cx: self.cx,
                ty: self.value,
                optional: false,
            })?;
            self.cx.pop();
            entries.push((key, value));
        }
        entries.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(pair) = entries
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.0.total_cmp(&b.0).is_eq()))
        {
            let key = pair.first().map(|(k, _)| k.to_string()).unwrap_or_default();
            return Err(custom(format!("duplicate key {key} in a map")));
        }
        Ok(Value::Map(entries.into()))
    }
}

/// Map keys are object keys (strings): decode them as their declared type.
pub(super) fn decode_key(schema: &Schema, ty: &Type, key: &str) -> Result<Value, String> {
    let quoted = serde_json::to_string(key).map_err(|e| e.to_string())?;
    decode_value(schema, ty, &quoted).map_err(|e| e.message)
}

struct RecordVisitor<'c, 's> {
    cx: &'c Ctx<'s>,
    record: RecordId,
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let width = self
            .cx
            .schema
            .record(self.record)
            .map(|r| r.fields.len())
            .unwrap_or(0);
        // Allocated once, in place: no intermediate vector to copy from.
        let mut record: Arc<[Value]> = std::iter::repeat_n(Value::Absent, width).collect();
        let fields =
            Arc::get_mut(&mut record).ok_or_else(|| custom::<A::Error>("record layout shared"))?;
        let mut hint = 0;
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            read_field(
                self.cx,
                self.record,
                fields,
                &key,
                &mut hint,
                &mut seen,
                |seed| map.next_value_seed(seed),
            )?;
        }
        check_required(self.cx, self.record, fields)?;
        Ok(Value::Record(record))
    }
}

//! Records of one kind as an Arrow table typed by the schema: what
//! `guifan-gen --format parquet` writes, and what tests round-trip.
//!
//! | schema type | Arrow type |
//! | --- | --- |
//! | `bool`, `int`, `string` | boolean, int64, utf8 |
//! | a fixed set of strings | dictionary<int32, utf8> |
//! | `money`, `decimal` | decimal128(38, the column's largest scale) |
//! | `percent`, `period`, `any` | utf8 (their text) |
//! | `date`, `duration` | date32, duration(s) |
//! | `time` | utf8 (`HH:MM[:SS]`: Spark reads no Parquet TIME) |
//! | `timestamp` | timestamp(µs) in the column's one offset; utf8 (RFC 3339) when its values were written with several |
//! | `[T]`, `map<K, V>`, a record | list, map, struct |

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, DurationSecondArray, Int64Array,
    ListArray, MapArray, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveTime, Timelike};
use guifan_eval::Type;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::RuleSet;

/// A record that cannot be put in the table: its index and field path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("record {record}, at `{path}`: {message}")]
pub struct TableError {
    /// The record's index among those given (0-based)
    pub record: usize,
    /// The field path
    pub path: String,
    /// What is wrong
    pub message: String,
}

/// The records of kind `kind` as one record batch, typed by the rule set's
/// schema: `kind` and `id` first, then the kind's fields in declared order.
/// Fields missing from a record (or null) are null.
///
/// ```
/// let rules = guifan::RuleSet::from_sources([("k.schema", "kind shop { gmv: money, tags: [string] }")])?;
/// let records = [serde_json::json!({"kind": "shop", "id": "s-1", "gmv": "12.50", "tags": ["a"]})];
/// let batch = guifan::arrow::table_of_kind(&rules, "shop", &records)?;
/// assert_eq!(batch.num_rows(), 1);
/// assert_eq!(batch.schema().field(2).data_type().to_string(), "Decimal128(38, 2)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn table_of_kind(
    rules: &RuleSet,
    kind: &str,
    records: &[Json],
) -> Result<RecordBatch, TableError> {
    let schema = rules.program().schema();
    let record = schema
        .kind(kind)
        .and_then(|k| schema.kind_def(k))
        .and_then(|k| schema.record(k.record))
        .ok_or_else(|| TableError {
            record: 0,
            path: "kind".into(),
            message: format!("no kind `{kind}` in the schema"),
        })?;
    let builder = Builder { rules };
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for field in &record.fields {
        let values: Vec<Option<&Json>> = records
            .iter()
            .map(|r| r.get(&field.name).filter(|v| !v.is_null()))
            .collect();
        let ty = if field.name == "kind" || field.name == "id" {
            Type::Str
        } else {
            field.ty.clone()
        };
        let (data_type, array) = builder.column(&ty, &values, &field.name)?;
        fields.push(Field::new(&field.name, data_type, true));
        columns.push(array);
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    RecordBatch::try_new(schema, columns).map_err(|e| TableError {
        record: 0,
        path: String::new(),
        message: e.to_string(),
    })
}

struct Builder<'r> {
    rules: &'r RuleSet,
}

/// Where a value failed: its record's index and field path.
fn fail(index: usize, path: &str, message: String) -> TableError {
    TableError {
        record: index,
        path: path.to_string(),
        message,
    }
}

/// Each present value read by `read`: `Err` at the first that is not `what`.
fn each<'v, T>(
    values: &[Option<&'v Json>],
    path: &str,
    what: &str,
    read: impl Fn(&'v Json) -> Option<T>,
) -> Result<Vec<Option<T>>, TableError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(v) => read(v)
                .map(Some)
                .ok_or_else(|| fail(i, path, format!("expected {what}"))),
        })
        .collect()
}

fn text_of(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn nulls(values: &[Option<&Json>]) -> Option<NullBuffer> {
    let valid: Vec<bool> = values.iter().map(Option::is_some).collect();
    valid.contains(&false).then(|| NullBuffer::from(valid))
}

impl Builder<'_> {
    /// One column of values of type `ty`: its Arrow type and array.
    fn column(
        &self,
        ty: &Type,
        values: &[Option<&Json>],
        path: &str,
    ) -> Result<(DataType, ArrayRef), TableError> {
        let bad = |i: usize, what: &str| fail(i, path, format!("expected {what}"));
        Ok(match ty {
            Type::Optional(inner) => return self.column(inner, values, path),
            Type::Bool => {
                let out = each(values, path, "a bool", Json::as_bool)?;
                (DataType::Boolean, Arc::new(BooleanArray::from(out)))
            }
            Type::Int => {
                let out = each(values, path, "an int", Json::as_i64)?;
                (DataType::Int64, Arc::new(Int64Array::from(out)))
            }
            Type::Money(_) | Type::Decimal => {
                let mut amounts = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    amounts.push(match v {
                        None => None,
                        Some(v) => {
                            let text = text_of(v).ok_or_else(|| bad(i, "an amount"))?;
                            let amount = text
                                .parse::<Decimal>()
                                .map_err(|_| bad(i, "an exact amount"))?;
                            Some(amount)
                        }
                    });
                }
                let scale = amounts
                    .iter()
                    .flatten()
                    .map(Decimal::scale)
                    .max()
                    .unwrap_or(2);
                let mut out = Vec::with_capacity(amounts.len());
                for (i, a) in amounts.into_iter().enumerate() {
                    out.push(match a {
                        None => None,
                        Some(mut a) => {
                            a.rescale(scale);
                            if a.scale() != scale {
                                return Err(bad(i, "an amount that fits decimal128(38)"));
                            }
                            Some(a.mantissa())
                        }
                    });
                }
                let scale = i8::try_from(scale).unwrap_or(28);
                let array = Decimal128Array::from(out)
                    .with_precision_and_scale(38, scale)
                    .map_err(|e| fail(0, path, e.to_string()))?;
                (DataType::Decimal128(38, scale), Arc::new(array))
            }
            Type::Str | Type::Percent | Type::Period => {
                let out = each(values, path, "a string", text_of)?;
                (DataType::Utf8, Arc::new(StringArray::from(out)))
            }
            Type::Any | Type::Nothing | Type::Error => {
                let out: Vec<Option<String>> = values
                    .iter()
                    .map(|v| v.map(|v| text_of(v).unwrap_or_else(|| v.to_string())))
                    .collect();
                (DataType::Utf8, Arc::new(StringArray::from(out)))
            }
            Type::Enum(_) => {
                let mut out = StringDictionaryBuilder::<Int32Type>::new();
                for (i, v) in values.iter().enumerate() {
                    match v {
                        None => out.append_null(),
                        Some(v) => {
                            let s = v.as_str().ok_or_else(|| bad(i, "a string"))?;
                            out.append_value(s);
                        }
                    }
                }
                (
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                    Arc::new(out.finish()),
                )
            }
            Type::Date => {
                let out = each(values, path, "a date (YYYY-MM-DD)", date32)?;
                (DataType::Date32, Arc::new(Date32Array::from(out)))
            }
            // As text: Parquet's TIME has no reader in Spark (it comes out as a bare integer).
            Type::Time => {
                let mut out = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    out.push(match v {
                        None => None,
                        Some(v) => {
                            time32(v).ok_or_else(|| bad(i, "a time (HH:MM[:SS])"))?;
                            v.as_str()
                        }
                    });
                }
                (DataType::Utf8, Arc::new(StringArray::from(out)))
            }
            Type::Duration => {
                let out = each(values, path, "a duration (72h, 7d)", |v| {
                    v.as_str()
                        .and_then(guifan_eval::parse_duration)
                        .map(|d| d.0)
                })?;
                (
                    DataType::Duration(TimeUnit::Second),
                    Arc::new(DurationSecondArray::from(out)),
                )
            }
            Type::Timestamp => {
                let mut zones = std::collections::BTreeSet::new();
                let mut out = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    out.push(match v {
                        None => None,
                        Some(v) => {
                            let at = v
                                .as_str()
                                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                                .ok_or_else(|| bad(i, "a timestamp (RFC 3339)"))?;
                            zones.insert(at.offset().to_string());
                            Some(at.timestamp_micros())
                        }
                    });
                }
                // A column's values written with several offsets keep them as text:
                // an Arrow timestamp column has one zone, and messages show the offset.
                if zones.len() > 1 {
                    let text: Vec<Option<&str>> =
                        values.iter().map(|v| v.and_then(Json::as_str)).collect();
                    return Ok((DataType::Utf8, Arc::new(StringArray::from(text))));
                }
                let zone: Arc<str> =
                    Arc::from(zones.pop_first().unwrap_or_else(|| "+00:00".to_string()));
                let array = TimestampMicrosecondArray::from(out).with_timezone(zone.clone());
                (
                    DataType::Timestamp(TimeUnit::Microsecond, Some(zone)),
                    Arc::new(array),
                )
            }
            Type::List(item) => {
                let mut offsets = vec![0i32];
                let mut items: Vec<Option<&Json>> = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    if let Some(v) = v {
                        let list = v.as_array().ok_or_else(|| bad(i, "a list"))?;
                        items.extend(list.iter().map(|x| (!x.is_null()).then_some(x)));
                    }
                    offsets.push(i32::try_from(items.len()).map_err(|_| bad(i, "a smaller list"))?);
                }
                let (item_type, item_array) = self.column(item, &items, &format!("{path}[]"))?;
                let field = Arc::new(Field::new("item", item_type, true));
                let array = ListArray::try_new(
                    field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    item_array,
                    nulls(values),
                )
                .map_err(|e| fail(0, path, e.to_string()))?;
                (DataType::List(field), Arc::new(array))
            }
            Type::Map(key, value) => {
                let mut offsets = vec![0i32];
                let mut keys: Vec<Json> = Vec::new();
                let mut vals: Vec<Option<&Json>> = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    if let Some(v) = v {
                        let map = v.as_object().ok_or_else(|| bad(i, "an object"))?;
                        for (k, x) in map {
                            keys.push(Json::String(k.clone()));
                            vals.push((!x.is_null()).then_some(x));
                        }
                    }
                    offsets.push(i32::try_from(keys.len()).map_err(|_| bad(i, "a smaller map"))?);
                }
                let key_refs: Vec<Option<&Json>> = keys.iter().map(Some).collect();
                let (key_type, key_array) = self.column(key, &key_refs, &format!("{path}.key"))?;
                let (value_type, value_array) =
                    self.column(value, &vals, &format!("{path}.value"))?;
                let entry_fields = Fields::from(vec![
                    Field::new("keys", key_type, false),
                    Field::new("values", value_type, true),
                ]);
                let entries =
                    StructArray::try_new(entry_fields.clone(), vec![key_array, value_array], None)
                        .map_err(|e| fail(0, path, e.to_string()))?;
                let field = Arc::new(Field::new("entries", DataType::Struct(entry_fields), false));
                let array = MapArray::try_new(
                    field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    entries,
                    nulls(values),
                    false,
                )
                .map_err(|e| fail(0, path, e.to_string()))?;
                (DataType::Map(field, false), Arc::new(array))
            }
            Type::Record(id) => {
                let schema = self.rules.program().schema();
                let Some(record) = schema.record(*id) else {
                    return Err(fail(0, path, "an unknown record type".into()));
                };
                let mut fields = Vec::new();
                let mut children = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    if v.is_some_and(|v| !v.is_object()) {
                        return Err(bad(i, "an object"));
                    }
                }
                for field in &record.fields {
                    let child: Vec<Option<&Json>> = values
                        .iter()
                        .map(|v| v.and_then(|v| v.get(&field.name)).filter(|x| !x.is_null()))
                        .collect();
                    let (t, a) =
                        self.column(&field.ty, &child, &format!("{path}.{}", field.name))?;
                    fields.push(Field::new(&field.name, t, true));
                    children.push(a);
                }
                let fields = Fields::from(fields);
                let array = StructArray::try_new(fields.clone(), children, nulls(values))
                    .map_err(|e| fail(0, path, e.to_string()))?;
                (DataType::Struct(fields), Arc::new(array))
            }
        })
    }
}

/// Days since 1970-01-01.
fn date32(v: &Json) -> Option<i32> {
    let date = NaiveDate::parse_from_str(v.as_str()?, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

/// Seconds since midnight.
fn time32(v: &Json) -> Option<i32> {
    let s = v.as_str()?;
    let t = NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()?;
    i32::try_from(t.num_seconds_from_midnight()).ok()
}

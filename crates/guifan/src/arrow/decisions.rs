//! Decisions as an Arrow table: one row per rule that fired, per rule that
//! failed, and per record that could not be read, in typed columns.
//!
//! | column | type |
//! | --- | --- |
//! | `subject` | utf8 (null for a record whose `id` could not be read) |
//! | `kind` | utf8 |
//! | `rule` | utf8 (null for a record that could not be read) |
//! | `version` | utf8 (the rule version in force, when the rule has versions) |
//! | `effects` | list of struct { `kind`: utf8, `args`: map<utf8, utf8> } (an argument's text as in decision records: money `"1500.00 CNY"`, durations `"72h"`) |
//! | `message` | utf8 |
//! | `error_code` | utf8 (a failed rule's or an unreadable record's code) |
//! | `error` | utf8 (what went wrong, with the field path and row of a record) |

use std::fmt;
use std::sync::Arc;

use arrow_array::{ArrayRef, ListArray, MapArray, RecordBatch, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::{Decisions, RecordError};

/// The fields of an effect: its kind and its arguments.
fn effect_fields() -> Fields {
    Fields::from(vec![
        Field::new("kind", DataType::Utf8, false),
        Field::new("args", args_type(), false),
    ])
}

fn entries_field() -> Arc<Field> {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Utf8, true),
        ])),
        false,
    ))
}

fn args_type() -> DataType {
    DataType::Map(entries_field(), false)
}

fn effect_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(effect_fields()), false))
}

/// The schema of decision tables (see the module documentation).
pub fn decisions_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("subject", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("rule", DataType::Utf8, true),
        Field::new("version", DataType::Utf8, true),
        Field::new("effects", DataType::List(effect_item()), true),
        Field::new("message", DataType::Utf8, true),
        Field::new("error_code", DataType::Utf8, true),
        Field::new("error", DataType::Utf8, true),
    ]))
}

/// Decisions gathered row by row into a decision table.
///
/// ```
/// let rules = guifan::RuleSet::from_sources([(
///     "p.policy",
///     "kind k { n: int } effect e(why: string) policy a.b { subject k zone UTC rule r { when n > 1 then e(why: \"big\") message \"n is {n}\" } }",
/// )])?;
/// let now = "2024-01-01T00:00:00Z".parse()?;
/// let mut table = guifan::arrow::DecisionTable::default();
/// table.push(&rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?);
/// let batch = table.finish();
/// assert_eq!(batch.num_rows(), 1);
/// assert_eq!(batch.schema().field(4).name(), "effects");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct DecisionTable {
    subject: Vec<Option<String>>,
    kind: Vec<Option<String>>,
    rule: Vec<Option<String>>,
    version: Vec<Option<String>>,
    /// Per row: whether it has effects (rows of errors have none)
    has_effects: Vec<bool>,
    effect_offsets: Vec<i32>,
    effect_kinds: Vec<String>,
    arg_offsets: Vec<i32>,
    arg_names: Vec<String>,
    arg_values: Vec<String>,
    message: Vec<Option<String>>,
    error_code: Vec<Option<String>>,
    error: Vec<Option<String>>,
}

/// One effect: its kind and its arguments' texts, in order.
type EffectRow = (String, Vec<(String, String)>);

impl DecisionTable {
    /// Rows gathered and not yet finished.
    pub fn len(&self) -> usize {
        self.subject.len()
    }

    /// Whether no row is waiting.
    pub fn is_empty(&self) -> bool {
        self.subject.is_empty()
    }

    /// A row for each rule that fired on a subject, and each that failed.
    pub fn push(&mut self, decided: &Decisions) {
        for d in decided.decisions() {
            let effects = d
                .effects()
                .iter()
                .map(|e| {
                    let args = e
                        .args()
                        .iter()
                        .map(|(name, value)| (name.clone(), value_text(value)))
                        .collect();
                    (e.kind().to_string(), args)
                })
                .collect();
            self.push_row(Row {
                subject: Some(decided.subject().to_string()),
                kind: Some(decided.kind().to_string()),
                rule: Some(d.rule().to_string()),
                version: d.version().map(str::to_string),
                effects: Some(effects),
                message: d.message().map(str::to_string),
                error: None,
            });
        }
        for failure in decided.errors() {
            self.push_row(Row {
                subject: Some(decided.subject().to_string()),
                kind: Some(decided.kind().to_string()),
                rule: Some(failure.rule().to_string()),
                version: None,
                effects: None,
                message: None,
                error: Some((failure.code().to_string(), failure.to_string())),
            });
        }
    }

    /// A row for a record that could not be read (its row in `error`).
    pub fn push_record_error(&mut self, error: &RecordError) {
        self.push_row(Row {
            subject: error.id().map(str::to_string),
            kind: None,
            rule: None,
            version: None,
            effects: None,
            message: None,
            error: Some((error.code().to_string(), record_error_text(error))),
        });
    }

    /// The rows of one decision record as `guifan run` writes it in JSON
    /// Lines (`{"subject", "kind", "decisions", "errors"?}`).
    pub fn push_json(&mut self, line: &[u8]) -> Result<(), serde_json::Error> {
        let record: JsonRecord = serde_json::from_slice(line)?;
        for d in record.decisions {
            let effects = d.effects.into_iter().map(|e| (e.kind, e.args)).collect();
            self.push_row(Row {
                subject: Some(record.subject.clone()),
                kind: Some(record.kind.clone()),
                rule: Some(d.rule),
                version: d.version,
                effects: Some(effects),
                message: d.message,
                error: None,
            });
        }
        for e in record.errors {
            self.push_row(Row {
                subject: Some(record.subject.clone()),
                kind: Some(record.kind.clone()),
                rule: Some(e.rule),
                version: None,
                effects: None,
                message: None,
                error: Some((e.code, e.message)),
            });
        }
        Ok(())
    }

    fn push_row(&mut self, row: Row) {
        if self.effect_offsets.is_empty() {
            self.effect_offsets.push(0);
            self.arg_offsets.push(0);
        }
        self.subject.push(row.subject);
        self.kind.push(row.kind);
        self.rule.push(row.rule);
        self.version.push(row.version);
        self.has_effects.push(row.effects.is_some());
        for (kind, args) in row.effects.unwrap_or_default() {
            self.effect_kinds.push(kind);
            for (name, value) in args {
                self.arg_names.push(name);
                self.arg_values.push(value);
            }
            self.arg_offsets.push(offset(self.arg_names.len()));
        }
        self.effect_offsets.push(offset(self.effect_kinds.len()));
        self.message.push(row.message);
        let (code, error) = row.error.unzip();
        self.error_code.push(code);
        self.error.push(error);
    }

    /// The rows gathered as one record batch; the table starts again empty.
    pub fn finish(&mut self) -> RecordBatch {
        let t = std::mem::take(self);
        let effect_offsets = if t.effect_offsets.is_empty() {
            vec![0]
        } else {
            t.effect_offsets
        };
        let arg_offsets = if t.arg_offsets.is_empty() {
            vec![0]
        } else {
            t.arg_offsets
        };
        let entries = StructArray::new(
            match entries_field().data_type() {
                DataType::Struct(fields) => fields.clone(),
                _ => Fields::empty(),
            },
            vec![
                Arc::new(StringArray::from(t.arg_names)) as ArrayRef,
                Arc::new(StringArray::from(t.arg_values)) as ArrayRef,
            ],
            None,
        );
        let args = MapArray::new(
            entries_field(),
            OffsetBuffer::new(ScalarBuffer::from(arg_offsets)),
            entries,
            None,
            false,
        );
        let effects = StructArray::new(
            effect_fields(),
            vec![
                Arc::new(StringArray::from(t.effect_kinds)) as ArrayRef,
                Arc::new(args) as ArrayRef,
            ],
            None,
        );
        let lists = ListArray::new(
            effect_item(),
            OffsetBuffer::new(ScalarBuffer::from(effect_offsets)),
            Arc::new(effects),
            Some(NullBuffer::from(t.has_effects)),
        );
        let text = |v: Vec<Option<String>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let columns = vec![
            text(t.subject),
            text(t.kind),
            text(t.rule),
            text(t.version),
            Arc::new(lists) as ArrayRef,
            text(t.message),
            text(t.error_code),
            text(t.error),
        ];
        // The columns are built to the schema's types and lengths above.
        RecordBatch::try_new(decisions_schema(), columns)
            .unwrap_or_else(|_| RecordBatch::new_empty(decisions_schema()))
    }
}

/// Offsets of Arrow lists are 32-bit; a batch never holds 2 GiB of effects.
fn offset(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// An argument as text: a string as it is, any other value as its JSON.
fn argument_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A decided value as text: a string as it is, anything else as the exact
/// JSON decision records write (decimals with every digit).
fn value_text(value: &crate::Value) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    if json.starts_with('"') {
        serde_json::from_str::<String>(&json).unwrap_or(json)
    } else {
        json
    }
}

/// A record error in one line: its row, its field path and what is wrong.
fn record_error_text(error: &RecordError) -> String {
    let place = error
        .line()
        .map(|l| format!("row {l}: "))
        .unwrap_or_default();
    format!("{place}{error}")
}

struct Row {
    subject: Option<String>,
    kind: Option<String>,
    rule: Option<String>,
    version: Option<String>,
    effects: Option<Vec<EffectRow>>,
    message: Option<String>,
    error: Option<(String, String)>,
}

/// A decision record as `guifan run` writes it.
#[derive(Deserialize)]
struct JsonRecord {
    subject: String,
    kind: String,
    decisions: Vec<JsonDecision>,
    #[serde(default)]
    errors: Vec<JsonFailure>,
}

#[derive(Deserialize)]
struct JsonDecision {
    rule: String,
    #[serde(default)]
    version: Option<String>,
    effects: Vec<JsonEffect>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct JsonFailure {
    rule: String,
    code: String,
    message: String,
}

/// An effect object: `kind`, then its arguments in the order written.
struct JsonEffect {
    kind: String,
    args: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for JsonEffect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EffectVisitor;
        impl<'de> Visitor<'de> for EffectVisitor {
            type Value = JsonEffect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an effect object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonEffect, A::Error> {
                let mut kind = None;
                let mut args = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value: serde_json::Value = map.next_value()?;
                    if name == "kind" {
                        kind = value.as_str().map(str::to_string);
                    } else {
                        args.push((name, argument_text(&value)));
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                Ok(JsonEffect { kind, args })
            }
        }
        d.deserialize_map(EffectVisitor)
    }
}

//! Rendering: decision records (JSON Lines, JSON, table) and rule-file diagnostics.

use guifan_eval::{Decision, Effect, Outcome, Value};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::jsonl::JsonCache;

/// How decisions are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// One decision record per line
    Jsonl,
    /// One JSON array of decision records
    Json,
    /// A table for people
    Table,
    /// A Parquet file of decision rows (see `decisions_schema` in `guifan::arrow`)
    Parquet,
    /// An Arrow IPC file of decision rows
    Arrow,
}

impl OutputFormat {
    /// Whether this is a binary table file (Parquet, Arrow), not text.
    pub fn is_table_file(self) -> bool {
        matches!(self, OutputFormat::Parquet | OutputFormat::Arrow)
    }
}

/// The decisions about one subject, as written out.
pub struct SubjectRecord<'a> {
    /// The subject's `id`
    pub id: &'a str,
    /// Its kind
    pub kind: &'a str,
    /// What was decided
    pub outcome: &'a Outcome,
    /// The rule set that decided (rule failures are placed in its files)
    pub rules: &'a guifan::RuleSet,
    /// Pre-escaped strings of the rule set
    pub json: &'a JsonCache,
}

/// A shared string, written from its pre-escaped JSON when the rule set has it.
struct Text<'a>(&'a str, &'a JsonCache);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.1.get(self.0) {
            Some(raw) => raw.serialize(s),
            None => s.serialize_str(self.0),
        }
    }
}

impl Serialize for SubjectRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let with_errors = !self.outcome.errors.is_empty();
        let mut map = s.serialize_map(Some(if with_errors { 4 } else { 3 }))?;
        map.serialize_entry("subject", self.id)?;
        map.serialize_entry("kind", self.kind)?;
        map.serialize_entry("decisions", &Decisions(&self.outcome.decisions, self.json))?;
        if with_errors {
            map.serialize_entry("errors", &self.rules.rule_failures(&self.outcome.errors))?;
        }
        map.end()
    }
}

struct Decisions<'a>(&'a [Decision], &'a JsonCache);

impl Serialize for Decisions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for d in self.0 {
            seq.serialize_element(&DecisionOut(d, self.1))?;
        }
        seq.end()
    }
}

struct DecisionOut<'a>(&'a Decision, &'a JsonCache);

impl Serialize for DecisionOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (d, json) = (self.0, self.1);
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("rule", &Text(&d.rule, json))?;
        if let Some(v) = &d.version {
            map.serialize_entry("version", &Text(v, json))?;
        }
        map.serialize_entry("effects", &Effects(&d.effects, json))?;
        if let Some(m) = &d.message {
            map.serialize_entry("message", &Text(m, json))?;
        }
        map.end()
    }
}

struct Effects<'a>(&'a [Effect], &'a JsonCache);

impl Serialize for Effects<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&EffectOut(e, self.1))?;
        }
        seq.end()
    }
}

struct EffectOut<'a>(&'a Effect, &'a JsonCache);

impl Serialize for EffectOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (e, json) = (self.0, self.1);
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", &Text(&e.kind, json))?;
        for (name, value) in e.args.iter() {
            match value {
                Value::Absent => {}
                Value::Str(text) => map.serialize_entry(&**name, &Text(text, json))?,
                other => map.serialize_entry(&**name, &JsonValue(other))?,
            }
        }
        map.end()
    }
}

/// A value as JSON (see [`guifan_eval::JsonValue`]).
pub use guifan_eval::JsonValue;

/// One subject's decisions as pretty JSON (an element of the `--format json` array).
pub fn json_element(record: &SubjectRecord<'_>, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer_pretty(&mut *out, record);
}

/// One subject's rows of the `--format table` output: subject, rule, effects, message.
pub fn table_rows(record: &SubjectRecord<'_>) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = record
        .outcome
        .decisions
        .iter()
        .map(|d| {
            let effects: Vec<String> = d.effects.iter().map(effect_text).collect();
            let rule = match &d.version {
                Some(v) => format!("{} [{v}]", d.rule),
                None => d.rule.to_string(),
            };
            [
                record.id.to_string(),
                rule,
                effects.join("\n"),
                d.message.as_deref().unwrap_or("").to_string(),
            ]
        })
        .collect();
    for e in &record.outcome.errors {
        rows.push([
            record.id.to_string(),
            e.rule.to_string(),
            "error".into(),
            e.error.kind.to_string(),
        ]);
    }
    if rows.is_empty() {
        rows.push([
            record.id.to_string(),
            "-".into(),
            String::new(),
            String::new(),
        ]);
    }
    // A table is for a terminal: no control characters from records or rule files reach it.
    for row in &mut rows {
        for cell in row.iter_mut() {
            if let std::borrow::Cow::Owned(safe) = guifan::clip::printable(cell) {
                *cell = safe;
            }
        }
    }
    rows
}

fn effect_text(e: &Effect) -> String {
    let args: Vec<String> = e
        .args
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Absent))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    if args.is_empty() {
        e.kind.to_string()
    } else {
        format!("{}({})", e.kind, args.join(", "))
    }
}

/// Lays rows out as a table.
pub fn table(rows: Vec<[String; 4]>) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(["subject", "rule", "effects", "message"]);
    for r in rows {
        t.add_row(r);
    }
    format!("{t}\n")
}

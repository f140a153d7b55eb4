//! Rendering for `--format json` (a decision record's JSON line laid out) and `--format table`.

use guifan_eval::{Effect, Outcome, Value};

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

/// The decisions about one subject, as a table shows them.
pub struct SubjectRecord<'a> {
    /// The subject's `id`
    pub id: &'a str,
    /// Its kind
    pub kind: &'a str,
    /// What was decided
    pub outcome: &'a Outcome,
}

/// One subject's decision record, compact JSON (as
/// [`guifan::RuleSet::decide_json_to`] writes it, without its line end), laid
/// out as `serde_json`'s pretty printer lays it out: an element of the
/// `--format json` array. The text of strings and numbers is copied as it is.
pub fn pretty_element(compact: &[u8], out: &mut Vec<u8>) {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = compact.get(at) {
        match byte {
            b'"' => {
                let end = string_end(compact, at);
                out.extend_from_slice(compact.get(at..end).unwrap_or_default());
                at = end;
                continue;
            }
            b'{' | b'[' => {
                out.push(byte);
                // An empty object or array stays on its line: `{}`, `[]`.
                if let Some(&close @ (b'}' | b']')) = compact.get(at + 1) {
                    out.push(close);
                    at += 2;
                    continue;
                }
                depth += 1;
                new_line(out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                new_line(out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(b',');
                new_line(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
        at += 1;
    }
}

/// Where the string opened by the quote at `start` ends (just past its closing quote).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(&byte) = json.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    json.len()
}

fn new_line(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    out.resize(out.len() + 2 * depth, b' ');
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    use super::pretty_element;

    fn laid_out(value: &Json) -> String {
        let mut out = Vec::new();
        pretty_element(serde_json::to_string(value).unwrap().as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn compact_json_is_laid_out_as_serde_lays_it_out() {
        let value = json!({
            "subject": "m-{1}, [2]: \"three\" \\",
            "kind": "k",
            "decisions": [
                {"rule": "a.b.r", "effects": [], "message": "{}[],:"},
                {"rule": "a.b.s", "effects": [{"kind": "e", "amount": "1.50", "n": -3}, {}]}
            ],
            "errors": [[], {}, [[1, 2], {"x": null, "y": true}]]
        });
        assert_eq!(
            laid_out(&value),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    fn any_json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            any::<i64>().prop_map(Json::from),
            any::<String>().prop_map(Json::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::from),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| Json::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_laid_out_as_serde_lays_it_out(value in any_json()) {
            prop_assert_eq!(laid_out(&value), serde_json::to_string_pretty(&value).unwrap());
        }
    }
}

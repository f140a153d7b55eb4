//! Rendering for `--format json` (a decision record's JSON line laid out) and `--format table`.

use std::sync::Arc;

use guifan_eval::{Made, RuleError, Sink, Value};

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

/// One subject's rows of the `--format table` output (subject, rule,
/// effects, message), made as the evaluator makes each decision; its
/// failures are kept for [`TableRows::finish`].
pub struct TableRows<'o> {
    id: &'o str,
    rows: &'o mut Vec<[String; 4]>,
    /// Where the subject's rows start in `rows`
    start: usize,
    decisions: usize,
    errors: Vec<RuleError>,
}

impl<'o> TableRows<'o> {
    /// Rows of the subject `id`, added to `rows`.
    pub fn new(id: &'o str, rows: &'o mut Vec<[String; 4]>) -> Self {
        let start = rows.len();
        TableRows {
            id,
            rows,
            start,
            decisions: 0,
            errors: Vec::new(),
        }
    }

    /// Decisions made so far.
    pub fn decisions(&self) -> usize {
        self.decisions
    }

    /// Adds a row for each failure (or one saying nothing fired), makes the
    /// subject's rows safe for a terminal, and returns its failures.
    pub fn finish(self) -> Vec<RuleError> {
        for e in &self.errors {
            self.rows.push([
                self.id.to_string(),
                e.rule.to_string(),
                "error".into(),
                e.error.kind.to_string(),
            ]);
        }
        if self.rows.len() == self.start {
            self.rows.push([
                self.id.to_string(),
                "-".into(),
                String::new(),
                String::new(),
            ]);
        }
        // A table is for a terminal: no control characters from records or rule files reach it.
        for row in self.rows.iter_mut().skip(self.start) {
            for cell in row.iter_mut() {
                if let std::borrow::Cow::Owned(safe) = guifan::clip::printable(cell) {
                    *cell = safe;
                }
            }
        }
        self.errors
    }
}

impl<'p> Sink<'p> for TableRows<'_> {
    fn decision(&mut self, made: &Made<'p, '_>) {
        let effects: Vec<String> = made
            .effects()
            .map(|e| effect_text(e.template.kind(), e.args()))
            .collect();
        let rule = match made.version.label() {
            Some(v) => format!("{} [{v}]", made.rule.id()),
            None => made.rule.id().to_string(),
        };
        self.rows.push([
            self.id.to_string(),
            rule,
            effects.join("\n"),
            made.message
                .map(|m| m.text().to_string())
                .unwrap_or_default(),
        ]);
        self.decisions += 1;
    }

    fn error(&mut self, error: RuleError) {
        self.errors.push(error);
    }
}

/// `kind(name: value, ...)`, absent arguments left out; the kind alone without arguments.
fn effect_text<'v>(kind: &str, args: impl Iterator<Item = (&'v Arc<str>, &'v Value)>) -> String {
    let args: Vec<String> = args
        .filter(|(_, v)| !matches!(v, Value::Absent))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    if args.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}({})", args.join(", "))
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

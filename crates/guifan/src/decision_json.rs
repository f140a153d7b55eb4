//! Decision records written straight into JSON bytes as the evaluator makes
//! each decision ([`guifan_eval::Sink`]): each version's opening and each
//! effect with constant arguments copied whole from pre-rendered fragments,
//! shared strings from their pre-escaped JSON, nothing built and then
//! serialised. The bytes are exactly those of serialising the record's
//! [`Decisions`](crate::Decisions) compactly, which tests hold them to.
//! The fragments are the program's, made once (`json_fragments.rs`).

use chrono::{DateTime, FixedOffset};
use guifan_eval::{Made, MadeMessage, RuleError, Sink};

use crate::decisions::RuleFailure;
use crate::error::{FailedRule, RecordError};
use crate::json_fragments::{effect_json, string, text, JsonCache};
#[cfg(test)]
use crate::params::Params;
use crate::rules::RuleSet;

/// What [`RuleSet::decide_json_to`] wrote about one record.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Written {
    /// The subject's `id` (short text inline, longer text shared: no allocation)
    subject: guifan_eval::Text,
    decisions: usize,
    errors: Vec<RuleFailure>,
}

impl Written {
    /// The subject's `id`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// How many rules fired (decisions written).
    pub fn decisions(&self) -> usize {
        self.decisions
    }

    /// The rules that could not be evaluated on the record (written under `"errors"`).
    pub fn errors(&self) -> &[RuleFailure] {
        &self.errors
    }

    /// The rules that could not be evaluated, as failures of the record at `line`.
    pub fn into_failed(self, line: usize) -> Vec<FailedRule> {
        if self.errors.is_empty() {
            // Nothing to place: no `id` copied (the hot path allocates nothing).
            return Vec::new();
        }
        let id = self.subject.to_string();
        self.errors
            .into_iter()
            .map(|failure| FailedRule {
                line,
                id: id.clone(),
                failure,
            })
            .collect()
    }
}

impl RuleSet {
    /// Decides one record, JSON text with at least `"kind"` and `"id"`, at
    /// `now`, and appends its decision record to `out` as one line of JSON
    /// (ended by `\n`): the bytes of serialising
    /// [`decide_json`](RuleSet::decide_json)'s answer, written as the rules
    /// fire, without building it. This is how `guifan run` and `guifan serve`
    /// write decisions; on the steady state it allocates nothing per record
    /// unless a rule fails. A record that does not decode writes nothing.
    ///
    /// ```
    /// # let rules = guifan::RuleSet::from_sources([(
    /// #     "p.policy",
    /// #     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
    /// # )]).unwrap();
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let mut out = Vec::new();
    /// let written = rules.decide_json_to(br#"{"kind":"k","id":"x","n":2}"#, now, &mut out)?;
    /// assert_eq!(written.decisions(), 1);
    /// let decided = rules.decide_json(br#"{"kind":"k","id":"x","n":2}"#, now)?;
    /// assert_eq!(out, format!("{}\n", serde_json::to_string(&decided)?).into_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_json_to(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
        out: &mut Vec<u8>,
    ) -> Result<Written, RecordError> {
        let program = self.program();
        let subject = guifan_eval::decode_subject(program.schema(), record)
            .map_err(|e| RecordError::of_data(record, &e))?;
        let kind = self.kind_name(subject.kind);
        let mut writer = JsonlWriter::open(self.json_cache(), out, &subject.id, kind);
        guifan_eval::evaluate_into(program, &subject, now, self.ranks(), &mut writer);
        let decisions = writer.decisions;
        let errors = writer.close(self);
        let written = Written {
            subject: subject.id.clone(),
            decisions,
            errors,
        };
        // Its arrays go to this thread's pool, for the next record it decodes.
        guifan_eval::recycle(subject);
        Ok(written)
    }
}

/// Writes the decisions of one subject as they are made, and keeps its failures.
struct JsonlWriter<'o> {
    cache: &'o JsonCache,
    out: &'o mut Vec<u8>,
    /// Decisions written so far
    decisions: usize,
    /// Rules that failed
    errors: Vec<RuleError>,
}

impl<'o> JsonlWriter<'o> {
    /// Opens the record of the subject `id` (of kind `kind`) in `out`.
    fn open(cache: &'o JsonCache, out: &'o mut Vec<u8>, id: &str, kind: &str) -> Self {
        out.extend_from_slice(b"{\"subject\":");
        string(id, out);
        out.extend_from_slice(b",\"kind\":");
        string(kind, out);
        out.extend_from_slice(b",\"decisions\":[");
        JsonlWriter {
            cache,
            out,
            decisions: 0,
            errors: Vec::new(),
        }
    }

    /// Closes the record, with its failures placed in the rule files of
    /// `rules` when it has any; returns them.
    fn close(self, rules: &RuleSet) -> Vec<RuleFailure> {
        self.out.push(b']');
        let failures = rules.rule_failures(&self.errors);
        if !failures.is_empty() {
            self.out.extend_from_slice(b",\"errors\":");
            let _ = serde_json::to_writer(&mut *self.out, &failures);
        }
        self.out.extend_from_slice(b"}\n");
        failures
    }
}

impl<'p> Sink<'p> for JsonlWriter<'_> {
    fn decision(&mut self, made: &Made<'p, '_>) {
        let (out, cache) = (&mut *self.out, self.cache);
        if self.decisions > 0 {
            out.push(b',');
        }
        self.decisions += 1;
        match cache.head(made.version) {
            Some(head) => out.extend_from_slice(head),
            None => {
                out.extend_from_slice(b"{\"rule\":");
                let _ = text(made.rule.id(), Some(cache), out);
                if let Some(label) = made.version.label() {
                    out.extend_from_slice(b",\"version\":");
                    let _ = text(label, Some(cache), out);
                }
                out.extend_from_slice(b",\"effects\":[");
            }
        }
        for (i, effect) in made.effects().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cache.effect(effect.template) {
                Some(json) => out.extend_from_slice(json),
                None => {
                    let _ = effect_json(effect.template.kind(), effect.args(), Some(cache), out);
                }
            }
        }
        out.push(b']');
        if let Some(message) = made.message {
            out.extend_from_slice(b",\"message\":");
            let _ = match message {
                MadeMessage::Constant(t) => text(t, Some(cache), out),
                MadeMessage::Rendered(t) => {
                    string(t, out);
                    Ok(())
                }
            };
        }
        out.push(b'}');
    }

    fn error(&mut self, error: RuleError) {
        self.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    const SCHEMA: &str = r#"
        platform p { currency CNY }
        kind k { platform: string, n: int, amount: money?, name: string }
        effect flag(level: int?, note: string?, amount: money?)
    "#;

    const POLICY: &str = r#"
        policy t.p {
          subject k
          zone Asia/Shanghai
          currency CNY
          param floor: int = 0
          rule divides "除" { when 10 / n > 1 then flag(note: "除") message "n = {n}" }
          rule quoted { when name != "" then flag(note: name, amount: amount) message "名字 \"{name}\"" }
          rule versioned {
            version "v1" until 2023-03-01T00:00+08:00 { when n >= floor then flag(level: 1) }
            version "v2" from 2023-03-01T00:00+08:00 { when n >= floor then flag(level: 2), flag message "第二版" }
          }
        }
    "#;

    const RECORDS: [&str; 3] = [
        r#"{"kind":"k","id":"zero","platform":"p","n":0,"name":"a\"b\\c\n\u0001é"}"#,
        r#"{"kind":"k","id":"one","platform":"p","n":1,"amount":"-0.50","name":"x"}"#,
        r#"{"kind":"k","id":"two \"2\"","platform":"p","n":2,"amount":12,"name":""}"#,
    ];

    fn rules() -> RuleSet {
        RuleSet::from_sources([("s.schema", SCHEMA), ("t.policy", POLICY)]).unwrap()
    }

    /// Every record written both ways: straight into bytes, and serde's text of its `Decisions`.
    fn both_ways(rules: &RuleSet, at: &str) -> (String, String) {
        let now = at.parse().unwrap();
        let (mut direct, mut typed) = (Vec::new(), String::new());
        for record in RECORDS {
            rules
                .decide_json_to(record.as_bytes(), now, &mut direct)
                .unwrap();
            let decided = rules.decide_json(record.as_bytes(), now).unwrap();
            typed += &serde_json::to_string(&decided).unwrap();
            typed.push('\n');
        }
        (String::from_utf8(direct).unwrap(), typed)
    }

    #[test]
    fn records_are_written_as_serde_writes_their_decisions() {
        let rules = rules();
        for at in ["2023-02-01T00:00:00+08:00", "2023-04-01T00:00:00+08:00"] {
            let (direct, typed) = both_ways(&rules, at);
            assert_eq!(direct, typed);
        }
        // Every part of a decision was written: failures, versions, computed
        // and constant arguments, both kinds of message, escapes.
        let (direct, _) = both_ways(&rules, "2023-04-01T00:00:00+08:00");
        for part in [
            r#""errors":[{"rule":"t.p.divides","code":"guifan::eval::division_by_zero""#,
            r#""version":"v2""#,
            r#"{"kind":"flag","note":"a\"b\\c\n\u0001é"}"#,
            r#"{"kind":"flag","note":"x","amount":"-0.50 CNY"}"#,
            r#""message":"第二版""#,
            r#""message":"名字 \"x\"""#,
            r#"{"subject":"two \"2\"","kind":"k""#,
        ] {
            assert!(direct.contains(part), "{part} not in {direct}");
        }
    }

    #[test]
    fn what_is_written_is_counted_and_failures_are_kept() {
        let rules = rules();
        let now = "2023-04-01T00:00:00+08:00".parse().unwrap();
        let mut out = Vec::new();
        let zero = rules
            .decide_json_to(RECORDS[0].as_bytes(), now, &mut out)
            .unwrap();
        assert_eq!(zero.decisions(), 2);
        assert_eq!(zero.errors().len(), 1);
        assert_eq!(zero.errors()[0].code(), "guifan::eval::division_by_zero");
        assert_eq!(zero.subject(), "zero");
        let failed = zero.clone().into_failed(7);
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].line, failed[0].id.as_str()), (7, "zero"));
        assert_eq!(&failed[0].failure, &zero.errors()[0]);
        let two = rules
            .decide_json_to(RECORDS[2].as_bytes(), now, &mut out)
            .unwrap();
        assert_eq!((two.decisions(), two.errors().len()), (2, 0));
        assert_eq!(two.subject(), "two \"2\"");
        assert!(two.into_failed(3).is_empty());
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 2);
    }

    #[test]
    fn a_record_that_does_not_decode_writes_nothing() {
        let now = "2023-04-01T00:00:00+08:00".parse().unwrap();
        let mut out = b"kept".to_vec();
        let bad = r#"{"kind":"k","id":"x","platform":"p","n":"many","name":""}"#;
        let error = rules()
            .decide_json_to(bad.as_bytes(), now, &mut out)
            .unwrap_err();
        assert_eq!(error.path(), "n");
        assert_eq!(out, b"kept");
    }

    #[test]
    fn a_changed_parameter_is_written_by_the_changed_program() {
        let mut rules = rules();
        let now = "2023-04-01T00:00:00+08:00".parse().unwrap();
        let record = RECORDS[2].as_bytes();
        let mut before = Vec::new();
        rules.decide_json_to(record, now, &mut before).unwrap();
        rules.set_param("t.p", "floor", "5").unwrap();
        let params = Params::new();
        let mut later = Vec::new();
        for changed in [rules.clone(), rules.with_params(&params).unwrap()] {
            later.clear();
            // n = 2 is under the floor of 5 now: only `divides` fires.
            let written = changed.decide_json_to(record, now, &mut later).unwrap();
            assert_eq!(
                written.decisions(),
                1,
                "{}",
                String::from_utf8_lossy(&later)
            );
        }
        assert_ne!(before, later);
    }
}

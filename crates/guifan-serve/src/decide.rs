//! `POST /v1/decide`: one JSON record, or JSON Lines, decided at `?at=` or now.

use guifan::data::RecordText;
use guifan::{DateTime, FixedOffset, RuleSet};
use serde::Serialize;

/// A problem with a request, answered with status 400 and its code.
#[derive(Debug, Serialize)]
pub(crate) struct BadRequest {
    /// Stable code (`guifan::data::invalid`, `guifan::serve::bad_request`)
    pub(crate) code: &'static str,
    /// What is wrong
    pub(crate) message: String,
    /// The field path in the record, for a record that does not fit its kind
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
    /// The line of the body, for JSON Lines
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
    /// The record's other fields that do not decode either
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) also: Vec<FieldProblem>,
}

/// One more bad field of a record.
#[derive(Debug, Serialize)]
pub(crate) struct FieldProblem {
    /// Its path in the record
    pub(crate) field: String,
    /// What is wrong
    pub(crate) message: String,
}

impl BadRequest {
    /// A record that does not fit its kind, at a line of a JSON Lines body.
    pub(crate) fn record(e: &guifan::RecordError, line: Option<usize>) -> BadRequest {
        BadRequest {
            code: e.code(),
            message: e.message().to_string(),
            field: (!e.path().is_empty()).then(|| e.path().to_string()),
            line,
            also: e
                .also()
                .iter()
                .map(|(field, message)| FieldProblem {
                    field: field.clone(),
                    message: message.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn request(message: impl Into<String>) -> BadRequest {
        BadRequest {
            code: "guifan::serve::bad_request",
            message: message.into(),
            field: None,
            line: None,
            also: Vec::new(),
        }
    }
}

/// What a decide request answers: one record's decisions, or one line per
/// record of a batch (a decision record, or `{"line", "error"}`).
pub(crate) struct Answer {
    pub(crate) body: Vec<u8>,
    pub(crate) batch: bool,
    pub(crate) records: u64,
    pub(crate) decisions: u64,
    pub(crate) record_errors: u64,
    pub(crate) rule_errors: u64,
    /// Each decided record's JSON, for the decision log
    pub(crate) decided: Vec<(String, serde_json::Value)>,
}

impl Answer {
    /// Counts what was written of one record, its decision record in the
    /// body from `start`; with `log`, keeps its subject and decisions for the
    /// decision log (read back from the bytes written, so only when logging).
    fn count_from(&mut self, start: usize, written: &guifan::Written, log: bool) {
        self.decisions += written.decisions() as u64;
        self.rule_errors += written.errors().len() as u64;
        if !log {
            return;
        }
        let record = self.body.get(start..).unwrap_or_default();
        /// What the decision log keeps of a decision record.
        #[derive(serde::Deserialize)]
        struct Logged {
            subject: String,
            decisions: serde_json::Value,
        }
        if let Ok(logged) = serde_json::from_slice::<Logged>(record) {
            self.decided.push((logged.subject, logged.decisions));
        }
    }
}

/// The evaluation time of `?at=` (the forms of `guifan run --at`:
/// [`guifan::parse_time`]), or the clock's.
pub(crate) fn evaluation_time(at: Option<&str>) -> Result<DateTime<FixedOffset>, BadRequest> {
    match at {
        Some(text) => guifan::parse_time(text).map_err(|e| {
            // `?at=2023-04-20T12:00:00+08:00` arrives with a space for the `+`.
            let hint = if text.contains(' ') {
                "; a `+` in a query string reads as a space: write it `%2B`, or give the time in UTC with `Z`"
            } else {
                ""
            };
            BadRequest::request(format!("`at` is not an RFC 3339 time: {e}{hint}"))
        }),
        None => Ok(guifan::Utc::now().fixed_offset()),
    }
}

/// Decides a body. A JSON array is a batch of records, as `guifan run`
/// reads one (each answered in its place, a bad one as `{"record": n,
/// "error"}`). JSON Lines when its first line is a JSON value on its own
/// (blank lines skipped; a bad line is answered in its place as `{"line": n,
/// "error"}`, and one line alone is one record). Otherwise the whole body is
/// one JSON document (a pretty-printed record, spread over lines): one
/// record, or one error. Work stops at `deadline`, between records.
pub(crate) fn decide(
    rules: &RuleSet,
    body: &[u8],
    now: DateTime<FixedOffset>,
    log: bool,
    deadline: std::time::Instant,
) -> Result<Answer, BadRequest> {
    let text = std::str::from_utf8(body)
        .map_err(|e| BadRequest::request(format!("the body is not UTF-8: {e}")))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let Some((_, first)) = lines.first() else {
        return Err(BadRequest::request("the body holds no record"));
    };
    if first.starts_with('[') {
        return decide_array(rules, text, now, log, deadline);
    }
    // One record: a single line, or one document over several lines.
    let single = lines.len() == 1 || serde_json::from_str::<serde::de::IgnoredAny>(first).is_err();
    let mut answer = Answer {
        body: Vec::new(),
        batch: !single,
        records: 0,
        decisions: 0,
        record_errors: 0,
        rule_errors: 0,
        decided: Vec::new(),
    };
    if single {
        answer.records = 1;
        let record = text.trim().as_bytes();
        let one = [RecordText {
            line: 1,
            json: record.into(),
        }];
        // A ranking policy ranks the request's records, as `guifan run` ranks
        // the lines of one file: one record alone is first in every ranking it enters.
        let written = rules
            .ranked_records(&one, now, &mut |_| {})
            .decide_json_to(record, now, &mut answer.body)
            .map_err(|e| BadRequest::record(&e, None))?;
        // One record is answered with its decision record alone, no line end.
        answer.body.pop();
        answer.count_from(0, &written, log);
        return Ok(answer);
    }
    let records: Vec<RecordText<'_>> = lines
        .iter()
        .map(|(line, record)| RecordText {
            line: *line,
            json: record.as_bytes().into(),
        })
        .collect();
    decide_batch(rules, &records, "line", now, log, deadline, answer)
}

/// A JSON array of records: a batch, each answered in its place by its
/// position in the array (from 1).
fn decide_array(
    rules: &RuleSet,
    text: &str,
    now: DateTime<FixedOffset>,
    log: bool,
    deadline: std::time::Instant,
) -> Result<Answer, BadRequest> {
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).map_err(|e| {
        BadRequest::request(format!(
            "the body starts with `[` but is not a JSON array of records: {e}"
        ))
    })?;
    let records: Vec<RecordText<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, raw)| RecordText {
            line: i + 1,
            json: raw.get().as_bytes().into(),
        })
        .collect();
    let answer = Answer {
        body: Vec::new(),
        batch: true,
        records: 0,
        decisions: 0,
        record_errors: 0,
        rule_errors: 0,
        decided: Vec::new(),
    };
    decide_batch(rules, &records, "record", now, log, deadline, answer)
}

/// Decides a batch, ranked together, one answer line per record; `place`
/// names what a record's number counts (`line` of JSON Lines, `record` of an array).
fn decide_batch(
    rules: &RuleSet,
    records: &[RecordText<'_>],
    place: &str,
    now: DateTime<FixedOffset>,
    log: bool,
    deadline: std::time::Instant,
    mut answer: Answer,
) -> Result<Answer, BadRequest> {
    // A ranking policy ranks the request's records: they are the population.
    let rules = &rules.ranked_records(records, now, &mut |_| {});
    for one in records {
        let (line, record) = (one.line, &*one.json);
        if std::time::Instant::now() >= deadline {
            return Err(BadRequest {
                code: "guifan::serve::timeout",
                message: "the time limit passed".into(),
                field: None,
                line: Some(line),
                also: Vec::new(),
            });
        }
        answer.records += 1;
        let start = answer.body.len();
        match rules.decide_json_to(record, now, &mut answer.body) {
            Ok(written) => {
                // The line end is written below, after an error line too.
                answer.body.pop();
                answer.count_from(start, &written, log);
            }
            Err(e) => {
                answer.record_errors += 1;
                // The place once, beside the error, not inside it too.
                let problem = BadRequest::record(&e, None);
                let _ = serde_json::to_writer(
                    &mut answer.body,
                    &serde_json::json!({ place: line, "error": problem }),
                );
            }
        }
        answer.body.push(b'\n');
    }
    Ok(answer)
}

/// Explains one JSON record at `now` (a population of one for any ranking,
/// as a one-record decide request is): the explanation's JSON.
pub(crate) fn explain(
    rules: &RuleSet,
    body: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<Vec<u8>, BadRequest> {
    let text = std::str::from_utf8(body)
        .map_err(|e| BadRequest::request(format!("the body is not UTF-8: {e}")))?;
    let record = text.trim().as_bytes();
    if record.is_empty() {
        return Err(BadRequest::request("the body holds no record"));
    }
    let one = [RecordText {
        line: 1,
        json: record.into(),
    }];
    let explained = rules
        .ranked_records(&one, now, &mut |_| {})
        .explain(record, now)
        .map_err(|e| BadRequest::record(&e, None))?;
    Ok(serde_json::to_vec(&explained).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    fn rules() -> RuleSet {
        RuleSet::from_sources([(
            "p.policy",
            "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }",
        )])
        .unwrap()
    }

    #[test]
    fn each_record_is_answered_by_its_line_and_logged_when_asked() {
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let fired = serde_json::json!([{"rule": "a.b.r", "effects": [{"kind": "e"}]}]);
        let x =
            r#"{"subject":"x","kind":"k","decisions":[{"rule":"a.b.r","effects":[{"kind":"e"}]}]}"#;
        let lines =
            "{\"kind\":\"k\",\"id\":\"x\",\"n\":2}\n{\"kind\":\"k\",\"id\":\"y\",\"n\":0}\n{bad}\n";
        let batch = decide(&rules(), lines.as_bytes(), now, true, later)
            .ok()
            .unwrap();
        let body = String::from_utf8(batch.body).unwrap();
        let answered: Vec<&str> = body.lines().collect();
        assert_eq!(answered.len(), 3, "{body}");
        assert_eq!(answered[0], x);
        assert_eq!(answered[1], r#"{"subject":"y","kind":"k","decisions":[]}"#);
        assert!(answered[2].ends_with(r#""line":3}"#), "{body}");
        assert_eq!((batch.decisions, batch.record_errors), (1, 1));
        assert_eq!(
            batch.decided,
            [
                ("x".to_string(), fired.clone()),
                ("y".to_string(), serde_json::json!([]))
            ]
        );
        // One record alone: its decision record, with no line end.
        let one = br#"{"kind":"k","id":"x","n":2}"#;
        let alone = decide(&rules(), one, now, true, later).ok().unwrap();
        assert_eq!(alone.body, x.as_bytes());
        assert_eq!(alone.decided, [("x".to_string(), fired)]);
        // Nothing kept for the log unless asked.
        let quiet = decide(&rules(), lines.as_bytes(), now, false, later)
            .ok()
            .unwrap();
        assert!(quiet.decided.is_empty());
        assert_eq!(quiet.decisions, 1);
    }

    #[test]
    fn failures_are_counted_and_records_of_an_array_are_placed_from_one() {
        let rules = RuleSet::from_sources([(
            "p.policy",
            "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when 10 / n > 1 then e } }",
        )])
        .unwrap();
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let array = br#"[{"kind":"k","id":"x","n":0},{"kind":"k","id":"y","n":"?"},{"kind":"k","id":"z","n":0}]"#;
        let answer = decide(&rules, array, now, false, later).ok().unwrap();
        assert_eq!(
            (answer.records, answer.rule_errors, answer.record_errors),
            (3, 2, 1)
        );
        let body = String::from_utf8(answer.body).unwrap();
        let second: serde_json::Value = serde_json::from_str(body.lines().nth(1).unwrap()).unwrap();
        assert_eq!(second["record"], 2, "{body}");
        assert_eq!(second["error"]["field"], "n", "{body}");
    }

    #[test]
    fn a_bad_record_names_its_field_only_when_it_has_one() {
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let bad_field = decide(
            &rules(),
            br#"{"kind":"k","id":"x","n":"?"}"#,
            now,
            false,
            later,
        )
        .err()
        .unwrap();
        assert_eq!(bad_field.field.as_deref(), Some("n"));
        let not_json = decide(&rules(), b"{\"kind\": \"k\", oops}", now, false, later)
            .err()
            .unwrap();
        assert_eq!(
            (not_json.code, not_json.field),
            ("guifan::data::invalid", None)
        );
    }

    #[test]
    fn an_explanation_is_the_subjects_explanation_as_json() {
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let explained = explain(&rules(), br#"{"kind":"k","id":"x","n":2}"#, now)
            .ok()
            .unwrap();
        let explained: serde_json::Value = serde_json::from_slice(&explained).unwrap();
        assert_eq!(
            (&explained["subject"], &explained["kind"]),
            (&"x".into(), &"k".into())
        );
        assert!(explain(&rules(), b"  ", now).is_err());
    }

    #[test]
    fn work_stops_at_the_deadline_between_records() {
        let body = "{\"kind\":\"k\",\"id\":\"x\",\"n\":2}\n".repeat(1000);
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let past = std::time::Instant::now();
        let stopped = decide(&rules(), body.as_bytes(), now, false, past)
            .err()
            .unwrap();
        assert_eq!(stopped.code, "guifan::serve::timeout");
        assert_eq!(stopped.line, Some(1));
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let answered = decide(&rules(), body.as_bytes(), now, false, later)
            .ok()
            .unwrap();
        assert_eq!(answered.records, 1000);
    }

    #[test]
    fn a_body_whose_first_line_is_not_json_is_one_document() {
        let now = "2024-01-01T00:00:00Z".parse().unwrap();
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let pretty = "{\n  \"kind\": \"k\",\n  \"id\": \"x\",\n  \"n\": 2\n}\n";
        let one = decide(&rules(), pretty.as_bytes(), now, false, later)
            .ok()
            .unwrap();
        assert!(!one.batch);
        assert_eq!(one.decisions, 1);
        let broken = "{\n  kind: \"k\",\n  \"id\": \"x\"\n}\n";
        let err = decide(&rules(), broken.as_bytes(), now, false, later)
            .err()
            .unwrap();
        assert_eq!(err.code, "guifan::data::invalid");
        let lines =
            "{\"kind\":\"k\",\"id\":\"x\",\"n\":2}\n{\"kind\":\"k\",\"id\":\"y\",\"n\":0}\n";
        let batch = decide(&rules(), lines.as_bytes(), now, false, later)
            .ok()
            .unwrap();
        assert!(batch.batch);
        assert_eq!(batch.records, 2);
    }
}

//! `guifan diff`: what a rule change does to real data. Both rule sets decide
//! every record (in parallel, streaming, through the same pipeline as `run`),
//! and the subjects whose decisions differ are counted by rule and by kind of
//! change, with a few example subjects each.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use guifan_eval::{decode_subject, Decision, Outcome};
use serde::Serialize;

use crate::run::{judge_batches, Batch};
use guifan::data::RecordText;
use guifan::RuleSet;

/// How one rule's decisions about one subject changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// It fires with the new rules, not with the old
    NewlyFired,
    /// It fired with the old rules, not with the new
    NoLongerFired,
    /// It fires with both, with other effects, arguments, version or message:
    /// each part that differs, before and after
    Changed(Vec<PartDiff>),
}

/// One part of a rule's decisions that differs, as text before and after.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PartDiff {
    part: &'static str,
    before: String,
    after: String,
}

/// The subjects on which one part of a rule's decisions changed, with the
/// first one's before and after.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PartChanges {
    /// How many subjects
    pub count: usize,
    /// The first of them, in input order
    pub subjects: Vec<String>,
    /// The part as the old rules decided it, for the first subject
    pub before: String,
    /// The part as the new rules decide it, for the first subject
    pub after: String,
}

/// A count, and the first few subjects counted.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Examples {
    /// How many subjects
    pub count: usize,
    /// The first of them, in input order
    pub subjects: Vec<String>,
}

impl Examples {
    fn add(&mut self, subject: &str, keep: usize) {
        self.count += 1;
        if self.subjects.len() < keep {
            self.subjects.push(subject.to_string());
        }
    }
}

/// The changes of one rule.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RuleChanges {
    /// The rule's full ID
    pub rule: String,
    /// Subjects it now fires on and did not before
    pub newly_fired: Examples,
    /// Subjects it fired on and no longer does
    pub no_longer_fired: Examples,
    /// Subjects it fires on in both, with other effects, arguments, version or message
    pub changed: Examples,
    /// Which part changed, by part: `decisions` (how many times a rule over
    /// items fired), `version`, `effects` (which ones), `arguments`, `message`
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub changed_parts: BTreeMap<&'static str, PartChanges>,
}

/// What a rule change does to a data set.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DiffReport {
    /// Records read
    pub records: usize,
    /// Records both rule sets decoded and decided
    pub compared: usize,
    /// Records only one rule set (or neither) could decode
    pub record_errors: usize,
    /// The first of those records ([`MAX_RECORD_PROBLEMS`]), with their lines and why
    pub record_problems: Vec<RecordProblem>,
    /// Subjects whose decisions differ
    pub changed_subjects: Examples,
    /// The rules whose decisions differ, by rule ID
    pub rules: Vec<RuleChanges>,
    /// Changed subjects whose ID more than one record of the data carries
    /// (each such record is compared and counted on its own)
    pub repeated_subjects: Examples,
}

/// How many records that do not decode a diff keeps, with their reasons (the rest are counted).
pub const MAX_RECORD_PROBLEMS: usize = 100;

/// A record that one rule set or both could not decode.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct RecordProblem {
    /// Its line in the data
    pub line: usize,
    /// Which rule set refused it: `base`, `new` or `both`
    pub refused_by: &'static str,
    /// Why (the first refusal's message, with its field path)
    pub error: String,
}

/// One record's comparison.
struct Compared {
    subject: String,
    changes: Vec<(String, Change)>,
}

/// What a chunk of records came to.
#[derive(Default)]
struct Chunk {
    compared: usize,
    record_errors: usize,
    problems: Vec<RecordProblem>,
    changed: Vec<Compared>,
}

/// The decisions of one outcome, by rule (a rule over items may fire more than once).
fn by_rule(outcome: &Outcome) -> BTreeMap<&str, Vec<&Decision>> {
    let mut out: BTreeMap<&str, Vec<&Decision>> = BTreeMap::new();
    for d in &outcome.decisions {
        out.entry(&d.rule).or_default().push(d);
    }
    out
}

/// How each rule's decisions differ between two outcomes.
fn compare(old: &Outcome, new: &Outcome) -> Vec<(String, Change)> {
    let (old, new) = (by_rule(old), by_rule(new));
    let mut changes = Vec::new();
    for (rule, before) in &old {
        match new.get(rule) {
            None => changes.push((rule.to_string(), Change::NoLongerFired)),
            Some(after) if after != before => {
                changes.push((rule.to_string(), Change::Changed(parts(before, after))));
            }
            Some(_) => {}
        }
    }
    for rule in new.keys().filter(|r| !old.contains_key(*r)) {
        changes.push((rule.to_string(), Change::NewlyFired));
    }
    changes.sort();
    changes
}

/// The parts in which a rule's decisions differ: how many, or, decision by
/// decision, the version, the effects fired, their arguments, the message.
fn parts(before: &[&Decision], after: &[&Decision]) -> Vec<PartDiff> {
    if before.len() != after.len() {
        return vec![PartDiff {
            part: "decisions",
            before: before.len().to_string(),
            after: after.len().to_string(),
        }];
    }
    let mut out: Vec<PartDiff> = Vec::new();
    let mut note = |part: &'static str, b: String, a: String| {
        if b != a && !out.iter().any(|d| d.part == part) {
            out.push(PartDiff {
                part,
                before: b,
                after: a,
            });
        }
    };
    let effects = |d: &Decision| {
        d.effects
            .iter()
            .map(|e| e.kind.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let arguments = |d: &Decision| {
        d.effects
            .iter()
            .map(|e| {
                let args: Vec<String> = e.args.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                format!("{}({})", e.kind, args.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = |m: &Option<std::sync::Arc<str>>| m.as_deref().unwrap_or("(none)").to_string();
    for (b, a) in before.iter().zip(after) {
        note("version", text(&b.version), text(&a.version));
        note("effects", effects(b), effects(a));
        if effects(b) == effects(a) {
            note("arguments", arguments(b), arguments(a));
        }
        note("message", text(&b.message), text(&a.message));
    }
    out
}

fn compare_chunk(
    base: &RuleSet,
    rules: &RuleSet,
    chunk: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
) -> Chunk {
    let mut out = Chunk::default();
    for record in chunk {
        let decide = |set: &RuleSet| -> Result<(String, Outcome), String> {
            let program = set.program();
            let subject = decode_subject(program.schema(), &record.json).map_err(|e| {
                if e.path.is_empty() {
                    e.message.clone()
                } else {
                    format!("at `{}`: {}", e.path, e.message)
                }
            })?;
            let outcome = match set.ranks() {
                Some(ranks) => guifan_eval::evaluate_with_ranks(program, &subject, now, ranks),
                None => guifan_eval::evaluate(program, &subject, now),
            };
            Ok((subject.id.to_string(), outcome))
        };
        let refused = match (decide(base), decide(rules)) {
            (Ok((subject, old)), Ok((_, new))) => {
                out.compared += 1;
                let changes = compare(&old, &new);
                if !changes.is_empty() {
                    out.changed.push(Compared { subject, changes });
                }
                None
            }
            (Err(e), Ok(_)) => Some(("base", e)),
            (Ok(_), Err(e)) => Some(("new", e)),
            (Err(e), Err(_)) => Some(("both", e)),
        };
        if let Some((refused_by, error)) = refused {
            out.record_errors += 1;
            if out.problems.len() < MAX_RECORD_PROBLEMS {
                out.problems.push(RecordProblem {
                    line: record.line,
                    refused_by,
                    error,
                });
            }
        }
    }
    out
}

/// Decides every record of `batches` with both rule sets and reports the
/// differences, keeping `examples` example subjects per count (and every
/// changed subject when `all_subjects`).
pub fn diff_batches<'r, 'a: 'r>(
    base: &RuleSet,
    rules: &RuleSet,
    batches: impl Iterator<Item = std::io::Result<Batch<'r, 'a>>>,
    now: DateTime<FixedOffset>,
    examples: usize,
    all_subjects: bool,
) -> std::io::Result<DiffReport> {
    let mut report = DiffReport::default();
    let mut by_rule: BTreeMap<String, RuleChanges> = BTreeMap::new();
    let keep_subjects = if all_subjects { usize::MAX } else { examples };
    // The changed subjects' IDs, to tell when one is listed twice.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    report.records = judge_batches(
        batches,
        |chunk| compare_chunk(base, rules, chunk, now),
        |_| 0,
        |chunk: Chunk| {
            {
                report.compared += chunk.compared;
                report.record_errors += chunk.record_errors;
                let room = MAX_RECORD_PROBLEMS.saturating_sub(report.record_problems.len());
                report
                    .record_problems
                    .extend(chunk.problems.into_iter().take(room));
                for c in chunk.changed {
                    if !seen.insert(c.subject.clone()) {
                        report.repeated_subjects.add(&c.subject, examples);
                    }
                    report.changed_subjects.add(&c.subject, keep_subjects);
                    for (rule, change) in c.changes {
                        let entry = by_rule.entry(rule.clone()).or_insert_with(|| RuleChanges {
                            rule,
                            ..RuleChanges::default()
                        });
                        let slot = match &change {
                            Change::NewlyFired => &mut entry.newly_fired,
                            Change::NoLongerFired => &mut entry.no_longer_fired,
                            Change::Changed(_) => &mut entry.changed,
                        };
                        slot.add(&c.subject, examples);
                        if let Change::Changed(diffs) = change {
                            for d in diffs {
                                let part = entry.changed_parts.entry(d.part).or_default();
                                if part.count == 0 {
                                    part.before = d.before;
                                    part.after = d.after;
                                }
                                part.count += 1;
                                if part.subjects.len() < examples {
                                    part.subjects.push(c.subject.clone());
                                }
                            }
                        }
                    }
                }
            }
            true
        },
    )?;
    report.rules = by_rule.into_values().collect();
    Ok(report)
}

/// The report for people: totals, then one line per rule with its counts and examples.
pub fn human(report: &DiffReport) -> String {
    let mut out = format!(
        "{} records, {} compared, {} subject{} change",
        report.records,
        report.compared,
        report.changed_subjects.count,
        if report.changed_subjects.count == 1 {
            ""
        } else {
            "s"
        }
    );
    if report.compared > 0 {
        out.push_str(&format!(
            " ({:.2}%)",
            report.changed_subjects.count as f64 * 100.0 / report.compared as f64
        ));
    }
    if report.record_errors > 0 {
        out.push_str(&format!(
            "; {} records not decoded by both rule sets",
            report.record_errors
        ));
    }
    out.push('\n');
    if report.repeated_subjects.count > 0 {
        out.push_str(&format!(
            "note: {} changed records share their subject's ID with an earlier one (each is counted): e.g. {}\n",
            report.repeated_subjects.count,
            guifan::clip::one_line(&report.repeated_subjects.subjects.join(", "))
        ));
    }
    for r in &report.rules {
        out.push_str(&format!("\n{}\n", r.rule));
        for (what, ex) in [
            ("newly fired", &r.newly_fired),
            ("no longer fired", &r.no_longer_fired),
            ("changed", &r.changed),
        ] {
            if ex.count > 0 {
                out.push_str(&format!(
                    "  {what:<16} {:>8}   e.g. {}\n",
                    ex.count,
                    guifan::clip::one_line(&ex.subjects.join(", "))
                ));
            }
        }
        for (part, p) in &r.changed_parts {
            let first = p.subjects.first().map(String::as_str).unwrap_or("");
            out.push_str(&format!(
                "    {part:<14} {:>8}   e.g. {}: {} → {}\n",
                p.count,
                guifan::clip::one_line(first),
                guifan::clip::one_line(&p.before),
                guifan::clip::one_line(&p.after)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use guifan_eval::{Decision, Effect, Value};

    use super::parts;

    fn decision(
        version: Option<&str>,
        effects: &[(&str, &[(&str, i64)])],
        message: &str,
    ) -> Decision {
        Decision {
            rule: Arc::from("a.b.r"),
            version: version.map(Arc::from),
            effects: effects
                .iter()
                .map(|(kind, args)| Effect {
                    kind: Arc::from(*kind),
                    args: args
                        .iter()
                        .map(|(n, v)| (Arc::from(*n), Value::Int(*v)))
                        .collect(),
                })
                .collect(),
            message: Some(Arc::from(message)),
        }
    }

    fn changed(before: &[Decision], after: &[Decision]) -> Vec<(&'static str, String, String)> {
        let b: Vec<&Decision> = before.iter().collect();
        let a: Vec<&Decision> = after.iter().collect();
        parts(&b, &a)
            .into_iter()
            .map(|d| (d.part, d.before, d.after))
            .collect()
    }

    #[test]
    fn each_part_that_differs_is_named_with_before_and_after() {
        let base = decision(Some("v1"), &[("fine", &[("amount", 5)])], "m");
        assert!(changed(std::slice::from_ref(&base), std::slice::from_ref(&base)).is_empty());
        let args = decision(Some("v1"), &[("fine", &[("amount", 7)])], "m");
        assert_eq!(
            changed(std::slice::from_ref(&base), &[args]),
            [(
                "arguments",
                "fine(amount: 5)".into(),
                "fine(amount: 7)".into()
            )]
        );
        // Other effects: the effects changed, their arguments are not compared.
        let effects = decision(Some("v1"), &[("ban", &[("amount", 7)])], "m");
        assert_eq!(
            changed(std::slice::from_ref(&base), &[effects]),
            [("effects", "fine".into(), "ban".into())]
        );
        let both = decision(Some("v2"), &[("fine", &[("amount", 5)])], "n");
        assert_eq!(
            changed(std::slice::from_ref(&base), &[both]),
            [
                ("version", "v1".into(), "v2".into()),
                ("message", "m".into(), "n".into())
            ]
        );
        assert_eq!(
            changed(std::slice::from_ref(&base), &[base.clone(), base.clone()]),
            [("decisions", "1".into(), "2".into())]
        );
    }
}

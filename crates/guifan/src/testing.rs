//! Policy tests: `*.test.toml` files beside the policies (`guifan test`), and
//! the catalogue's example files (`at`, `records`, `expect`, `args`).
//!
//! A test file:
//!
//! ```toml
//! policy = "douyin.zero_deposit_trial"   # rule names below are relative to it
//! at = "2023-04-20T12:00:00+08:00"      # evaluation time, unless a case gives its own
//!
//! [base]                                 # the record every case starts from
//! kind = "merchant"
//! id = "m-1"
//! listings_online = 40
//!
//! [[case]]
//! name = "101 listings exceed a personal store's cap"
//! record = { listings_online = 101 }     # merged over `base` (tables merge, values replace)
//! expect = { listing_cap = 1 }           # required: decisions per rule; 0 means must not fire
//! exact = false                          # true: the policy's rules not named must not fire
//! without = ["trial"]                    # fields (dotted paths) removed from the record
//! message = { listing_cap = "101 件" }   # the message must contain this text
//! args = [{ rule = "listing_cap", effect = "restrict", arg = "target", equals = "listing" }]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use guifan_eval::{decode_subject, evaluate, parse_duration, Outcome, Value};
use rust_decimal::Decimal;
use serde::Deserialize;
use toml_edit::{Item, Table};

use crate::RuleSet;

pub mod coverage;
pub mod file;

/// One failed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The case or subject
    pub case: String,
    /// The line of the test file it points at (the case's, or the first
    /// problem's); 0 where there is none (examples)
    pub line: usize,
    /// What did not hold: every problem of the case, one per line
    pub message: String,
}

/// The result of a test file or example.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases that passed
    pub passed: usize,
    /// What failed
    pub failures: Vec<Failure>,
    /// Each case run, in file order, with its failure if it failed
    pub cases: Vec<CaseOutcome>,
    /// Cases left out by a filter
    pub skipped: usize,
}

/// One case of a test file, run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    /// Its name
    pub name: String,
    /// Its line in the test file
    pub line: usize,
    /// Why it failed, when it did
    pub failure: Option<String>,
}

/// An expectation on one effect argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgExpect {
    /// The subject (examples only)
    #[serde(default)]
    pub subject: Option<String>,
    /// The rule (full ID, or relative to the test file's policy)
    pub rule: String,
    /// The effect kind
    pub effect: String,
    /// The argument
    pub arg: String,
    /// Its expected value, compared as a value (`"500 CNY"` equals `"500.00 CNY"`)
    pub equals: serde_json::Value,
}

/// Whether a value equals its expected text: money, durations, numbers and times by value.
pub fn value_matches(actual: &Value, expected: &serde_json::Value) -> bool {
    let text = match expected {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match actual {
        Value::Money(m) => {
            let mut parts = text.split_whitespace();
            let amount = parts.next().and_then(|a| a.parse::<Decimal>().ok());
            let currency = parts.next();
            amount == Some(m.amount) && currency == Some(m.currency.as_str())
        }
        Value::Duration(d) => parse_duration(&text) == Some(*d),
        Value::Int(i) => text.parse::<Decimal>().ok() == Some(Decimal::from(*i)),
        Value::Decimal(d) => text.parse::<Decimal>().ok() == Some(*d),
        Value::Timestamp(t) => crate::parse_time(&text).ok() == Some(*t),
        Value::Bool(b) => text == b.to_string(),
        Value::List(_) => {
            serde_json::to_value(guifan_eval::JsonValue(actual))
                .ok()
                .as_ref()
                == Some(expected)
        }
        other => other.to_string() == text,
    }
}

fn count_by_rule(outcome: &Outcome) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in &outcome.decisions {
        *counts.entry(d.rule.to_string()).or_insert(0) += 1;
    }
    counts
}

/// Checks one outcome against expected decision counts, messages and arguments.
///
/// Rule names are full IDs. With `exact = Some(prefix)`, rules whose IDs start
/// with `prefix` and are not in `expect` must not fire (the prefix scopes
/// `exact` to the policy under test; `""` means every rule).
fn expectations(
    outcome: &Outcome,
    expect: &BTreeMap<String, usize>,
    exact: Option<&str>,
    messages: &BTreeMap<String, String>,
    args: &[ArgExpect],
) -> Vec<String> {
    let mut problems = Vec::new();
    for e in &outcome.errors {
        problems.push(format!("rule `{}` failed: {}", e.rule, e.error.kind));
    }
    let counts = count_by_rule(outcome);
    for (id, want) in expect {
        let got = counts.get(id).copied().unwrap_or(0);
        if got != *want {
            problems.push(format!("`{id}`: expected {want} decision(s), got {got}"));
        }
    }
    if let Some(scope) = exact {
        for (id, got) in counts.iter().filter(|(id, _)| id.starts_with(scope)) {
            if !expect.contains_key(id) {
                problems.push(format!("`{id}`: expected no decision, got {got}"));
            }
        }
    }
    for (id, text) in messages {
        let found = outcome
            .decisions
            .iter()
            .filter(|d| *d.rule == **id)
            .filter_map(|d| d.message.as_deref())
            .any(|m| m.contains(text.as_str()));
        if !found {
            let got: Vec<&str> = outcome
                .decisions
                .iter()
                .filter(|d| *d.rule == **id)
                .filter_map(|d| d.message.as_deref())
                .collect();
            problems.push(format!(
                "`{id}`: no message containing {text:?} (messages: {got:?})"
            ));
        }
    }
    for a in args {
        let id = &a.rule;
        let values: Vec<&Value> = outcome
            .decisions
            .iter()
            .filter(|d| *d.rule == *id)
            .flat_map(|d| d.effects.iter())
            .filter(|e| *e.kind == *a.effect)
            .filter_map(|e| e.arg(&a.arg))
            .collect();
        if !values.iter().any(|v| value_matches(v, &a.equals)) {
            let got: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            problems.push(format!(
                "`{id}` {}.{}: expected {}, got {got:?}",
                a.effect, a.arg, a.equals
            ));
        }
    }
    if !problems.is_empty() {
        let fired: Vec<String> = counts.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
        problems.push(format!("fired: [{}]", fired.join(", ")));
    }
    problems
}

/// A catalogue example: records, the evaluation time, and what must come out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Evaluation time
    pub at: String,
    /// Input records
    pub records: Vec<Box<serde_json::value::RawValue>>,
    /// Per subject: decisions per rule ID (all others must not fire)
    pub expect: BTreeMap<String, BTreeMap<String, usize>>,
    /// Argument checks
    #[serde(default)]
    pub args: Vec<ArgExpect>,
}

impl Example {
    /// Parses an example file's text.
    pub fn parse(text: &str) -> Result<Example, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The rule IDs the example expects, for telling whether its policies are loaded.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.expect
            .values()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// Runs the example: every subject's decisions must match `expect` exactly.
    pub fn run(&self, rules: &RuleSet) -> Report {
        let mut report = Report::default();
        let now = match crate::parse_time(&self.at) {
            Ok(t) => t,
            Err(e) => {
                report.failures.push(Failure {
                    case: "at".into(),
                    line: 0,
                    message: e.to_string(),
                });
                return report;
            }
        };
        let mut seen = Vec::new();
        let mut subjects = Vec::with_capacity(self.records.len());
        for raw in &self.records {
            match decode_subject(rules.program().schema(), raw.get().as_bytes()) {
                Ok(s) => subjects.push(s),
                Err(e) => report.failures.push(Failure {
                    case: raw.get().chars().take(60).collect(),
                    line: 0,
                    message: format!("record does not decode: {e}"),
                }),
            }
        }
        // The example's records are one input: ranking policies rank them together.
        let program = rules.program();
        let ranks = ranks_of(rules, &subjects, now);
        for subject in &subjects {
            let id = subject.id.to_string();
            seen.push(id.clone());
            let outcome = match &ranks {
                Some(r) => guifan_eval::evaluate_with_ranks(program, subject, now, r),
                None => evaluate(program, subject, now),
            };
            let empty = BTreeMap::new();
            let expect = self.expect.get(&id).unwrap_or(&empty);
            let args: Vec<ArgExpect> = self
                .args
                .iter()
                .filter(|a| a.subject.as_deref() == Some(&id))
                .cloned()
                .collect();
            let problems = expectations(&outcome, expect, Some(""), &BTreeMap::new(), &args);
            if problems.is_empty() {
                report.passed += 1;
            } else {
                report.failures.push(Failure {
                    case: id,
                    line: 0,
                    message: problems.join("; "),
                });
            }
        }
        for id in self.expect.keys().filter(|id| !seen.contains(id)) {
            report.failures.push(Failure {
                case: id.clone(),
                line: 0,
                message: "expected subject is not among the records".into(),
            });
        }
        report
    }
}

/// Finds every `*.test.toml` under a directory, sorted ([`crate::files_under`]:
/// each directory once, however symbolic links loop), or the first path that
/// cannot be read: a test run never passes by missing a directory.
pub fn test_files(dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    crate::files_under(dir, |path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".test.toml"))
    })
}

/// Runs a test file's cases against a rule set. The file is checked first
/// ([`file::read`]): each problem is a failure with its line, and only the
/// cases without problems run.
pub fn run_test_file(rules: &RuleSet, text: &str) -> Report {
    run_test_file_filtered(rules, text, None)
}

/// [`run_test_file`], running only the cases whose name contains `filter`
/// (the others are counted as skipped).
pub fn run_test_file_filtered(rules: &RuleSet, text: &str, filter: Option<&str>) -> Report {
    run_test_file_with(rules, text, filter, None)
}

/// [`run_test_file_filtered`], every evaluation watched by `coverage` when given.
pub fn run_test_file_with(
    rules: &RuleSet,
    text: &str,
    filter: Option<&str>,
    coverage: Option<&std::cell::RefCell<coverage::Coverage>>,
) -> Report {
    let spec = file::read(rules.program(), text);
    let mut report = Report::default();
    // One failure per case (or for the file itself), with all its problems.
    for p in &spec.problems {
        let case = p.case.clone().unwrap_or_else(|| "the file".into());
        let problem = format!("line {}: {}", p.line, p.message);
        match report.failures.iter_mut().find(|f| f.case == case) {
            Some(f) => {
                f.message.push_str("\n    ");
                f.message.push_str(&problem);
            }
            None => report.failures.push(Failure {
                case,
                line: p.line,
                message: problem,
            }),
        }
    }
    let scope = spec.policy.as_ref().map(|p| format!("{p}."));
    // The file's parameters, then each case's over them.
    let file_rules = match with_params(rules, spec.params.as_ref()) {
        Ok(r) => r,
        Err((line, message)) => {
            report.failures.push(Failure {
                case: "the file".into(),
                line,
                message,
            });
            return report;
        }
    };
    for case in &spec.cases {
        if filter.is_some_and(|f| !case.name.contains(f)) {
            report.skipped += 1;
            continue;
        }
        let failures_before = report.failures.len();
        match with_params(&file_rules, case.params.as_ref()) {
            Ok(case_rules) => run_case(
                &case_rules,
                text,
                &spec,
                case,
                scope.as_deref(),
                &mut report,
                coverage,
            ),
            Err((_, message)) => report.failures.push(Failure {
                case: case.name.clone(),
                line: case.line,
                message,
            }),
        }
        report.cases.push(CaseOutcome {
            name: case.name.clone(),
            line: case.line,
            failure: report
                .failures
                .get(failures_before)
                .map(|f| f.message.clone()),
        });
    }
    report
}

/// `rules` with a test file's or case's parameters, or every problem, each
/// as `line N: message`, as one failure (with the first problem's line).
fn with_params(
    rules: &RuleSet,
    params: Option<&crate::Params>,
) -> Result<RuleSet, (usize, String)> {
    let Some(params) = params else {
        return Ok(rules.clone());
    };
    rules.with_params(params).map_err(|e| {
        let lines: Vec<String> = e
            .problems()
            .iter()
            .map(|p| format!("line {}: {}", p.position().0, p.message()))
            .collect();
        let first = e.problems().first().map_or(0, |p| p.position().0);
        (first, lines.join("\n    "))
    })
}

/// Runs one case, adding its pass or its failure to `report`.
/// A case's records: one, or several decided together, each the file's base
/// record with the case's fields merged over it and its `without` removed.
fn case_tables(spec: &file::TestSpec, case: &file::CaseSpec) -> Vec<Table> {
    let mut tables: Vec<Table> = match &case.records {
        Some(records) => records
            .iter()
            .map(|r| {
                let mut t = spec.base.clone();
                merge(&mut t, r);
                t
            })
            .collect(),
        None => {
            let mut t = spec.base.clone();
            if let Some(over) = &case.record {
                merge(&mut t, over);
            }
            vec![t]
        }
    };
    for record in &mut tables {
        for path in &case.without {
            remove(record, path);
        }
    }
    tables
}

/// One case of a test file as input, for tools that run it their own way
/// (the language server explains a rule on each case).
#[derive(Debug, Clone)]
pub struct CaseInput {
    /// Its name
    pub name: String,
    /// Its line in the test file
    pub line: usize,
    /// Its evaluation time, as written (the case's, else the file's)
    pub at: String,
    /// Its records as JSON, or why one cannot be made
    pub records: Result<Vec<String>, String>,
}

/// The cases of a test file that have no problem, as inputs.
pub fn case_inputs(rules: &RuleSet, text: &str) -> Vec<CaseInput> {
    let spec = file::read(rules.program(), text);
    spec.cases
        .iter()
        .map(|case| CaseInput {
            name: case.name.clone(),
            line: case.line,
            at: case.at.clone(),
            records: case_tables(&spec, case)
                .iter()
                .map(|t| crate::table_to_json(t, text))
                .collect(),
        })
        .collect()
}

fn run_case(
    rules: &RuleSet,
    text: &str,
    spec: &file::TestSpec,
    case: &file::CaseSpec,
    scope: Option<&str>,
    report: &mut Report,
    coverage: Option<&std::cell::RefCell<coverage::Coverage>>,
) {
    let fail = |message: String| Failure {
        case: case.name.clone(),
        line: case.line,
        message: format!("line {}: {message}", case.line),
    };
    let now: DateTime<FixedOffset> = match crate::parse_time(&case.at) {
        Ok(t) => t,
        Err(e) => {
            report.failures.push(fail(format!("invalid `at`: {e}")));
            return;
        }
    };
    let mut subjects = Vec::new();
    let mut broken = None;
    for record in case_tables(spec, case) {
        let decoded = crate::table_to_json(&record, text).and_then(|json| {
            decode_subject(rules.program().schema(), json.as_bytes())
                .map_err(|e| format!("record does not decode: {e}"))
        });
        match decoded {
            Ok(s) => subjects.push(s),
            Err(e) => {
                broken = Some(e);
                break;
            }
        }
    }
    if let Some(e) = broken {
        report.failures.push(fail(e));
        return;
    }
    let program = rules.program();
    // A ranking policy ranks the case's records against each other.
    let ranks = ranks_of(rules, &subjects, now);
    let decide = |s: &guifan_eval::Subject| match (coverage, &ranks) {
        (Some(c), r) => guifan_eval::evaluate_traced(program, s, now, r.as_ref(), c),
        (None, Some(r)) => guifan_eval::evaluate_with_ranks(program, s, now, r),
        (None, None) => evaluate(program, s, now),
    };
    let exact = case.exact.then_some(scope.unwrap_or(""));
    let mut problems = Vec::new();
    if case.records.is_some() {
        for s in &subjects {
            let outcome = decide(s);
            let empty = BTreeMap::new();
            let expect = case.expect_by_subject.get(&*s.id).unwrap_or(&empty);
            let args: Vec<ArgExpect> = case
                .args
                .iter()
                .filter(|a| a.subject.as_deref() == Some(&*s.id))
                .cloned()
                .collect();
            for p in expectations(&outcome, expect, exact, &BTreeMap::new(), &args) {
                problems.push(format!("`{}`: {p}", s.id));
            }
        }
        for id in case.expect_by_subject.keys() {
            if !subjects.iter().any(|s| *s.id == **id) {
                problems.push(format!("no record has the ID `{id}`"));
            }
        }
    } else if let Some(s) = subjects.first() {
        let outcome = decide(s);
        problems = expectations(&outcome, &case.expect, exact, &case.message, &case.args);
    }
    if problems.is_empty() {
        report.passed += 1;
    } else {
        report.failures.push(fail(problems.join("\n    ")));
    }
}

/// The places of subjects decided together, when some policy ranks them.
fn ranks_of(
    rules: &RuleSet,
    subjects: &[guifan_eval::Subject],
    now: DateTime<FixedOffset>,
) -> Option<guifan_eval::rank::Ranks> {
    rules.needs_ranks().then(|| {
        let keys = subjects
            .iter()
            .flat_map(|s| guifan_eval::rank::rank_keys(rules.program(), s, now).0)
            .collect();
        guifan_eval::rank::Ranks::from_keys(keys)
    })
}

/// Removes a dotted path (`trial`, `deposit.balance`) from a table.
fn remove(table: &mut Table, path: &str) {
    match path.split_once('.') {
        None => {
            table.remove(path);
        }
        Some((head, rest)) => {
            if let Some(item) = table.get_mut(head) {
                if let Some(inline) = item.as_inline_table().cloned() {
                    *item = Item::Table(inline.into_table());
                }
                if let Some(t) = item.as_table_mut() {
                    remove(t, rest);
                }
            }
        }
    }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut Table, over: &dyn toml_edit::TableLike) {
    for (key, item) in over.iter() {
        let nested = item.as_table_like();
        match (base.get_mut(key), nested) {
            (Some(existing), Some(over_table)) if existing.is_table_like() => {
                if let Some(inline) = existing.as_inline_table().cloned() {
                    *existing = Item::Table(inline.into_table());
                }
                if let Some(t) = existing.as_table_mut() {
                    merge(t, over_table);
                }
            }
            _ => {
                base.insert(key, item.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_by_value() {
        let money = Value::Money(guifan_eval::Money {
            amount: "500.00".parse().unwrap(),
            currency: guifan_eval::Currency::parse("CNY").unwrap(),
        });
        assert!(value_matches(&money, &serde_json::json!("500 CNY")));
        assert!(!value_matches(&money, &serde_json::json!("500 USD")));
        assert!(!value_matches(&money, &serde_json::json!("500.01 CNY")));
        let d = Value::Duration(guifan_eval::Duration(72 * 3600));
        assert!(value_matches(&d, &serde_json::json!("3d")));
        assert!(value_matches(&d, &serde_json::json!("72h")));
    }
}

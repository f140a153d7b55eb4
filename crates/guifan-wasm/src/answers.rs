//! The playground's operations over a [`Workspace`], each answering a
//! serialisable value that always carries its problems: nothing here panics
//! or throws, whatever the page sends.

use guifan::analysis::Analysis;
use guifan::data::RecordText;
use guifan::explain::human;
use guifan::serde_json::{self, Value};
use guifan::{DateTime, FixedOffset, RuleSet};
use serde::Serialize;

use crate::places::Lines;
use crate::problems::{Problem, RECORDS_FILE};
use crate::workspace::Workspace;

/// Every problem of the workspace: of the rule files (syntax, checks and
/// lints, with fixes), of the parameters and of the evaluation time.
#[derive(Debug, Serialize)]
pub struct Checked {
    /// The problems, rule files first, in file order
    pub problems: Vec<Problem>,
    /// The policies the rule files declare, by ID
    pub policies: Vec<String>,
}

/// Checks the workspace as an editor would, unsaved texts and all.
pub fn check(ws: &Workspace) -> Checked {
    let analysis = Analysis::new(ws.texts());
    let text = |path: &str| {
        ws.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.text.as_str())
    };
    let mut problems: Vec<Problem> = analysis
        .all_problems()
        .iter()
        .map(|f| Problem::of_finding(f, text))
        .collect();
    let mut policies = Vec::new();
    if let Some(rules) = analysis.rules() {
        policies = rules.policies().map(str::to_string).collect();
        if !ws.params.trim().is_empty() {
            if let Err(params) = ws.rules() {
                problems.extend(params);
            }
        }
    }
    if let Err(at) = ws.now() {
        problems.extend(at);
    }
    Checked { problems, policies }
}

/// A rule file in its canonical layout.
#[derive(Debug, Serialize)]
pub struct Formatted {
    /// The formatted text; `None` when the file does not parse
    pub text: Option<String>,
    /// Why it could not be formatted
    pub problems: Vec<Problem>,
}

/// Formats one rule file.
pub fn format(path: &str, text: &str) -> Formatted {
    match guifan::format_source(path, text) {
        Ok(text) => Formatted {
            text: Some(text),
            problems: Vec::new(),
        },
        Err(e) => Formatted {
            text: None,
            problems: Problem::of_load_error(&e),
        },
    }
}

/// The decisions of a run, in the catalogue's decision format.
#[derive(Debug, Default, Serialize)]
pub struct Run {
    /// What kept the run from starting (rule files, parameters, time,
    /// records that cannot be split), or went wrong in a ranking
    pub problems: Vec<Problem>,
    /// Records read
    pub records: usize,
    /// Decisions made, over all records
    pub decisions: usize,
    /// Each record's decisions (`{subject, kind, decisions}`), in input order
    pub decided: Vec<Decided>,
    /// The records that could not be decided, each at its line
    pub errors: Vec<Problem>,
}

/// One record decided.
#[derive(Debug, Serialize)]
pub struct Decided {
    /// The record's line in the records text
    pub line: usize,
    /// Its decisions as `guifan run` writes them
    pub output: Value,
}

/// Decides every record at the workspace's time (ranked together when a policy ranks).
pub fn run(ws: &Workspace) -> Run {
    let (rules, now) = match prepare(ws) {
        Ok(ready) => ready,
        Err(problems) => {
            return Run {
                problems,
                ..Run::default()
            }
        }
    };
    let records = match split_records(ws) {
        Ok(records) => records,
        Err(problems) => {
            return Run {
                problems,
                ..Run::default()
            }
        }
    };
    let mut problems = Vec::new();
    let ranked = ranked(&rules, &records, now, &mut problems);
    let lines = Lines::new(&ws.records);
    let mut run = Run {
        problems,
        records: records.len(),
        ..Run::default()
    };
    for record in &records {
        match ranked.decide_json(&record.json, now) {
            Ok(decisions) => {
                run.decisions += decisions.decisions().len();
                run.decided.push(Decided {
                    line: record.line,
                    output: serde_json::to_value(&decisions).unwrap_or(Value::Null),
                });
            }
            Err(e) => run
                .errors
                .push(Problem::of_record(&e.at(record.line), &lines)),
        }
    }
    run
}

/// How one subject is decided.
#[derive(Debug, Default, Serialize)]
pub struct Explained {
    /// Why there is no explanation
    pub problems: Vec<Problem>,
    /// Every policy of the subject's kind, every rule, every comparison
    /// with its values and its distance to flipping (as `POST /v1/explain`)
    pub explanation: Option<Value>,
    /// The same for people, as `guifan explain` prints it
    pub text: Option<String>,
}

/// Explains the record with ID `subject` (the first of that ID), ranked
/// among all the records.
pub fn explain(ws: &Workspace, subject: &str) -> Explained {
    let (rules, now) = match prepare(ws) {
        Ok(ready) => ready,
        Err(problems) => {
            return Explained {
                problems,
                ..Explained::default()
            }
        }
    };
    let records = match split_records(ws) {
        Ok(records) => records,
        Err(problems) => {
            return Explained {
                problems,
                ..Explained::default()
            }
        }
    };
    let Some(record) = records
        .iter()
        .find(|r| guifan::record_id(&r.json).as_deref() == Some(subject))
    else {
        return Explained {
            problems: vec![Problem::general(
                "guifan::data::invalid",
                format!("no record has the ID `{subject}`"),
            )],
            ..Explained::default()
        };
    };
    let mut problems = Vec::new();
    let ranked = ranked(&rules, &records, now, &mut problems);
    match ranked.explain(&record.json, now) {
        Ok(e) => Explained {
            problems,
            text: Some(human(&e, false)),
            explanation: serde_json::to_value(&e).ok(),
        },
        Err(e) => {
            problems.push(Problem::of_record(
                &e.at(record.line),
                &Lines::new(&ws.records),
            ));
            Explained {
                problems,
                ..Explained::default()
            }
        }
    }
}

/// A test file run against the workspace's rules.
#[derive(Debug, Default, Serialize)]
pub struct Tested {
    /// Why it could not run (the rule files or parameters do not load)
    pub problems: Vec<Problem>,
    /// Cases that passed
    pub passed: usize,
    /// Cases that failed, or problems of the file, each at its line
    pub failures: Vec<TestFailure>,
    /// Every case run, in file order
    pub cases: Vec<TestCase>,
}

/// One failed case or problem of a test file.
#[derive(Debug, Serialize)]
pub struct TestFailure {
    /// The case
    pub case: String,
    /// Its line in the test file
    pub line: usize,
    /// Every problem of the case, one per line
    pub message: String,
}

/// One case run.
#[derive(Debug, Serialize)]
pub struct TestCase {
    /// Its name
    pub name: String,
    /// Its line
    pub line: usize,
    /// Why it failed, when it did
    pub failure: Option<String>,
}

/// Runs a `*.test.toml` text against the workspace's rule files and parameters.
pub fn test(ws: &Workspace, test_text: &str) -> Tested {
    let rules = match ws.rules() {
        Ok(rules) => rules,
        Err(problems) => {
            return Tested {
                problems,
                ..Tested::default()
            }
        }
    };
    let report = guifan::testing::run_test_file(&rules, test_text);
    Tested {
        problems: Vec::new(),
        passed: report.passed,
        failures: report
            .failures
            .into_iter()
            .map(|f| TestFailure {
                case: f.case,
                line: f.line,
                message: f.message,
            })
            .collect(),
        cases: report
            .cases
            .into_iter()
            .map(|c| TestCase {
                name: c.name,
                line: c.line,
                failure: c.failure,
            })
            .collect(),
    }
}

/// Records to try a policy on, made from its test file's cases.
#[derive(Debug, Default, Serialize)]
pub struct Examples {
    /// Why there are none
    pub problems: Vec<Problem>,
    /// The evaluation time most of the cases share
    pub at: Option<String>,
    /// One record per case and record, as JSON Lines; IDs that repeat are
    /// made unique with the case's number (`dy-t1#3`)
    pub records: String,
    /// How many records
    pub count: usize,
}

/// The records of a test file's cases (its `base` merged with each case's
/// changes), to decide as a population.
pub fn examples(ws: &Workspace, test_text: &str) -> Examples {
    let rules = match ws.rules() {
        Ok(rules) => rules,
        Err(problems) => {
            return Examples {
                problems,
                ..Examples::default()
            }
        }
    };
    let cases = guifan::testing::case_inputs(&rules, test_text);
    let at = common_at(&cases);
    let mut seen = std::collections::HashSet::new();
    let mut out = Examples {
        at,
        ..Examples::default()
    };
    for (number, case) in cases.iter().enumerate() {
        let Ok(records) = &case.records else { continue };
        for json in records {
            let Ok(Value::Object(mut record)) = serde_json::from_str::<Value>(json) else {
                continue;
            };
            if let Some(Value::String(id)) = record.get("id").cloned() {
                if !seen.insert(id.clone()) {
                    let unique = format!("{id}#{}", number + 1);
                    seen.insert(unique.clone());
                    record.insert("id".into(), Value::String(unique));
                }
            }
            if let Ok(line) = serde_json::to_string(&record) {
                out.records.push_str(&line);
                out.records.push('\n');
                out.count += 1;
            }
        }
    }
    out
}

/// The evaluation time most of the cases share (the file's own, unless
/// most cases give theirs).
fn common_at(cases: &[guifan::testing::CaseInput]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for case in cases {
        match counts.iter_mut().find(|(at, _)| *at == case.at) {
            Some((_, n)) => *n += 1,
            None => counts.push((&case.at, 1)),
        }
    }
    // The first of the most frequent, in file order.
    let most = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .iter()
        .find(|(_, n)| *n == most)
        .map(|(at, _)| at.to_string())
}

/// The rule set with its parameters and the evaluation time, or every
/// problem that keeps a run from starting.
fn prepare(ws: &Workspace) -> Result<(RuleSet, DateTime<FixedOffset>), Vec<Problem>> {
    let rules = ws.rules();
    let now = ws.now();
    match (rules, now) {
        (Ok(rules), Ok(now)) => Ok((rules, now)),
        (rules, now) => Err(rules
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain(now.err().unwrap_or_default())
            .collect()),
    }
}

/// The records of the workspace, each with its line.
fn split_records(ws: &Workspace) -> Result<Vec<RecordText<'_>>, Vec<Problem>> {
    guifan::data::records(ws.records.as_bytes(), ws.records_format()).map_err(|e| {
        let lines = Lines::new(&ws.records);
        let mut problem = Problem::general("guifan::data::invalid", e.message.clone());
        problem.path = Some(RECORDS_FILE.to_string());
        if let Some(start) = lines.line_start(e.line) {
            problem.from = Some(lines.place(start));
            problem.to = problem.from;
        }
        vec![problem]
    })
}

/// The rule set ranked over the records (itself when no policy ranks);
/// failures of the rankings become problems.
fn ranked(
    rules: &RuleSet,
    records: &[RecordText<'_>],
    now: DateTime<FixedOffset>,
    problems: &mut Vec<Problem>,
) -> RuleSet {
    rules.ranked_records(records, now, &mut |p| {
        let d = guifan::report::run_problem(&p, RECORDS_FILE);
        problems.push(Problem::general(d.code, d.message));
    })
}

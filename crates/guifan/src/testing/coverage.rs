//! Test coverage: which rules the test cases made fire, which versions they
//! put in force, and which comparisons they saw both hold and fail.

use std::collections::{BTreeMap, BTreeSet};

use guifan_eval::{CmpOp, RuleStatus, Tracer, Value};
use guifan_syntax::{SourceId, Span};
use serde::Serialize;

use crate::RuleSet;

/// What the cases of a test run exercised (a [`Tracer`] fed by every case).
#[derive(Debug, Default)]
pub struct Coverage {
    policy: String,
    fired: BTreeSet<String>,
    rule: String,
    version: Option<String>,
    versions: BTreeSet<(String, String)>,
    /// Per comparison (by policy and place): seen holding, seen failing
    comparisons: BTreeMap<Place, (bool, bool)>,
    /// Per ladder (by policy and place): the branches taken, and how many there are
    ladders: BTreeMap<Place, (BTreeSet<usize>, usize)>,
    /// Per named condition (by policy, label and place): seen holding, seen failing
    named: BTreeMap<(Place, String), (bool, bool)>,
}

/// A comparison's place: its policy, and its bytes in the policy's file.
type Place = (String, u32, u32);

impl Tracer for Coverage {
    fn policy_start(&mut self, policy: &str) {
        self.policy = policy.to_string();
    }

    fn rule(&mut self, rule: &str, status: RuleStatus<'_>) {
        self.rule = rule.to_string();
        self.version = match status {
            RuleStatus::Judged(v) => v.map(str::to_string),
            _ => None,
        };
        if let (RuleStatus::Judged(Some(v)), true) = (status, !rule.is_empty()) {
            self.versions.insert((rule.to_string(), v.to_string()));
        }
    }

    fn condition(&mut self, rule: &str, held: bool) {
        if held {
            self.fired.insert(rule.to_string());
        }
    }

    fn branch(&mut self, ladder: Span, taken: usize, of: usize) {
        let entry = self
            .ladders
            .entry((self.policy.clone(), ladder.start, ladder.end))
            .or_insert_with(|| (BTreeSet::new(), of));
        entry.0.insert(taken);
    }

    fn named(&mut self, label: &str, span: Span, held: bool) {
        let seen = self
            .named
            .entry((
                (self.policy.clone(), span.start, span.end),
                label.to_string(),
            ))
            .or_default();
        if held {
            seen.0 = true;
        } else {
            seen.1 = true;
        }
    }

    fn within(
        &mut self,
        span: Span,
        value: &Value,
        low: &Value,
        _high: &Value,
        low_op: CmpOp,
        _high_op: CmpOp,
        held: bool,
    ) {
        // An interval test counts as one comparison.
        self.compare(span, low_op, low, value, held);
    }

    fn compare(&mut self, span: Span, _op: CmpOp, _l: &Value, _r: &Value, held: bool) {
        let seen = self
            .comparisons
            .entry((self.policy.clone(), span.start, span.end))
            .or_default();
        if held {
            seen.0 = true;
        } else {
            seen.1 = true;
        }
    }
}

/// One policy's coverage.
#[derive(Debug, Serialize)]
pub struct PolicyCoverage {
    /// The policy's ID
    pub policy: String,
    /// Rules some case made fire, and all its rules
    pub rules_fired: (usize, usize),
    /// Versions some case put in force, and all its versions
    pub versions: (usize, usize),
    /// Comparisons seen both holding and failing, and all comparisons evaluated
    pub comparisons_both_ways: (usize, usize),
    /// Named conditions seen holding, and all named conditions evaluated
    pub named_conditions_held: (usize, usize),
    /// Ladder branches taken, and all branches of the ladders evaluated
    pub ladder_tiers: (usize, usize),
    /// What no case covers: `rule never fired: x (file:line)`, ...
    pub uncovered: Vec<String>,
}

/// The coverage of a test run, per policy and in all.
#[derive(Debug, Serialize)]
pub struct CoverageReport {
    /// Per policy, in load order
    pub policies: Vec<PolicyCoverage>,
    /// Rules and versions covered, in percent of all (what `--min-coverage` reads)
    pub percent: f64,
}

impl Coverage {
    /// The report: the policies of `rules` the test files name (all of them
    /// when `only` is `None`) against what the cases exercised.
    pub fn report(
        &self,
        rules: &RuleSet,
        only: Option<&std::collections::HashSet<String>>,
    ) -> CoverageReport {
        let place = |source: SourceId, span: Span| {
            let (line, _) = rules.sources().line_col(source, span.start as usize);
            let file = rules
                .sources()
                .path(source)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            format!("{file}:{line}")
        };
        let mut policies = Vec::new();
        let (mut covered, mut total) = (0usize, 0usize);
        for p in rules.program().policies() {
            if only.is_some_and(|o| !o.contains(&**p.id())) {
                continue;
            }
            let mut uncovered = Vec::new();
            let mut fired = 0;
            let mut versions = (0, 0);
            for r in p.rules() {
                if self.fired.contains(&**r.id()) {
                    fired += 1;
                } else {
                    uncovered.push(format!(
                        "rule never fired: {} ({})",
                        r.id(),
                        place(p.source_id(), r.span())
                    ));
                }
                for v in r.versions().iter().filter_map(|v| v.label()) {
                    versions.1 += 1;
                    if self.versions.contains(&(r.id().to_string(), v.to_string())) {
                        versions.0 += 1;
                    } else {
                        uncovered.push(format!("version never in force: {} \"{v}\"", r.id()));
                    }
                }
            }
            let mine: Vec<(&Place, &(bool, bool))> = self
                .comparisons
                .iter()
                .filter(|((pol, _, _), _)| *pol == **p.id())
                .collect();
            let both = mine.iter().filter(|(_, (t, f))| *t && *f).count();
            for ((_, start, end), (t, f)) in &mine {
                if !(*t && *f) {
                    let text = rules
                        .sources()
                        .text(p.source_id())
                        .and_then(|s| s.get(*start as usize..*end as usize))
                        .unwrap_or("")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let never = if *t { "failed" } else { "held" };
                    uncovered.push(format!(
                        "comparison never {never}: `{}` ({})",
                        crate::clip::printable(&text),
                        place(
                            p.source_id(),
                            Span {
                                start: *start,
                                end: *end
                            }
                        )
                    ));
                }
            }
            let named: Vec<_> = self
                .named
                .iter()
                .filter(|(((pol, _, _), _), _)| *pol == **p.id())
                .collect();
            let named_held = named.iter().filter(|(_, (held, _))| *held).count();
            for (((_, start, end), label), (held, _)) in &named {
                if !*held {
                    uncovered.push(format!(
                        "named condition never held: {label} ({})",
                        place(
                            p.source_id(),
                            Span {
                                start: *start,
                                end: *end
                            }
                        )
                    ));
                }
            }
            let ladders: Vec<_> = self
                .ladders
                .iter()
                .filter(|((pol, _, _), _)| *pol == **p.id())
                .collect();
            let tiers = ladders
                .iter()
                .map(|(_, (taken, of))| (taken.len(), *of))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            for ((_, start, end), (taken, of)) in &ladders {
                for i in (0..*of).filter(|i| !taken.contains(i)) {
                    let which = if i + 1 == *of {
                        "the `else`".to_string()
                    } else {
                        format!("branch {}", i + 1)
                    };
                    uncovered.push(format!(
                        "ladder tier never taken: {which} of the `if` at {}",
                        place(
                            p.source_id(),
                            Span {
                                start: *start,
                                end: *end
                            }
                        )
                    ));
                }
            }
            covered += fired + versions.0;
            total += p.rules().len() + versions.1;
            policies.push(PolicyCoverage {
                policy: p.id().to_string(),
                rules_fired: (fired, p.rules().len()),
                versions,
                comparisons_both_ways: (both, mine.len()),
                named_conditions_held: (named_held, named.len()),
                ladder_tiers: tiers,
                uncovered,
            });
        }
        let percent = if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        };
        CoverageReport { policies, percent }
    }
}

/// The coverage report for people.
pub fn human(report: &CoverageReport) -> String {
    let mut out = String::from("coverage\n");
    for p in &report.policies {
        out.push_str(&format!(
            "  {:<32} rules {}/{}  versions {}/{}  named conditions {}/{}  ladder tiers {}/{}  comparisons both ways {}/{}\n",
            p.policy,
            p.rules_fired.0,
            p.rules_fired.1,
            p.versions.0,
            p.versions.1,
            p.named_conditions_held.0,
            p.named_conditions_held.1,
            p.ladder_tiers.0,
            p.ladder_tiers.1,
            p.comparisons_both_ways.0,
            p.comparisons_both_ways.1
        ));
    }
    out.push_str(&format!(
        "rules and versions covered: {:.1}%\n",
        report.percent
    ));
    // Every gap: rules and versions, then named conditions, ladder tiers and
    // comparisons seen one way only.
    let (first, rest): (Vec<&String>, Vec<&String>) = report
        .policies
        .iter()
        .flat_map(|p| &p.uncovered)
        .partition(|u| u.starts_with("rule") || u.starts_with("version"));
    let gaps: Vec<&String> = first.into_iter().chain(rest).collect();
    for g in &gaps {
        out.push_str(&format!("  not covered: {g}\n"));
    }
    out
}

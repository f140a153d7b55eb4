//! The generated mix straddles every boundary: each rule of `rules/` fires on
//! some of its records, and every record decodes and decides without error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use guifan_eval::{CmpOp, Tracer, Value};
use guifan_syntax::Span;

use guifan_runner::data::{records, InputFormat};
use guifan_runner::{load_rules, rank_keys, run, OutputFormat};

#[test]
fn every_rule_fires_on_the_generated_mix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = load_rules(&root.join("rules")).unwrap();
    let data = guifan_bench::kinds::mix(7_000, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = guifan_syntax_timestamp(guifan_bench::kinds::MIX_AT);
    let mut problems = Vec::new();
    let keys = rank_keys(&rules, &lines, now, &mut |p| {
        problems.push(format!("{p:?}"))
    });
    let rules = rules.with_ranks(guifan_eval::rank::Ranks::from_keys(keys));
    let mut out = Vec::new();
    let summary = run(
        &rules,
        &lines,
        now,
        OutputFormat::Jsonl,
        &mut out,
        &mut |p| problems.push(format!("{p:?}")),
    )
    .unwrap();
    assert!(
        problems.is_empty(),
        "{:#?}",
        &problems[..problems.len().min(5)]
    );
    assert_eq!(summary.decided, 7_000);
    let fired: BTreeSet<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["decisions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["rule"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let all: BTreeSet<String> = rules
        .program()
        .policies
        .iter()
        .flat_map(|p| p.rules.iter().map(|r| r.id.to_string()))
        .collect();
    let missing: Vec<&String> = all.difference(&fired).collect();
    assert!(missing.is_empty(), "rules the mix never fires: {missing:?}");
}

fn guifan_syntax_timestamp(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap()
}

/// What the mix reached beyond test coverage: which policies applied (or
/// were filtered out, or not yet in force), which comparisons ran at all, and
/// for every ordering comparison and interval bound, whether values were seen
/// below, at and above it.
#[derive(Default)]
struct Reach {
    coverage: guifan_runner::coverage::Coverage,
    policy: String,
    /// Per policy: "applies", "filtered out", "not in force"
    applies: BTreeMap<String, BTreeSet<&'static str>>,
    /// Per comparison (policy, start, end) and side (`<`, `>` or an interval's
    /// lower or upper bound): the orderings seen of the value against it
    sides: BTreeMap<(String, u32, u32, &'static str), BTreeSet<Ordering>>,
    /// Every comparison and interval evaluated (policy, start, end)
    ran: BTreeSet<(String, u32, u32)>,
}

impl guifan_eval::Tracer for Reach {
    fn policy_start(&mut self, policy: &str) {
        self.policy = policy.to_string();
        self.coverage.policy_start(policy);
    }

    fn policy(&mut self, policy: &str, applies: guifan_eval::Applies) {
        let seen = match applies {
            guifan_eval::Applies::Yes => "applies",
            guifan_eval::Applies::FilterFalse => "filtered out",
            guifan_eval::Applies::NotInForce => "not in force",
        };
        self.applies.entry(policy.to_string()).or_default().insert(seen);
        self.coverage.policy(policy, applies);
    }

    fn rule(&mut self, rule: &str, status: guifan_eval::RuleStatus<'_>) {
        self.coverage.rule(rule, status);
    }

    fn condition(&mut self, rule: &str, held: bool) {
        self.coverage.condition(rule, held);
    }

    fn compare(&mut self, span: Span, op: CmpOp, l: &Value, r: &Value, held: bool) {
        self.ran.insert((self.policy.clone(), span.start, span.end));
        if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge) {
            self.side(span, "bound", l.total_cmp(r));
        }
        self.coverage.compare(span, op, l, r, held);
    }

    fn within(
        &mut self,
        span: Span,
        value: &Value,
        low: &Value,
        high: &Value,
        low_op: CmpOp,
        high_op: CmpOp,
        held: bool,
    ) {
        self.ran.insert((self.policy.clone(), span.start, span.end));
        self.side(span, "lower bound", value.total_cmp(low));
        if !matches!(high, Value::Absent) {
            self.side(span, "upper bound", value.total_cmp(high));
        }
        self.coverage
            .within(span, value, low, high, low_op, high_op, held);
    }

    fn branch(&mut self, ladder: Span, taken: usize, of: usize) {
        self.coverage.branch(ladder, taken, of);
    }

    fn named(&mut self, label: &str, span: Span, held: bool) {
        self.coverage.named(label, span, held);
    }
}

impl Reach {
    fn side(&mut self, span: Span, side: &'static str, ordering: Ordering) {
        self.sides
            .entry((self.policy.clone(), span.start, span.end, side))
            .or_default()
            .insert(ordering);
    }
}

/// Every comparison and interval written in a policy: (policy, start, end, text).
fn comparisons(rules: &guifan_runner::RuleSet) -> Vec<(String, u32, u32, String)> {
    use guifan_syntax::ast::{BinaryOp, ExprKind, Item};
    let mut out = Vec::new();
    for file in rules.files() {
        for item in &file.items {
            let Item::Policy(policy) = item else { continue };
            guifan_syntax::visit::each_expr(policy, |e| {
                let comparison = match &e.kind {
                    ExprKind::Binary(op, ..) => !matches!(op, BinaryOp::In),
                    ExprKind::Within { .. } => true,
                    _ => false,
                };
                if comparison {
                    let text = rules
                        .sources
                        .text(file.source)
                        .and_then(|t| t.get(e.span.start as usize..e.span.end as usize))
                        .unwrap_or_default()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    out.push((policy.id.node.clone(), e.span.start, e.span.end, text));
                }
            });
        }
    }
    out
}

/// What the mix does not reach, and why that is right: `(policy, what, reason)`,
/// where `what` is the start of the gap's description.
const UNREACHABLE: &[(&str, &str, &str)] = &[];

/// Every rule, ladder tier and named condition of `rules/` reached by the
/// generated mix, and every comparison seen both holding and failing, but for
/// the exceptions listed here with their reasons.
#[test]
fn the_generated_mix_reaches_every_branch() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = load_rules(&root.join("rules")).unwrap();
    let data = guifan_bench::kinds::mix(7_000, 42);
    let lines = records(data.as_bytes(), InputFormat::Jsonl).unwrap();
    let now = guifan_syntax_timestamp(guifan_bench::kinds::MIX_AT);
    let program = rules.program();
    let reach = std::cell::RefCell::new(Reach::default());
    // The first pass, ranking, watched as the second is.
    let mut keys = Vec::new();
    let subjects: Vec<guifan_eval::Subject> = lines
        .iter()
        .map(|line| guifan_eval::decode_subject(&program.schema, &line.json).unwrap())
        .collect();
    for subject in &subjects {
        let (k, errors) = guifan_eval::rank::rank_keys_traced(program, subject, now, &reach);
        assert!(errors.is_empty(), "{errors:?}");
        keys.extend(k);
    }
    let rules = rules.with_ranks(guifan_eval::rank::Ranks::from_keys(keys));
    let program = rules.program();
    for subject in &subjects {
        let outcome = guifan_eval::evaluate_traced(program, subject, now, rules.ranks(), &reach);
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    }
    let reach = reach.into_inner();
    let report = reach.coverage.report(&rules, None);
    let mut gaps: Vec<(String, String)> = report
        .policies
        .iter()
        .flat_map(|p| p.uncovered.iter().map(|u| (p.policy.clone(), u.clone())))
        .collect();
    for p in &program.policies {
        let seen = reach.applies.get(&*p.id).cloned().unwrap_or_default();
        let mut wanted = vec!["applies"];
        if p.filter.is_some() {
            wanted.push("filtered out");
        }
        if p.effective.from.is_some() || p.effective.until.is_some() {
            wanted.push("not in force");
        }
        for w in wanted.into_iter().filter(|w| !seen.contains(w)) {
            gaps.push((p.id.to_string(), format!("policy never {w}")));
        }
    }
    for (policy, start, end, text) in comparisons(&rules) {
        if !reach.ran.contains(&(policy.clone(), start, end)) {
            gaps.push((policy.clone(), format!("comparison never evaluated: `{text}`")));
        }
        for side in ["bound", "lower bound", "upper bound"] {
            if let Some(seen) = reach.sides.get(&(policy.clone(), start, end, side)) {
                for (o, what) in [
                    (Ordering::Less, "below"),
                    (Ordering::Equal, "at"),
                    (Ordering::Greater, "above"),
                ] {
                    if !seen.contains(&o) {
                        gaps.push((policy.clone(), format!("never {what} its {side}: `{text}`")));
                    }
                }
            }
        }
    }
    let mut unexplained: Vec<String> = gaps
        .iter()
        .filter(|(p, g)| {
            !UNREACHABLE
                .iter()
                .any(|(up, what, _)| up == p && g.starts_with(what))
        })
        .map(|(p, g)| format!("{p}: {g}"))
        .collect();
    unexplained.sort();
    unexplained.dedup();
    assert!(
        unexplained.is_empty(),
        "not reached by the mix ({}):\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    // Every exception still names a gap: one the mix now reaches is taken out of the list.
    for (policy, what, why) in UNREACHABLE {
        assert!(
            gaps.iter().any(|(p, g)| p == policy && g.starts_with(what)),
            "{policy}: `{what}` is reached now ({why}): take it out of UNREACHABLE"
        );
    }
}

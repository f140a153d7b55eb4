//! Explanations (`RuleSet::explain`, `guifan explain`, `POST /v1/explain`):
//! why each rule fired or did not for one subject, with the values each
//! comparison saw and how far each is from flipping.

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset};
use guifan_eval::{Applies, CmpOp, RuleStatus, Tracer, Value};
use guifan_syntax::{SourceId, Span};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::RuleSet;

/// Everything `explain` found about one subject.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The subject's `id`
    pub subject: String,
    /// Its kind
    pub kind: String,
    /// The evaluation time
    pub at: String,
    /// Each policy of its kind, in order
    pub policies: Vec<PolicyExplained>,
}

/// One policy: whether it applies, and its rules.
#[derive(Debug, Serialize)]
pub struct PolicyExplained {
    /// The policy's ID
    pub policy: String,
    /// `applies`, `filter false` or `not in force`
    pub applies: &'static str,
    /// The comparisons of its filter
    pub filter: Vec<Check>,
    /// Its rules
    pub rules: Vec<RuleExplained>,
}

/// One rule: how it was judged, and what its condition saw.
#[derive(Debug, Serialize)]
pub struct RuleExplained {
    /// The rule's full ID
    pub rule: String,
    /// `fired`, `not fired`, `on filter false`, `no version in force`, or `failed`
    pub status: &'static str,
    /// The version in force, for versioned rules
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Every comparison evaluated, and what was not evaluated
    pub checks: Vec<Check>,
}

/// A comparison as evaluated, or an operand short-circuiting skipped.
#[derive(Debug, Serialize)]
pub struct Check {
    /// The expression as written
    pub text: String,
    /// Its line in its rule file
    pub line: usize,
    /// Whether it was evaluated (`false`: skipped by short-circuiting)
    pub evaluated: bool,
    /// The left operand's value
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// The right operand's value
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
    /// Whether it held
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    /// How far the left operand is from flipping the comparison, in words
    /// ("1 more", "for 17h more")
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<String>,
    /// For a rule over items, the item or group it was evaluated for
    /// (`item 2`, `user: u-1, day: 2023-03-02`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// Collects the tracer's events into the explanation's structure.
struct Recorder<'r> {
    rules: &'r RuleSet,
    source: SourceId,
    policies: Vec<PolicyExplained>,
    /// The item or group of a rule over items being evaluated
    item: Option<String>,
}

impl Recorder<'_> {
    fn text(&self, span: Span) -> (String, usize) {
        let text = self
            .rules
            .sources()
            .text(self.source)
            .and_then(|t| t.get(span.start as usize..span.end as usize))
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let (line, _) = self
            .rules
            .sources()
            .line_col(self.source, span.start as usize);
        (text, line)
    }

    fn push(&mut self, mut check: Check) {
        check.item.clone_from(&self.item);
        if let Some(p) = self.policies.last_mut() {
            match p.rules.last_mut() {
                Some(r)
                    if r.status == "judged" || r.status == "fired" || r.status == "not fired" =>
                {
                    r.checks.push(check)
                }
                _ => p.filter.push(check),
            }
        }
    }
}

impl Tracer for Recorder<'_> {
    fn policy_start(&mut self, policy: &str) {
        if let Some(p) = self
            .rules
            .program()
            .policies()
            .iter()
            .find(|p| &**p.id() == policy)
        {
            self.source = p.source_id();
        }
        self.policies.push(PolicyExplained {
            policy: policy.to_string(),
            applies: "applies",
            filter: Vec::new(),
            rules: Vec::new(),
        });
    }

    fn policy(&mut self, _policy: &str, applies: Applies) {
        if let Some(p) = self.policies.last_mut() {
            p.applies = match applies {
                Applies::Yes => "applies",
                Applies::FilterFalse => "filter false",
                Applies::NotInForce => "not in force",
            };
        }
    }

    fn item(&mut self, _rule: &str, label: &str) {
        self.item = Some(label.to_string());
    }

    fn presence(&mut self, span: Span, value: &Value, held: bool) {
        let (text, line) = self.text(span);
        let seen = if matches!(value, Value::Absent) {
            "absent".to_string()
        } else {
            "present".to_string()
        };
        self.push(Check {
            text,
            line,
            evaluated: true,
            left: Some(seen),
            right: None,
            held: Some(held),
            distance: None,
            item: None,
        });
    }

    fn rule(&mut self, rule: &str, status: RuleStatus<'_>) {
        self.item = None;
        let (status, version) = match status {
            RuleStatus::Judged(v) => ("judged", v.map(str::to_string)),
            RuleStatus::OnFilterFalse => ("on filter false", None),
            RuleStatus::NoVersionInForce => ("no version in force", None),
        };
        if let Some(p) = self.policies.last_mut() {
            p.rules.push(RuleExplained {
                rule: rule.to_string(),
                status,
                version,
                checks: Vec::new(),
            });
        }
    }

    fn condition(&mut self, _rule: &str, held: bool) {
        if let Some(r) = self.policies.last_mut().and_then(|p| p.rules.last_mut()) {
            // A rule over items fires when its condition holds for any of them.
            if r.status != "fired" {
                r.status = if held { "fired" } else { "not fired" };
            }
        }
    }

    fn compare(&mut self, span: Span, op: CmpOp, left: &Value, right: &Value, held: bool) {
        let (text, line) = self.text(span);
        self.push(Check {
            text,
            line,
            evaluated: true,
            left: Some(left.to_string()),
            right: Some(right.to_string()),
            held: Some(held),
            distance: distance(op, left, right, held),
            item: None,
        });
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
        let (text, line) = self.text(span);
        let open = if low_op == CmpOp::Le { "[" } else { "(" };
        let close = if high_op == CmpOp::Le { "]" } else { ")" };
        let high_text = if matches!(high, Value::Absent) {
            "…".to_string()
        } else {
            high.to_string()
        };
        // Below the interval: the lower bound's distance; above it: the upper's.
        let distance = if held {
            None
        } else if !matches!(high, Value::Absent) {
            distance(high_op, value, high, false)
        } else {
            distance(
                if low_op == CmpOp::Le {
                    CmpOp::Ge
                } else {
                    CmpOp::Gt
                },
                value,
                low,
                false,
            )
        };
        self.push(Check {
            text,
            line,
            evaluated: true,
            left: Some(value.to_string()),
            right: Some(format!("{open}{low}, {high_text}{close}")),
            held: Some(held),
            distance,
            item: None,
        });
    }

    fn skipped(&mut self, span: Span) {
        let (text, line) = self.text(span);
        self.push(Check {
            text,
            line,
            evaluated: false,
            left: None,
            right: None,
            held: None,
            distance: None,
            item: None,
        });
    }
}

/// A number and whether it counts in whole steps.
fn number(v: &Value) -> Option<(Decimal, bool, String)> {
    match v {
        Value::Int(i) => Some((Decimal::from(*i), true, String::new())),
        Value::Decimal(d) => Some((*d, false, String::new())),
        Value::Money(m) => Some((m.amount, false, format!(" {}", m.currency))),
        _ => None,
    }
}

/// How far the left operand is from flipping the comparison.
fn distance(op: CmpOp, left: &Value, right: &Value, held: bool) -> Option<String> {
    if let (Value::Timestamp(l), Value::Timestamp(r)) = (left, right) {
        let secs = (*l - *r).num_seconds();
        let d = guifan_eval::Value::Duration(guifan_eval::Duration(secs.abs()));
        return Some(if secs >= 0 {
            format!("{d} after")
        } else {
            format!("{d} before")
        });
    }
    let ((l, whole, unit), (r, _, _)) = (number(left)?, number(right)?);
    let step = if whole { Decimal::ONE } else { Decimal::ZERO };
    // How much the left side must grow (+) or shrink (-) to flip.
    let change = match (op, held) {
        (CmpOp::Gt, false) => r - l + step,
        (CmpOp::Ge, false) => r - l,
        (CmpOp::Lt, false) => -(l - r + step),
        (CmpOp::Le, false) => -(l - r),
        (CmpOp::Gt, true) => -(l - r),
        (CmpOp::Ge, true) => -(l - r + step),
        (CmpOp::Lt, true) => r - l,
        (CmpOp::Le, true) => r - l + step,
        (CmpOp::Eq | CmpOp::Ne, _) => return None,
    };
    let strict_real = !whole
        && matches!(
            (op, held),
            (CmpOp::Gt, false) | (CmpOp::Lt, false) | (CmpOp::Ge, true) | (CmpOp::Le, true)
        );
    let amount = change.abs().normalize();
    let more = if change >= Decimal::ZERO {
        "more"
    } else {
        "less"
    };
    Some(if strict_real {
        format!("over {amount}{unit} {more}")
    } else {
        format!("{amount}{unit} {more}")
    })
}

impl RuleSet {
    /// Explains how `record` (JSON) is decided at `now`: every policy of its
    /// kind, whether it applies, every rule's status and each comparison with
    /// its values and its distance to flipping, as `guifan explain` shows it.
    ///
    /// ```
    /// let rules = guifan::RuleSet::from_sources([(
    ///     "p.policy",
    ///     "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 10 then e } }",
    /// )])?;
    /// let now = "2024-01-01T00:00:00Z".parse()?;
    /// let why = rules.explain(br#"{"kind":"k","id":"x","n":7}"#, now)?;
    /// let rule = &why.policies[0].rules[0];
    /// assert_eq!((rule.rule.as_str(), rule.status), ("a.b.r", "not fired"));
    /// assert_eq!(rule.checks[0].text, "n > 10");
    /// assert_eq!(rule.checks[0].distance.as_deref(), Some("4 more"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        record: &[u8],
        now: DateTime<FixedOffset>,
    ) -> Result<Explanation, crate::RecordError> {
        let program = self.program();
        let subject = guifan_eval::decode_subject(program.schema(), record)
            .map_err(|e| crate::RecordError::of_data(record, &e))?;
        let kind = program
            .schema()
            .kind_def(subject.kind)
            .map(|k| k.name.clone())
            .unwrap_or_default();
        let recorder = RefCell::new(Recorder {
            rules: self,
            source: SourceId(0),
            policies: Vec::new(),
            item: None,
        });
        let _ = guifan_eval::evaluate_traced(program, &subject, now, self.ranks(), &recorder);
        let policies = recorder.into_inner().policies;
        Ok(Explanation {
            subject: subject.id.to_string(),
            kind,
            at: now.to_rfc3339(),
            policies,
        })
    }
}

/// The explanation for people: each policy, each rule with what it saw; ✓
/// held, ✗ did not, · not evaluated. Coloured when `color`.
pub fn human(e: &Explanation, color: bool) -> String {
    use owo_colors::OwoColorize;
    let paint = |text: &str, held: Option<bool>| -> String {
        if !color {
            return text.to_string();
        }
        match held {
            Some(true) => text.green().to_string(),
            Some(false) => text.red().to_string(),
            None => text.dimmed().to_string(),
        }
    };
    let check_line = |c: &Check| -> String {
        let safe = |t: &str| crate::clip::one_line(t).into_owned();
        match (c.held, &c.left, &c.right) {
            (Some(held), Some(l), Some(r)) => {
                let mark = paint(if held { "✓" } else { "✗" }, Some(held));
                let distance = c
                    .distance
                    .as_ref()
                    .map(|d| format!("; {d} to flip"))
                    .unwrap_or_default();
                format!(
                    "    {mark} {}   ({} vs {}{distance})  line {}\n",
                    safe(&c.text),
                    safe(l),
                    safe(r),
                    c.line
                )
            }
            (Some(held), Some(seen), None) => {
                let mark = paint(if held { "✓" } else { "✗" }, Some(held));
                format!(
                    "    {mark} {}   ({})  line {}\n",
                    safe(&c.text),
                    safe(seen),
                    c.line
                )
            }
            _ => format!(
                "    {} {}   (not evaluated)  line {}\n",
                paint("·", None),
                paint(&safe(&c.text), None),
                c.line
            ),
        }
    };
    let mut out = format!(
        "{} ({}) at {}\n",
        crate::clip::one_line(&e.subject),
        e.kind,
        e.at
    );
    for p in &e.policies {
        let applies = p.applies == "applies";
        out.push_str(&format!(
            "\n{}: {}\n",
            p.policy,
            paint(p.applies, Some(applies))
        ));
        if !p.filter.is_empty() {
            out.push_str("  filter\n");
            for c in &p.filter {
                out.push_str(&check_line(c));
            }
        }
        for r in &p.rules {
            let version = r
                .version
                .as_ref()
                .map(|v| format!(" [version {v}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}{version}: {}\n",
                r.rule,
                paint(r.status, Some(r.status == "fired"))
            ));
            let mut item: Option<&str> = None;
            for c in &r.checks {
                if c.item.is_some() && c.item.as_deref() != item {
                    item = c.item.as_deref();
                    let label = crate::clip::one_line(item.unwrap_or_default()).into_owned();
                    out.push_str(&format!("   for {label}\n"));
                }
                out.push_str(&check_line(c));
            }
        }
    }
    out
}

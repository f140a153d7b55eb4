//! The compiled evaluator: each policy's checked IR turned once, when the
//! rules load, into a tree of closures, one per expression, that calls its
//! operands' closures directly. What the interpreter ([`super::frame`])
//! decides at every node on every record (which form of expression this is,
//! whether an operand is a constant, how long a field path is) is decided
//! here once; comparisons of counts, money, text and instants against each
//! other or a constant are made on the unboxed values. The closures share the
//! interpreter's state (the [`Frame`]: definitions computed once, labels of
//! named conditions, bindings, invariants) and its operators, so they give
//! the same values and the same errors; a differential test runs both on every
//! generated record of every kind. The interpreter stays for the tracer
//! (`explain`), which watches each step, and for what runs once per rule
//! rather than per decision (a `for` rule's collection and grouping keys, the
//! governing time).

mod expr;

use std::any::Any;
use std::sync::Arc;

use super::frame::{Frame, Val};
use super::ops::Failure;
use crate::ir::{Message, Policy, TemplatePart};
use crate::value::Value;

pub(super) use expr::Builder;

/// A compiled expression: its value.
pub(super) type ValueCode = Box<
    dyn for<'a> Fn(&mut Frame<'a>, &'a Unit) -> Result<Val<'a>, Failure> + Send + Sync + 'static,
>;

/// A compiled condition: its truth.
pub(super) type TestCode =
    Box<dyn for<'a> Fn(&mut Frame<'a>, &'a Unit) -> Result<bool, Failure> + Send + Sync + 'static>;

/// What the closures of one policy share: its constants (so that a constant
/// is borrowed, as the interpreter borrows it from the expression, not
/// copied) and its definitions.
pub(super) struct Unit {
    /// Constants, by the index a closure captured
    pub(super) consts: Vec<Value>,
    /// The policy's definitions, by index
    pub(super) lets: Vec<ValueCode>,
}

/// A policy compiled for evaluation.
pub(super) struct CompiledPolicy {
    /// Constants and definitions
    pub(super) unit: Unit,
    /// Which subjects it applies to
    pub(super) filter: Option<TestCode>,
    /// Its rules, in order
    pub(super) rules: Vec<CompiledRule>,
}

/// A rule compiled.
pub(super) struct CompiledRule {
    /// The filter of a rule on another kind (`on`)
    pub(super) on_filter: Option<TestCode>,
    /// Its versions, in order
    pub(super) versions: Vec<CompiledVersion>,
}

/// A rule's version compiled: everything evaluated for each subject (or item).
pub(super) struct CompiledVersion {
    /// Its own definitions
    pub(super) lets: Vec<ValueCode>,
    /// Its condition
    pub(super) when: TestCode,
    /// Its effects, in order
    pub(super) effects: Vec<CompiledEffect>,
    /// Its message's parts, in order: `Some` for an interpolation
    pub(super) parts: Vec<Option<ValueCode>>,
}

/// An effect compiled.
pub(super) struct CompiledEffect {
    /// Its guard
    pub(super) guard: Option<TestCode>,
    /// Its arguments, in written order
    pub(super) args: Vec<ValueCode>,
}

/// Compiles a checked policy, for [`crate::ir::Compiled`].
pub(crate) fn compile(policy: &Policy) -> Arc<dyn Any + Send + Sync> {
    let mut b = Builder::default();
    let lets = policy.lets.iter().map(|l| b.value(&l.expr)).collect();
    let filter = policy.filter.as_ref().map(|f| b.test(f));
    let rules = policy
        .rules
        .iter()
        .map(|rule| CompiledRule {
            on_filter: rule
                .on
                .as_ref()
                .and_then(|(_, f)| f.as_ref())
                .map(|f| b.test(f)),
            versions: rule
                .versions
                .iter()
                .map(|v| CompiledVersion {
                    lets: v.lets.iter().map(|l| b.value(l)).collect(),
                    when: b.test(&v.when),
                    effects: v
                        .effects
                        .iter()
                        .map(|e| CompiledEffect {
                            guard: e.guard.as_ref().map(|g| b.test(g)),
                            args: e.args.iter().map(|(_, a)| b.value(a)).collect(),
                        })
                        .collect(),
                    parts: match &v.message {
                        Some(Message::Template(parts)) => parts
                            .iter()
                            .map(|p| match p {
                                TemplatePart::Text(_) => None,
                                TemplatePart::Expr(e) => Some(b.value(e)),
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
        })
        .collect();
    Arc::new(CompiledPolicy {
        unit: Unit {
            consts: b.into_consts(),
            lets,
        },
        filter,
        rules,
    })
}

impl CompiledPolicy {
    /// The compiled form of `policy`, when it has one.
    pub(super) fn of(policy: &Policy) -> Option<&CompiledPolicy> {
        policy.compiled.get()?.downcast_ref::<CompiledPolicy>()
    }
}

/// A rule's version compiled, with the unit its closures share.
#[derive(Clone, Copy)]
pub(super) struct VersionCode<'a> {
    /// The version
    pub(super) code: &'a CompiledVersion,
    /// Its policy's constants and definitions
    pub(super) unit: &'a Unit,
}

#[cfg(test)]
mod tests {
    use super::CompiledPolicy;
    use crate::ir::Message;

    /// Every policy of a program is compiled, and every part of every
    /// version that runs per decision has its closure (a missing one would
    /// silently fall back to the interpreter, which gives the same answers).
    #[test]
    fn every_policy_and_every_part_is_compiled() {
        let schema = guifan_syntax::parse(
            guifan_syntax::SourceId(0),
            "kind k { n: int, xs: [int] } effect e(a: int)",
        )
        .expect("schema parses");
        let policy = guifan_syntax::parse(
            guifan_syntax::SourceId(1),
            r#"policy t.p { subject k where n > 0 zone UTC
                 let d = n * 2
                 rule r { when n > 1 then e(a: n) if n > 2, e(a: 1) message "{n} and {d}" }
                 rule s { when d > 1 then e(a: d) message "constant" }
               }"#,
        )
        .expect("policy parses");
        let program = crate::check(&[schema, policy]).expect("checks");
        let policy = &program.policies()[0];
        let compiled = CompiledPolicy::of(policy).expect("compiled");
        assert!(compiled.filter.is_some());
        assert_eq!(compiled.unit.lets.len(), 1);
        assert_eq!(compiled.rules.len(), policy.rules.len());
        for (rule, code) in policy.rules.iter().zip(&compiled.rules) {
            assert_eq!(code.versions.len(), rule.versions.len());
            for (version, code) in rule.versions.iter().zip(&code.versions) {
                assert_eq!(code.effects.len(), version.effects.len());
                for (effect, code) in version.effects.iter().zip(&code.effects) {
                    assert_eq!(code.guard.is_some(), effect.guard.is_some());
                    assert_eq!(code.args.len(), effect.args.len());
                }
                let parts = match &version.message {
                    Some(Message::Template(parts)) => parts.len(),
                    _ => 0,
                };
                assert_eq!(code.parts.len(), parts);
            }
        }
        let [r, _] = &compiled.rules[..] else {
            panic!("two rules");
        };
        // "{n} and {d}": an interpolation, text, an interpolation.
        let shape: Vec<bool> = r.versions[0].parts.iter().map(Option::is_some).collect();
        assert_eq!(shape, [true, false, true]);
        assert!(r.versions[0].effects[0].guard.is_some());
    }
}

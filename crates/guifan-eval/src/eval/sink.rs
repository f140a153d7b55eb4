//! Where decisions go as they are made: a [`Sink`] receives each one as a
//! [`Made`], which borrows the program's rule, version, effect and constant
//! data instead of cloning them, so that a writer can render it straight into
//! bytes (and no shared reference count is touched per record). [`Outcome`]
//! is the sink that keeps owned [`Decision`]s.

use std::sync::Arc;

use crate::eval::{Decision, Effect, Outcome, RuleError};
use crate::ir::{EffectTemplate, Rule, Version};
use crate::value::Value;

/// Receives the decisions and failures of an evaluation, in policy and rule order.
pub trait Sink<'p> {
    /// A rule fired.
    fn decision(&mut self, made: &Made<'p, '_>);
    /// A rule (or a policy's filter) failed.
    fn error(&mut self, error: RuleError);
}

/// A decision as it is made: the program's rule and version, the effects
/// yielded with their computed arguments, and the message.
pub struct Made<'p, 'b> {
    /// The rule that fired
    pub rule: &'p Rule,
    /// Its version in force
    pub version: &'p Version,
    /// Effects yielded: index in the version's effects, and range of their computed arguments in `values`
    pub(crate) yielded: &'b [(u32, u32, u32)],
    /// Computed argument values of every effect, one after another
    pub(crate) values: &'b [Value],
    /// The message
    pub message: Option<MadeMessage<'p, 'b>>,
}

/// A decision's message.
#[derive(Clone, Copy)]
pub enum MadeMessage<'p, 'b> {
    /// The program's text, the same for every decision
    Constant(&'p Arc<str>),
    /// A template rendered for this decision
    Rendered(&'b str),
}

impl MadeMessage<'_, '_> {
    /// The message's text.
    pub fn text(&self) -> &str {
        match self {
            MadeMessage::Constant(t) => t,
            MadeMessage::Rendered(t) => t,
        }
    }
}

/// One effect of a decision.
#[derive(Clone, Copy)]
pub struct MadeEffect<'p, 'b> {
    /// The effect as the program writes it (kind, argument names, constant arguments)
    pub template: &'p EffectTemplate,
    /// Its computed arguments, in written order, when they are not constant
    values: &'b [Value],
}

impl<'p: 'b, 'b> MadeEffect<'p, 'b> {
    /// Its arguments, in written order: name and value.
    pub fn args(&self) -> impl Iterator<Item = (&'p Arc<str>, &'b Value)> + use<'p, 'b> {
        let (constant, computed) = match &self.template.constant {
            Some(c) => (Some(c.iter().map(|(n, v)| (n, v))), None),
            None => (
                None,
                Some(
                    self.template
                        .args
                        .iter()
                        .map(|(n, _)| n)
                        .zip(self.values.iter()),
                ),
            ),
        };
        constant
            .into_iter()
            .flatten()
            .chain(computed.into_iter().flatten())
    }
}

impl<'p: 'b, 'b> Made<'p, 'b> {
    /// The effects yielded, in written order.
    pub fn effects(&self) -> impl Iterator<Item = MadeEffect<'p, 'b>> + use<'p, 'b, '_> {
        self.yielded.iter().filter_map(|(i, start, end)| {
            Some(MadeEffect {
                template: self.version.effects.get(*i as usize)?,
                values: self.values.get(*start as usize..*end as usize)?,
            })
        })
    }

    /// The decision with owned (shared) values.
    pub fn to_decision(&self) -> Decision {
        Decision {
            rule: self.rule.id.clone(),
            version: self.version.label.clone(),
            effects: self
                .effects()
                .map(|e| Effect {
                    kind: e.template.kind.clone(),
                    args: match &e.template.constant {
                        Some(shared) => shared.clone(),
                        None => e.args().map(|(n, v)| (n.clone(), v.clone())).collect(),
                    },
                })
                .collect(),
            message: self.message.map(|m| match m {
                MadeMessage::Constant(text) => text.clone(),
                MadeMessage::Rendered(text) => Arc::from(text),
            }),
        }
    }
}

impl<'p> Sink<'p> for Outcome {
    fn decision(&mut self, made: &Made<'p, '_>) {
        self.decisions.push(made.to_decision());
    }

    fn error(&mut self, error: RuleError) {
        self.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messages_text_is_the_constant_or_the_rendered_one() {
        let constant: Arc<str> = Arc::from("常量");
        assert_eq!(MadeMessage::Constant(&constant).text(), "常量");
        assert_eq!(MadeMessage::Rendered("第 3 次").text(), "第 3 次");
    }
}

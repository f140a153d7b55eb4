//! What evaluation gives back: the decisions made and the rules that failed.

use std::sync::Arc;

use guifan_syntax::SourceId;

use crate::error::EvalError;
use crate::ir::EffectArgs;
use crate::value::Value;

/// One rule that fired on one subject.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Full rule ID (`douyin.zero_deposit_trial.listing_cap`)
    pub rule: Arc<str>,
    /// The version that decided, for versioned rules
    pub version: Option<Arc<str>>,
    /// The effects, in written order
    pub effects: Vec<Effect>,
    /// The rendered message
    pub message: Option<Arc<str>>,
}

/// An effect with its argument values.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// Its kind (`restrict`)
    pub kind: Arc<str>,
    /// Its arguments, in written order
    pub args: EffectArgs,
}

impl Effect {
    /// An argument's value by name.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }
}

/// A rule (or a policy's filter) that could not be evaluated on a subject.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    /// The rule's full ID, or the policy's ID for filter and governing-time errors
    pub rule: Arc<str>,
    /// The file of the expression that failed
    pub source_id: SourceId,
    /// What failed, and where
    pub error: EvalError,
}

/// Everything decided about one subject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Rules that fired, in policy and rule order
    pub decisions: Vec<Decision>,
    /// Rules that failed
    pub errors: Vec<RuleError>,
}

//! Semantic tokens (what each name is: a field, a parameter, a definition,
//! a built-in, an effect) and inlay hints (a parameter's value where it is read).

use std::path::Path;

use guifan::analysis::{Analysis, Target};
use guifan::Params;
use tower_lsp_server::ls_types::{
    InlayHint, InlayHintKind, InlayHintLabel, SemanticToken, SemanticTokenType,
    SemanticTokensLegend,
};

use crate::convert::Lines;

/// The token types, in legend order.
const TYPES: [SemanticTokenType; 6] = [
    SemanticTokenType::PROPERTY,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::EVENT,
    SemanticTokenType::ENUM_MEMBER,
];

/// The legend the server's tokens are read with.
pub(crate) fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: Vec::new(),
    }
}

fn type_index(target: &Target) -> u32 {
    match target {
        Target::Field { .. } => 0,
        Target::Param { .. } => 1,
        Target::Let { .. } | Target::Local { .. } => 2,
        Target::Builtin { .. } => 3,
        Target::Effect { .. } => 4,
        Target::Rank { .. } => 5,
    }
}

/// The tokens of a file, as the protocol encodes them (each relative to the last).
pub(crate) fn semantic(analysis: &Analysis, path: &Path, lines: &Lines) -> Vec<SemanticToken> {
    let mut out = Vec::new();
    let (mut last_line, mut last_start) = (0, 0);
    for (span, target) in analysis.names(path) {
        let start = lines.position(span.start as usize);
        let end = lines.position(span.end as usize);
        if end.line != start.line || end.character <= start.character {
            continue;
        }
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.character - last_start
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: type_index(target),
            token_modifiers_bitset: 0,
        });
        (last_line, last_start) = (start.line, start.character);
    }
    out
}

/// The value of a parameter in force in a rule set, as a policy writes it.
pub(crate) fn param_value(rules: &guifan::RuleSet, policy: &str, name: &str) -> Option<String> {
    rules
        .program()
        .policy(policy)
        .and_then(|p| p.params().iter().find(|x| x.name() == name))
        .map(|p| p.value().to_string())
}

/// The rule set with the project's parameter overrides applied (as given
/// when they do not apply).
pub(crate) fn in_force(rules: &guifan::RuleSet, overrides: Option<&Params>) -> guifan::RuleSet {
    overrides
        .and_then(|p| rules.with_params(p).ok())
        .unwrap_or_else(|| rules.clone())
}

/// `= value` after each read of a parameter: its value in force, with the
/// overrides of the project's parameter file when there is one.
pub(crate) fn param_hints(
    analysis: &Analysis,
    path: &Path,
    lines: &Lines,
    overrides: Option<&Params>,
) -> Vec<InlayHint> {
    let Some(rules) = analysis.rules() else {
        return Vec::new();
    };
    let rules = &in_force(rules, overrides);
    let symbols = analysis.symbols(path);
    let mut out = Vec::new();
    for (span, target) in analysis.names(path) {
        let Target::Param { name, declared } = target else {
            continue;
        };
        if *declared == span {
            continue;
        }
        let Some(policy) = symbols
            .iter()
            .find(|s| s.span.start <= span.start && span.end <= s.span.end)
        else {
            continue;
        };
        let value = param_value(rules, &policy.name, name);
        if let Some(value) = value {
            out.push(InlayHint {
                position: lines.position(span.end as usize),
                label: InlayHintLabel::String(format!("= {value}")),
                kind: Some(InlayHintKind::PARAMETER),
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
    }
    out
}

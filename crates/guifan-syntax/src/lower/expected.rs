//! Syntax errors as authors read them: what was expected, in words, and
//! advice for the usual mistakes.

use super::Lower;
use crate::error::ParseError;
use crate::grammar::Rule;
use crate::span::Span;

impl Lower<'_> {
    pub(crate) fn syntax_error(&self, err: pest::error::Error<Rule>) -> ParseError {
        let pos = self.base
            + match err.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
        let (expected, help) = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => {
                describe_expected(positives)
            }
            pest::error::ErrorVariant::CustomError { message } => (message.clone(), None),
        };
        let rest = self.text.get(pos..).unwrap_or("");
        let token: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(24)
            .collect();
        let (found, len) = if token.is_empty() {
            if rest.is_empty() {
                ("end of file".to_string(), 0)
            } else {
                ("unexpected line break".to_string(), 1)
            }
        } else {
            (format!("found `{token}`"), token.len())
        };
        let positives: &[Rule] = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
            pest::error::ErrorVariant::CustomError { .. } => &[],
        };
        // The text just before the error (bounded, so that a file of many
        // errors is still read in linear time), for where it stands.
        let mut from = pos.saturating_sub(LOOK_BACK);
        while !self.text.is_char_boundary(from) && from < pos {
            from += 1;
        }
        let before = self.text.get(from..pos).unwrap_or("");
        let help = mistake_help(positives, &token, rest.is_empty(), before).or(help);
        ParseError::Syntax {
            source_id: self.source,
            span: Span::new(pos, pos + len),
            expected,
            found,
            help,
        }
    }
}

/// How far before a syntax error its context is read.
const LOOK_BACK: usize = 4096;

/// Advice where an effect's arguments are written.
const EFFECT_ARGUMENTS: &str = "effect arguments are written `name: value`, separated by commas";

/// Where the innermost `(` still open at the end of `text` is, when the
/// innermost open bracket is a `(` (strings and comments skipped; brackets
/// closed that were opened before `text` are ignored).
fn innermost_open(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = crate::nesting::string_end(bytes, i + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = crate::nesting::memchr_newline(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => open.push((b, i)),
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    match open.last() {
        Some(&(b'(', at)) => Some(at),
        _ => None,
    }
}

/// Words that start declarations, suggested for "did you mean" beside the
/// policy entry words ([`crate::ast::ENTRY_WORDS`]).
const DECLARATION_WORDS: [&str; 4] = ["kind", "record", "effect", "platform"];

/// Advice for the mistakes authors make most: a missing `}`, `=` for `==`, a misspelt keyword.
fn mistake_help(positives: &[Rule], token: &str, at_end: bool, before: &str) -> Option<String> {
    if at_end {
        return Some("a `{` opened above is not closed: add the missing `}`".into());
    }
    if token.starts_with('=') && !token.starts_with("==") {
        return Some("to compare, write `==`".into());
    }
    if positives.contains(&Rule::named_arg) {
        return Some(EFFECT_ARGUMENTS.into());
    }
    if positives == [Rule::member] {
        // A name inside `( )`: an effect's arguments or its declared
        // parameters (inside `{ }`, a field's name: the words say it).
        let open = innermost_open(before)?;
        let head = before.get(..open).unwrap_or("").trim_end();
        let name_start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let declared = head
            .get(..name_start)
            .unwrap_or("")
            .trim_end()
            .ends_with("effect");
        return Some(if declared {
            "an effect's parameters are written `name: type`, separated by commas".into()
        } else {
            EFFECT_ARGUMENTS.into()
        });
    }
    let word: String = token
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let expects_entry = positives.iter().any(|r| {
        matches!(
            r,
            Rule::title_decl
                | Rule::subject_decl
                | Rule::rule_decl
                | Rule::kind_decl
                | Rule::policy_decl
        )
    });
    if expects_entry && !word.is_empty() {
        let limit = (word.len() / 3).max(1);
        let close = crate::ast::ENTRY_WORDS
            .iter()
            .chain(&DECLARATION_WORDS)
            .map(|k| (strsim::damerau_levenshtein(&word, k), *k))
            .filter(|(d, _)| *d <= limit)
            .min();
        if let Some((_, k)) = close {
            return Some(format!("did you mean `{k}`?"));
        }
    }
    None
}

/// Turns pest's list of expected rules into words, and recognises common mistakes.
fn describe_expected(positives: &[Rule]) -> (String, Option<String>) {
    let mut words: Vec<&'static str> = positives.iter().map(|r| rule_words(*r)).collect();
    if positives.contains(&Rule::on_kw) {
        // A rule's name is followed by `on`, `for`, its title or its body.
        words.push("`{`");
    }
    words.sort_unstable();
    words.dedup();
    let help = if positives.contains(&Rule::then_clause) {
        Some("a rule body is `when <condition> then <effect>, ...`".to_string())
    } else if positives.contains(&Rule::when_clause) {
        Some("a rule body starts with `when <condition>`".to_string())
    } else if words == ["a name"] {
        // A rule's, an effect's or a binding's name, not an operand.
        Some(
            "a name is a word of letters, digits and `_` that starts with a letter or `_` \
             and is not a keyword"
                .to_string(),
        )
    } else if positives.contains(&Rule::expr) || positives.contains(&Rule::ident) {
        Some(
            "an operand is a name, a literal such as `100`, `5000.00 CNY` or `\"text\"`, or a call"
                .to_string(),
        )
    } else {
        None
    };
    if positives.contains(&Rule::op_neg) || positives.contains(&Rule::op_not) {
        return ("an operand".to_string(), help);
    }
    let expected = match words.len() {
        0 => "something else".to_string(),
        1 => words.concat(),
        _ => {
            let (last, first) = words
                .split_last()
                .map(|(l, f)| (*l, f.to_vec()))
                .unwrap_or(("", Vec::new()));
            format!("{} or {}", first.join(", "), last)
        }
    };
    (expected, help)
}

fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        // A file that does not start with a declaration: pest names the file rule.
        Rule::file
        | Rule::kind_decl
        | Rule::record_decl
        | Rule::effect_decl
        | Rule::platform_decl
        | Rule::policy_decl => "a declaration (`policy`, `kind`, `record`, `effect`, `platform`)",
        Rule::ident | Rule::member => "a name",
        Rule::policy_id => "a dotted policy ID such as `douyin.zero_deposit_trial`",
        Rule::zone_name => "a time zone such as `Asia/Shanghai`",
        Rule::currency_code => "a currency code such as `CNY`",
        Rule::type_expr | Rule::named_type | Rule::list_type | Rule::map_type | Rule::enum_type => {
            "a type"
        }
        Rule::record_body | Rule::kind_body => "`{`",
        Rule::field_decl => "a field (`name: type`)",
        Rule::variant_decl => "`when`",
        Rule::title_decl
        | Rule::source_decl
        | Rule::subject_decl
        | Rule::zone_decl
        | Rule::currency_decl
        | Rule::effective_decl
        | Rule::governed_decl
        | Rule::param_decl
        | Rule::require_decl
        | Rule::require_kw
        | Rule::let_decl
        | Rule::rank_decl
        | Rule::rank_kw
        | Rule::rule_decl => {
            "a policy entry (`title`, `subject`, `zone`, `param`, `let`, `rule`, ...)"
        }
        // `{` is a literal, which pest does not report: added with `on`.
        Rule::rule_each | Rule::rule_on | Rule::on_kw => "`on`",
        Rule::rule_let => "`let`",
        Rule::effect_guard | Rule::if_kw => "`if`",
        Rule::group_by | Rule::group_kw => "`group by`",
        Rule::window | Rule::from_bound | Rule::until_bound => "`from` or `until`",
        Rule::time_point => "a date or timestamp",
        Rule::version_decl => "`version`",
        Rule::clauses | Rule::when_clause => "`when`",
        Rule::then_clause => "`then`",
        Rule::message_clause => "`message`",
        Rule::effect_call => "an effect",
        Rule::named_arg => "an argument (`name: value`)",
        Rule::expr => "an expression",
        // pest reports a clause by its keyword (an atomic rule).
        Rule::for_clause | Rule::for_kw => "`for`",
        Rule::where_clause | Rule::where_kw => "`where`",
        Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_in
        | Rule::op_coalesce
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => "an operator",
        Rule::field_access
        | Rule::index_access
        | Rule::is_present
        | Rule::is_absent
        | Rule::within => "an operator",
        Rule::named_condition => "a named condition (`name: condition`)",
        Rule::string_lit | Rule::string_inner => "a string",
        _ => "a value",
    }
}

#[cfg(test)]
mod tests {
    use super::{describe_expected, innermost_open};

    /// With nothing reported, the words still read (pest reports at least
    /// one rule wherever a parse fails today; a grammar change may not).
    #[test]
    fn nothing_expected_is_said_as_something_else() {
        assert_eq!(describe_expected(&[]).0, "something else");
    }

    #[test]
    fn the_innermost_open_bracket_is_found_outside_strings_and_comments() {
        assert_eq!(innermost_open("e(a: 1, "), Some(1));
        assert_eq!(innermost_open("e(a: f(1), "), Some(1));
        assert_eq!(innermost_open("e(a: { "), None);
        assert_eq!(innermost_open("e(a: \")\" "), Some(1));
        assert_eq!(innermost_open("e(a: \"\\\")\" "), Some(1));
        assert_eq!(innermost_open("e( // )\n"), Some(1));
        assert_eq!(innermost_open(") e("), Some(3));
        assert_eq!(innermost_open("x"), None);
    }
}

//! Recovery: a file that does not parse is cut into its declarations, and a
//! policy into its entries, each parsed alone, so that a syntax error hides
//! only the declaration or entry it is in.
//!
//! Cuts are made by a light scan (strings and comments skipped): a
//! declaration starts at `kind`, `record`, `effect`, `platform` or `policy`
//! outside braces, or at the start of an unindented line; an entry starts at
//! its keyword directly inside the policy's braces, and a `rule` at the start
//! of a line starts a new entry even when braces above it are left open.

use pest::Parser;

use crate::ast::{Broken, RuleFile, ENTRY_WORDS};
use crate::error::ParseError;
use crate::grammar::{PolicyParser, Rule};
use crate::span::Span;

use super::Lower;

/// Words that start a declaration.
const ITEM_WORDS: [&str; 5] = ["kind", "record", "effect", "platform", "policy"];

/// A token of the light scan: a word, or one byte of punctuation.
#[derive(Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    /// Nothing but spaces before it on its line
    line_start: bool,
    /// At the very start of its line (no indentation)
    column_zero: bool,
}

/// The tokens of `text[from..to]` that matter for cutting: words and braces.
fn tokens(text: &str, from: usize, to: usize) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    let mut line_start = from == 0 || bytes.get(from - 1) == Some(&b'\n');
    let mut column_zero = line_start;
    while i < to {
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'\n' => {
                line_start = true;
                column_zero = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => {
                column_zero = false;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', bytes.get(i..to).unwrap_or(&[])).map_or(to, |n| i + n);
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i).filter(|_| i < to) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' || c == b'\n' {
                        break;
                    }
                }
                line_start = false;
                column_zero = false;
            }
            _ => {
                let start = i;
                if b.is_ascii_alphanumeric() || b == b'_' {
                    while bytes
                        .get(i)
                        .is_some_and(|c| i < to && (c.is_ascii_alphanumeric() || *c == b'_'))
                    {
                        i += 1;
                    }
                } else {
                    // One character (whole, when it is not ASCII).
                    i += text
                        .get(i..)
                        .and_then(|r| r.chars().next())
                        .map_or(1, char::len_utf8);
                }
                out.push(Token {
                    start,
                    end: i,
                    line_start,
                    column_zero,
                });
                line_start = false;
                column_zero = false;
            }
        }
    }
    out
}

fn word<'t>(text: &'t str, t: &Token) -> &'t str {
    text.get(t.start..t.end).unwrap_or("")
}

/// Whether the token before `t` (if any) is a `.`: then `t` is a field name, never a keyword.
fn after_dot(text: &str, prev: Option<&Token>) -> bool {
    prev.is_some_and(|p| word(text, p) == ".")
}

/// Parses a file that failed to parse, declaration by declaration.
///
/// `first` is the error of the whole file's parse: the piece it falls in
/// reports it (its wording knows the whole file's context) rather than the
/// error of the piece parsed alone.
pub(crate) fn items(
    lower: &Lower<'_>,
    file: &mut RuleFile,
    errors: &mut Vec<ParseError>,
    first: &mut Option<ParseError>,
) {
    let text = lower.text;
    let toks = tokens(text, 0, text.len());
    let mut starts = Vec::new();
    // Whether each chunk starts with `policy`.
    let mut policies = Vec::new();
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate() {
        let w = word(text, t);
        let prev = k.checked_sub(1).and_then(|p| toks.get(p));
        let is_item_word = ITEM_WORDS.contains(&w) && !after_dot(text, prev);
        if is_item_word && (depth == 0 || t.column_zero) {
            depth = 0;
            starts.push(t.start);
            policies.push(w == "policy");
        } else if starts.is_empty() {
            // Text before the first declaration: a chunk of its own, which fails.
            starts.push(t.start);
            policies.push(false);
        }
        match w {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(text.len()))
        .collect();
    for ((&start, &end), &is_policy) in starts.iter().zip(&ends).zip(&policies) {
        let chunk = text.get(start..end).unwrap_or("");
        let part = Lower {
            source: lower.source,
            text,
            base: start,
            comments: lower.comments,
        };
        match PolicyParser::parse(Rule::item_only, chunk) {
            Ok(pairs) => {
                let items = pairs
                    .flatten()
                    .filter(|p| super::is_item(p.as_rule()))
                    .take(1);
                for pair in items {
                    part.item_into(pair, file, errors);
                }
            }
            Err(e) => {
                if is_policy {
                    if let Some(policy) = self::policy(&part, start, end, errors, first) {
                        file.items.push(crate::ast::Item::Policy(Box::new(policy)));
                        continue;
                    }
                }
                errors.push(
                    take_if_within(first, start, end).unwrap_or_else(|| part.syntax_error(e)),
                );
                file.broken.push(broken(text, Span::new(start, end)));
            }
        }
    }
}

/// Parses a policy that failed to parse, entry by entry; `None` when its
/// opening (`policy id {`) does not parse either.
fn policy(
    lower: &Lower<'_>,
    start: usize,
    end: usize,
    errors: &mut Vec<ParseError>,
    first: &mut Option<ParseError>,
) -> Option<crate::ast::PolicyDecl> {
    let text = lower.text;
    let chunk = text.get(start..end)?;
    let head = PolicyParser::parse(Rule::policy_head, chunk).ok()?;
    let head_pair = head.peek()?;
    let id_pair = head_pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::policy_id)?;
    let head_end = start + head.as_str().len();
    let mut policy = lower.empty_policy(&id_pair, Span::new(start, end));
    // Cut the body into entries; find the brace that closes the policy.
    let toks = tokens(text, head_end, end);
    let mut starts = Vec::new();
    let mut close = None;
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate() {
        let w = word(text, t);
        let prev = k.checked_sub(1).and_then(|p| toks.get(p));
        let entry_word = ENTRY_WORDS.contains(&w) && !after_dot(text, prev);
        if entry_word && (depth == 0 || (w == "rule" && t.line_start)) {
            depth = 0;
            starts.push(t.start);
        } else if starts.is_empty() && w != "}" {
            starts.push(t.start);
        }
        match w {
            "{" => depth += 1,
            "}" if depth == 0 => {
                close = Some(t.start);
                break;
            }
            "}" => depth -= 1,
            _ => {}
        }
    }
    let body_end = close.unwrap_or(end);
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(body_end))
        .collect();
    for (&s, &e) in starts.iter().zip(&ends) {
        let part = Lower {
            source: lower.source,
            text,
            base: s,
            comments: lower.comments,
        };
        let entry_text = text.get(s..e).unwrap_or("");
        match PolicyParser::parse(Rule::policy_item_only, entry_text) {
            Ok(pairs) => {
                let entry = pairs
                    .flatten()
                    .find(|p| p.as_rule() != Rule::policy_item_only && p.as_rule() != Rule::EOI);
                if let Some(pair) = entry {
                    part.entry_into(&mut policy, pair, errors);
                }
            }
            Err(err) => {
                errors.push(take_if_within(first, s, e).unwrap_or_else(|| part.syntax_error(err)));
                policy.broken.push(broken(text, Span::new(s, e)));
            }
        }
    }
    match close {
        Some(c) => {
            // Anything after the closing brace is a mistake of its own.
            let rest = tokens(text, c + 1, end);
            if let Some(t) = rest.first() {
                errors.push(unexpected(
                    lower,
                    t,
                    "the end of the policy or a new declaration",
                ));
            }
        }
        None => errors.push(ParseError::Syntax {
            source_id: lower.source,
            span: Span::new(end, end),
            expected: "`}`".into(),
            found: "the end of the policy".into(),
            help: Some(format!(
                "the `{{` of policy `{}` is not closed: add the missing `}}`",
                policy.id.node
            )),
        }),
    }
    Some(policy)
}

fn unexpected(lower: &Lower<'_>, t: &Token, expected: &str) -> ParseError {
    ParseError::Syntax {
        source_id: lower.source,
        span: Span::new(t.start, t.end),
        expected: expected.into(),
        found: format!("found `{}`", word(lower.text, t)),
        help: None,
    }
}

/// The whole file's error, when it stands in `start..end` (and was not used yet).
fn take_if_within(first: &mut Option<ParseError>, start: usize, end: usize) -> Option<ParseError> {
    let at = first.as_ref()?.span().start as usize;
    if (start..end).contains(&at) {
        first.take()
    } else {
        None
    }
}

/// What a declaration or entry that did not parse was: its first word, and the name after it.
pub(crate) fn broken(text: &str, span: Span) -> Broken {
    let chunk = text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let mut words = chunk
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty());
    let keyword = words.next().unwrap_or("").to_string();
    let name = words.next().map(str::to_string);
    Broken {
        keyword,
        name,
        span,
    }
}

//! Limits on nesting, so that no input can exhaust the stack.
//!
//! Two guards, both iterative:
//!
//! - [`prescan`] runs before pest and bounds what makes pest's parser recurse:
//!   open brackets (`(`, `[`, `{`, `map<`) and `if` expressions whose final
//!   `else` value has not ended. A chain of `else if` counts once, and an
//!   operator chain (`a + b + ...`) counts nothing: the grammar repeats those
//!   rather than nesting them.
//! - [`check_depth`] runs on the lowered AST and bounds its depth, which is what
//!   the checker, the evaluator and printers recurse on. Prefix operators
//!   (`not not x`) and postfix chains (`a.b.c`) nest there; operator chains are
//!   flat ([`crate::ast::ExprKind::Chain`]).
//!
//! Passing either limit is a located [`ParseError::TooDeep`].

use crate::ast::{Expr, ExprKind};
use crate::error::ParseError;
use crate::span::{SourceId, Span};

/// The most brackets and `if` expressions open at one point of a file.
pub const MAX_NESTING: usize = 64;
/// The deepest expression tree accepted (operator chains are flat and count once).
pub const MAX_DEPTH: usize = 128;

/// Where an open `if` is: reading its condition, its `then` value, or its final `else` value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IfState {
    Cond,
    Then,
    Else,
}

/// One open bracket and the `if`s open inside it.
struct Frame {
    /// `map<` frames close at `>`, the others at any closing bracket.
    angle: bool,
    ifs: Vec<IfState>,
}

/// Words that start a new entry or clause: every `if` open in the bracket has ended.
const ENTRY_WORDS: [&str; 14] = [
    "let",
    "param",
    "require",
    "rule",
    "message",
    "when",
    "version",
    "subject",
    "governed",
    "title",
    "source",
    "zone",
    "currency",
    "effective",
];

/// Checks the nesting of `text` (which starts at byte `offset` of its file) before it is parsed.
pub(crate) fn prescan(source: SourceId, text: &str, offset: usize) -> Result<(), ParseError> {
    scan(source, text, offset, false)
}

/// [`prescan`]; `in_template` when `text` is an interpolation of a message
/// template (whose own strings are then plain strings).
fn scan(source: SourceId, text: &str, offset: usize, in_template: bool) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    let mut frames: Vec<Frame> = vec![Frame {
        angle: false,
        ifs: Vec::new(),
    }];
    let mut open_ifs = 0usize;
    let mut i = 0usize;
    // The previous word, and whether it followed a `.` (a field name, never a keyword).
    let mut prev_word: Option<&str> = None;
    let mut prev_word_is_member = false;
    // The significant character before the previous word: `map<` opens a type only after `:`, `<`, `[` or `,`.
    let mut before_prev_word = b' ';
    let mut prev_significant = b' ';
    let too_deep = |at: usize, len: usize| ParseError::TooDeep {
        source_id: source,
        span: Span::new(offset + at, offset + at + len),
        limit: MAX_NESTING,
    };
    while let Some(&b) = bytes.get(i) {
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'"' if !in_template && prev_word == Some("message") && !prev_word_is_member => {
                // A message template: the grammar parses its interpolations as
                // expressions, so each is scanned like one.
                i = template_end(bytes, i + 1, |from, to| {
                    scan(
                        source,
                        text.get(from..to).unwrap_or(""),
                        offset + from,
                        true,
                    )
                })?;
                prev_word = None;
                prev_significant = b'"';
                continue;
            }
            b'"' => {
                i = string_end(bytes, i + 1);
                prev_word = None;
                prev_significant = b'"';
                continue;
            }
            b'(' | b'[' | b'{' => {
                frames.push(Frame {
                    angle: false,
                    ifs: Vec::new(),
                });
                if frames.len() - 1 + open_ifs > MAX_NESTING {
                    return Err(too_deep(i, 1));
                }
            }
            b'<' if prev_word == Some("map")
                && !prev_word_is_member
                && matches!(before_prev_word, b':' | b'<' | b'[' | b',') =>
            {
                frames.push(Frame {
                    angle: true,
                    ifs: Vec::new(),
                });
                if frames.len() - 1 + open_ifs > MAX_NESTING {
                    return Err(too_deep(i, 1));
                }
            }
            b'>' if frames.len() > 1 && frames.last().is_some_and(|f| f.angle) => {
                if let Some(f) = frames.pop() {
                    open_ifs -= f.ifs.len();
                }
            }
            b')' | b']' | b'}' => {
                // Unclosed `map<`s end with their bracket, then the bracket itself.
                while frames.len() > 1 {
                    let Some(f) = frames.pop() else { break };
                    open_ifs -= f.ifs.len();
                    if !f.angle {
                        break;
                    }
                }
            }
            b',' => clear(&mut frames, &mut open_ifs),
            b':' if prev_word.is_some_and(|w| !w.starts_with(|c: char| c.is_ascii_digit())) => {
                clear(&mut frames, &mut open_ifs)
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let word = text.get(start..i).unwrap_or("");
                let is_member = prev_significant == b'.';
                if !is_member {
                    keyword(word, prev_word, &mut frames, &mut open_ifs);
                    if word == "if" && frames.len() - 1 + open_ifs > MAX_NESTING {
                        return Err(too_deep(start, 2));
                    }
                }
                before_prev_word = prev_significant;
                prev_word = Some(word);
                prev_word_is_member = is_member;
                prev_significant = b'a';
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            prev_significant = b;
            prev_word = None;
        }
        i += 1;
    }
    Ok(())
}

/// What a word does to the open `if`s of the innermost bracket.
fn keyword(word: &str, prev_word: Option<&str>, frames: &mut [Frame], open_ifs: &mut usize) {
    let Some(frame) = frames.last_mut() else {
        return;
    };
    match word {
        "if" => {
            if prev_word == Some("else") && frame.ifs.last() == Some(&IfState::Else) {
                // `else if`: the same chain, reading a new condition.
                if let Some(top) = frame.ifs.last_mut() {
                    *top = IfState::Cond;
                }
            } else {
                frame.ifs.push(IfState::Cond);
                *open_ifs += 1;
            }
        }
        "then" => {
            // Ifs whose `else` value is being read end here; the innermost one
            // reading its condition moves on. With none, it is a rule's `then`.
            while frame.ifs.last() == Some(&IfState::Else) {
                frame.ifs.pop();
                *open_ifs -= 1;
            }
            if let Some(top) = frame.ifs.last_mut() {
                if *top == IfState::Cond {
                    *top = IfState::Then;
                }
            }
        }
        "else" => {
            while frame.ifs.last() == Some(&IfState::Else) {
                frame.ifs.pop();
                *open_ifs -= 1;
            }
            if let Some(top) = frame.ifs.last_mut() {
                if *top == IfState::Then {
                    *top = IfState::Else;
                }
            }
        }
        w if ENTRY_WORDS.contains(&w) => {
            *open_ifs -= frame.ifs.len();
            frame.ifs.clear();
        }
        _ => {}
    }
}

/// A `,` or `name:` ends every `if` open in the innermost bracket.
fn clear(frames: &mut [Frame], open_ifs: &mut usize) {
    if let Some(frame) = frames.last_mut() {
        *open_ifs -= frame.ifs.len();
        frame.ifs.clear();
    }
}

/// The index of the first line break at or after `from` (or the text's end).
pub(crate) fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
        .map(|p| from + p)
        .unwrap_or(bytes.len())
}

/// The index after a string literal's closing quote (or where the line or text ends).
pub(crate) fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index just past the message template whose text starts at `i`, calling
/// `interpolation(from, to)` on the text of each `{...}` in it (as the grammar
/// reads it: `{{`, `}}` and escapes are text; an interpolation ends at the
/// first `}` outside its brackets and strings).
fn template_end(
    bytes: &[u8],
    mut i: usize,
    mut interpolation: impl FnMut(usize, usize) -> Result<(), ParseError>,
) -> Result<usize, ParseError> {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return Ok(i + 1),
            b'\n' => return Ok(i),
            b'\\' => i += 2,
            b'{' | b'}' if bytes.get(i + 1) == Some(&b) => i += 2,
            b'{' => {
                let from = i + 1;
                let mut depth = 0usize;
                let mut j = from;
                while let Some(&c) = bytes.get(j) {
                    match c {
                        b'"' => {
                            j = string_end(bytes, j + 1);
                            continue;
                        }
                        b'(' | b'[' | b'{' => depth += 1,
                        b')' | b']' => depth = depth.saturating_sub(1),
                        b'}' if depth == 0 => break,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                interpolation(from, j)?;
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    Ok(bytes.len())
}

/// Checks that an expression tree is at most [`MAX_DEPTH`] deep, without recursing.
pub(crate) fn check_depth(source: SourceId, root: &Expr) -> Result<(), ParseError> {
    let mut stack: Vec<(&Expr, usize)> = vec![(root, 1)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(ParseError::TooDeep {
                source_id: source,
                span: e.span,
                limit: MAX_DEPTH,
            });
        }
        // Parentheses add no level: their number is bounded by the prescan.
        let step = usize::from(!matches!(e.kind, ExprKind::Paren(_)));
        for_each_child(e, |c| stack.push((c, depth + step)));
    }
    Ok(())
}

/// Calls `f` on each direct sub-expression of `e`.
pub fn for_each_child<'e>(e: &'e Expr, mut f: impl FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Literal(..) | ExprKind::Name(_) | ExprKind::Now | ExprKind::Held => {}
        ExprKind::Paren(x) => f(x),
        ExprKind::Field(base, _) => f(base),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        ExprKind::Chain { first, rest } => {
            f(first);
            rest.iter().for_each(|(_, x)| f(x));
        }
        ExprKind::Unary(_, a) | ExprKind::Presence { expr: a, .. } => f(a),
        ExprKind::Within {
            expr, low, high, ..
        } => {
            f(expr);
            f(low);
            f(high);
        }
        ExprKind::If {
            branches,
            otherwise,
        } => {
            for (c, v) in branches {
                f(c);
                f(v);
            }
            f(otherwise);
        }
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().for_each(f),
        ExprKind::Record(fields) => fields.iter().for_each(|(_, value)| f(value)),
        ExprKind::Comprehension {
            map,
            source,
            filter,
            ..
        } => {
            if let Some(m) = map {
                f(m);
            }
            f(source);
            if let Some(x) = filter {
                f(x);
            }
        }
        ExprKind::Conditions { items, .. } => items.iter().for_each(|i| f(&i.cond)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        prescan(SourceId(0), text, 0).is_ok()
    }

    /// Where the prescan of `text` (at byte `offset` of its file) finds it
    /// too deep, if it does.
    fn too_deep_at(text: &str, offset: usize) -> Option<usize> {
        match prescan(SourceId(0), text, offset) {
            Err(ParseError::TooDeep { span, .. }) => Some(span.start as usize),
            _ => None,
        }
    }

    #[test]
    fn brackets_and_ifs_count_and_chains_do_not() {
        assert!(depth_ok(&"(".repeat(MAX_NESTING)));
        assert!(!depth_ok(&"(".repeat(MAX_NESTING + 1)));
        assert!(!depth_ok(&"[".repeat(MAX_NESTING + 1)));
        assert!(!depth_ok(&format!("x: {}", "map<".repeat(MAX_NESTING + 1))));
        assert!(!depth_ok(&"if ".repeat(MAX_NESTING + 1)));
        assert!(!depth_ok(&"if x then ".repeat(MAX_NESTING + 1)));
        let else_ifs = format!(
            "if a then 1 {} else 2",
            "else if b then 1 ".repeat(10 * MAX_NESTING)
        );
        assert!(depth_ok(&else_ifs));
        let lets = "let a = if x then 1 else 2\n".repeat(10 * MAX_NESTING);
        assert!(depth_ok(&format!("policy p.q {{ {lets} }}")));
        let list = format!("[{}]", "if a then 1 else 2, ".repeat(10 * MAX_NESTING));
        assert!(depth_ok(&list));
        let sum = "a + ".repeat(100_000) + "a";
        assert!(depth_ok(&sum));
        // Brackets in strings and comments do not count; `a.if` is a field.
        assert!(depth_ok(&format!(
            "\"{}\" // {}",
            "(".repeat(999),
            "[".repeat(999)
        )));
        assert!(depth_ok(&"a.if ".repeat(999)));
        assert!(depth_ok(&"(x.map < 1) and map < 2 and ".repeat(999)));
    }

    #[test]
    fn the_error_points_at_the_first_bracket_too_many() {
        let text = "(".repeat(MAX_NESTING + 5);
        assert_eq!(too_deep_at(&text, 10), Some(10 + MAX_NESTING));
    }

    /// A comment is skipped to its line's end, exactly: the brackets after
    /// it all count (survivors of the mutation run: a comment's end
    /// misplaced went unnoticed).
    #[test]
    fn a_comment_is_skipped_to_its_line_end() {
        let text = format!("x // c (((\n{}", "(".repeat(MAX_NESTING + 5));
        let first = text.find("\n(").unwrap_or(0) + 1;
        assert_eq!(too_deep_at(&text, 0), Some(first + MAX_NESTING));
        // A lone `/` divides: the brackets after it on its line count.
        let text = format!("a / {}", "(".repeat(MAX_NESTING + 5));
        assert_eq!(too_deep_at(&text, 0), Some(4 + MAX_NESTING));
        // At the very start of the text too.
        let text = format!("// c (((\n{}", "(".repeat(MAX_NESTING + 5));
        assert_eq!(too_deep_at(&text, 0), Some(9 + MAX_NESTING));
        assert!(depth_ok(&format!("// {}", "(".repeat(MAX_NESTING + 5))));
    }

    /// A string inside an interpolation is text: its brackets do not count,
    /// and its `}` does not end the interpolation (so the template's own
    /// text after it stays text).
    #[test]
    fn a_string_in_an_interpolation_is_text() {
        let brackets = "(".repeat(MAX_NESTING + 5);
        let inside = format!("message \"{{x ?? \"{brackets}\"}}\"");
        assert!(depth_ok(&inside));
        let after = format!("message \"{{x ?? \"}}\"}} {brackets}\"");
        assert!(depth_ok(&after));
        // After the template's closing quote, brackets count again.
        let text = format!("message \"{{x}}\" {brackets}");
        let first = text.find('(').unwrap_or(0);
        assert_eq!(too_deep_at(&text, 0), Some(first + MAX_NESTING));
    }

    /// After a template whose interpolation holds a record, the brackets
    /// count with those open before the template (the record's `}` closes
    /// the record, not more).
    #[test]
    fn brackets_after_a_template_count_with_those_before_it() {
        let before = "(".repeat(MAX_NESTING - 4);
        let ok = format!("{before}message \"{{ {{a: 1}}.a }}\" ((((");
        assert!(depth_ok(&ok));
        let text = format!("{before}message \"{{ {{a: 1}}.a }}\" (((((");
        assert_eq!(too_deep_at(&text, 0), Some(text.len() - 1));
        // So do brackets closed inside the interpolation.
        let text = format!("{before}message \"{{ max(1, [2][0]) }}\" (((((");
        assert_eq!(too_deep_at(&text, 0), Some(text.len() - 1));
    }

    /// A record's braces inside an interpolation nest in it: the
    /// interpolation ends at its own `}`, and what follows the record is
    /// still scanned as its expression.
    #[test]
    fn an_interpolation_ends_at_its_own_brace() {
        let n = MAX_NESTING + 5;
        let text = format!(
            "message \"{{ {{a: 1}}.a + {}1{} }}\"",
            "(".repeat(n),
            ")".repeat(n)
        );
        assert!(too_deep_at(&text, 0).is_some());
    }

    /// A name and its colon (`c1: ...`) end the `if`s before it, as a comma
    /// does; a time's colon (`10:30`) does not.
    #[test]
    fn a_names_colon_ends_the_ifs_before_it_and_a_times_does_not() {
        let named: String = (0..MAX_NESTING + 5)
            .map(|i| format!("c{i}: if a then b else d "))
            .collect();
        assert!(depth_ok(&format!("any {{ {named} }}")));
        let n = MAX_NESTING + 5;
        let times = format!(
            "{}1{}",
            "if t == 10:30 then ".repeat(n),
            " else 2".repeat(n)
        );
        assert!(too_deep_at(&times, 0).is_some());
    }

    /// In a message template, each interpolation is scanned as an
    /// expression of its own, and the error points into the string; `{{` is
    /// text, not an interpolation (a survivor of the mutation run: every `{`
    /// read as `{{` went unnoticed, as a later guard refused the file).
    #[test]
    fn interpolations_are_scanned_and_doubled_braces_are_text() {
        let text = format!("message \"a {{{{ {{{}}}\"", "(".repeat(MAX_NESTING + 5));
        let first_paren = text.find('(').unwrap_or(0);
        assert_eq!(too_deep_at(&text, 0), Some(first_paren + MAX_NESTING));
        let doubled = format!("message \"{{{{{}}}}}\"", "(".repeat(MAX_NESTING + 5));
        assert!(depth_ok(&doubled));
        // An escape is two characters of text; what follows it is read on.
        let n = MAX_NESTING + 5;
        let escaped = format!("message \"\\t{{{}1{}}}\"", "(".repeat(n), ")".repeat(n));
        assert_eq!(too_deep_at(&escaped, 0), Some(12 + MAX_NESTING));
        // An escaped quote does not end the template.
        let quoted = format!("message \"\\\"{{{}1{}}}\"", "(".repeat(n), ")".repeat(n));
        assert_eq!(too_deep_at(&quoted, 0), Some(12 + MAX_NESTING));
    }

    /// An escaped quote does not end a string; the brackets after its real
    /// end count.
    #[test]
    fn an_escaped_quote_does_not_end_a_string() {
        let text = format!("x = \"a\\\"b\" {}", "(".repeat(MAX_NESTING + 5));
        assert_eq!(too_deep_at(&text, 0), Some(11 + MAX_NESTING));
    }

    /// A string left open ends at its line: brackets on the next lines count.
    #[test]
    fn an_unclosed_string_ends_at_its_line() {
        let text = format!("\"abc\n{}", "(".repeat(MAX_NESTING + 5));
        assert_eq!(too_deep_at(&text, 0), Some(5 + MAX_NESTING));
    }

    /// A `map<` type counts with the `if`s open around it.
    #[test]
    fn map_types_count_with_the_ifs_around_them() {
        let ifs = "if a then ".repeat(MAX_NESTING - 4);
        assert!(depth_ok(&format!("{ifs}[{}", "map<".repeat(3))));
        let text = format!("{ifs}[{}", "map<".repeat(4));
        assert_eq!(too_deep_at(&text, 0), Some(text.len() - 1));
    }

    /// A closing bracket closes one bracket (and the `map<`s left open in
    /// it), no more.
    #[test]
    fn a_closer_closes_one_bracket() {
        let text = format!("{})((", "(".repeat(MAX_NESTING));
        assert_eq!(too_deep_at(&text, 0), Some(MAX_NESTING + 2));
        let text = format!("x: [{}]((", "map<".repeat(MAX_NESTING - 1));
        assert!(depth_ok(&text));
    }

    /// A closing bracket with nothing open is ignored: the count stays
    /// exact after it (a survivor of the mutation run: popping the outermost
    /// frame too went unnoticed).
    #[test]
    fn a_stray_closer_leaves_the_count_exact() {
        let stray = ") ] } ";
        assert!(depth_ok(&format!("{stray}{}", "(".repeat(MAX_NESTING))));
        let text = format!("{stray}{}", "(".repeat(MAX_NESTING + 1));
        assert_eq!(too_deep_at(&text, 0), Some(stray.len() + MAX_NESTING));
        assert!(depth_ok(&format!("{stray}if a then b else c")));
    }

    /// The error covers the bracket or the `if` too many, whole.
    #[test]
    fn the_error_covers_the_bracket_or_the_if_too_many() {
        let span = |text: &str| match prescan(SourceId(0), text, 7) {
            Err(ParseError::TooDeep { span, .. }) => (span.start as usize, span.end as usize),
            other => panic!("{other:?}"),
        };
        let brackets = "(".repeat(MAX_NESTING + 1);
        assert_eq!(span(&brackets), (7 + MAX_NESTING, 8 + MAX_NESTING));
        let ifs = "if ".repeat(MAX_NESTING + 1);
        let last = 7 + 3 * MAX_NESTING;
        assert_eq!(span(&ifs), (last, last + 2));
    }

    /// What closes leaves the count as it found it, however often it is
    /// repeated: a rule's `then` ending an `if` read as its condition, a
    /// `map<...>` type's `>` (survivors of the mutation run: counting either
    /// up instead of down went unnoticed).
    #[test]
    fn closed_ifs_and_map_types_leave_nothing_open() {
        let rules = "rule r { when if a then b else c then e }\n".repeat(2 * MAX_NESTING);
        assert!(depth_ok(&format!("policy p.q {{ {rules} }}")));
        // An `else` ends the `if` whose `else` value was being read.
        let nested =
            "rule r { when if a then if b then c else d else e then f }\n".repeat(2 * MAX_NESTING);
        assert!(depth_ok(&format!("policy p.q {{ {nested} }}")));
        let fields: String = (0..2 * MAX_NESTING)
            .map(|i| format!("f{i}: map<string, int>\n"))
            .collect();
        assert!(depth_ok(&format!("kind k {{ {fields} }}")));
    }
}

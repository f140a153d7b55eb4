//! Finding the `//` comments of a file, which the grammar skips: each is kept
//! with its text, where it stands, and what it is attached to.

use crate::ast::Comment;
use crate::span::Span;

/// Every `//` comment outside string literals, in order. Linear in the text.
pub(crate) fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments: Vec<Comment> = Vec::new();
    // Comments whose next code is not known yet.
    let mut waiting = 0usize;
    let mut i = 0usize;
    let mut line_has_code = false;
    let mut blank_line_seen = false;
    let mut newlines_since_content = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', bytes.get(i..).unwrap_or(&[]))
                    .map_or(bytes.len(), |n| i + n);
                let body = text.get(i + 2..end).unwrap_or("");
                let body = body.strip_suffix('\r').unwrap_or(body);
                comments.push(Comment {
                    text: body.to_string(),
                    span: Span::new(i, i + 2 + body.len()),
                    trailing: line_has_code,
                    next_code: u32::MAX,
                    blank_before: !line_has_code && blank_line_seen,
                });
                if line_has_code {
                    // A trailing comment is attached to the code before it.
                    waiting = comments.len();
                }
                blank_line_seen = false;
                newlines_since_content = 0;
                i = end;
                continue;
            }
            b'\n' => {
                newlines_since_content += 1;
                if newlines_since_content >= 2 {
                    blank_line_seen = true;
                }
                line_has_code = false;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => {
                if !line_has_code {
                    for c in comments.iter_mut().skip(waiting) {
                        c.next_code = u32::try_from(i).unwrap_or(u32::MAX);
                    }
                    waiting = comments.len();
                }
                line_has_code = true;
                blank_line_seen = false;
                newlines_since_content = 0;
                if b == b'"' {
                    i = string_end(bytes, i + 1);
                    continue;
                }
            }
        }
        i += 1;
    }
    let end = u32::try_from(text.len()).unwrap_or(u32::MAX);
    for c in comments.iter_mut().skip(waiting) {
        c.next_code = end;
    }
    comments
}

/// The index just past the string literal whose text starts at `i` (escapes
/// skipped; a string ends at its quote, a line break or the end of the text).
/// Braces inside a message template's interpolation are not special here: an
/// interpolation holding a string literal is rare, and at worst a `//` in it
/// is not seen as a comment (the grammar does not see it as one either).
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return i + 1,
            b'\n' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_outside_strings_with_their_places() {
        let text = "// head\n\n// lead\npolicy a.b { // trail\n  title \"x // not\"\n}\n// end\n";
        let c = scan(text);
        let texts: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" head", " lead", " trail", " end"]);
        // A string left open ends at its line: the comment below is found.
        let found = scan("title \"abc\n// c\n");
        let texts: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" c"]);
        // A lone `/` divides: no comment starts there.
        let found = scan("when a / b > 1 // c\n");
        let texts: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" c"]);
        let policy = text.find("policy").unwrap_or(0) as u32;
        assert_eq!(c[0].next_code, policy);
        assert_eq!(c[1].next_code, policy);
        assert!(c[1].blank_before && !c[0].blank_before);
        assert!(c[2].trailing && !c[1].trailing);
        assert_eq!(c[3].next_code, text.len() as u32);
        // One line break after code is no blank line.
        assert!(!c[3].blank_before);
    }

    /// Indentation is not code: an indented comment on its own line leads the
    /// code below it, at that code's first character (a survivor of the
    /// mutation run: spaces taken for code went unnoticed).
    #[test]
    fn indentation_is_not_code() {
        let text = "  // lead\n\t  rule r // trail\n";
        let c = scan(text);
        assert_eq!(c.len(), 2);
        assert!(!c[0].trailing && c[1].trailing);
        assert_eq!(c[0].next_code, text.find("rule").unwrap_or(0) as u32);
    }

    /// A string ends at its quote: a comment after it on the same line is a
    /// comment, and an escaped quote does not end it (a survivor of the
    /// mutation run: strings that ran to the end of their line went unnoticed).
    #[test]
    fn a_comment_after_a_string_on_its_line_is_found() {
        let text = "title \"a \\\" // b\" // note\nsubject s // two\n";
        let found = scan(text);
        let spans: Vec<&str> = found
            .iter()
            .map(|c| {
                text.get(c.span.start as usize..c.span.end as usize)
                    .unwrap_or("?")
            })
            .collect();
        assert_eq!(spans, ["// note", "// two"]);
        let texts: Vec<String> = found.into_iter().map(|c| c.text).collect();
        assert_eq!(texts, [" note", " two"]);
    }
}

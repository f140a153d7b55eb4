//! A diagnostic made safe to show: long source lines clipped around what is
//! pointed at, and control characters made visible.
//!
//! miette's graphical renderer panics on a label past column 65,535, and would
//! print a generated one-line policy whole; a rule file's string literal could
//! carry terminal escape sequences. [`Shown`] wraps any diagnostic with a
//! display copy of its source in which every line is at most
//! [`MAX_SHOWN_LINE`] characters (windows around the labels, joined by `…`)
//! and every control or bidirectional-override character is replaced by a
//! placeholder of the same byte length; labels are moved to match.

use std::borrow::Cow;
use std::fmt;

use miette::{
    Diagnostic, LabeledSpan, MietteError, MietteSpanContents, NamedSource, Severity, SourceCode,
    SourceSpan, SpanContents,
};

/// The longest source line shown, in characters.
pub const MAX_SHOWN_LINE: usize = 240;
/// Characters kept on each side of a label in a clipped line.
const CONTEXT: usize = 60;
/// Lines shown before and after each label's line (miette shows at most one or two).
const CONTEXT_LINES: usize = 3;
/// What stands for the clipped-out part of a line.
const ELLIPSIS: &str = " … ";

/// A diagnostic with a display-safe copy of its source.
pub struct Shown<'a> {
    inner: &'a dyn Diagnostic,
    source: ClippedSource<'a>,
}

/// The display copy of a source, which reports the original's line and column.
struct ClippedSource<'a> {
    name: String,
    shown: NamedSource<String>,
    original: &'a str,
    map: OffsetMap,
}

impl SourceCode for ClippedSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let contents = self.shown.read_span(span, before, after)?;
        // The header (`file:line:column`) is read with no context lines: give the real position.
        let (line, column) = if before == 0 && after == 0 {
            let offset = self.map.unmap(span.offset());
            let start = self
                .original
                .get(..offset)
                .and_then(|b| b.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line = memchr::memchr_iter(
                b'\n',
                self.original.as_bytes().get(..start).unwrap_or_default(),
            )
            .count();
            let column = self
                .original
                .get(start..offset)
                .map_or(0, |t| t.chars().count());
            (line, column)
        } else {
            (contents.line(), contents.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            line,
            column,
            contents.line_count(),
        )))
    }
}

impl<'a> Shown<'a> {
    /// Wraps `inner`, whose labels point into `text`, named `name`.
    pub fn new(inner: &'a dyn Diagnostic, name: &str, text: &'a str) -> Self {
        let points: Vec<(usize, usize)> = inner
            .labels()
            .map(|ls| ls.map(|l| (l.offset(), l.offset() + l.len())).collect())
            .unwrap_or_default();
        let (shown, map) = clip(text, &points);
        Shown {
            inner,
            source: ClippedSource {
                name: name.to_string(),
                shown: NamedSource::new(name, shown),
                original: text,
                map,
            },
        }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.inner.to_string()))
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let help = self.inner.help()?.to_string();
        Some(Box::new(printable(&help).into_owned()))
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels: Vec<LabeledSpan> = self
            .inner
            .labels()?
            .map(|l| {
                let start = self.source.map.map(l.offset());
                let end = self.source.map.map(l.offset() + l.len()).max(start);
                let text = l.label().map(|t| printable(t).into_owned());
                if l.primary() {
                    LabeledSpan::new_primary_with_span(text, (start, end - start))
                } else {
                    LabeledSpan::new_with_span(text, (start, end - start))
                }
            })
            .collect();
        Some(Box::new(labels.into_iter()))
    }
}

/// Where original offsets land in the shown text: segments of kept bytes.
#[derive(Debug, Default)]
struct OffsetMap {
    /// `(original start, shown start, length)`, in order.
    kept: Vec<(usize, usize, usize)>,
}

impl OffsetMap {
    /// The original offset of a shown one.
    fn unmap(&self, shown: usize) -> usize {
        let i = self.kept.partition_point(|(_, s, _)| *s <= shown);
        match i.checked_sub(1).and_then(|j| self.kept.get(j)) {
            Some((o, s, len)) => o + (shown - s).min(*len),
            None => 0,
        }
    }

    /// The shown offset of an original one (the next kept byte, if it was clipped out).
    fn map(&self, offset: usize) -> usize {
        let i = self.kept.partition_point(|(o, _, _)| *o <= offset);
        match i.checked_sub(1).and_then(|j| self.kept.get(j)) {
            Some((o, s, len)) if offset <= o + len => s + (offset - o),
            _ => match self.kept.get(i) {
                Some((_, s, _)) => *s,
                None => self.kept.last().map(|(_, s, len)| s + len).unwrap_or(0),
            },
        }
    }
}

/// The display copy of `text`, clipped around `points` (byte ranges), and its offset map.
fn clip(text: &str, points: &[(usize, usize)]) -> (String, OffsetMap) {
    let mut shown = String::with_capacity(text.len().min(1 << 20));
    let mut map = OffsetMap::default();
    // Lines shown: those of the labels and a few around them; the others are
    // kept as empty lines, so line numbers stay right and the copy stays cheap.
    let mut wanted_lines: Vec<usize> = Vec::new();
    {
        let mut line_start = 0usize;
        let mut sorted: Vec<usize> = points.iter().flat_map(|(a, b)| [*a, *b]).collect();
        sorted.sort_unstable();
        let mut next = sorted.iter().peekable();
        for (line_no, line) in text.split_inclusive('\n').enumerate() {
            let line_end = line_start + line.len();
            while next
                .next_if(|p| **p < line_end || line_end == text.len())
                .is_some()
            {
                wanted_lines.push(line_no);
            }
            line_start = line_end;
        }
    }
    wanted_lines.dedup();
    let near = |n: usize| {
        let i = wanted_lines.partition_point(|w| *w + CONTEXT_LINES < n);
        wanted_lines
            .get(i)
            .is_some_and(|w| w.abs_diff(n) <= CONTEXT_LINES)
    };
    let mut line_start = 0;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let line_end = line_start + line.len();
        if !near(line_no) {
            if line.ends_with('\n') {
                shown.push('\n');
            }
            line_start = line_end;
            continue;
        }
        let chars = line.chars().count();
        let windows: Vec<(usize, usize)> = if chars <= MAX_SHOWN_LINE {
            vec![(0, line.len())]
        } else {
            line_windows(line, line_start, points)
        };
        let mut last_end = 0;
        for (i, (a, b)) in windows.iter().enumerate() {
            if i > 0 || *a > 0 {
                shown.push_str(ELLIPSIS);
            }
            let kept = line.get(*a..*b).unwrap_or("");
            map.kept.push((line_start + a, shown.len(), kept.len()));
            shown.push_str(&placeholders(kept));
            last_end = *b;
        }
        let body_len = line.strip_suffix('\n').map_or(line.len(), str::len);
        if last_end < body_len {
            shown.push_str(ELLIPSIS.trim_end());
        }
        if last_end < line.len() && line.ends_with('\n') {
            map.kept.push((line_end - 1, shown.len(), 1));
            shown.push('\n');
        }
        line_start = line_end;
    }
    map.kept.push((text.len(), shown.len(), 0));
    (shown, map)
}

/// Byte windows of one long line to keep: around each point on it, or its start.
fn line_windows(line: &str, line_start: usize, points: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let line_end = line_start + line.len();
    let mut wanted: Vec<(usize, usize)> = points
        .iter()
        .filter(|(s, e)| *s < line_end && *e >= line_start)
        .map(|(s, e)| {
            let s = s.saturating_sub(line_start).min(line.len());
            let e = e.saturating_sub(line_start).min(line.len());
            (
                back_chars(line, s, CONTEXT),
                forward_chars(line, e.max(s), CONTEXT),
            )
        })
        .collect();
    if wanted.is_empty() {
        wanted.push((0, forward_chars(line, 0, MAX_SHOWN_LINE)));
    }
    wanted.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in wanted {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    // A label wider than a line shows its start and end only.
    merged
        .into_iter()
        .flat_map(|(a, b)| {
            let n = line.get(a..b).map(|s| s.chars().count()).unwrap_or(0);
            if n <= MAX_SHOWN_LINE {
                vec![(a, b)]
            } else {
                let head = forward_chars(line, a, CONTEXT * 2);
                let tail = back_chars(line, b, CONTEXT * 2);
                vec![(a, head), (tail, b)]
            }
        })
        .collect()
}

/// The byte offset `n` characters before `at` in `s` (at a character boundary).
fn back_chars(s: &str, at: usize, n: usize) -> usize {
    let at = floor_boundary(s, at);
    s.get(..at)
        .and_then(|before| before.char_indices().rev().nth(n.saturating_sub(1)))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// The byte offset `n` characters after `at` in `s`, without the line's newline.
fn forward_chars(s: &str, at: usize, n: usize) -> usize {
    let at = floor_boundary(s, at);
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.get(at..)
        .map(|after| {
            after
                .char_indices()
                .nth(n)
                .map(|(i, _)| at + i)
                .unwrap_or(body.len())
        })
        .unwrap_or(at.min(body.len()))
}

fn floor_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Whether a character must not reach a terminal as it is.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Replaces unsafe characters by placeholders of the same UTF-8 length, so offsets stay valid.
fn placeholders(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_char(c) {
                    match c.len_utf8() {
                        1 => "?",
                        2 => "¿",
                        3 => "\u{FFFD}",
                        _ => "????",
                    }
                    .to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Text from data for one line of a report: like [`printable`], and line
/// breaks and tabs escaped too (`\u{a}`), so a record's ID or value can
/// never start a forged line of its own.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escaped(s, |c| unsafe_char(c) || matches!(c, '\n' | '\t'))
}

/// Text safe for a terminal: control and bidirectional-override characters escaped (`\u{1b}`).
pub fn printable(s: &str) -> Cow<'_, str> {
    escaped(s, unsafe_char)
}

/// `s` with each character `escape` picks written as `\u{..}`.
fn escaped(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_line_breaks_that_printable_keeps() {
        assert_eq!(
            one_line("a\nerror: forged\t\u{1b}"),
            "a\\u{a}error: forged\\u{9}\\u{1b}"
        );
        assert_eq!(printable("a\nb"), "a\nb");
        assert!(matches!(one_line("plain 文字"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_lines_are_kept_and_offsets_unchanged() {
        let text = "line one\nline two\n";
        let (shown, map) = clip(text, &[(5, 8)]);
        assert_eq!(shown, text);
        assert_eq!(map.map(14), 14);
        // Far from the label, lines are left out but still counted.
        let many: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let at = many.find("line 50").unwrap();
        let (shown, map) = clip(&many, &[(at, at + 7)]);
        assert_eq!(shown.lines().count(), 100);
        assert_eq!(shown.lines().nth(50), Some("line 50"));
        assert_eq!(shown.lines().nth(10), Some(""));
        assert_eq!(shown.get(map.map(at)..map.map(at) + 7), Some("line 50"));
    }

    #[test]
    fn long_lines_are_clipped_around_the_label() {
        let text = format!(
            "{}TARGET{}\nnext\n",
            "a".repeat(100_000),
            "b".repeat(100_000)
        );
        let start = 100_000;
        let (shown, map) = clip(&text, &[(start, start + 6)]);
        let first = shown.lines().next().unwrap();
        assert!(first.chars().count() <= MAX_SHOWN_LINE, "{}", first.len());
        let at = map.map(start);
        assert_eq!(shown.get(at..at + 6), Some("TARGET"));
        assert!(shown.ends_with("next\n"));
        let next = map.map(text.len() - 5);
        assert_eq!(shown.get(next..next + 4), Some("next"));
        assert_eq!(map.unmap(at), start);
        assert_eq!(map.unmap(next), text.len() - 5);
    }

    #[test]
    fn control_characters_become_same_length_placeholders() {
        let text = "a\u{1b}[31mb\u{202E}c";
        let (shown, _) = clip(text, &[(0, 1)]);
        assert_eq!(shown.len(), text.len());
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202E}'));
        assert_eq!(printable("x\u{1b}y"), "x\\u{1b}y");
        assert_eq!(printable("plain 中文"), "plain 中文");
    }
}

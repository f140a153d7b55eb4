//! The output being built: lines, indentation, and comments placed at line breaks.
//!
//! A comment is emitted at the first line break of the output that comes
//! after it in the source: a comment that followed code on its line goes to
//! the end of the current line, the others on lines of their own. So no
//! comment is ever lost, wherever it stood.

use guifan_syntax::ast::Comment;
use guifan_syntax::Span;
use unicode_width::UnicodeWidthStr;

/// The formatted text under construction.
pub(crate) struct Printer<'a> {
    /// The source, for literals and strings as written
    pub(crate) text: &'a str,
    comments: &'a [Comment],
    /// The next comment not yet emitted
    next: usize,
    out: String,
    /// Columns of the current line so far
    column: usize,
    /// Spaces at the start of each new line
    pub(crate) indent: usize,
    /// Whether a block was just opened (no blank line may follow)
    block_start: bool,
}

impl<'a> Printer<'a> {
    pub(crate) fn new(text: &'a str, comments: &'a [Comment]) -> Self {
        Printer {
            text,
            comments,
            next: 0,
            out: String::with_capacity(text.len() + 64),
            column: 0,
            indent: 0,
            block_start: true,
        }
    }

    /// The text of `span` as written.
    pub(crate) fn source(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// Appends text to the current line.
    pub(crate) fn put(&mut self, s: &str) {
        if self.column == 0 && !s.is_empty() {
            self.out.extend(std::iter::repeat_n(' ', self.indent));
            self.column = self.indent;
        }
        self.out.push_str(s);
        self.column += s.width();
    }

    /// The column the next character goes to.
    pub(crate) fn column(&self) -> usize {
        if self.column == 0 {
            self.indent
        } else {
            self.column
        }
    }

    /// Appends `span`'s text as written. Comments inside it (in a message
    /// template's interpolations) are part of that text: they are not
    /// emitted again at a line break.
    pub(crate) fn verbatim(&mut self, span: Span) {
        self.put(self.source(span));
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= span.start && c.span.end <= span.end {
                self.next += 1;
            } else {
                break;
            }
        }
    }

    /// Whether `s` fits on the current line from here.
    pub(crate) fn fits(&self, s: &str) -> bool {
        self.column() + s.width() <= crate::WIDTH
    }

    /// Ends the current line before code that starts at `at` in the source:
    /// comments before `at` are emitted, and a blank line is kept where the
    /// source had one (when `blank_allowed`).
    pub(crate) fn line(&mut self, at: u32, blank_allowed: bool) {
        // A comment that followed code goes at the end of this line.
        if let Some(c) = self.pending(at).filter(|c| c.trailing && self.column > 0) {
            self.out.push_str("  //");
            self.out.push_str(c.text.trim_end());
            self.next += 1;
        }
        self.end_line();
        let mut blank_ok = blank_allowed && !self.block_start;
        while let Some(c) = self.pending(at) {
            if blank_ok && c.blank_before {
                self.out.push('\n');
            }
            self.put("//");
            self.out.push_str(c.text.trim_end());
            self.next += 1;
            self.end_line();
            // After a comment, the block has begun: a blank line may follow.
            blank_ok = blank_allowed;
        }
        if blank_ok && self.blank_above(at) {
            self.out.push('\n');
        }
        self.block_start = false;
    }

    /// Opens a block: the line ends with what was put, and indentation grows.
    pub(crate) fn open(&mut self) {
        self.indent += 2;
        self.block_start = true;
    }

    /// Closes a block whose closing brace stands at `at` in the source:
    /// comments before it are emitted inside the block.
    pub(crate) fn close(&mut self, at: u32, closing: &str) {
        self.line(at, false);
        self.indent = self.indent.saturating_sub(2);
        self.put(closing);
        self.block_start = false;
    }

    /// The next comment, when it stands before `at`.
    fn pending(&self, at: u32) -> Option<&'a Comment> {
        self.comments.get(self.next).filter(|c| c.span.start < at)
    }

    /// Whether an empty line stands right above the line of `at` in the source.
    fn blank_above(&self, at: u32) -> bool {
        let before = self.text.get(..at as usize).unwrap_or("");
        let mut lines = before.rsplit('\n');
        // The part of `at`'s own line before it must be blank, then the line above.
        match (lines.next(), lines.next()) {
            (Some(own), Some(above)) => {
                own.trim().is_empty() && above.trim().is_empty() && lines.next().is_some()
            }
            _ => false,
        }
    }

    fn end_line(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        if self.column > 0 || !self.out.is_empty() {
            self.out.push('\n');
        }
        self.column = 0;
    }

    /// The finished text: remaining comments emitted, one final newline.
    pub(crate) fn finish(mut self) -> String {
        self.line(u32::MAX, true);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        if self.out == "\n" {
            self.out.clear();
        }
        self.out
    }
}

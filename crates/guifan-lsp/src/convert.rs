//! Between the analysis's byte offsets and paths and the protocol's
//! positions and URIs. LSP positions count UTF-16 code units by default:
//! a line with Chinese, Russian or emoji text has fewer of them than bytes.

use std::path::{Path, PathBuf};

use guifan::analysis::Edit;
use line_index::{LineIndex, TextSize, WideEncoding, WideLineCol};
use tower_lsp_server::ls_types::{Position, Range, TextEdit, Uri};

/// Byte offsets ↔ UTF-16 positions in one text.
pub(crate) struct Lines {
    index: LineIndex,
    len: usize,
    /// Where each line's text ends (before its line break)
    ends: Vec<usize>,
}

impl Lines {
    /// The lines of `text`.
    pub(crate) fn new(text: &str) -> Lines {
        let mut ends = Vec::new();
        let mut start = 0;
        for line in text.split('\n') {
            ends.push(start + line.strip_suffix('\r').unwrap_or(line).len());
            start += line.len() + 1;
        }
        Lines {
            index: LineIndex::new(text),
            len: text.len(),
            ends,
        }
    }

    /// The position of a byte offset (clamped to the text).
    pub(crate) fn position(&self, offset: usize) -> Position {
        let offset = u32::try_from(offset.min(self.len)).unwrap_or(u32::MAX);
        let utf8 = self.index.line_col(TextSize::from(offset));
        let wide = self
            .index
            .to_wide(WideEncoding::Utf16, utf8)
            .unwrap_or(WideLineCol {
                line: utf8.line,
                col: utf8.col,
            });
        Position::new(wide.line, wide.col)
    }

    /// The byte offset of a position: `None` past the last line; a column
    /// past its line's end is the line's end.
    pub(crate) fn offset(&self, position: Position) -> Option<usize> {
        let wide = WideLineCol {
            line: position.line,
            col: position.character,
        };
        let end = *self.ends.get(position.line as usize)?;
        let offset = self
            .index
            .to_utf8(WideEncoding::Utf16, wide)
            .and_then(|utf8| self.index.offset(utf8))
            .map_or(end, usize::from);
        Some(offset.min(end))
    }

    /// The range of a byte span.
    pub(crate) fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }
}

/// The path of a `file:` URI.
pub(crate) fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

/// The `file:` URI of a path.
pub(crate) fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// An analysis edit as a protocol edit, placed in the text it applies to.
pub(crate) fn text_edit(lines: &Lines, edit: &Edit) -> TextEdit {
    TextEdit {
        range: lines.range(edit.span.start as usize, edit.span.end as usize),
        new_text: edit.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_on_lines_with_cjk_and_emoji() {
        let text = "title \"抖音 🛒\"\nrule a";
        let lines = Lines::new(text);
        let emoji = text.find('🛒').unwrap();
        // 抖 and 音 are one unit each; the emoji two.
        assert_eq!(lines.position(emoji), Position::new(0, 10));
        assert_eq!(
            lines.position(emoji + '🛒'.len_utf8()),
            Position::new(0, 12)
        );
        assert_eq!(lines.offset(Position::new(0, 12)), Some(emoji + 4));
        assert_eq!(lines.offset(Position::new(1, 5)), Some(text.len() - 1));
        // Past a line's end: the line's end. Past the last line: nothing.
        assert_eq!(lines.offset(Position::new(0, 99)), text.find('\n'));
        assert_eq!(lines.offset(Position::new(5, 0)), None);
    }
}

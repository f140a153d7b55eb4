//! Places in a text as a browser editor counts them: UTF-16 code units from
//! the start of the text, and 1-based lines and UTF-16 columns for people.
//! The analysis counts bytes; CodeMirror and every JavaScript string count
//! UTF-16 units, so a line of Chinese text is placed right.

use serde::Serialize;

/// One place in a text: absolute offset, line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    /// UTF-16 code units before it, from the start of the text
    pub offset: usize,
    /// 1-based line
    pub line: usize,
    /// 1-based column, in UTF-16 code units
    pub column: usize,
}

/// Where each line of a text starts, to place byte offsets.
pub struct Lines<'t> {
    text: &'t str,
    /// Byte offset of each line's start
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    /// The lines of `text`.
    pub fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    /// The place of a byte offset, clamped to the text and moved back to the
    /// start of the character it falls inside.
    pub fn place(&self, byte: usize) -> Place {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= byte).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let units = |from: usize, to: usize| {
            self.text
                .get(from..to)
                .map_or(0, |s| s.encode_utf16().count())
        };
        let column = units(start, byte);
        Place {
            offset: units(0, start) + column,
            line,
            column: column + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_counts_one_unit_per_character_and_emoji_two() {
        let text = "规范 a\n😀b\n";
        let lines = Lines::new(text);
        assert_eq!(
            lines.place(0),
            Place {
                offset: 0,
                line: 1,
                column: 1
            }
        );
        // `a` is after two 3-byte characters and a space: byte 7, unit 3.
        assert_eq!(
            lines.place(7),
            Place {
                offset: 3,
                line: 1,
                column: 4
            }
        );
        // `b` is after the line break and a 4-byte emoji (two units).
        let b = text.find('b').unwrap();
        assert_eq!(
            lines.place(b),
            Place {
                offset: 7,
                line: 2,
                column: 3
            }
        );
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_are_clamped() {
        let lines = Lines::new("规范");
        assert_eq!(lines.place(1).offset, 0);
        assert_eq!(lines.place(4).offset, 1);
        assert_eq!(lines.place(99).offset, 2);
    }
}

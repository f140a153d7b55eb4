//! The loaded source files: paths and text by `SourceId`, for diagnostics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_syntax::SourceId;
use miette::NamedSource;

/// Every rule file loaded, so that diagnostics can show their lines.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<(PathBuf, Arc<str>)>,
    /// For each file, its lines: the one index every report and tool places
    /// offsets with (in characters for people, in UTF-16 code units for
    /// SARIF, GitHub and editors)
    lines: Vec<Arc<line_index::LineIndex>>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> SourceId {
        self.lines.push(Arc::new(line_index::LineIndex::new(&text)));
        self.files.push((path, text));
        SourceId((self.files.len() - 1) as u32)
    }

    /// The path of a file.
    pub fn path(&self, id: SourceId) -> Option<&Path> {
        self.files.get(id.0 as usize).map(|(p, _)| p.as_path())
    }

    /// The text of a file.
    pub fn text(&self, id: SourceId) -> Option<&Arc<str>> {
        self.files.get(id.0 as usize).map(|(_, t)| t)
    }

    /// The file as a miette source, named by its path.
    pub fn named(&self, id: SourceId) -> NamedSource<Arc<str>> {
        match self.files.get(id.0 as usize) {
            Some((path, text)) => NamedSource::new(path.display().to_string(), text.clone()),
            None => NamedSource::new("<unknown>", Arc::from("")),
        }
    }

    /// 1-based line and column (in characters) of a byte offset in a file.
    ///
    /// ```
    /// let mut sources = guifan::SourceMap::default();
    /// let id = sources.add("a.policy".into(), "规范\n  𝒙 = 1".into());
    /// assert_eq!(sources.line_col(id, 0), (1, 1));
    /// assert_eq!(sources.line_col(id, 3), (1, 2));
    /// assert_eq!(sources.line_col(id, 13), (2, 4));
    /// assert_eq!(sources.line_col_utf16(id, 13), (2, 5));
    /// ```
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        self.place(id, offset, |text, start, offset| {
            text.get(start..offset).map_or(0, |l| l.chars().count())
        })
    }

    /// 1-based line and column in UTF-16 code units (as SARIF, GitHub and
    /// the Language Server Protocol count columns) of a byte offset in a file.
    pub fn line_col_utf16(&self, id: SourceId, offset: usize) -> (usize, usize) {
        self.place(id, offset, |text, start, offset| {
            text.get(start..offset)
                .map_or(0, |l| l.chars().map(char::len_utf16).sum())
        })
    }

    fn place(
        &self,
        id: SourceId,
        offset: usize,
        width: impl Fn(&str, usize, usize) -> usize,
    ) -> (usize, usize) {
        let text = self.text(id).map(|t| &**t).unwrap_or("");
        // On a character boundary, at most the end of the text.
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let Some(index) = self.lines.get(id.0 as usize) else {
            return (1, 1);
        };
        let at = line_index::TextSize::try_from(offset).unwrap_or_default();
        let line = index.line_col(at).line;
        let start = index
            .line(line)
            .map_or(0, |range| usize::from(range.start()));
        (line as usize + 1, width(text, start, offset) + 1)
    }

    /// Every file: its path and text, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Arc<str>)> {
        self.files.iter().map(|(p, t)| (p.as_path(), t))
    }

    /// How many files are loaded.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

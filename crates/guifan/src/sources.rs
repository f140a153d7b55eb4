//! The loaded source files: paths and text by `SourceId`, for diagnostics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan_syntax::SourceId;
use miette::NamedSource;

/// Every rule file loaded, so that diagnostics can show their lines.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<(PathBuf, Arc<str>)>,
    /// For each file, the byte offset where each of its lines starts
    line_starts: Vec<Vec<usize>>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> SourceId {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        self.files.push((path, text));
        self.line_starts.push(starts);
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

    /// 1-based line and column of a byte offset in a file.
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        let text = self.text(id).map(|t| &**t).unwrap_or("");
        let offset = offset.min(text.len());
        let starts = self
            .line_starts
            .get(id.0 as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[0]);
        let line = starts.partition_point(|s| *s <= offset).max(1);
        let start = starts.get(line - 1).copied().unwrap_or(0);
        let col = text
            .get(start..offset)
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
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

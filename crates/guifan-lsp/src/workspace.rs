//! The server's state: the documents the editor has open (their text as
//! edited, unsaved), the rules directories they belong to, and each
//! directory's analysis, made again when one of its files changes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use guifan::analysis::Analysis;
use guifan::{Params, Project};

/// A document the editor has open.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// Its text as edited
    pub(crate) text: String,
    /// The editor's version of it
    pub(crate) version: i32,
}

/// The last run of a test file, for its lens and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestRun {
    /// Cases that passed
    pub(crate) passed: usize,
    /// Each failed case: its line (1-based) and why
    pub(crate) failures: Vec<(usize, String)>,
}

/// A rule explained on the cases of a test file: shown in its hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Explained {
    /// Cases it fired on
    pub(crate) fired: usize,
    /// Cases explained
    pub(crate) cases: usize,
    /// Each case's explanation, in Markdown
    pub(crate) markdown: String,
}

/// One rules directory: its analysis, whether an edit made it stale, and
/// how many edits it has seen (a check waits for the edits to pause).
#[derive(Debug, Default)]
struct Root {
    analysis: Option<Arc<Analysis>>,
    stale: bool,
    generation: u64,
}

/// Everything the server knows.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// The workspace folders the editor opened
    pub(crate) folders: Vec<PathBuf>,
    /// Open documents, by path
    pub(crate) docs: HashMap<PathBuf, Doc>,
    roots: BTreeMap<PathBuf, Root>,
    /// The last run of each test file, by its path
    pub(crate) test_runs: HashMap<PathBuf, TestRun>,
    /// The last explanation of each rule, by its ID
    pub(crate) explained: HashMap<String, Explained>,
    /// The problems last published for each file
    pub(crate) published: HashMap<PathBuf, Vec<tower_lsp_server::ls_types::Diagnostic>>,
    /// The rules directory of each directory asked about (found once: finding
    /// it reads the file system)
    roots_of: std::cell::RefCell<HashMap<PathBuf, PathBuf>>,
}

/// The most rule files read from one directory (a workspace that is not a
/// rules directory is not read whole).
const MAX_FILES: usize = 5_000;

impl Workspace {
    /// The rules directory a file belongs to: the nearest directory above it
    /// holding `schema/`, else the rules directory of the nearest
    /// `guifan.toml`, else its own directory.
    pub(crate) fn root_of(&self, path: &Path) -> PathBuf {
        let dir = path.parent().unwrap_or(path);
        if let Some(root) = self.roots_of.borrow().get(dir) {
            return root.clone();
        }
        let root = find_root(dir);
        self.roots_of
            .borrow_mut()
            .insert(dir.to_path_buf(), root.clone());
        root
    }

    /// Forgets the rules directories found (a `schema/` or `guifan.toml` may have come or gone).
    pub(crate) fn forget_roots(&self) {
        self.roots_of.borrow_mut().clear();
    }
}

/// The rules directory of a directory, from the file system.
fn find_root(dir: &Path) -> PathBuf {
    if let Some(root) = dir.ancestors().find(|d| d.join("schema").is_dir()) {
        return root.to_path_buf();
    }
    if let Ok(Project {
        rules: Some(rules), ..
    }) = Project::discover(dir)
    {
        return rules;
    }
    dir.to_path_buf()
}

impl Workspace {
    /// The rules directories of the workspace folders (`rules/` under a
    /// folder, a folder holding `schema/`, or what its `guifan.toml` names).
    pub(crate) fn folder_roots(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for folder in &self.folders {
            if let Ok(Project {
                rules: Some(rules), ..
            }) = Project::discover(folder)
            {
                out.push(rules);
            } else if folder.join("schema").is_dir() {
                out.push(folder.clone());
            } else if folder.join("rules").join("schema").is_dir() {
                out.push(folder.join("rules"));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Marks the directory of `path` stale (its analysis is made again when
    /// next asked for); returns the directory and its count of edits.
    pub(crate) fn touch(&mut self, path: &Path) -> (PathBuf, u64) {
        let root = self.root_of(path);
        let entry = self.roots.entry(root.clone()).or_default();
        entry.stale = true;
        entry.generation += 1;
        (root, entry.generation)
    }

    /// How many edits a rules directory has seen.
    pub(crate) fn generation(&self, root: &Path) -> u64 {
        self.roots.get(root).map_or(0, |r| r.generation)
    }

    /// The analysis of the directory `path` belongs to, made if stale.
    pub(crate) fn analysis_for(&mut self, path: &Path) -> Arc<Analysis> {
        let root = self.root_of(path);
        self.analysis_of_root(&root)
    }

    /// The analysis of a rules directory, made if stale or never made.
    pub(crate) fn analysis_of_root(&mut self, root: &Path) -> Arc<Analysis> {
        if let Some(Root {
            analysis: Some(a),
            stale: false,
            ..
        }) = self.roots.get(root)
        {
            return a.clone();
        }
        let analysis = Arc::new(Analysis::new(self.rule_texts(root)));
        let entry = self.roots.entry(root.to_path_buf()).or_default();
        entry.analysis = Some(analysis.clone());
        entry.stale = false;
        analysis
    }

    /// The rules directories known so far.
    pub(crate) fn roots(&self) -> Vec<PathBuf> {
        self.roots.keys().cloned().collect()
    }

    /// The `.policy` and `.schema` files of a rules directory: on disk, with
    /// the open ones as edited, and open ones not yet saved.
    fn rule_texts(&self, root: &Path) -> Vec<(PathBuf, String)> {
        let on_disk = guifan::rule_files(root).unwrap_or_default();
        self.texts(root, on_disk, is_rule_file)
    }

    /// The test files of a rules directory (on disk and open), with their text.
    pub(crate) fn test_texts(&self, root: &Path) -> Vec<(PathBuf, String)> {
        let on_disk = guifan::testing::test_files(root).unwrap_or_default();
        self.texts(root, on_disk, is_test_file)
    }

    /// The files of a rules directory found on disk and the open documents of
    /// that kind under it, each with its text (as edited when open), by path.
    fn texts(
        &self,
        root: &Path,
        mut paths: Vec<PathBuf>,
        kind: fn(&Path) -> bool,
    ) -> Vec<(PathBuf, String)> {
        paths.truncate(MAX_FILES);
        let on_disk: HashSet<PathBuf> = paths.iter().cloned().collect();
        for path in self.docs.keys() {
            if kind(path) && !on_disk.contains(path) && self.root_of(path) == root {
                paths.push(path.clone());
            }
        }
        paths.sort();
        paths
            .into_iter()
            .filter_map(|path| {
                let text = match self.docs.get(&path) {
                    Some(doc) => doc.text.clone(),
                    None => guifan::read_rule_file(&path).ok()?.text,
                };
                Some((path, text))
            })
            .collect()
    }

    /// The current text of a file: as edited when open, else on disk.
    pub(crate) fn text(&self, path: &Path) -> Option<String> {
        match self.docs.get(path) {
            Some(doc) => Some(doc.text.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    /// The deployment parameters the nearest `guifan.toml` names, if any.
    pub(crate) fn project_params(&self, root: &Path) -> Option<Params> {
        let project = Project::discover(root).ok()?;
        Params::from_file(project.params?).ok()
    }
}

/// Whether a path is a rule file (`.policy`, `.schema`).
pub(crate) fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "policy" || e == "schema")
}

/// Whether a path is a policy test file (`*.test.toml`).
pub(crate) fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.toml"))
}

/// The policy a test file tests (`policy = "..."` at its top).
pub(crate) fn tested_policy(text: &str) -> Option<String> {
    let doc = toml_edit::ImDocument::parse(text.to_string()).ok()?;
    doc.get("policy")?.as_str().map(str::to_string)
}

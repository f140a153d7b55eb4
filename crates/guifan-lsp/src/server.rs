//! The protocol's requests and notifications, each answered from the
//! analysis of the rules directory the document belongs to.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use guifan::analysis::{Analysis, CompletionKind, SymbolKind as GuifanSymbol};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert::{path_of, text_edit, uri_of, Lines};
use crate::lenses::{EXPLAIN, RUN_TESTS};
use crate::testfile::{self, Named};
use crate::workspace::{is_rule_file, is_test_file, Doc, Workspace};
use crate::{diagnostics, lenses, tokens};

/// How long edits must pause before the files are checked again.
pub const DEBOUNCE: Duration = Duration::from_millis(40);

/// The language server: the client to talk back to, and the workspace.
#[derive(Debug)]
pub struct Backend {
    client: Client,
    state: Arc<Mutex<Workspace>>,
}

impl Backend {
    /// A server talking to `client`.
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(Workspace::default())),
        }
    }

    fn state(&self) -> MutexGuard<'_, Workspace> {
        lock(&self.state)
    }

    /// The analysis a document belongs to, its path and its current text.
    fn at(&self, uri: &Uri) -> Option<(Arc<Analysis>, PathBuf, String)> {
        let path = path_of(uri)?;
        let mut state = self.state();
        let analysis = state.analysis_for(&path);
        let text = state.text(&path)?;
        Some((analysis, path, text))
    }

    /// The analysis a document belongs to, its path, and the lines of the
    /// text analysed.
    fn analysed(&self, uri: &Uri) -> Option<(Arc<Analysis>, PathBuf, Lines)> {
        let (analysis, path, _) = self.at(uri)?;
        let lines = Lines::new(analysis.text(&path)?);
        Some((analysis, path, lines))
    }

    /// The byte offset of a position in a document, with the analysis.
    fn offset_at(
        &self,
        uri: &Uri,
        position: Position,
    ) -> Option<(Arc<Analysis>, PathBuf, Lines, usize)> {
        let (analysis, path, text) = self.at(uri)?;
        // Answer from the text analysed: positions in it are the editor's
        // once the analysis is fresh (it is made fresh above).
        let lines = Lines::new(analysis.text(&path).unwrap_or(&text));
        let offset = lines.offset(position)?;
        Some((analysis, path, lines, offset))
    }

    /// The edits that put a document (or what `range` touches) in the
    /// canonical layout; `None` when it does not parse (its problems are shown).
    fn format(&self, uri: &Uri, range: Option<Range>) -> Option<Vec<TextEdit>> {
        let path = path_of(uri)?;
        let text = self.state().text(&path)?;
        let lines = Lines::new(&text);
        let within = match range {
            Some(r) => Some(lines.offset(r.start)?..lines.offset(r.end)?),
            None => None,
        };
        let edits = guifan::analysis::format_edits(&path, &text, within).ok()?;
        Some(edits.iter().map(|e| text_edit(&lines, e)).collect())
    }

    /// From a test file into the rules: a rule, the policy, a parameter.
    fn test_file_definition(
        &self,
        path: &Path,
        position: Position,
    ) -> Option<GotoDefinitionResponse> {
        let (analysis, text) = {
            let mut state = self.state();
            (state.analysis_for(path), state.text(path)?)
        };
        let offset = Lines::new(&text).offset(position)?;
        let target = match testfile::named_at(&text, offset)? {
            Named::Rule(rule) => analysis.rule_location(&rule)?,
            Named::Policy(policy) => analysis.policy_location(&policy)?,
            Named::Param(policy, name) => analysis.param_location(&policy, &name)?,
        };
        location(&analysis, &target.path, target.span).map(GotoDefinitionResponse::Scalar)
    }

    /// Checks the directory of `path` again once edits pause, and publishes
    /// every file's problems: a burst of edits, or of files opened, is one check.
    fn recheck_later(&self, path: &Path) {
        let (root, generation) = self.state().touch(path);
        let client = self.client.clone();
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DEBOUNCE).await;
            if lock(&state).generation(&root) != generation {
                return;
            }
            let backend = Backend { client, state };
            backend.publish_root(&root).await;
        });
    }

    async fn publish_root(&self, root: &Path) {
        let published = {
            let mut state = self.state();
            let analysis = state.analysis_of_root(root);
            let tests = state.test_texts(root);
            diagnostics::for_root(&analysis, &tests, &state)
        };
        for (path, diags) in published {
            // Only what changed: a keystroke in one file of a thousand sends
            // one notification, not a thousand.
            let version = {
                let mut state = self.state();
                if state.published.get(&path) == Some(&diags) {
                    continue;
                }
                state.published.insert(path.clone(), diags.clone());
                state.docs.get(&path).map(|d| d.version)
            };
            if let Some(uri) = uri_of(&path) {
                self.client.publish_diagnostics(uri, diags, version).await;
            }
        }
    }
}

fn lock(state: &Mutex<Workspace>) -> MutexGuard<'_, Workspace> {
    // A panic while holding the lock leaves state that is still usable.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let folders: Vec<PathBuf> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| path_of(&f.uri))
            .collect();
        self.state().folders = folders;
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "guifan".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: capabilities(),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let roots = self.state().folder_roots();
        for root in roots {
            self.publish_root(&root).await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        self.state().docs.insert(
            path.clone(),
            Doc {
                text: params.text_document.text,
                version: params.text_document.version,
            },
        );
        self.recheck_later(&path);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        let version = params.text_document.version;
        {
            let mut state = self.state();
            let Some(doc) = state.docs.get_mut(&path) else {
                return;
            };
            for change in params.content_changes {
                apply_change(&mut doc.text, change);
            }
            doc.version = version;
        }
        self.recheck_later(&path);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if let Some(path) = path_of(&params.text_document.uri) {
            self.recheck_later(&path);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        if let Some(path) = path_of(&params.text_document.uri) {
            self.state().docs.remove(&path);
            self.recheck_later(&path);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        // A schema directory or guifan.toml may have come or gone.
        self.state().forget_roots();
        for change in params.changes {
            if let Some(path) = path_of(&change.uri) {
                self.recheck_later(&path);
            }
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some((analysis, path, lines, offset)) =
            self.offset_at(&p.text_document.uri, p.position)
        else {
            return Ok(None);
        };
        let Some(mut h) = analysis.hover(&path, offset) else {
            return Ok(None);
        };
        // A parameter: its value in force, with the project's overrides.
        if let Some((policy, name)) = param_at(&analysis, &path, offset) {
            let root = self.state().root_of(&path);
            let overrides = self.state().project_params(&root);
            let value = analysis
                .rules()
                .map(|r| tokens::in_force(r, overrides.as_ref()))
                .and_then(|r| tokens::param_value(&r, &policy, &name));
            if let Some(value) = value {
                let from = if overrides.is_some() {
                    " (with the parameters guifan.toml names)"
                } else {
                    ""
                };
                h.markdown
                    .push_str(&format!("\n\nin force: `{value}`{from}"));
            }
        }
        // A rule explained by its lens: the explanation under its hover.
        // (The outline is read only once some rule has been explained.)
        let any_explained = !self.state().explained.is_empty();
        let rule = any_explained
            .then(|| {
                analysis.symbols(&path).into_iter().find_map(|p| {
                    p.children
                        .iter()
                        .find(|r| r.kind == GuifanSymbol::Rule && r.name_span == h.span)
                        .map(|r| format!("{}.{}", p.name, r.name))
                })
            })
            .flatten();
        if let Some(explained) = rule.and_then(|r| self.state().explained.get(&r).cloned()) {
            h.markdown.push_str("\n\n---\n\n");
            h.markdown.push_str(&explained.markdown);
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: h.markdown,
            }),
            range: Some(lines.range(h.span.start as usize, h.span.end as usize)),
        }))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        if let Some(path) = path_of(&p.text_document.uri).filter(|p| is_test_file(p)) {
            return Ok(self.test_file_definition(&path, p.position));
        }
        let Some((analysis, path, _, offset)) = self.offset_at(&p.text_document.uri, p.position)
        else {
            return Ok(None);
        };
        Ok(analysis
            .definition(&path, offset)
            .and_then(|l| location(&analysis, &l.path, l.span))
            .map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let Some((analysis, path, _, offset)) = self.offset_at(&p.text_document.uri, p.position)
        else {
            return Ok(None);
        };
        let with_declaration = params.context.include_declaration;
        Ok(Some(
            analysis
                .references(&path, offset, with_declaration)
                .into_iter()
                .filter_map(|l| location(&analysis, &l.path, l.span))
                .collect(),
        ))
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some((analysis, path, lines, offset)) =
            self.offset_at(&params.text_document.uri, params.position)
        else {
            return Ok(None);
        };
        Ok(analysis.name_at(&path, offset).map(|(span, text)| {
            PrepareRenameResponse::RangeWithPlaceholder {
                range: lines.range(span.start as usize, span.end as usize),
                placeholder: text,
            }
        }))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let Some((analysis, path, _, offset)) = self.offset_at(&p.text_document.uri, p.position)
        else {
            return Ok(None);
        };
        let edits = analysis
            .rename(&path, offset, &params.new_name)
            .map_err(|e| Error::invalid_params(e.to_string()))?;
        let mut changes = protocol_edits(&analysis, &edits);
        // A parameter is also named in the parameter tables of test files.
        if let Some((policy, name)) = param_at(&analysis, &path, offset) {
            let root = self.state().root_of(&path);
            let tests = self.state().test_texts(&root);
            for (test_path, text) in tests {
                let keys = guifan::analysis::param_keys(&text, &policy, &name);
                let Some(uri) = uri_of(&test_path) else {
                    continue;
                };
                let lines = Lines::new(&text);
                for key in keys {
                    changes.entry(uri.clone()).or_default().push(TextEdit {
                        range: lines.range(key.start as usize, key.end as usize),
                        new_text: params.new_name.clone(),
                    });
                }
            }
        }
        Ok(Some(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some((analysis, path, lines)) = self.analysed(&params.text_document.uri) else {
            return Ok(None);
        };
        let symbols = analysis
            .symbols(&path)
            .into_iter()
            .map(|s| document_symbol(&lines, s))
            .collect();
        Ok(Some(DocumentSymbolResponse::Nested(symbols)))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let roots = {
            let state = self.state();
            let mut roots = state.roots();
            roots.extend(state.folder_roots());
            roots.sort();
            roots.dedup();
            roots
        };
        let mut out = Vec::new();
        for root in roots {
            let analysis = self.state().analysis_of_root(&root);
            for (path, s) in analysis.workspace_symbols(&params.query) {
                if let Some(l) = location(&analysis, &path, s.span) {
                    out.push(WorkspaceSymbol {
                        name: s.name,
                        kind: symbol_kind(s.kind),
                        tags: None,
                        container_name: None,
                        location: OneOf::Left(l),
                        data: None,
                    });
                }
            }
        }
        Ok(Some(WorkspaceSymbolResponse::Nested(out)))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some((analysis, path, lines)) = self.analysed(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(
            analysis
                .folding(&path)
                .into_iter()
                .map(|span| {
                    let start = lines.position(span.start as usize);
                    let end = lines.position(span.end as usize);
                    FoldingRange {
                        start_line: start.line,
                        end_line: end.line,
                        ..Default::default()
                    }
                })
                .filter(|r| r.end_line > r.start_line)
                .collect(),
        ))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let Some((analysis, path, text)) = self.at(&p.text_document.uri) else {
            return Ok(None);
        };
        // Completion reads the text as it is now, which may not parse.
        let Some(offset) = Lines::new(&text).offset(p.position) else {
            return Ok(None);
        };
        let items = analysis
            .completions(&path, &text, offset)
            .into_iter()
            .map(|c| CompletionItem {
                label: c.label.clone(),
                kind: Some(completion_kind(c.kind)),
                detail: c.detail,
                documentation: c.documentation.map(|d| {
                    Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: d,
                    })
                }),
                insert_text: c.insert,
                insert_text_format: Some(if c.snippet {
                    InsertTextFormat::SNIPPET
                } else {
                    InsertTextFormat::PLAIN_TEXT
                }),
                ..Default::default()
            })
            .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        Ok(self.format(&params.text_document.uri, None))
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        Ok(self.format(&params.text_document.uri, Some(params.range)))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some((analysis, path, lines)) = self.analysed(&params.text_document.uri) else {
            return Ok(None);
        };
        let (Some(start), Some(end)) = (
            lines.offset(params.range.start),
            lines.offset(params.range.end),
        ) else {
            return Ok(None);
        };
        let mut actions = Vec::new();
        for finding in analysis.problems(&path) {
            let (fs, fe) = (finding.span.start as usize, finding.span.end as usize);
            if fe < start || fs > end {
                continue;
            }
            let diagnostic = diagnostics::of_finding(&lines, finding);
            for fix in &finding.fixes {
                let changes = protocol_edits(&analysis, &fix.edits);
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(fix.preferred),
                    ..Default::default()
                }));
            }
        }
        Ok(Some(actions))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(path) = path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        if !is_rule_file(&path) {
            return Ok(None);
        }
        let mut state = self.state();
        let analysis = state.analysis_for(&path);
        Ok(Some(lenses::for_file(&analysis, &path, &state)))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let arg = |i: usize| {
            params
                .arguments
                .get(i)
                .and_then(|a| a.as_str())
                .map(str::to_string)
        };
        let test_path = arg(0)
            .map(PathBuf::from)
            .ok_or_else(|| Error::invalid_params("the test file's path is the first argument"))?;
        let (answer, root) = {
            let mut state = self.state();
            let root = state.root_of(&test_path);
            let analysis = state.analysis_of_root(&root);
            let text = state.text(&test_path).ok_or_else(|| {
                Error::invalid_params(format!("cannot read {}", test_path.display()))
            })?;
            let answer = match params.command.as_str() {
                RUN_TESTS => {
                    let run = lenses::run_tests(&analysis, &text)
                        .map_err(|e| Error::invalid_params(e.to_string()))?;
                    let answer = serde_json::json!({
                        "passed": run.passed,
                        "failed": run.failures.len(),
                        "failures": run.failures.iter().map(|(line, why)| serde_json::json!({"line": line, "message": why})).collect::<Vec<_>>(),
                    });
                    state.test_runs.insert(test_path.clone(), run);
                    answer
                }
                EXPLAIN => {
                    let rule = arg(1).ok_or_else(|| {
                        Error::invalid_params("the rule's ID is the second argument")
                    })?;
                    let explained = lenses::explain(&analysis, &text, &rule)
                        .map_err(|e| Error::invalid_params(e.to_string()))?;
                    let answer = serde_json::json!({
                        "rule": rule,
                        "fired": explained.fired,
                        "cases": explained.cases,
                        "markdown": explained.markdown,
                    });
                    state.explained.insert(rule, explained);
                    answer
                }
                other => return Err(Error::invalid_params(format!("no command `{other}`"))),
            };
            (answer, root)
        };
        self.publish_root(&root).await;
        // Editors that cannot refresh lenses keep the old titles: nothing is lost.
        let _ = self.client.code_lens_refresh().await;
        Ok(Some(answer))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(path) = path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (analysis, overrides) = {
            let mut state = self.state();
            let root = state.root_of(&path);
            (state.analysis_of_root(&root), state.project_params(&root))
        };
        let Some(text) = analysis.text(&path) else {
            return Ok(None);
        };
        let lines = Lines::new(text);
        Ok(Some(tokens::param_hints(
            &analysis,
            &path,
            &lines,
            overrides.as_ref(),
        )))
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some((analysis, path, lines)) = self.analysed(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data: tokens::semantic(&analysis, &path, &lines),
        })))
    }
}

/// What the server can do.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), " ".into()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_range_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![RUN_TESTS.into(), EXPLAIN.into()],
            ..Default::default()
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// Applies one edit of `didChange` to a text (a change without a range is the whole text).
fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let lines = Lines::new(text);
    let start = lines.offset(range.start).unwrap_or(text.len());
    let end = lines.offset(range.end).unwrap_or(text.len()).max(start);
    if text.is_char_boundary(start) && text.is_char_boundary(end) {
        text.replace_range(start..end, &change.text);
    }
}

/// The analysis's edits as the protocol's, by document (each file's lines
/// found once).
fn protocol_edits(
    analysis: &Analysis,
    edits: &[guifan::analysis::Edit],
) -> std::collections::HashMap<Uri, Vec<TextEdit>> {
    let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> =
        std::collections::HashMap::new();
    let mut lines: std::collections::HashMap<&Path, Lines> = std::collections::HashMap::new();
    for edit in edits {
        let Some(text) = analysis.text(&edit.path) else {
            continue;
        };
        let Some(uri) = uri_of(&edit.path) else {
            continue;
        };
        let file_lines = lines
            .entry(edit.path.as_path())
            .or_insert_with(|| Lines::new(text));
        changes
            .entry(uri)
            .or_default()
            .push(text_edit(file_lines, edit));
    }
    changes
}

/// The policy and name of the parameter read or declared at `offset`.
fn param_at(analysis: &Analysis, path: &Path, offset: usize) -> Option<(String, String)> {
    let (span, target) = analysis
        .names(path)
        .into_iter()
        .filter(|(s, _)| (s.start as usize) <= offset && offset <= s.end as usize)
        .min_by_key(|(s, _)| s.end - s.start)?;
    let guifan::analysis::Target::Param { name, .. } = target else {
        return None;
    };
    let policy = analysis
        .symbols(path)
        .into_iter()
        .find(|p| p.span.start <= span.start && span.end <= p.span.end)?
        .name;
    Some((policy, name.clone()))
}

fn location(analysis: &Analysis, path: &Path, span: guifan::analysis::Span) -> Option<Location> {
    let text = analysis.text(path)?;
    let lines = Lines::new(text);
    Some(Location {
        uri: uri_of(path)?,
        range: lines.range(span.start as usize, span.end as usize),
    })
}

#[allow(
    deprecated,
    reason = "DocumentSymbol's `deprecated` field must be given"
)]
fn document_symbol(lines: &Lines, s: guifan::analysis::Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: lines.range(s.span.start as usize, s.span.end as usize),
        selection_range: lines.range(s.name_span.start as usize, s.name_span.end as usize),
        children: Some(
            s.children
                .into_iter()
                .map(|c| document_symbol(lines, c))
                .collect(),
        ),
    }
}

fn symbol_kind(kind: GuifanSymbol) -> SymbolKind {
    match kind {
        GuifanSymbol::Kind | GuifanSymbol::Record => SymbolKind::STRUCT,
        GuifanSymbol::Field => SymbolKind::FIELD,
        GuifanSymbol::Effect => SymbolKind::EVENT,
        GuifanSymbol::Platform => SymbolKind::OBJECT,
        GuifanSymbol::Policy => SymbolKind::MODULE,
        GuifanSymbol::Param => SymbolKind::CONSTANT,
        GuifanSymbol::Let => SymbolKind::VARIABLE,
        GuifanSymbol::Rank => SymbolKind::NUMBER,
        GuifanSymbol::Rule => SymbolKind::FUNCTION,
    }
}

fn completion_kind(kind: CompletionKind) -> CompletionItemKind {
    match kind {
        CompletionKind::Field => CompletionItemKind::FIELD,
        CompletionKind::Param => CompletionItemKind::CONSTANT,
        CompletionKind::Let | CompletionKind::Local => CompletionItemKind::VARIABLE,
        CompletionKind::Function => CompletionItemKind::FUNCTION,
        CompletionKind::Effect => CompletionItemKind::EVENT,
        CompletionKind::Kind => CompletionItemKind::STRUCT,
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Zone => CompletionItemKind::VALUE,
    }
}

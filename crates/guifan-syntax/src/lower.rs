//! Lowering pest pairs into the AST; the only module that sees pest types.
//!
//! Navigation never unwraps: a missing child becomes `ParseError::Internal`,
//! which would be a bug in the grammar/lowering pair, not in the user's file.

mod comments;
pub(crate) mod literal;
mod recover;

use pest::iterators::{Pair, Pairs};
use pest::Parser;

use crate::ast::*;
use crate::error::ParseError;
use crate::grammar::{PolicyParser, Rule};
use crate::nesting;
use crate::span::{SourceId, Span, Spanned};

/// Lowering context: the file being lowered, and where in it the text being
/// parsed starts (a declaration parsed alone during recovery starts past 0).
pub(crate) struct Lower<'s> {
    pub(crate) source: SourceId,
    /// The whole file
    pub(crate) text: &'s str,
    /// Byte offset of the parsed slice in `text`: added to every span
    pub(crate) base: usize,
    /// The file's comments, in order (spans end before trailing comments)
    pub(crate) comments: &'s [Comment],
}

type Result<T> = std::result::Result<T, ParseError>;

/// A file parsed as far as it goes: every declaration and entry that parses,
/// and an error for each one that does not.
pub(crate) fn file_recovering(source: SourceId, text: &str) -> (RuleFile, Vec<ParseError>) {
    let all_comments = comments::scan(text);
    let lower = Lower {
        source,
        text,
        base: 0,
        comments: &all_comments,
    };
    let mut file = RuleFile {
        source,
        items: Vec::new(),
        comments: Vec::new(),
        broken: Vec::new(),
    };
    let mut errors = Vec::new();
    if let Err(e) = nesting::prescan(source, text, 0) {
        errors.push(e);
        return (file, errors);
    }
    match PolicyParser::parse(Rule::file, text) {
        Ok(pairs) => {
            for pair in pairs.flatten().filter(|p| is_item(p.as_rule())) {
                lower.item_into(pair, &mut file, &mut errors);
            }
        }
        // Parsed again declaration by declaration: a mistake hides only its own.
        Err(e) => {
            let first = lower.syntax_error(e);
            let before = errors.len();
            let mut first = Some(first);
            recover::items(&lower, &mut file, &mut errors, &mut first);
            // Every piece parsed alone, yet not the whole: the whole's error stands.
            if errors.len() == before {
                errors.extend(first);
            }
        }
    }
    file.comments = all_comments;
    (file, errors)
}

/// Parses one expression on its own (tools and tests).
pub(crate) fn expression(source: SourceId, text: &str) -> Result<Expr> {
    let all_comments = comments::scan(text);
    let lower = Lower {
        source,
        text,
        base: 0,
        comments: &all_comments,
    };
    nesting::prescan(source, text, 0)?;
    let mut pairs =
        PolicyParser::parse(Rule::expr_only, text).map_err(|e| lower.syntax_error(e))?;
    let top = pairs
        .next()
        .ok_or_else(|| lower.internal(Span::new(0, 0), "empty expression"))?;
    let expr_pair = top
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| lower.internal(Span::new(0, 0), "no expression"))?;
    lower.expr(expr_pair)
}

fn is_item(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kind_decl
            | Rule::record_decl
            | Rule::effect_decl
            | Rule::platform_decl
            | Rule::policy_decl
    )
}

impl<'s> Lower<'s> {
    /// Where a pair stands in the file: from its first token to its last,
    /// without the spaces and comments pest lets a rule end with.
    pub(crate) fn span_of(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let start = self.base + s.start();
        let mut end = self.base + s.end();
        loop {
            let before = self.text.get(start..end).unwrap_or("");
            let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n', '\u{3000}']);
            end = start + trimmed.len();
            let ends_comment = self
                .comments
                .binary_search_by_key(&end, |c| c.span.end as usize)
                .ok()
                .and_then(|i| self.comments.get(i))
                .filter(|c| c.span.start as usize >= start);
            match ends_comment {
                Some(c) => end = c.span.start as usize,
                None => break,
            }
        }
        Span::new(start, end)
    }

    /// Lowers a declaration into the file, or records why it cannot be.
    pub(crate) fn item_into(
        &self,
        pair: Pair<'s, Rule>,
        file: &mut RuleFile,
        errors: &mut Vec<ParseError>,
    ) {
        let span = self.span_of(&pair);
        let item = if pair.as_rule() == Rule::policy_decl {
            self.policy(pair, errors).map(|p| Item::Policy(Box::new(p)))
        } else {
            self.item(pair)
        };
        match item {
            Ok(item) => file.items.push(item),
            Err(e) => {
                errors.push(e);
                file.broken.push(recover::broken(self.text, span));
            }
        }
    }

    fn internal(&self, span: Span, detail: &str) -> ParseError {
        ParseError::Internal {
            source_id: self.source,
            span,
            detail: detail.to_string(),
        }
    }

    pub(crate) fn syntax_error(&self, err: pest::error::Error<Rule>) -> ParseError {
        let pos = self.base
            + match err.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
        let (expected, help) = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => {
                describe_expected(positives)
            }
            pest::error::ErrorVariant::CustomError { message } => (message.clone(), None),
        };
        let rest = self.text.get(pos..).unwrap_or("");
        let token: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(24)
            .collect();
        let (found, len) = if token.is_empty() {
            if rest.is_empty() {
                ("end of file".to_string(), 0)
            } else {
                ("unexpected line break".to_string(), 1)
            }
        } else {
            (format!("found `{token}`"), token.len())
        };
        let positives: &[Rule] = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
            pest::error::ErrorVariant::CustomError { .. } => &[],
        };
        let help = mistake_help(positives, &token, rest.is_empty()).or(help);
        ParseError::Syntax {
            source_id: self.source,
            span: Span::new(pos, pos + len),
            expected,
            found,
            help,
        }
    }

    fn children(&self, pair: Pair<'s, Rule>) -> Pairs<'s, Rule> {
        pair.into_inner()
    }

    fn ident(&self, pair: Pair<'s, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span_of(&pair),
        }
    }

    fn next(
        &self,
        pairs: &mut impl Iterator<Item = Pair<'s, Rule>>,
        parent: Span,
        what: &str,
    ) -> Result<Pair<'s, Rule>> {
        pairs
            .next()
            .ok_or_else(|| self.internal(parent, &format!("missing {what}")))
    }

    fn item(&self, pair: Pair<'s, Rule>) -> Result<Item> {
        let span = self.span_of(&pair);
        match pair.as_rule() {
            Rule::kind_decl => Ok(Item::Kind(self.record_decl(pair)?)),
            Rule::record_decl => Ok(Item::Record(self.record_decl(pair)?)),
            Rule::effect_decl => {
                let mut inner = self.children(pair);
                let name = self.ident(self.next(&mut inner, span, "effect name")?);
                let params = inner
                    .filter(|p| p.as_rule() == Rule::field_decl)
                    .map(|p| self.field_decl(p))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Item::Effect(EffectDecl { name, params, span }))
            }
            Rule::platform_decl => {
                let mut inner = self.children(pair);
                let name = self.ident(self.next(&mut inner, span, "platform name")?);
                let mut decl = PlatformDecl {
                    name,
                    currency: None,
                    zone: None,
                    currency_first: false,
                    span,
                };
                for p in inner {
                    let which = p.as_rule();
                    let entry_span = self.span_of(&p);
                    let value = self.header_value(p)?;
                    let slot = match which {
                        Rule::currency_decl => {
                            decl.currency_first = decl.zone.is_none();
                            &mut decl.currency
                        }
                        _ => &mut decl.zone,
                    };
                    if set_once(slot, value) {
                        return Err(self.duplicate_entry(entry_span));
                    }
                }
                Ok(Item::Platform(decl))
            }
            _ => Err(self.internal(span, "unexpected declaration")),
        }
    }

    fn record_decl(&self, pair: Pair<'s, Rule>) -> Result<RecordDecl> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let name = self.ident(self.next(&mut inner, span, "name")?);
        let body = self.next(&mut inner, span, "record body")?;
        if body.as_rule() == Rule::record_body {
            return Ok(RecordDecl {
                name,
                fields: self.record_body(body)?,
                variants: Vec::new(),
                span,
            });
        }
        let mut fields = Vec::new();
        let mut variants = Vec::new();
        for p in self.children(body) {
            if p.as_rule() == Rule::field_decl {
                fields.push(self.field_decl(p)?);
                continue;
            }
            let vspan = self.span_of(&p);
            let mut i = self.children(p);
            let field = self.ident(self.next(&mut i, vspan, "discriminating field")?);
            let value = self.string(self.next(&mut i, vspan, "value")?)?;
            let vfields = i.map(|f| self.field_decl(f)).collect::<Result<Vec<_>>>()?;
            variants.push(VariantDecl {
                field,
                value,
                fields: vfields,
                span: vspan,
            });
        }
        Ok(RecordDecl {
            name,
            fields,
            variants,
            span,
        })
    }

    fn record_body(&self, pair: Pair<'s, Rule>) -> Result<Vec<FieldDecl>> {
        self.children(pair).map(|p| self.field_decl(p)).collect()
    }

    fn field_decl(&self, pair: Pair<'s, Rule>) -> Result<FieldDecl> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let name = self.ident(self.next(&mut inner, span, "field name")?);
        let ty = self.type_expr(self.next(&mut inner, span, "field type")?)?;
        Ok(FieldDecl { name, ty, span })
    }

    fn type_expr(&self, pair: Pair<'s, Rule>) -> Result<TypeExpr> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let atom = self.next(&mut inner, span, "type")?;
        let optional = inner.next().is_some();
        let atom_span = self.span_of(&atom);
        let kind = match atom.as_rule() {
            Rule::named_type => {
                let mut i = self.children(atom);
                TypeExprKind::Named(self.ident(self.next(&mut i, atom_span, "type name")?))
            }
            Rule::list_type => {
                let mut i = self.children(atom);
                TypeExprKind::List(Box::new(self.type_expr(self.next(
                    &mut i,
                    atom_span,
                    "element type",
                )?)?))
            }
            Rule::map_type => {
                let mut i = self.children(atom);
                let k = self.type_expr(self.next(&mut i, atom_span, "key type")?)?;
                let v = self.type_expr(self.next(&mut i, atom_span, "value type")?)?;
                TypeExprKind::Map(Box::new(k), Box::new(v))
            }
            Rule::enum_type => TypeExprKind::Enum(
                self.children(atom)
                    .map(|p| self.string(p))
                    .collect::<Result<Vec<_>>>()?,
            ),
            Rule::record_body => TypeExprKind::Record(self.record_body(atom)?),
            _ => return Err(self.internal(atom_span, "unexpected type")),
        };
        Ok(TypeExpr {
            kind,
            optional,
            span,
        })
    }

    /// The single value of a `title "..."`, `zone X` or `currency X` entry.
    fn header_value(&self, pair: Pair<'s, Rule>) -> Result<Spanned<String>> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let value = self.next(&mut inner, span, "value")?;
        if value.as_rule() == Rule::string_lit {
            self.string(value)
        } else {
            Ok(Spanned::new(
                value.as_str().to_string(),
                self.span_of(&value),
            ))
        }
    }

    /// A policy, every entry that lowers; an entry that does not is reported
    /// and recorded as broken, and the others are kept.
    fn policy(&self, pair: Pair<'s, Rule>, errors: &mut Vec<ParseError>) -> Result<PolicyDecl> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let id_pair = self.next(&mut inner, span, "policy id")?;
        let mut policy = self.empty_policy(&id_pair, span);
        for p in inner {
            self.entry_into(&mut policy, p, errors);
        }
        Ok(policy)
    }

    /// A policy with its ID and no entries yet.
    pub(crate) fn empty_policy(&self, id_pair: &Pair<'s, Rule>, span: Span) -> PolicyDecl {
        PolicyDecl {
            id: Spanned::new(id_pair.as_str().to_string(), self.span_of(id_pair)),
            title: None,
            source_text: None,
            subject: None,
            zone: None,
            currency: None,
            effective: None,
            governed_by: None,
            params: Vec::new(),
            lets: Vec::new(),
            ranks: Vec::new(),
            rules: Vec::new(),
            order: Vec::new(),
            broken: Vec::new(),
            span,
        }
    }

    /// Lowers one entry into its policy, or records why it cannot be.
    pub(crate) fn entry_into(
        &self,
        policy: &mut PolicyDecl,
        p: Pair<'s, Rule>,
        errors: &mut Vec<ParseError>,
    ) {
        let span = self.span_of(&p);
        if let Err(e) = self.entry(policy, p) {
            errors.push(e);
            policy.broken.push(recover::broken(self.text, span));
        }
    }

    fn duplicate_entry(&self, entry_span: Span) -> ParseError {
        let entry = self
            .text
            .get(entry_span.start as usize..entry_span.end as usize)
            .unwrap_or("");
        let word: String = entry
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        ParseError::DuplicateEntry {
            source_id: self.source,
            span: entry_span,
            entry: word,
        }
    }

    fn entry(&self, policy: &mut PolicyDecl, p: Pair<'s, Rule>) -> Result<()> {
        let entry_span = self.span_of(&p);
        let rule = p.as_rule();
        let (seen, entry) = match rule {
            Rule::title_decl => (
                set_once(&mut policy.title, self.header_value(p)?),
                Entry::Title(entry_span),
            ),
            Rule::source_decl => (
                set_once(&mut policy.source_text, self.header_value(p)?),
                Entry::Source(entry_span),
            ),
            Rule::zone_decl => (
                set_once(&mut policy.zone, self.header_value(p)?),
                Entry::Zone(entry_span),
            ),
            Rule::currency_decl => (
                set_once(&mut policy.currency, self.header_value(p)?),
                Entry::Currency(entry_span),
            ),
            Rule::subject_decl => {
                let mut i = self.children(p);
                let kind = self.ident(self.next(&mut i, entry_span, "subject kind")?);
                let filter = i.next().map(|f| self.expr(f)).transpose()?;
                let subject = SubjectDecl {
                    kind,
                    filter,
                    span: entry_span,
                };
                (
                    set_once(&mut policy.subject, subject),
                    Entry::Subject(entry_span),
                )
            }
            Rule::effective_decl => {
                let mut i = self.children(p);
                let w = self.window(self.next(&mut i, entry_span, "window")?)?;
                (
                    set_once(&mut policy.effective, w),
                    Entry::Effective(entry_span),
                )
            }
            Rule::governed_decl => {
                let mut i = self.children(p);
                let e = self.expr(self.next(&mut i, entry_span, "governing time")?)?;
                (
                    set_once(&mut policy.governed_by, e),
                    Entry::Governed(entry_span),
                )
            }
            Rule::param_decl => {
                let mut i = self.children(p);
                let name = self.ident(self.next(&mut i, entry_span, "parameter name")?);
                let ty = self.type_expr(self.next(&mut i, entry_span, "parameter type")?)?;
                let default = i.next().map(|d| self.expr(d)).transpose()?;
                policy.params.push(ParamDecl {
                    name,
                    ty,
                    default,
                    span: entry_span,
                });
                (false, Entry::Param(policy.params.len() - 1))
            }
            Rule::let_decl => {
                policy.lets.push(self.let_decl(p)?);
                (false, Entry::Let(policy.lets.len() - 1))
            }
            Rule::rule_decl => {
                policy.rules.push(self.rule_decl(p)?);
                (false, Entry::Rule(policy.rules.len() - 1))
            }
            Rule::rank_decl => {
                policy.ranks.push(self.rank_decl(p, entry_span)?);
                (false, Entry::Rank(policy.ranks.len() - 1))
            }
            _ => return Err(self.internal(entry_span, "unexpected policy entry")),
        };
        if seen {
            return Err(self.duplicate_entry(entry_span));
        }
        policy.order.push(entry);
        Ok(())
    }

    /// `let name = value`, in a policy or a rule.
    fn let_decl(&self, p: Pair<'s, Rule>) -> Result<LetDecl> {
        let span = self.span_of(&p);
        let mut i = self.children(p);
        let name = self.ident(self.next(&mut i, span, "definition name")?);
        let value = self.expr(self.next(&mut i, span, "definition value")?)?;
        Ok(LetDecl { name, value, span })
    }

    fn rank_decl(&self, p: Pair<'s, Rule>, entry_span: Span) -> Result<RankDecl> {
        let mut name = None;
        let mut score = None;
        let mut per = None;
        let mut filter = None;
        // Each expression is placed by the keyword before it.
        let mut after = Rule::rank_kw;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::by_kw | Rule::per_kw | Rule::where_kw | Rule::rank_kw => after = c.as_rule(),
                _ => {
                    let e = self.expr(c)?;
                    match after {
                        Rule::by_kw => score = Some(e),
                        Rule::per_kw => per = Some(e),
                        _ => filter = Some(e),
                    }
                }
            }
        }
        Ok(RankDecl {
            name: name.ok_or_else(|| self.internal(entry_span, "rank without a name"))?,
            score: score.ok_or_else(|| self.internal(entry_span, "rank without a score"))?,
            per,
            filter,
            span: entry_span,
        })
    }

    fn window(&self, pair: Pair<'s, Rule>) -> Result<Window> {
        let mut window = Window::default();
        for bound in self.children(pair) {
            let span = self.span_of(&bound);
            let is_from = bound.as_rule() == Rule::from_bound;
            let mut i = self.children(bound);
            let tp = self.next(&mut i, span, "time point")?;
            let point = self.time_point(tp)?;
            if is_from {
                window.from = Some(point);
            } else {
                window.until = Some(point);
            }
        }
        Ok(window)
    }

    fn time_point(&self, pair: Pair<'s, Rule>) -> Result<Spanned<TimePoint>> {
        let span = self.span_of(&pair);
        let mut i = self.children(pair);
        let lit = self.next(&mut i, span, "date or timestamp")?;
        let lit_span = self.span_of(&lit);
        match self.literal(lit)? {
            Literal::Date(d) => Ok(Spanned::new(TimePoint::Date(d), lit_span)),
            Literal::Timestamp(t) => Ok(Spanned::new(TimePoint::Timestamp(t), lit_span)),
            _ => Err(self.internal(lit_span, "time point is neither date nor timestamp")),
        }
    }

    fn rule_decl(&self, pair: Pair<'s, Rule>) -> Result<RuleDecl> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair).peekable();
        let name = self.ident(
            inner
                .next()
                .ok_or_else(|| self.internal(span, "missing rule name"))?,
        );
        let title = match inner.peek() {
            Some(p) if p.as_rule() == Rule::string_lit => {
                let p = inner
                    .next()
                    .ok_or_else(|| self.internal(span, "missing title"))?;
                Some(self.string(p)?)
            }
            _ => None,
        };
        let mut versions = Vec::new();
        let mut single = None;
        let mut each = None;
        let mut on = None;
        for p in inner {
            match p.as_rule() {
                Rule::rule_on => {
                    let ospan = self.span_of(&p);
                    let mut i = self
                        .children(p)
                        .filter(|p| !matches!(p.as_rule(), Rule::on_kw | Rule::where_kw));
                    let kind = self.ident(self.next(&mut i, ospan, "subject kind")?);
                    let filter = i.next().map(|f| self.expr(f)).transpose()?;
                    on = Some(SubjectDecl {
                        kind,
                        filter,
                        span: ospan,
                    });
                }
                Rule::rule_each => each = Some(self.rule_each(p)?),
                Rule::clauses => single = Some(self.clauses(p)?),
                Rule::version_decl => {
                    let vspan = self.span_of(&p);
                    let mut window = Window::default();
                    let mut label = None;
                    let mut clauses = None;
                    for v in self.children(p) {
                        match v.as_rule() {
                            Rule::string_lit => label = Some(self.string(v)?),
                            Rule::window => window = self.window(v)?,
                            Rule::clauses => clauses = Some(self.clauses(v)?),
                            _ => {
                                return Err(
                                    self.internal(self.span_of(&v), "unexpected version entry")
                                )
                            }
                        }
                    }
                    versions.push(VersionDecl {
                        label: label
                            .ok_or_else(|| self.internal(vspan, "version without label"))?,
                        window,
                        clauses: clauses
                            .ok_or_else(|| self.internal(vspan, "version without body"))?,
                        span: vspan,
                    });
                }
                _ => return Err(self.internal(self.span_of(&p), "unexpected rule entry")),
            }
        }
        let body = match single {
            Some(c) => RuleBody::Single(c),
            None => RuleBody::Versions(versions),
        };
        Ok(RuleDecl {
            name,
            title,
            on,
            each,
            body,
            span,
        })
    }

    /// `for r in reminders [group by key: value, ... as items]`
    fn rule_each(&self, pair: Pair<'s, Rule>) -> Result<RuleEach> {
        let span = self.span_of(&pair);
        let mut inner = self
            .children(pair)
            .filter(|p| !matches!(p.as_rule(), Rule::for_kw | Rule::op_in));
        let binder = self.ident(self.next(&mut inner, span, "binding")?);
        let source = self.expr(self.next(&mut inner, span, "collection")?)?;
        let group = match inner.next() {
            Some(g) => {
                let gspan = self.span_of(&g);
                let mut keys = Vec::new();
                let mut items = None;
                for p in self.children(g) {
                    match p.as_rule() {
                        Rule::group_key => {
                            let kspan = self.span_of(&p);
                            let mut i = self.children(p);
                            let name = self.ident(self.next(&mut i, kspan, "key name")?);
                            let value = self.expr(self.next(&mut i, kspan, "key value")?)?;
                            keys.push((name, value));
                        }
                        Rule::ident => items = Some(self.ident(p)),
                        _ => {}
                    }
                }
                let items = items.ok_or_else(|| self.internal(gspan, "group without `as`"))?;
                Some(GroupBy {
                    keys,
                    items,
                    span: gspan,
                })
            }
            None => None,
        };
        Ok(RuleEach {
            binder,
            source,
            group,
            span,
        })
    }

    fn clauses(&self, pair: Pair<'s, Rule>) -> Result<Clauses> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair).peekable();
        let mut lets = Vec::new();
        while let Some(l) = inner.next_if(|p| p.as_rule() == Rule::rule_let) {
            lets.push(self.let_decl(l)?);
        }
        let when_pair = self.next(&mut inner, span, "when")?;
        let when_span = self.span_of(&when_pair);
        let when =
            self.expr(self.next(&mut self.children(when_pair), when_span, "condition")?)?;
        let then_pair = self.next(&mut inner, span, "then")?;
        let effects = self
            .children(then_pair)
            .map(|p| self.effect_call(p))
            .collect::<Result<Vec<_>>>()?;
        let message = match inner.next() {
            Some(m) => {
                let mspan = self.span_of(&m);
                let s = self.next(&mut self.children(m), mspan, "message text")?;
                Some(self.template(s)?)
            }
            None => None,
        };
        Ok(Clauses {
            lets,
            when,
            effects,
            message,
            span,
        })
    }

    fn effect_call(&self, pair: Pair<'s, Rule>) -> Result<EffectCall> {
        let span = self.span_of(&pair);
        let mut inner = self.children(pair);
        let name = self.ident(self.next(&mut inner, span, "effect name")?);
        let mut args = Vec::new();
        let mut guard = None;
        for arg in inner {
            let aspan = self.span_of(&arg);
            if arg.as_rule() == Rule::effect_guard {
                let mut i = self.children(arg).filter(|p| p.as_rule() == Rule::expr);
                guard = Some(self.expr(self.next(&mut i, aspan, "condition")?)?);
                continue;
            }
            let mut i = self.children(arg);
            let key = self.ident(self.next(&mut i, aspan, "argument name")?);
            let value = self.expr(self.next(&mut i, aspan, "argument value")?)?;
            args.push((key, value));
        }
        Ok(EffectCall {
            name,
            args,
            guard,
            span,
        })
    }

    /// A message template, as the grammar splits it: text (unescaped),
    /// `{{`/`}}` braces, and `{expr}` interpolations.
    fn template(&self, pair: Pair<'s, Rule>) -> Result<Template> {
        let span = self.span_of(&pair);
        let mut parts = Vec::new();
        let mut text = String::new();
        for p in self.children(pair) {
            let pspan = self.span_of(&p);
            match p.as_rule() {
                Rule::template_text => {
                    let raw = p.as_str();
                    self.unescape_into(&mut text, raw, 0, raw.len(), pspan.start as usize)?;
                }
                Rule::brace_escape => text.push_str(p.as_str().get(..1).unwrap_or("")),
                Rule::interpolation => {
                    let mut i = self.children(p);
                    let e = self.expr(self.next(&mut i, pspan, "interpolated expression")?)?;
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(TemplatePart::Expr(e));
                }
                _ => return Err(self.unclosed_brace(pspan, span)),
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Template { parts, span })
    }

    /// A `{` in a template that opens no expression: unclosed, or closed round
    /// something that is not an expression (then that expression's own error).
    fn unclosed_brace(&self, brace: Span, template: Span) -> ParseError {
        let rest = self
            .text
            .get(brace.end as usize..template.end.saturating_sub(1) as usize)
            .unwrap_or("");
        let unclosed = ParseError::UnclosedInterpolation {
            source_id: self.source,
            span: brace,
        };
        let Some(close) = rest.find('}') else {
            return unclosed;
        };
        let inner = rest.get(..close).unwrap_or("");
        let lower = Lower {
            source: self.source,
            text: self.text,
            base: brace.end as usize,
            comments: self.comments,
        };
        match PolicyParser::parse(Rule::expr_only, inner) {
            Err(e) => lower.syntax_error(e),
            Ok(_) => unclosed,
        }
    }

    /// Unescapes `raw[from..to]` (which starts at byte `base + from` of the file) onto `out`.
    fn unescape_into(
        &self,
        out: &mut String,
        raw: &str,
        from: usize,
        to: usize,
        base: usize,
    ) -> Result<()> {
        let piece = raw.get(from..to).unwrap_or("");
        let text = literal::unescape(piece).map_err(|bad| ParseError::InvalidLiteral {
            source_id: self.source,
            span: Span::new(base + from + bad.start, base + from + bad.end),
            what: "string escape",
            text: piece.get(bad.start..bad.end).unwrap_or("\\").to_string(),
            reason: bad.reason.to_string(),
        })?;
        out.push_str(&text);
        Ok(())
    }

    fn string(&self, pair: Pair<'s, Rule>) -> Result<Spanned<String>> {
        let span = self.span_of(&pair);
        let inner = pair.into_inner().next();
        let raw = inner.as_ref().map(|p| p.as_str()).unwrap_or("");
        let base = inner
            .as_ref()
            .map(|p| p.as_span().start())
            .unwrap_or(span.start as usize);
        let mut text = String::new();
        self.unescape_into(&mut text, raw, 0, raw.len(), base)?;
        Ok(Spanned::new(text, span))
    }

    // ------------------------------------------------------------- expressions

    /// Lowers `prefix* primary postfix* (infix prefix* primary postfix*)*` by
    /// operator precedence with explicit stacks: no recursion per operand or
    /// operator, and operators of one level collected into one flat
    /// [`ExprKind::Chain`]. Comparisons do not chain.
    ///
    /// The result is at most [`nesting::MAX_DEPTH`] deep, and no deeper tree is
    /// ever built (dropping one would recurse): each operand counts the levels
    /// this call adds, and the whole is measured before it is returned.
    pub(crate) fn expr(&self, pair: Pair<'s, Rule>) -> Result<Expr> {
        let span = self.span_of(&pair);
        if pair.as_rule() != Rule::expr {
            return Err(self.internal(span, "expected an expression"));
        }
        let mut operands: Vec<Operand> = Vec::new();
        let mut ops: Vec<Pending> = Vec::new();
        for p in pair.into_inner() {
            let pspan = self.span_of(&p);
            match p.as_rule() {
                Rule::op_not => ops.push(Pending::Prefix(UnaryOp::Not, pspan)),
                Rule::op_neg => ops.push(Pending::Prefix(UnaryOp::Neg, pspan)),
                Rule::field_access
                | Rule::index_access
                | Rule::is_present
                | Rule::is_absent
                | Rule::within => {
                    let lhs = operands
                        .pop()
                        .ok_or_else(|| self.internal(pspan, "postfix without operand"))?;
                    let added = self.deeper(lhs.added, pspan)?;
                    operands.push(Operand {
                        expr: self.postfix(lhs.expr, p)?,
                        chain: None,
                        added,
                    });
                }
                rule => match infix_op(rule) {
                    Some(op) => {
                        let prec = Pending::Infix(op, pspan).precedence();
                        while ops.last().is_some_and(|top| top.precedence() >= prec) {
                            self.reduce(&mut operands, &mut ops)?;
                        }
                        ops.push(Pending::Infix(op, pspan));
                    }
                    None => operands.push(Operand::plain(self.primary(p)?)),
                },
            }
        }
        while !ops.is_empty() {
            self.reduce(&mut operands, &mut ops)?;
        }
        match (operands.pop(), operands.is_empty()) {
            (Some(e), true) => {
                nesting::check_depth(self.source, &e.expr)?;
                Ok(e.expr)
            }
            _ => Err(self.internal(span, "unbalanced expression")),
        }
    }

    /// One level more than `added`, unless that passes the depth limit.
    fn deeper(&self, added: usize, at: Span) -> Result<usize> {
        if added >= nesting::MAX_DEPTH {
            return Err(ParseError::TooDeep {
                source_id: self.source,
                span: at,
                limit: nesting::MAX_DEPTH,
            });
        }
        Ok(added + 1)
    }

    /// Applies the operator on top of `ops` to the operands on top of `operands`.
    fn reduce(&self, operands: &mut Vec<Operand>, ops: &mut Vec<Pending>) -> Result<()> {
        let Some(op) = ops.pop() else {
            return Ok(());
        };
        match op {
            Pending::Prefix(unary, op_span) => {
                let x = operands
                    .pop()
                    .ok_or_else(|| self.internal(op_span, "prefix without operand"))?;
                let span = op_span.to(x.expr.span);
                let added = self.deeper(x.added, op_span)?;
                operands.push(Operand {
                    expr: Expr {
                        kind: ExprKind::Unary(unary, Box::new(x.expr)),
                        span,
                    },
                    chain: None,
                    added,
                });
            }
            Pending::Infix(op, op_span) => {
                let (rhs, lhs) = match (operands.pop(), operands.pop()) {
                    (Some(r), Some(l)) => (r, l),
                    _ => return Err(self.internal(op_span, "operator without operands")),
                };
                let level = op.level();
                let span = lhs.expr.span.to(rhs.expr.span);
                // A new node is one level above both operands; extending a chain, only above the new one.
                let extends = lhs.chain == Some(level)
                    && level != Level::Compare
                    && matches!(lhs.expr.kind, ExprKind::Chain { .. });
                let added = if extends {
                    lhs.added.max(self.deeper(rhs.added, op_span)?)
                } else {
                    self.deeper(lhs.added.max(rhs.added), op_span)?
                };
                if level == Level::Compare {
                    if lhs.chain == Some(Level::Compare) {
                        return Err(ParseError::ChainedComparison {
                            source_id: self.source,
                            span: op_span,
                        });
                    }
                    operands.push(Operand {
                        expr: Expr {
                            kind: ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr)),
                            span,
                        },
                        chain: Some(level),
                        added,
                    });
                    return Ok(());
                }
                let expr = match lhs {
                    Operand {
                        expr:
                            Expr {
                                kind: ExprKind::Chain { first, mut rest },
                                ..
                            },
                        chain: Some(l),
                        ..
                    } if l == level => {
                        rest.push((op, rhs.expr));
                        Expr {
                            kind: ExprKind::Chain { first, rest },
                            span,
                        }
                    }
                    lhs => Expr {
                        kind: ExprKind::Chain {
                            first: Box::new(lhs.expr),
                            rest: vec![(op, rhs.expr)],
                        },
                        span,
                    },
                };
                operands.push(Operand {
                    expr,
                    chain: Some(level),
                    added,
                });
            }
        }
        Ok(())
    }

    /// `lhs.field`, `lhs[key]`, `lhs is present`, `lhs within (a, b]`.
    fn postfix(&self, lhs: Expr, op: Pair<'s, Rule>) -> Result<Expr> {
        let span = lhs.span.to(self.span_of(&op));
        let kind = match op.as_rule() {
            Rule::field_access => {
                let mut i = self.children(op);
                let name = self.ident(self.next(&mut i, span, "field name")?);
                ExprKind::Field(Box::new(lhs), name)
            }
            Rule::index_access => {
                let mut i = self.children(op);
                let key = self.expr(self.next(&mut i, span, "index")?)?;
                ExprKind::Index(Box::new(lhs), Box::new(key))
            }
            Rule::is_present => ExprKind::Presence {
                expr: Box::new(lhs),
                present: true,
            },
            Rule::within => {
                let mut i = self.children(op);
                let open = self.next(&mut i, span, "`(` or `[`")?;
                let low = self.expr(self.next(&mut i, span, "lower bound")?)?;
                let high = self.expr(self.next(&mut i, span, "upper bound")?)?;
                let close = self.next(&mut i, span, "`)` or `]`")?;
                ExprKind::Within {
                    expr: Box::new(lhs),
                    low: Box::new(low),
                    low_included: open.as_str() == "[",
                    high: Box::new(high),
                    high_included: close.as_str() == "]",
                }
            }
            _ => ExprKind::Presence {
                expr: Box::new(lhs),
                present: false,
            },
        };
        Ok(Expr { kind, span })
    }

    fn primary(&self, pair: Pair<'s, Rule>) -> Result<Expr> {
        let span = self.span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::paren_expr => {
                let mut i = self.children(pair);
                let inner = self.expr(self.next(&mut i, span, "expression")?)?;
                ExprKind::Paren(Box::new(inner))
            }
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            Rule::now_kw => ExprKind::Now,
            Rule::held_kw => ExprKind::Held,
            Rule::if_expr => {
                let mut branches = Vec::new();
                let mut pending_cond = None;
                let mut otherwise = None;
                for p in self.children(pair).filter(|p| p.as_rule() != Rule::if_kw) {
                    if p.as_rule() == Rule::else_if {
                        let espan = self.span_of(&p);
                        let mut i = self.children(p).filter(|p| p.as_rule() != Rule::if_kw);
                        let cond = self.expr(self.next(&mut i, espan, "condition")?)?;
                        let then = self.expr(self.next(&mut i, espan, "then value")?)?;
                        branches.push((cond, then));
                        continue;
                    }
                    let e = self.expr(p)?;
                    match pending_cond.take() {
                        None if branches.is_empty() => pending_cond = Some(e),
                        Some(cond) => branches.push((cond, e)),
                        None => otherwise = Some(e),
                    }
                }
                let otherwise = otherwise.ok_or_else(|| self.internal(span, "if without else"))?;
                ExprKind::If {
                    branches,
                    otherwise: Box::new(otherwise),
                }
            }
            Rule::list_lit => ExprKind::List(
                self.children(pair)
                    .map(|p| self.expr(p))
                    .collect::<Result<_>>()?,
            ),
            Rule::record_lit => {
                let mut fields = Vec::new();
                for f in self.children(pair) {
                    let fspan = self.span_of(&f);
                    let mut fi = self.children(f);
                    let name = self.ident(self.next(&mut fi, fspan, "field name")?);
                    let value = self.expr(self.next(&mut fi, fspan, "field value")?)?;
                    fields.push((name, value));
                }
                ExprKind::Record(fields)
            }
            Rule::call => self.call(pair, span)?,
            Rule::conditions => {
                let mut i = self.children(pair);
                let q = self.next(&mut i, span, "quantifier")?;
                let quantifier = if q.as_str() == "all" {
                    Quantifier::All
                } else {
                    Quantifier::Any
                };
                let mut items = Vec::new();
                for c in i {
                    let cspan = self.span_of(&c);
                    let mut ci = self.children(c).peekable();
                    let name = self.ident(self.next_peek(&mut ci, cspan, "condition name")?);
                    let description = match ci.peek() {
                        Some(p) if p.as_rule() == Rule::string_lit => {
                            Some(self.string(self.next_peek(&mut ci, cspan, "description")?)?)
                        }
                        _ => None,
                    };
                    let cond = self.expr(self.next_peek(&mut ci, cspan, "condition")?)?;
                    items.push(NamedCondition {
                        name,
                        description,
                        cond,
                        span: cspan,
                    });
                }
                ExprKind::Conditions { quantifier, items }
            }
            _ => {
                let written = pair.as_str().into();
                ExprKind::Literal(self.literal(pair)?, written)
            }
        };
        Ok(Expr { kind, span })
    }

    /// A call, or a comprehension (the two share their opening `name(`):
    /// `sum(d.points for d in ds where ...)`, `count(w in ws where ...)`, `count(w in ws)`.
    fn call(&self, pair: Pair<'s, Rule>, span: Span) -> Result<ExprKind> {
        let mut i = self.children(pair);
        let func = self.ident(self.next(&mut i, span, "function name")?);
        let mut args = Vec::new();
        let mut binding = None;
        let mut filter = None;
        for p in i {
            match p.as_rule() {
                Rule::for_clause => {
                    let fspan = self.span_of(&p);
                    let mut i = self.children(p).filter(|p| p.as_rule() == Rule::expr);
                    let e = self.expr(i.next().ok_or_else(|| self.internal(fspan, "binding"))?)?;
                    binding = Some(self.binding(e, "for")?);
                }
                Rule::where_clause => {
                    let wspan = self.span_of(&p);
                    let mut i = self.children(p).filter(|p| p.as_rule() == Rule::expr);
                    let e =
                        self.expr(i.next().ok_or_else(|| self.internal(wspan, "condition"))?)?;
                    filter = Some(Box::new(e));
                }
                _ => args.push(self.expr(p)?),
            }
        }
        let in_shape = |e: &Expr| {
            matches!(&e.kind, ExprKind::Binary(BinaryOp::In, name, _)
                if matches!(name.kind, ExprKind::Name(_)))
        };
        let (map, (binder, source)) = match (binding, args.len()) {
            (Some(b), 1) => (args.pop().map(Box::new), b),
            (None, 1) if filter.is_some() || args.first().is_some_and(in_shape) => {
                let only = args
                    .pop()
                    .ok_or_else(|| self.internal(span, "missing argument"))?;
                (None, self.binding(only, "where")?)
            }
            (Some(_), _) => return Err(self.internal(span, "comprehension with several values")),
            (None, _) => return Ok(ExprKind::Call { func, args }),
        };
        Ok(ExprKind::Comprehension {
            func,
            map,
            binder,
            source: Box::new(source),
            filter,
        })
    }

    /// `d in deductions` as a comprehension's binding and collection.
    fn binding(&self, e: Expr, before: &str) -> Result<(Ident, Expr)> {
        if let ExprKind::Binary(BinaryOp::In, name, source) = e.kind {
            if let ExprKind::Name(n) = name.kind {
                return Ok((
                    Ident {
                        name: n,
                        span: name.span,
                    },
                    *source,
                ));
            }
        }
        Err(ParseError::Syntax {
            source_id: self.source,
            span: e.span,
            expected: "`name in collection`".into(),
            found: "another expression".into(),
            help: Some(format!(
                "a comprehension reads `{before}` with one binding: `count(w in withdrawals where w.amount > 0)`, `sum(d.points for d in deductions)`"
            )),
        })
    }

    fn next_peek(
        &self,
        pairs: &mut std::iter::Peekable<Pairs<'s, Rule>>,
        parent: Span,
        what: &str,
    ) -> Result<Pair<'s, Rule>> {
        pairs
            .next()
            .ok_or_else(|| self.internal(parent, &format!("missing {what}")))
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> bool {
    let seen = slot.is_some();
    if !seen {
        *slot = Some(value);
    }
    seen
}

/// Words that start declarations, suggested for "did you mean" beside the
/// policy entry words ([`crate::ast::ENTRY_WORDS`]).
const DECLARATION_WORDS: [&str; 4] = ["kind", "record", "effect", "platform"];

/// Advice for the mistakes authors make most: a missing `}`, `=` for `==`, a misspelt keyword.
fn mistake_help(positives: &[Rule], token: &str, at_end: bool) -> Option<String> {
    if at_end {
        return Some("a `{` opened above is not closed: add the missing `}`".into());
    }
    if token.starts_with('=') && !token.starts_with("==") {
        return Some("to compare, write `==`".into());
    }
    if positives.contains(&Rule::named_arg) || positives == [Rule::member] {
        return Some("effect arguments are written `name: value`, separated by commas".into());
    }
    let word: String = token
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let expects_entry = positives.iter().any(|r| {
        matches!(
            r,
            Rule::title_decl
                | Rule::subject_decl
                | Rule::rule_decl
                | Rule::kind_decl
                | Rule::policy_decl
        )
    });
    if expects_entry && !word.is_empty() {
        let limit = (word.len() / 3).max(1);
        let close = crate::ast::ENTRY_WORDS
            .iter()
            .chain(&DECLARATION_WORDS)
            .map(|k| (strsim::damerau_levenshtein(&word, k), *k))
            .filter(|(d, _)| *d <= limit)
            .min();
        if let Some((_, k)) = close {
            return Some(format!("did you mean `{k}`?"));
        }
    }
    None
}

/// Turns pest's list of expected rules into words, and recognises common mistakes.
fn describe_expected(positives: &[Rule]) -> (String, Option<String>) {
    let mut words: Vec<&'static str> = positives.iter().map(|r| rule_words(*r)).collect();
    words.sort_unstable();
    words.dedup();
    let help = if positives.contains(&Rule::then_clause) {
        Some("a rule body is `when <condition> then <effect>, ...`".to_string())
    } else if positives.contains(&Rule::when_clause) {
        Some("a rule body starts with `when <condition>`".to_string())
    } else if positives.contains(&Rule::expr) || positives.contains(&Rule::ident) {
        Some(
            "an operand is a name, a literal such as `100`, `5000.00 CNY` or `\"text\"`, or a call"
                .to_string(),
        )
    } else {
        None
    };
    if positives.contains(&Rule::op_neg) || positives.contains(&Rule::op_not) {
        return ("an operand".to_string(), help);
    }
    let expected = match words.len() {
        0 => "something else".to_string(),
        1 => words.concat(),
        _ => {
            let (last, first) = words
                .split_last()
                .map(|(l, f)| (*l, f.to_vec()))
                .unwrap_or(("", Vec::new()));
            format!("{} or {}", first.join(", "), last)
        }
    };
    (expected, help)
}

fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::kind_decl
        | Rule::record_decl
        | Rule::effect_decl
        | Rule::platform_decl
        | Rule::policy_decl => "a declaration (`policy`, `kind`, `record`, `effect`, `platform`)",
        Rule::ident | Rule::member => "a name",
        Rule::policy_id => "a dotted policy ID such as `douyin.zero_deposit_trial`",
        Rule::zone_name => "a time zone such as `Asia/Shanghai`",
        Rule::currency_code => "a currency code such as `CNY`",
        Rule::type_expr | Rule::named_type | Rule::list_type | Rule::map_type | Rule::enum_type => {
            "a type"
        }
        Rule::record_body => "`{`",
        Rule::field_decl => "a field (`name: type`)",
        Rule::title_decl
        | Rule::source_decl
        | Rule::subject_decl
        | Rule::zone_decl
        | Rule::currency_decl
        | Rule::effective_decl
        | Rule::governed_decl
        | Rule::param_decl
        | Rule::let_decl
        | Rule::rank_decl
        | Rule::rank_kw
        | Rule::rule_decl => {
            "a policy entry (`title`, `subject`, `zone`, `param`, `let`, `rule`, ...)"
        }
        Rule::rule_each | Rule::rule_on | Rule::on_kw => "`on`, `for` or `{`",
        Rule::rule_let => "`let`",
        Rule::effect_guard | Rule::if_kw => "`if`",
        Rule::group_by | Rule::group_kw => "`group by`",
        Rule::window | Rule::from_bound | Rule::until_bound => "`from` or `until`",
        Rule::time_point => "a date or timestamp",
        Rule::version_decl => "`version`",
        Rule::clauses | Rule::when_clause => "`when`",
        Rule::then_clause => "`then`",
        Rule::message_clause => "`message`",
        Rule::effect_call => "an effect",
        Rule::named_arg => "an argument (`name: value`)",
        Rule::expr => "an expression",
        Rule::for_clause => "`for`",
        Rule::where_clause => "`where`",
        Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_in
        | Rule::op_coalesce
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => "an operator",
        Rule::op_not | Rule::op_neg => "an operand",
        Rule::field_access | Rule::index_access | Rule::is_present | Rule::is_absent => {
            "an operator"
        }
        Rule::named_condition => "a named condition (`name: condition`)",
        Rule::string_lit | Rule::string_inner => "a string",
        _ => "a value",
    }
}

/// An operand on the precedence stack, and the level of the chain it was
/// built as (so that `a + b + c` extends one chain, but `(a + b) + c` does not).
struct Operand {
    expr: Expr,
    chain: Option<Level>,
    /// Levels this expression adds above the primaries it was built from.
    added: usize,
}

impl Operand {
    fn plain(expr: Expr) -> Self {
        Operand {
            expr,
            chain: None,
            added: 0,
        }
    }
}

/// An operator waiting for its right operand.
enum Pending {
    Prefix(UnaryOp, Span),
    Infix(BinaryOp, Span),
}

impl Pending {
    /// Binding power: `or` < `and` < `not` < comparisons < `??` < `+ -` < `* /` < unary `-`.
    /// Every infix operator is applied left to right (`??` is associative, so
    /// left to right gives the same value).
    fn precedence(&self) -> u8 {
        match self {
            Pending::Prefix(UnaryOp::Not, _) => 3,
            Pending::Prefix(UnaryOp::Neg, _) => 8,
            Pending::Infix(op, _) => match op.level() {
                Level::Or => 1,
                Level::And => 2,
                Level::Compare => 4,
                Level::Coalesce => 5,
                Level::Sum => 6,
                Level::Product => 7,
            },
        }
    }
}

fn infix_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_in => BinaryOp::In,
        Rule::op_coalesce => BinaryOp::Coalesce,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        _ => return None,
    })
}

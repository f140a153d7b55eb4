//! Lowering pest pairs into the AST; the only module that sees pest types.
//!
//! Navigation never unwraps: a missing child becomes `ParseError::Internal`,
//! which would be a bug in the grammar/lowering pair, not in the user's file.

mod comments;
mod expected;
mod expr;
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
            requires: Vec::new(),
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
            Rule::require_decl => {
                let mut condition = None;
                let mut message = None;
                for c in self.children(p) {
                    match c.as_rule() {
                        Rule::require_kw => {}
                        Rule::string_lit => message = Some(self.string(c)?),
                        _ => condition = Some(self.expr(c)?),
                    }
                }
                policy.requires.push(RequireDecl {
                    condition: condition
                        .ok_or_else(|| self.internal(entry_span, "require without a condition"))?,
                    message,
                    span: entry_span,
                });
                (false, Entry::Require(policy.requires.len() - 1))
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
                    self.unescape_into(&mut text, raw, pspan.start as usize)?;
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

    /// Unescapes `raw` (which starts at byte `base` of the file) onto `out`.
    fn unescape_into(&self, out: &mut String, raw: &str, base: usize) -> Result<()> {
        let text = literal::unescape(raw).map_err(|bad| ParseError::InvalidLiteral {
            source_id: self.source,
            span: Span::new(base + bad.start, base + bad.end),
            what: "string escape",
            text: raw.get(bad.start..bad.end).unwrap_or("\\").to_string(),
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
        self.unescape_into(&mut text, raw, base)?;
        Ok(Spanned::new(text, span))
    }

    // ------------------------------------------------------------- expressions
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> bool {
    let seen = slot.is_some();
    if !seen {
        *slot = Some(value);
    }
    seen
}

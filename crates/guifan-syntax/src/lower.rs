//! Lowering pest pairs into the AST; the only module that sees pest types.
//!
//! Navigation never unwraps: a missing child becomes `ParseError::Internal`,
//! which would be a bug in the grammar/lowering pair, not in the user's file.

pub(crate) mod literal;

use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;

use crate::ast::*;
use crate::error::ParseError;
use crate::grammar::{PolicyParser, Rule};
use crate::span::{SourceId, Span, Spanned};

/// Lowering context: the file being lowered.
pub(crate) struct Lower<'s> {
    pub(crate) source: SourceId,
    pub(crate) text: &'s str,
}

type Result<T> = std::result::Result<T, ParseError>;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_in, Assoc::Left))
            .op(Op::infix(Rule::op_coalesce, Assoc::Right))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
            .op(Op::postfix(Rule::field_access)
                | Op::postfix(Rule::index_access)
                | Op::postfix(Rule::is_present)
                | Op::postfix(Rule::is_absent)
                | Op::postfix(Rule::within))
    })
}

/// Parses a whole file.
pub(crate) fn file(source: SourceId, text: &str) -> std::result::Result<RuleFile, Vec<ParseError>> {
    let lower = Lower { source, text };
    let pairs = PolicyParser::parse(Rule::file, text).map_err(|e| vec![lower.syntax_error(e)])?;
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for pair in pairs.flatten().filter(|p| is_item(p.as_rule())) {
        match lower.item(pair) {
            Ok(item) => items.push(item),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(RuleFile { source, items })
    } else {
        Err(errors)
    }
}

/// Parses one expression on its own (used for template interpolations and tests).
pub(crate) fn expression(source: SourceId, text: &str, offset: usize) -> Result<Expr> {
    let lower = Lower { source, text };
    let mut pairs = PolicyParser::parse(Rule::expr_only, text).map_err(|e| {
        let err = lower.syntax_error(e);
        shift_error(err, offset)
    })?;
    let top = pairs
        .next()
        .ok_or_else(|| lower.internal(Span::new(0, 0), "empty expression"))?;
    let expr_pair = top
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| lower.internal(Span::new(0, 0), "no expression"))?;
    let shifted = Lower { source, text };
    shifted.expr(expr_pair).map(|e| shift_expr(e, offset))
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

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

impl<'s> Lower<'s> {
    fn internal(&self, span: Span, detail: &str) -> ParseError {
        ParseError::Internal {
            source_id: self.source,
            span,
            detail: detail.to_string(),
        }
    }

    fn syntax_error(&self, err: pest::error::Error<Rule>) -> ParseError {
        let pos = match err.location {
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
            span: span_of(&pair),
        }
    }

    fn next(
        &self,
        pairs: &mut Pairs<'s, Rule>,
        parent: Span,
        what: &str,
    ) -> Result<Pair<'s, Rule>> {
        pairs
            .next()
            .ok_or_else(|| self.internal(parent, &format!("missing {what}")))
    }

    fn item(&self, pair: Pair<'s, Rule>) -> Result<Item> {
        let span = span_of(&pair);
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
                };
                for p in inner {
                    let which = p.as_rule();
                    let value = self.header_value(p)?;
                    match which {
                        Rule::currency_decl => decl.currency = Some(value),
                        _ => decl.zone = Some(value),
                    }
                }
                Ok(Item::Platform(decl))
            }
            Rule::policy_decl => Ok(Item::Policy(Box::new(self.policy(pair)?))),
            _ => Err(self.internal(span, "unexpected declaration")),
        }
    }

    fn record_decl(&self, pair: Pair<'s, Rule>) -> Result<RecordDecl> {
        let span = span_of(&pair);
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
            let vspan = span_of(&p);
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
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let name = self.ident(self.next(&mut inner, span, "field name")?);
        let ty = self.type_expr(self.next(&mut inner, span, "field type")?)?;
        Ok(FieldDecl { name, ty })
    }

    fn type_expr(&self, pair: Pair<'s, Rule>) -> Result<TypeExpr> {
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let atom = self.next(&mut inner, span, "type")?;
        let optional = inner.next().is_some();
        let atom_span = span_of(&atom);
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
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let value = self.next(&mut inner, span, "value")?;
        if value.as_rule() == Rule::string_lit {
            self.string(value)
        } else {
            Ok(Spanned::new(value.as_str().to_string(), span_of(&value)))
        }
    }

    fn policy(&self, pair: Pair<'s, Rule>) -> Result<PolicyDecl> {
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let id_pair = self.next(&mut inner, span, "policy id")?;
        let mut policy = PolicyDecl {
            id: Spanned::new(id_pair.as_str().to_string(), span_of(&id_pair)),
            title: None,
            source_text: None,
            subject: None,
            zone: None,
            currency: None,
            effective: None,
            governed_by: None,
            params: Vec::new(),
            lets: Vec::new(),
            rules: Vec::new(),
            span,
        };
        for p in inner {
            let entry_span = span_of(&p);
            let rule = p.as_rule();
            let seen = match rule {
                Rule::title_decl => set_once(&mut policy.title, self.header_value(p)?),
                Rule::source_decl => set_once(&mut policy.source_text, self.header_value(p)?),
                Rule::zone_decl => set_once(&mut policy.zone, self.header_value(p)?),
                Rule::currency_decl => set_once(&mut policy.currency, self.header_value(p)?),
                Rule::subject_decl => {
                    let mut i = self.children(p);
                    let kind = self.ident(self.next(&mut i, entry_span, "subject kind")?);
                    let filter = i.next().map(|f| self.expr(f)).transpose()?;
                    set_once(&mut policy.subject, SubjectDecl { kind, filter })
                }
                Rule::effective_decl => {
                    let mut i = self.children(p);
                    let w = self.window(self.next(&mut i, entry_span, "window")?)?;
                    set_once(&mut policy.effective, w)
                }
                Rule::governed_decl => {
                    let mut i = self.children(p);
                    let e = self.expr(self.next(&mut i, entry_span, "governing time")?)?;
                    set_once(&mut policy.governed_by, e)
                }
                Rule::param_decl => {
                    let mut i = self.children(p);
                    let name = self.ident(self.next(&mut i, entry_span, "parameter name")?);
                    let ty = self.type_expr(self.next(&mut i, entry_span, "parameter type")?)?;
                    let default = i.next().map(|d| self.expr(d)).transpose()?;
                    policy.params.push(ParamDecl { name, ty, default });
                    false
                }
                Rule::let_decl => {
                    let mut i = self.children(p);
                    let name = self.ident(self.next(&mut i, entry_span, "definition name")?);
                    let value = self.expr(self.next(&mut i, entry_span, "definition value")?)?;
                    policy.lets.push(LetDecl { name, value });
                    false
                }
                Rule::rule_decl => {
                    policy.rules.push(self.rule_decl(p)?);
                    false
                }
                _ => return Err(self.internal(entry_span, "unexpected policy entry")),
            };
            if seen {
                let entry = self
                    .text
                    .get(entry_span.start as usize..entry_span.end as usize)
                    .unwrap_or("");
                let word: String = entry
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                return Err(ParseError::DuplicateEntry {
                    source_id: self.source,
                    span: entry_span,
                    entry: word,
                });
            }
        }
        Ok(policy)
    }

    fn window(&self, pair: Pair<'s, Rule>) -> Result<Window> {
        let mut window = Window::default();
        for bound in self.children(pair) {
            let span = span_of(&bound);
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
        let span = span_of(&pair);
        let mut i = self.children(pair);
        let lit = self.next(&mut i, span, "date or timestamp")?;
        let lit_span = span_of(&lit);
        match self.literal(lit)? {
            Literal::Date(d) => Ok(Spanned::new(TimePoint::Date(d), lit_span)),
            Literal::Timestamp(t) => Ok(Spanned::new(TimePoint::Timestamp(t), lit_span)),
            _ => Err(self.internal(lit_span, "time point is neither date nor timestamp")),
        }
    }

    fn rule_decl(&self, pair: Pair<'s, Rule>) -> Result<RuleDecl> {
        let span = span_of(&pair);
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
        for p in inner {
            match p.as_rule() {
                Rule::clauses => single = Some(self.clauses(p)?),
                Rule::version_decl => {
                    let vspan = span_of(&p);
                    let mut window = Window::default();
                    let mut label = None;
                    let mut clauses = None;
                    for v in self.children(p) {
                        match v.as_rule() {
                            Rule::string_lit => label = Some(self.string(v)?),
                            Rule::window => window = self.window(v)?,
                            Rule::clauses => clauses = Some(self.clauses(v)?),
                            _ => return Err(self.internal(span_of(&v), "unexpected version entry")),
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
                _ => return Err(self.internal(span_of(&p), "unexpected rule entry")),
            }
        }
        let body = match single {
            Some(c) => RuleBody::Single(c),
            None => RuleBody::Versions(versions),
        };
        Ok(RuleDecl {
            name,
            title,
            body,
            span,
        })
    }

    fn clauses(&self, pair: Pair<'s, Rule>) -> Result<Clauses> {
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let when_pair = self.next(&mut inner, span, "when")?;
        let when_span = span_of(&when_pair);
        let when =
            self.expr(self.next(&mut self.children(when_pair), when_span, "condition")?)?;
        let then_pair = self.next(&mut inner, span, "then")?;
        let effects = self
            .children(then_pair)
            .map(|p| self.effect_call(p))
            .collect::<Result<Vec<_>>>()?;
        let message = match inner.next() {
            Some(m) => {
                let mspan = span_of(&m);
                let s = self.next(&mut self.children(m), mspan, "message text")?;
                Some(self.template(s)?)
            }
            None => None,
        };
        Ok(Clauses {
            when,
            effects,
            message,
        })
    }

    fn effect_call(&self, pair: Pair<'s, Rule>) -> Result<EffectCall> {
        let span = span_of(&pair);
        let mut inner = self.children(pair);
        let name = self.ident(self.next(&mut inner, span, "effect name")?);
        let mut args = Vec::new();
        for arg in inner {
            let aspan = span_of(&arg);
            let mut i = self.children(arg);
            let key = self.ident(self.next(&mut i, aspan, "argument name")?);
            let value = self.expr(self.next(&mut i, aspan, "argument value")?)?;
            args.push((key, value));
        }
        Ok(EffectCall { name, args, span })
    }

    /// A message template: text with `{expr}` interpolations; `{{` and `}}` are literal braces.
    fn template(&self, pair: Pair<'s, Rule>) -> Result<Template> {
        let span = span_of(&pair);
        let raw_pair = self.next(&mut self.children(pair), span, "string content")?;
        let raw = raw_pair.as_str();
        let base = raw_pair.as_span().start();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = raw;
        let mut offset = 0usize;
        while let Some(pos) = rest.find(['{', '}']) {
            let (before, after) = rest.split_at(pos);
            text.push_str(&literal::unescape(before));
            if let Some(tail) = after.strip_prefix("{{") {
                text.push('{');
                offset += pos + 2;
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("}}") {
                text.push('}');
                offset += pos + 2;
                rest = tail;
            } else if let Some(tail) = after.strip_prefix('{') {
                let close = tail.find('}').ok_or(ParseError::UnclosedInterpolation {
                    source_id: self.source,
                    span: Span::new(base + offset + pos, base + offset + pos + 1),
                })?;
                let inner = tail.get(..close).unwrap_or("");
                if !text.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                }
                let start = base + offset + pos + 1;
                parts.push(TemplatePart::Expr(expression(self.source, inner, start)?));
                offset += pos + 1 + close + 1;
                rest = tail.get(close + 1..).unwrap_or("");
            } else {
                // A lone `}`: keep it as text.
                text.push('}');
                offset += pos + 1;
                rest = after.get(1..).unwrap_or("");
            }
        }
        text.push_str(&literal::unescape(rest));
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Template { parts, span })
    }

    fn string(&self, pair: Pair<'s, Rule>) -> Result<Spanned<String>> {
        let span = span_of(&pair);
        let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        Ok(Spanned::new(literal::unescape(raw), span))
    }

    // ------------------------------------------------------------- expressions

    pub(crate) fn expr(&self, pair: Pair<'s, Rule>) -> Result<Expr> {
        let span = span_of(&pair);
        if pair.as_rule() != Rule::expr {
            return Err(self.internal(span, "expected an expression"));
        }
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = span_of(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Ok(Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(span_of(&op));
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
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let op = match op.as_rule() {
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
                    _ => BinaryOp::Div,
                };
                let span = lhs.span.to(rhs.span);
                Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: Pair<'s, Rule>) -> Result<Expr> {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair),
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            Rule::now_kw => ExprKind::Now,
            Rule::held_kw => ExprKind::Held,
            Rule::if_expr => {
                let mut i = self.children(pair);
                let cond = self.expr(self.next(&mut i, span, "condition")?)?;
                let then = self.expr(self.next(&mut i, span, "then value")?)?;
                let otherwise = self.expr(self.next(&mut i, span, "else value")?)?;
                ExprKind::If {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                }
            }
            Rule::list_lit => ExprKind::List(
                self.children(pair)
                    .map(|p| self.expr(p))
                    .collect::<Result<_>>()?,
            ),
            Rule::call => {
                let mut i = self.children(pair);
                let func = self.ident(self.next(&mut i, span, "function name")?);
                let args = i.map(|p| self.expr(p)).collect::<Result<Vec<_>>>()?;
                ExprKind::Call { func, args }
            }
            Rule::comprehension => {
                let mut i = self.children(pair).peekable();
                let func = self.ident(self.next_peek(&mut i, span, "function name")?);
                let map = match i.peek() {
                    Some(p) if p.as_rule() == Rule::comprehension_map => {
                        let m = self.next_peek(&mut i, span, "mapped value")?;
                        let mspan = span_of(&m);
                        let e = self.next(&mut self.children(m), mspan, "mapped value")?;
                        Some(Box::new(self.expr(e)?))
                    }
                    _ => None,
                };
                let binder = self.ident(self.next_peek(&mut i, span, "binding")?);
                let _in = self.next_peek(&mut i, span, "`in`")?;
                let source = self.expr(self.next_peek(&mut i, span, "collection")?)?;
                let filter = match i.next() {
                    Some(f) => Some(Box::new(self.expr(f)?)),
                    None => None,
                };
                ExprKind::Comprehension {
                    func,
                    map,
                    binder,
                    source: Box::new(source),
                    filter,
                }
            }
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
                    let cspan = span_of(&c);
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
                    });
                }
                ExprKind::Conditions { quantifier, items }
            }
            _ => ExprKind::Literal(self.literal(pair)?),
        };
        Ok(Expr { kind, span })
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

/// Words that start policy entries and declarations, for "did you mean".
const ENTRY_WORDS: [&str; 14] = [
    "title",
    "source",
    "subject",
    "zone",
    "currency",
    "effective",
    "governed",
    "param",
    "let",
    "rule",
    "kind",
    "record",
    "effect",
    "platform",
];

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
        let close = ENTRY_WORDS
            .iter()
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
        | Rule::rule_decl => {
            "a policy entry (`title`, `subject`, `zone`, `param`, `let`, `rule`, ...)"
        }
        Rule::window | Rule::from_bound | Rule::until_bound => "`from` or `until`",
        Rule::time_point => "a date or timestamp",
        Rule::version_decl => "`version`",
        Rule::clauses | Rule::when_clause => "`when`",
        Rule::then_clause => "`then`",
        Rule::message_clause => "`message`",
        Rule::effect_call => "an effect",
        Rule::named_arg => "an argument (`name: value`)",
        Rule::expr | Rule::comprehension_map => "an expression",
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

fn shift_error(err: ParseError, by: usize) -> ParseError {
    match err {
        ParseError::Syntax {
            source_id,
            span,
            expected,
            found,
            help,
        } => ParseError::Syntax {
            source_id,
            span: span.shifted(by),
            expected,
            found,
            help,
        },
        ParseError::InvalidLiteral {
            source_id,
            span,
            what,
            text,
            reason,
        } => ParseError::InvalidLiteral {
            source_id,
            span: span.shifted(by),
            what,
            text,
            reason,
        },
        other => other,
    }
}

/// Moves every span of an expression parsed from a substring to its place in the file.
fn shift_expr(mut e: Expr, by: usize) -> Expr {
    shift_in_place(&mut e, by);
    e
}

fn shift_in_place(e: &mut Expr, by: usize) {
    e.span = e.span.shifted(by);
    match &mut e.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Now | ExprKind::Held => {}
        ExprKind::Field(base, name) => {
            shift_in_place(base, by);
            name.span = name.span.shifted(by);
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            shift_in_place(a, by);
            shift_in_place(b, by);
        }
        ExprKind::Unary(_, a) | ExprKind::Presence { expr: a, .. } => shift_in_place(a, by),
        ExprKind::Within {
            expr, low, high, ..
        } => {
            shift_in_place(expr, by);
            shift_in_place(low, by);
            shift_in_place(high, by);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            shift_in_place(cond, by);
            shift_in_place(then, by);
            shift_in_place(otherwise, by);
        }
        ExprKind::List(items) => items.iter_mut().for_each(|i| shift_in_place(i, by)),
        ExprKind::Call { func, args } => {
            func.span = func.span.shifted(by);
            args.iter_mut().for_each(|i| shift_in_place(i, by));
        }
        ExprKind::Comprehension {
            func,
            map,
            binder,
            source,
            filter,
        } => {
            func.span = func.span.shifted(by);
            binder.span = binder.span.shifted(by);
            if let Some(m) = map {
                shift_in_place(m, by);
            }
            shift_in_place(source, by);
            if let Some(f) = filter {
                shift_in_place(f, by);
            }
        }
        ExprKind::Conditions { items, .. } => {
            for item in items {
                item.name.span = item.name.span.shifted(by);
                if let Some(d) = &mut item.description {
                    d.span = d.span.shifted(by);
                }
                shift_in_place(&mut item.cond, by);
            }
        }
    }
}

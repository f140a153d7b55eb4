//! Typing expressions and lowering them to IR.

use std::sync::Arc;

use guifan_syntax::ast::{self, BinaryOp, ExprKind, Literal, UnaryOp};
use guifan_syntax::Span;

mod effects;
mod operators;

pub(crate) use effects::aggregate;

use super::{facts, with_currency, Cx};
use crate::error::{CheckError, CheckErrorKind};
use crate::index::Target;
use crate::ir::{self, CmpOp};
use crate::schema::{self, RecordId};
use crate::suggest::did_you_mean;
use crate::types::Type;
use crate::value::{Currency, Duration, Money, Value};

type Typed = (ir::Expr, Type);

fn ir(kind: ir::ExprKind, span: Span) -> ir::Expr {
    ir::Expr { kind, span }
}

/// The result of an expression that failed to check: absent, of the type that reports nothing more.
pub(crate) fn poison(span: Span) -> Typed {
    (ir(ir::ExprKind::Const(Value::Absent), span), Type::Error)
}

impl Cx<'_> {
    /// Checks a condition: a `bool` that is certainly present.
    pub(crate) fn condition(&mut self, e: &ast::Expr) -> ir::Expr {
        let (out, ty) = self.expr(e);
        self.expect_fits(&ty, &Type::Bool, e.span);
        out
    }

    /// Reports unless `found` can stand where `expected` is wanted.
    pub(crate) fn expect_fits(&mut self, found: &Type, expected: &Type, span: Span) {
        if found.fits(expected) {
            return;
        }
        if let Type::Optional(inner) = found {
            if inner.fits(expected) {
                self.maybe_absent(span, None);
                return;
            }
        }
        let kind = CheckErrorKind::TypeMismatch {
            expected: self.show(expected),
            found: self.show(found),
        };
        self.error(span, kind);
    }

    fn maybe_absent(&mut self, span: Span, what: Option<&ast::Expr>) {
        let text = what
            .and_then(facts::path)
            .unwrap_or_else(|| "this value".into());
        let err = CheckError::new(self.source, span, CheckErrorKind::MaybeAbsent { what: text.clone() })
            .with_label("may be absent")
            .with_help(format!(
                "test `{text} is present` first (`{text} is present and ...`), or give a default with `{text} ?? <value>`"
            ));
        self.push(err);
    }

    /// Requires a present value: reports and unwraps an optional type.
    fn present(&mut self, e: &ast::Expr, ty: Type) -> Type {
        match ty {
            Type::Optional(inner) => {
                self.maybe_absent(e.span, Some(e));
                *inner
            }
            other => other,
        }
    }

    /// Types an expression and lowers it.
    pub(crate) fn expr(&mut self, e: &ast::Expr) -> Typed {
        let span = e.span;
        match &e.kind {
            ExprKind::Literal(lit, _) => self.literal(lit, span),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Now => (ir(ir::ExprKind::Now, span), Type::Timestamp),
            ExprKind::Held => {
                if !self.held_allowed {
                    self.error(span, CheckErrorKind::HeldOutsideRule);
                }
                (
                    ir(ir::ExprKind::Held, span),
                    Type::List(Box::new(Type::Str)),
                )
            }
            ExprKind::Name(name) => self.name(name, e),
            ExprKind::Field(base, field) => self.field(base, field, e),
            ExprKind::Index(base, key) => {
                let (b, bt) = self.expr(base);
                let bt = self.present(base, bt);
                let (k, kt) = self.expr(key);
                let kt = self.present(key, kt);
                let ty = match &bt {
                    Type::Map(kt2, vt) => {
                        self.expect_fits(&kt, kt2, key.span);
                        (**vt).clone().optional()
                    }
                    Type::List(item) => {
                        self.expect_fits(&kt, &Type::Int, key.span);
                        (**item).clone().optional()
                    }
                    Type::Error => Type::Error,
                    other => {
                        let found = self.show(other);
                        self.error(
                            base.span,
                            CheckErrorKind::TypeMismatch {
                                expected: "a map or a list".into(),
                                found,
                            },
                        );
                        Type::Error
                    }
                };
                (ir(ir::ExprKind::Index(Box::new(b), Box::new(k)), span), ty)
            }
            ExprKind::Unary(op, inner) => {
                let (x, t) = self.expr(inner);
                let t = self.present(inner, t);
                match op {
                    UnaryOp::Not => {
                        self.expect_fits(&t, &Type::Bool, inner.span);
                        (ir(ir::ExprKind::Not(Box::new(x)), span), Type::Bool)
                    }
                    UnaryOp::Neg => {
                        let ok = matches!(
                            t,
                            Type::Int
                                | Type::Decimal
                                | Type::Money(_)
                                | Type::Percent
                                | Type::Duration
                                | Type::Error
                        );
                        if !ok {
                            let found = self.show(&t);
                            self.error(
                                inner.span,
                                CheckErrorKind::TypeMismatch {
                                    expected: "a number, money, percent or duration".into(),
                                    found,
                                },
                            );
                        }
                        (ir(ir::ExprKind::Neg(Box::new(x)), span), t)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::Chain { first, rest } => self.chain(first, rest, span),
            ExprKind::Within {
                expr,
                low,
                low_included,
                high,
                high_included,
            } => {
                // `x within (a, b]` is `a < x and x <= b`, with `x` computed once.
                let (x, xt) = self.expr(expr);
                let xt = self.present(expr, xt);
                let (lo, lt) = self.expr(low);
                let lt = self.present(low, lt);
                let (hi, ht) = self.expr(high);
                let ht = self.present(high, ht);
                self.comparable(BinaryOp::Lt, &lt, &xt, true, low.span.to(expr.span));
                self.comparable(BinaryOp::Lt, &xt, &ht, true, expr.span.to(high.span));
                let low_op = if *low_included { CmpOp::Le } else { CmpOp::Lt };
                let high_op = if *high_included { CmpOp::Le } else { CmpOp::Lt };
                let within = ir::ExprKind::Within {
                    x: Box::new(x),
                    low: Box::new(lo),
                    low_op,
                    high: Box::new(hi),
                    high_op,
                };
                (ir(within, span), Type::Bool)
            }
            ExprKind::Presence { expr, present } => {
                let (x, _) = self.expr(expr);
                (
                    ir(ir::ExprKind::Presence(Box::new(x), *present), span),
                    Type::Bool,
                )
            }
            ExprKind::If {
                branches,
                otherwise,
            } => {
                // Each branch sees its own condition true and every earlier one false.
                let depth = self.facts.len();
                let mut out = Vec::with_capacity(branches.len());
                let mut ty = Type::Nothing;
                for (cond, value) in branches {
                    let c = self.condition(cond);
                    let before = self.facts.len();
                    self.facts.extend(facts::when_true(cond));
                    let (v, vt) = self.expr(value);
                    self.facts.truncate(before);
                    self.facts.extend(facts::when_false(cond));
                    ty = self.unify(&ty, &vt, value.span);
                    out.push((c, v));
                }
                let (o, ot) = self.expr(otherwise);
                self.facts.truncate(depth);
                let ty = self.unify(&ty, &ot, otherwise.span);
                (ir(ir::ExprKind::If(out, Box::new(o)), span), ty)
            }
            ExprKind::List(items) => {
                let mut ty = Type::Nothing;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let (x, t) = self.expr(item);
                    ty = self.unify(&ty, &t, item.span);
                    out.push(x);
                }
                (ir(ir::ExprKind::List(out), span), Type::List(Box::new(ty)))
            }
            ExprKind::Record(fields) => self.record_literal(fields, span),
            ExprKind::Call { func, args } => self.call(func, args, span),
            ExprKind::Comprehension {
                func,
                map,
                binder,
                source,
                filter,
            } => {
                let typed = self.comprehension(
                    func,
                    map.as_deref(),
                    binder,
                    source,
                    filter.as_deref(),
                    span,
                );
                let target = Target::Builtin {
                    name: func.name.clone(),
                };
                self.resolved(func.span, target, &typed.1);
                typed
            }
            ExprKind::Conditions { quantifier, items } => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if items.iter().take(i).any(|x| x.name.name == item.name.name) {
                        self.error(
                            item.name.span,
                            CheckErrorKind::Duplicate {
                                what: "named condition",
                                name: item.name.name.clone(),
                            },
                        );
                    }
                    let c = self.condition(&item.cond);
                    let label = item
                        .description
                        .as_ref()
                        .map(|d| d.node.clone())
                        .unwrap_or_else(|| item.name.name.clone());
                    out.push((Arc::from(label.as_str()), c));
                }
                (
                    ir(ir::ExprKind::Conditions(*quantifier, out), span),
                    Type::Bool,
                )
            }
        }
    }

    fn literal(&mut self, lit: &Literal, span: Span) -> Typed {
        let (value, ty) = match lit {
            Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
            Literal::Int(i) => (Value::Int(*i), Type::Int),
            Literal::Decimal(d) => (Value::Decimal(*d), Type::Decimal),
            Literal::Percent(p) => (Value::Percent(*p), Type::Percent),
            Literal::Money(amount, code) => match Currency::parse(code) {
                Some(currency) => (
                    Value::Money(Money {
                        amount: *amount,
                        currency,
                    }),
                    Type::Money(Some(currency)),
                ),
                None => {
                    self.error(span, CheckErrorKind::InvalidCurrency { code: code.clone() });
                    return poison(span);
                }
            },
            Literal::Str(s) => (Value::str(s), Type::Str),
            Literal::Date(d) => (Value::Date(*d), Type::Date),
            Literal::Timestamp(t) => (Value::Timestamp(*t), Type::Timestamp),
            Literal::Time(t) => (Value::Time(*t), Type::Time),
            Literal::Duration(secs) => (Value::Duration(Duration(*secs)), Type::Duration),
            Literal::Permanent => (Value::Duration(Duration::PERMANENT), Type::Duration),
            Literal::Absent => (Value::Absent, Type::Nothing.optional()),
            Literal::Period(months) => (Value::Period(*months), Type::Period),
        };
        (ir(ir::ExprKind::Const(value), span), ty)
    }

    /// The type of a read, narrowed when a fact proves the path present.
    fn narrowed(&self, e: &ast::Expr, ty: Type, optional: bool) -> Type {
        if !optional {
            return ty;
        }
        match facts::path(e) {
            Some(p) if self.facts.contains(&p) => ty,
            _ => ty.optional(),
        }
    }

    /// The last entry named `name` in a scope, with its type narrowed by the facts at hand.
    fn scoped(&self, scope: &[(String, Type)], name: &str, e: &ast::Expr) -> Option<(u32, Type)> {
        let i = scope.iter().rposition(|(n, _)| n == name)?;
        let ty = scope.get(i).map(|(_, t)| t.clone()).unwrap_or(Type::Error);
        let optional = matches!(ty, Type::Optional(_));
        Some((
            i as u32,
            self.narrowed(e, ty.strip_optional().clone(), optional),
        ))
    }

    fn name(&mut self, name: &str, e: &ast::Expr) -> Typed {
        let span = e.span;
        // Bindings (innermost first), then definitions, then parameters, then the subject's fields.
        if let Some((i, ty)) = self.scoped(&self.locals, name, e) {
            let declared = self.local_spans.get(i as usize).copied().unwrap_or(span);
            let target = Target::Local {
                name: name.to_string(),
                declared,
            };
            self.resolved(span, target, &ty);
            return (ir(ir::ExprKind::Local(i), span), ty);
        }
        if let Some((i, ty)) = self.scoped(&self.lets, name, e) {
            let depth = self.let_depths.get(i as usize).copied().unwrap_or(0);
            self.let_reach = self.let_reach.max(depth);
            let declared = self.let_spans.get(i as usize).copied().unwrap_or(span);
            let target = Target::Let {
                name: name.to_string(),
                declared,
            };
            self.resolved(span, target, &ty);
            return (ir(ir::ExprKind::Let(i), span), ty);
        }
        if let Some(i) = self.ranks.iter().position(|r| r == name) {
            let ty = Type::Int.optional();
            let target = Target::Rank {
                name: name.to_string(),
            };
            self.resolved(span, target, &ty);
            return (ir(ir::ExprKind::Rank(i as u32), span), ty);
        }
        if let Some((i, ty)) = self.scoped(&self.params, name, e) {
            let declared = self.param_spans.get(i as usize).copied().unwrap_or(span);
            let target = Target::Param {
                name: name.to_string(),
                declared,
            };
            self.resolved(span, target, &ty);
            return (ir(ir::ExprKind::Param(i), span), ty);
        }
        let root = self.record_def(self.root);
        if let Some((slot, field)) =
            root.and_then(|r| r.slot(name).and_then(|s| r.fields.get(s).map(|f| (s, f))))
        {
            let ty = with_currency(field.ty.clone(), self.currency);
            let ty = self.narrowed(e, ty, field.optional);
            let target = Target::Field {
                record: root.map(|r| r.name.clone()).unwrap_or_default(),
                name: name.to_string(),
                declared: (field.source_id, field.span),
                optional: field.optional,
            };
            self.resolved(span, target, &ty);
            return (ir(ir::ExprKind::Subject(slot as u32), span), ty);
        }
        let mut candidates: Vec<&str> = Vec::new();
        candidates.extend(self.locals.iter().map(|(n, _)| n.as_str()));
        candidates.extend(self.lets.iter().map(|(n, _)| n.as_str()));
        candidates.extend(self.ranks.iter().map(String::as_str));
        candidates.extend(self.params.iter().map(|(n, _)| n.as_str()));
        if let Some(r) = root {
            candidates.extend(r.fields.iter().map(|f| f.name.as_str()));
        }
        let kind_name = root.map(|r| r.name.clone()).unwrap_or_default();
        let err = CheckError::new(
            self.source,
            span,
            CheckErrorKind::UnknownField {
                name: name.to_string(),
                on: format!("`{kind_name}`"),
            },
        )
        .with_label("not a field, parameter or definition");
        let err = match did_you_mean(name, candidates) {
            Some(h) => err.with_help(h),
            None => err.with_help(format!(
                "the fields of `{kind_name}` are declared in its `kind` under rules/"
            )),
        };
        self.push(err);
        poison(span)
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, e: &ast::Expr) -> Typed {
        let (b, bt) = self.expr(base);
        let bt = self.present(base, bt);
        let record = match bt {
            Type::Record(r) => r,
            Type::Error => return poison(e.span),
            other => {
                let found = self.show(&other);
                self.error(
                    field.span,
                    CheckErrorKind::TypeMismatch {
                        expected: "a record".into(),
                        found,
                    },
                );
                return poison(e.span);
            }
        };
        match self.lookup_field(record, field) {
            Some((slot, ty, optional)) => {
                let ty = self.narrowed(e, ty, optional);
                if let Some((record, declared)) = self
                    .record_def(record)
                    .and_then(|d| Some((d.name.clone(), d.fields.get(slot as usize)?)))
                    .map(|(r, f)| (r, (f.source_id, f.span)))
                {
                    let target = Target::Field {
                        record,
                        name: field.name.clone(),
                        declared,
                        optional,
                    };
                    self.resolved(field.span, target, &ty);
                }
                (ir(field_path(b, slot), e.span), ty)
            }
            None => poison(e.span),
        }
    }

    fn lookup_field(&mut self, record: RecordId, field: &ast::Ident) -> Option<(u32, Type, bool)> {
        let def = self.record_def(record)?;
        if let Some(slot) = def.slot(&field.name) {
            let f = def.fields.get(slot)?;
            return Some((
                slot as u32,
                with_currency(f.ty.clone(), self.currency),
                f.optional,
            ));
        }
        let err = CheckError::new(
            self.source,
            field.span,
            CheckErrorKind::UnknownField {
                name: field.name.clone(),
                on: format!("`{}`", def.name),
            },
        )
        .with_label("no such field");
        let err = match did_you_mean(&field.name, def.fields.iter().map(|f| f.name.as_str())) {
            Some(h) => err.with_help(h),
            None => {
                let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                err.with_help(format!("its fields are: {}", names.join(", ")))
            }
        };
        self.push(err);
        None
    }

    /// `{id: m.id, text: m.text}`: its fields in the order written. Literals
    /// of one policy with the same field names and types share one record
    /// type, so lists of them concatenate (`messages_as_items + answers_as_items`).
    fn record_literal(&mut self, fields: &[(ast::Ident, ast::Expr)], span: Span) -> Typed {
        let mut values = Vec::with_capacity(fields.len());
        let mut defs: Vec<schema::FieldDef> = Vec::with_capacity(fields.len());
        let mut failed = false;
        for (name, value) in fields {
            let (x, t) = self.expr(value);
            if let Some(first) = defs.iter().find(|f| f.name == name.name) {
                let err = CheckError::new(
                    self.source,
                    name.span,
                    CheckErrorKind::Duplicate {
                        what: "field",
                        name: name.name.clone(),
                    },
                )
                .with_related(self.source, first.span, "first given here")
                .with_help(format!("a record has one `{}:`", name.name));
                self.push(err);
                failed = true;
                continue;
            }
            let (ty, optional) = match t {
                Type::Optional(inner) => (*inner, true),
                Type::Error => {
                    failed = true;
                    (Type::Error, false)
                }
                other => (other, false),
            };
            defs.push(schema::FieldDef {
                name: name.name.clone(),
                ty,
                optional,
                required_when: None,
                source_id: self.source,
                span: name.span,
            });
            values.push(x);
        }
        if failed {
            return poison(span);
        }
        let same = |a: &schema::FieldDef, b: &schema::FieldDef| {
            a.name == b.name && a.ty == b.ty && a.optional == b.optional
        };
        let existing = self.made.iter().position(|r| {
            r.fields.len() == defs.len() && r.fields.iter().zip(&defs).all(|(a, b)| same(a, b))
        });
        let index = match existing {
            Some(k) => k,
            None => {
                let shown: Vec<String> = defs
                    .iter()
                    .map(|f| {
                        let t = self.show(&f.ty);
                        format!("{}: {t}{}", f.name, if f.optional { "?" } else { "" })
                    })
                    .collect();
                let name = format!("{{{}}}", shown.join(", "));
                self.made.push(schema::RecordDef::new(name, defs));
                self.made.len() - 1
            }
        };
        let Some(id) = u32::try_from(index)
            .ok()
            .and_then(|k| self.made_base.checked_add(k))
        else {
            return poison(span);
        };
        (
            ir(ir::ExprKind::Record(values), span),
            Type::Record(RecordId(id)),
        )
    }
}

/// A field read, folded into a path when its base is the subject or a binding.
fn field_path(base: ir::Expr, slot: u32) -> ir::ExprKind {
    match base.kind {
        ir::ExprKind::Subject(s) => ir::ExprKind::SubjectPath(Box::new([s, slot])),
        ir::ExprKind::SubjectPath(p) => {
            ir::ExprKind::SubjectPath(p.iter().copied().chain([slot]).collect())
        }
        ir::ExprKind::Local(i) => ir::ExprKind::LocalPath(i, Box::new([slot])),
        ir::ExprKind::LocalPath(i, p) => {
            ir::ExprKind::LocalPath(i, p.iter().copied().chain([slot]).collect())
        }
        kind => ir::ExprKind::Field(
            Box::new(ir::Expr {
                kind,
                span: base.span,
            }),
            slot,
        ),
    }
}

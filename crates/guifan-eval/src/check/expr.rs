//! Typing expressions and lowering them to IR.

use std::sync::Arc;

use guifan_syntax::ast::{self, BinaryOp, ExprKind, Literal, UnaryOp};
use guifan_syntax::Span;
use rust_decimal::Decimal;

use super::{facts, with_currency, Cx};
use crate::error::{CheckError, CheckErrorKind};
use crate::ir::{self, Aggregate, ArithOp, CmpOp};
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
            } => self.comprehension(
                func,
                map.as_deref(),
                binder,
                source,
                filter.as_deref(),
                span,
            ),
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
            return (ir(ir::ExprKind::Local(i), span), ty);
        }
        if let Some((i, ty)) = self.scoped(&self.lets, name, e) {
            let depth = self.let_depths.get(i as usize).copied().unwrap_or(0);
            self.let_reach = self.let_reach.max(depth);
            return (ir(ir::ExprKind::Let(i), span), ty);
        }
        if let Some(i) = self.ranks.iter().position(|r| r == name) {
            return (ir(ir::ExprKind::Rank(i as u32), span), Type::Int.optional());
        }
        if let Some((i, ty)) = self.scoped(&self.params, name, e) {
            return (ir(ir::ExprKind::Param(i), span), ty);
        }
        let root = self.record_def(self.root);
        if let Some((slot, field)) =
            root.and_then(|r| r.slot(name).and_then(|s| r.fields.get(s).map(|f| (s, f))))
        {
            let ty = with_currency(field.ty.clone(), self.currency);
            let ty = self.narrowed(e, ty, field.optional);
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

    /// The common type of two branches or list items.
    pub(crate) fn unify(&mut self, a: &Type, b: &Type, span: Span) -> Type {
        if a.fits(b) {
            return if matches!(a, Type::Nothing) {
                b.clone()
            } else {
                wider(a, b)
            };
        }
        if b.fits(a) {
            return wider(b, a);
        }
        match (a, b) {
            (Type::Optional(x), y) | (y, Type::Optional(x)) if y.fits(x) || x.fits(y) => {
                return wider(x, y).optional();
            }
            _ => {}
        }
        let kind = CheckErrorKind::TypeMismatch {
            expected: self.show(a),
            found: self.show(b),
        };
        self.error(span, kind);
        Type::Error
    }

    fn binary(&mut self, op: BinaryOp, a: &ast::Expr, b: &ast::Expr, span: Span) -> Typed {
        match op {
            BinaryOp::In => {
                let (l, lt) = self.expr(a);
                let lt = self.present(a, lt);
                let (r, rt) = self.expr(b);
                let rt = self.present(b, rt);
                match &rt {
                    Type::List(item) => {
                        if !(lt.fits(item) || item.fits(&lt)) {
                            self.operands(op, &lt, &rt, span);
                        }
                        if let ast::ExprKind::List(items) = &b.unparen().kind {
                            for i in items {
                                self.check_enum_literal(&lt, i);
                            }
                        }
                    }
                    Type::Error => {}
                    _ => self.operands(op, &lt, &rt, span),
                }
                (
                    ir(ir::ExprKind::In(Box::new(l), Box::new(r)), span),
                    Type::Bool,
                )
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let (l, lt) = self.expr(a);
                let lt = self.present(a, lt);
                let (r, rt) = self.expr(b);
                let rt = self.present(b, rt);
                let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                self.comparable(op, &lt, &rt, ordering, span);
                self.check_enum_literal(&lt, b);
                self.check_enum_literal(&rt, a);
                let cmp = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                (
                    ir(ir::ExprKind::Cmp(cmp, Box::new(l), Box::new(r)), span),
                    Type::Bool,
                )
            }
            BinaryOp::And
            | BinaryOp::Or
            | BinaryOp::Coalesce
            | BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div => self.chain(a, std::slice::from_ref(&(op, b.clone())), span),
        }
    }

    /// Types a flat chain of one precedence level, left to right, without recursing per operand.
    fn chain(&mut self, first: &ast::Expr, rest: &[(BinaryOp, ast::Expr)], span: Span) -> Typed {
        let level = rest.first().map(|(op, _)| *op);
        match level {
            Some(BinaryOp::And) | Some(BinaryOp::Or) => {
                let and = level == Some(BinaryOp::And);
                let depth = self.facts.len();
                let mut out = Vec::with_capacity(rest.len() + 1);
                out.push(self.condition(first));
                let mut prev = first;
                for (_, x) in rest {
                    // `p and q`: q is checked knowing p holds; `p or q`: knowing p failed.
                    let f = if and {
                        facts::when_true(prev)
                    } else {
                        facts::when_false(prev)
                    };
                    self.facts.extend(f);
                    out.push(self.condition(x));
                    prev = x;
                }
                self.facts.truncate(depth);
                let kind = if and {
                    ir::ExprKind::And(out)
                } else {
                    ir::ExprKind::Or(out)
                };
                (ir(kind, span), Type::Bool)
            }
            Some(BinaryOp::Coalesce) => {
                let (f, mut ty) = self.expr(first);
                let mut out = Vec::with_capacity(rest.len() + 1);
                out.push(f);
                for (_, x) in rest {
                    let (r, rt) = self.expr(x);
                    let inner = ty.strip_optional().clone();
                    ty = self.unify(&inner, &rt, x.span);
                    out.push(r);
                }
                (ir(ir::ExprKind::Coalesce(out), span), ty)
            }
            _ => {
                let (f, ft) = self.expr(first);
                let mut ty = self.present(first, ft);
                let mut steps = Vec::with_capacity(rest.len());
                for (op, x) in rest {
                    let (r, rt) = self.expr(x);
                    let rt = self.present(x, rt);
                    let step_span = first.span.to(x.span);
                    let arith = match op {
                        BinaryOp::Add => ArithOp::Add,
                        BinaryOp::Sub => ArithOp::Sub,
                        BinaryOp::Mul => ArithOp::Mul,
                        _ => ArithOp::Div,
                    };
                    ty = match arith_type(arith, &ty, &rt) {
                        Ok(t) => t,
                        Err(ArithTypeError::Currency(x, y)) => {
                            self.currency_mismatch(x, y, step_span);
                            Type::Error
                        }
                        Err(ArithTypeError::Operands) => {
                            self.operands(*op, &ty, &rt, step_span);
                            Type::Error
                        }
                    };
                    steps.push(ir::ArithStep {
                        op: arith,
                        rhs: r,
                        span: step_span,
                    });
                }
                (ir(ir::ExprKind::Arith(Box::new(f), steps), span), ty)
            }
        }
    }

    fn operands(&mut self, op: BinaryOp, l: &Type, r: &Type, span: Span) {
        let kind = CheckErrorKind::InvalidOperands {
            op: op.symbol().to_string(),
            left: self.show(l),
            right: self.show(r),
        };
        let help = if l.is_number() && matches!(r, Type::Money(_))
            || r.is_number() && matches!(l, Type::Money(_))
        {
            Some("money compares only with money: write the amount with its currency, such as `5000 CNY`")
        } else if (l.is_string() && r.is_number()) || (r.is_string() && l.is_number()) {
            Some("a count and a string never compare; check the field's type in the schema")
        } else {
            None
        };
        let label = format!("{} {} {}", self.show(l), op.symbol(), self.show(r));
        let err = CheckError::new(self.source, span, kind).with_label(label);
        self.push(match help {
            Some(h) => err.with_help(h),
            None => err,
        });
    }

    fn currency_mismatch(&mut self, x: Currency, y: Currency, span: Span) {
        let err = CheckError::new(
            self.source,
            span,
            CheckErrorKind::CurrencyMismatch {
                left: x.to_string(),
                right: y.to_string(),
            },
        )
        .with_label(format!("{x} against {y}"))
        .with_help("amounts in different currencies cannot be combined; write both in the policy's currency");
        self.push(err);
    }

    fn comparable(&mut self, op: BinaryOp, l: &Type, r: &Type, ordering: bool, span: Span) {
        if matches!(l, Type::Error) || matches!(r, Type::Error) {
            return;
        }
        if let (Type::Money(Some(x)), Type::Money(Some(y))) = (l, r) {
            if x != y {
                self.currency_mismatch(*x, *y, span);
            }
            return;
        }
        let same = (l.is_number() && r.is_number())
            || (l.is_string() && r.is_string())
            || l.fits(r)
            || r.fits(l);
        let orderable = |t: &Type| {
            matches!(
                t,
                Type::Int
                    | Type::Decimal
                    | Type::Money(_)
                    | Type::Percent
                    | Type::Str
                    | Type::Enum(_)
                    | Type::Date
                    | Type::Timestamp
                    | Type::Time
                    | Type::Duration
            )
        };
        if !same || (ordering && !(orderable(l) && orderable(r))) {
            self.operands(op, l, r, span);
        }
    }

    /// `store_type == "personl"`: a string literal compared with a fixed set must be one of it.
    pub(crate) fn check_enum_literal(&mut self, ty: &Type, other: &ast::Expr) {
        let Type::Enum(id) = ty else { return };
        let ast::ExprKind::Literal(Literal::Str(s), _) = &other.unparen().kind else {
            return;
        };
        let values = self.schema.enum_values(*id);
        if values.iter().any(|v| v == s) {
            return;
        }
        let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        let what = quoted.join(" | ");
        let help = did_you_mean(s, values.iter().map(String::as_str))
            .unwrap_or_else(|| format!("the values are {what}"));
        let err = CheckError::new(
            self.source,
            other.span,
            CheckErrorKind::UnknownEnumValue {
                value: s.clone(),
                what,
            },
        )
        .with_label("not one of the declared values")
        .with_help(help);
        self.push(err);
    }

    /// Checks an effect's arguments against its declaration.
    pub(crate) fn effect(&mut self, call: &ast::EffectCall) -> ir::EffectTemplate {
        let schema = self.schema;
        let Some((_, def)) = schema.effect(&call.name.name) else {
            let err = CheckError::new(
                self.source,
                call.name.span,
                CheckErrorKind::UnknownEffect {
                    name: call.name.name.clone(),
                },
            );
            let err = match did_you_mean(&call.name.name, schema.effect_names()) {
                Some(h) => err.with_help(h),
                None => {
                    let err = err.with_help(format!(
                        "declare it beside the other effects: `effect {}(...)`",
                        call.name.name
                    ));
                    match schema.effects.first() {
                        Some(first) => err.with_related(
                            first.declared.0,
                            first.declared.1,
                            "effects are declared here",
                        ),
                        None => err,
                    }
                }
            };
            self.push(err);
            return ir::EffectTemplate {
                kind: Arc::from(call.name.name.as_str()),
                args: Vec::new(),
                constant: None,
                guard: None,
            };
        };
        let mut args = Vec::with_capacity(call.args.len());
        for (i, (name, value)) in call.args.iter().enumerate() {
            let (x, t) = self.expr(value);
            if call.args.iter().take(i).any(|(n, _)| n.name == name.name) {
                // Written twice, it would be a JSON object with a repeated key.
                let err = CheckError::new(
                    self.source,
                    name.span,
                    CheckErrorKind::Duplicate {
                        what: "argument",
                        name: name.name.clone(),
                    },
                )
                .with_label("given again here")
                .with_help(format!(
                    "an argument is given once: keep one `{}:`",
                    name.name
                ));
                self.push(err);
                continue;
            }
            if schema::is_reserved_argument(&name.name) {
                self.push(schema::reserved_argument(
                    self.source,
                    name.span,
                    &name.name,
                ));
                continue;
            }
            if let Some(param) = def.params.iter().find(|p| p.name == name.name) {
                let expected = with_currency(param.ty.clone(), self.currency);
                let expected = if param.optional {
                    expected.optional()
                } else {
                    expected
                };
                self.expect_fits(&t, &expected, value.span);
                self.check_enum_literal(&param.ty, value);
            }
            args.push((Arc::from(name.name.as_str()), x));
        }
        for param in def.params.iter().filter(|p| !p.optional) {
            if !call.args.iter().any(|(n, _)| n.name == param.name) {
                self.error(
                    call.span,
                    CheckErrorKind::MissingArgument {
                        effect: def.name.clone(),
                        argument: param.name.clone(),
                    },
                );
            }
        }
        let constant = args
            .iter()
            .map(|(name, e): &(Arc<str>, ir::Expr)| match &e.kind {
                ir::ExprKind::Const(v) => Some((name.clone(), v.clone())),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Arc::from);
        let guard = call.guard.as_ref().map(|g| self.condition(g));
        ir::EffectTemplate {
            kind: Arc::from(def.name.as_str()),
            args,
            constant,
            guard,
        }
    }

    fn comprehension(
        &mut self,
        func: &ast::Ident,
        map: Option<&ast::Expr>,
        binder: &ast::Ident,
        source: &ast::Expr,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> Typed {
        let Some(op) = aggregate(&func.name) else {
            let err = CheckError::new(
                self.source,
                func.span,
                CheckErrorKind::UnknownFunction {
                    name: func.name.clone(),
                },
            )
            .with_help(
                "`for ... in` works with any, all, count, sum, min, max, filter, map and distinct",
            );
            self.push(err);
            return poison(span);
        };
        let (src, item) = self.list(source);
        let local = self.locals.len() as u32;
        self.locals.push((binder.name.clone(), item.clone()));
        let depth = self.facts.len();
        let f = filter.map(|f| {
            let x = self.condition(f);
            self.facts.extend(facts::when_true(f));
            x
        });
        let m = map.map(|m| self.expr(m));
        self.facts.truncate(depth);
        self.locals.pop();
        let (m, mt) = match m {
            Some((x, t)) => (Some(x), t),
            None => (None, item.clone()),
        };
        self.finish_aggregate(
            op,
            local,
            src,
            f,
            m,
            mt,
            map.map(|m| m.span).unwrap_or(span),
            span,
        )
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per aggregate form; a struct adds nothing"
    )]
    fn finish_aggregate(
        &mut self,
        op: Aggregate,
        local: u32,
        source: ir::Expr,
        filter: Option<ir::Expr>,
        map: Option<ir::Expr>,
        mt: Type,
        map_span: Span,
        span: Span,
    ) -> Typed {
        let mut zero = Value::Absent;
        let ty = match op {
            Aggregate::Any | Aggregate::All => {
                // The predicate is `map` when given, else `where`, else the items themselves.
                if map.is_some() || filter.is_none() {
                    self.expect_fits(&mt, &Type::Bool, map_span);
                }
                Type::Bool
            }
            Aggregate::Count => Type::Int,
            Aggregate::Sum => {
                let t = self.present_type(mt, map_span);
                zero = match &t {
                    Type::Int => Value::Int(0),
                    Type::Decimal => Value::Decimal(Decimal::ZERO),
                    Type::Percent => Value::Percent(Decimal::ZERO),
                    Type::Duration => Value::Duration(Duration(0)),
                    Type::Money(Some(c)) => Value::Money(Money {
                        amount: Decimal::ZERO,
                        currency: *c,
                    }),
                    Type::Error => Value::Absent,
                    other => {
                        let found = self.show(other);
                        let expected = if matches!(other, Type::Money(None)) {
                            "money in a known currency (declare the policy's `currency`)"
                        } else {
                            "numbers, money or durations"
                        };
                        self.error(
                            map_span,
                            CheckErrorKind::TypeMismatch {
                                expected: expected.into(),
                                found,
                            },
                        );
                        Value::Absent
                    }
                };
                t
            }
            Aggregate::Min | Aggregate::Max => self.present_type(mt, map_span).optional(),
            Aggregate::Filter => Type::List(Box::new(mt)),
            Aggregate::Map | Aggregate::Distinct => Type::List(Box::new(mt)),
        };
        let kind = ir::ExprKind::Aggregate {
            op,
            local,
            source: Box::new(source),
            filter: filter.map(Box::new),
            map: map.map(Box::new),
            zero,
            invariants: 0..0,
        };
        (ir(kind, span), ty)
    }

    fn present_type(&mut self, t: Type, span: Span) -> Type {
        match t {
            Type::Optional(inner) => {
                self.maybe_absent(span, None);
                *inner
            }
            other => other,
        }
    }

    /// Types a collection that is iterated: a present list; returns it and its item type.
    pub(crate) fn list(&mut self, e: &ast::Expr) -> (ir::Expr, Type) {
        let (x, t) = self.expr(e);
        let item = match self.present(e, t) {
            Type::List(item) => *item,
            Type::Error => Type::Error,
            other => {
                let found = self.show(&other);
                let kind = CheckErrorKind::TypeMismatch {
                    expected: "a list".into(),
                    found,
                };
                self.error(e.span, kind);
                Type::Error
            }
        };
        (x, item)
    }

    /// Lowers an aggregate written as a plain call on a list (`count(xs)`, `sum(amounts)`).
    pub(crate) fn aggregate_call(&mut self, op: Aggregate, arg: &ast::Expr, span: Span) -> Typed {
        let (src, item) = self.list(arg);
        let local = self.locals.len() as u32;
        self.finish_aggregate(op, local, src, None, None, item, arg.span, span)
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

/// The aggregate a comprehension's name stands for.
pub(crate) fn aggregate(name: &str) -> Option<Aggregate> {
    Some(match name {
        "any" => Aggregate::Any,
        "all" => Aggregate::All,
        "count" => Aggregate::Count,
        "sum" => Aggregate::Sum,
        "min" => Aggregate::Min,
        "max" => Aggregate::Max,
        "filter" => Aggregate::Filter,
        "map" => Aggregate::Map,
        "distinct" => Aggregate::Distinct,
        _ => return None,
    })
}

fn wider(a: &Type, b: &Type) -> Type {
    match (a, b) {
        (Type::Nothing, t) | (t, Type::Nothing) => t.clone(),
        (Type::Int, Type::Decimal) | (Type::Decimal, Type::Int) => Type::Decimal,
        (Type::Enum(_), Type::Str) | (Type::Str, Type::Enum(_)) => Type::Str,
        (Type::Money(None), m @ Type::Money(Some(_)))
        | (m @ Type::Money(Some(_)), Type::Money(None)) => m.clone(),
        (x, Type::Optional(_)) if !matches!(x, Type::Optional(_)) => b.clone(),
        _ => a.clone(),
    }
}

enum ArithTypeError {
    Operands,
    Currency(Currency, Currency),
}

/// The result type of arithmetic, or why the operands do not combine.
fn arith_type(op: ArithOp, l: &Type, r: &Type) -> Result<Type, ArithTypeError> {
    use Type::*;
    if matches!(l, Error) || matches!(r, Error) {
        return Ok(Error);
    }
    let money = |a: &Option<Currency>, b: &Option<Currency>| match (a, b) {
        (Some(x), Some(y)) if x != y => Err(ArithTypeError::Currency(*x, *y)),
        (Some(x), _) | (_, Some(x)) => Ok(Money(Some(*x))),
        _ => Ok(Money(None)),
    };
    let t = match (op, l, r) {
        (ArithOp::Add | ArithOp::Sub | ArithOp::Mul, Int, Int) => Int,
        (ArithOp::Div, Int, Int) => Decimal,
        (_, a, b) if a.is_number() && b.is_number() => Decimal,
        (ArithOp::Add | ArithOp::Sub, Money(a), Money(b)) => return money(a, b),
        (ArithOp::Div, Money(a), Money(b)) => {
            money(a, b)?;
            Decimal
        }
        (ArithOp::Mul | ArithOp::Div, Money(c), n) if n.is_number() || matches!(n, Percent) => {
            Money(*c)
        }
        (ArithOp::Mul, n, Money(c)) if n.is_number() || matches!(n, Percent) => Money(*c),
        (ArithOp::Add | ArithOp::Sub, Percent, Percent) => Percent,
        (ArithOp::Mul, Percent, Percent) => Percent,
        (ArithOp::Mul, Percent, n) | (ArithOp::Mul, n, Percent) if n.is_number() => Decimal,
        (ArithOp::Add | ArithOp::Sub, Timestamp, Duration) => Timestamp,
        (ArithOp::Add, Duration, Timestamp) => Timestamp,
        (ArithOp::Sub, Timestamp, Timestamp) => Duration,
        (ArithOp::Add | ArithOp::Sub, Date, Duration) => Date,
        (ArithOp::Sub, Date, Date) => Duration,
        (ArithOp::Add | ArithOp::Sub, Duration, Duration) => Duration,
        (ArithOp::Mul, Duration, Int)
        | (ArithOp::Mul, Int, Duration)
        | (ArithOp::Div, Duration, Int) => Duration,
        (ArithOp::Div, Duration, Duration) => Decimal,
        // Calendar periods move along the calendar, in the policy's zone.
        (ArithOp::Add | ArithOp::Sub, Timestamp, Period) | (ArithOp::Add, Period, Timestamp) => {
            Timestamp
        }
        (ArithOp::Add | ArithOp::Sub, Date, Period) | (ArithOp::Add, Period, Date) => Date,
        (ArithOp::Add | ArithOp::Sub, Period, Period) => Period,
        (ArithOp::Mul, Period, Int) | (ArithOp::Mul, Int, Period) => Period,
        (ArithOp::Add, Str, Str) | (ArithOp::Add, Str, Enum(_)) | (ArithOp::Add, Enum(_), Str) => {
            Str
        }
        // `a + b` on lists: the items of `a`, then those of `b`.
        (ArithOp::Add, List(a), List(b)) => match (&**a, &**b) {
            (Nothing, t) | (t, Nothing) => List(Box::new(t.clone())),
            (x, y) if x.fits(y) => List(Box::new(y.clone())),
            (x, y) if y.fits(x) => List(Box::new(x.clone())),
            _ => return Err(ArithTypeError::Operands),
        },
        _ => return Err(ArithTypeError::Operands),
    };
    Ok(t)
}

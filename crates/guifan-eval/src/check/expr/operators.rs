//! Operators: arithmetic, comparisons and their chains, with the types and
//! currencies their operands must have.

use guifan_syntax::ast::{self, BinaryOp, Literal};
use guifan_syntax::Span;

use super::{ir, Typed};
use crate::check::{facts, Cx};
use crate::error::{CheckError, CheckErrorKind};
use crate::ir::{ArithOp, CmpOp};
use crate::suggest::did_you_mean;
use crate::types::Type;
use crate::value::Currency;

impl Cx<'_> {
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

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> Typed {
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
    pub(super) fn chain(
        &mut self,
        first: &ast::Expr,
        rest: &[(BinaryOp, ast::Expr)],
        span: Span,
    ) -> Typed {
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

    pub(super) fn comparable(
        &mut self,
        op: BinaryOp,
        l: &Type,
        r: &Type,
        ordering: bool,
        span: Span,
    ) {
        if matches!(l, Type::Error) || matches!(r, Type::Error) {
            return;
        }
        if let (Type::Money(Some(x)), Type::Money(Some(y))) = (l, r) {
            if x != y {
                self.currency_mismatch(*x, *y, span);
            }
            return;
        }
        // Counts, decimals and percents are all numbers: `refunds / orders > 5%`
        // compares the ratio with 0.05 exactly.
        let ratio = |t: &Type| t.is_number() || matches!(t, Type::Percent);
        let same =
            (ratio(l) && ratio(r)) || (l.is_string() && r.is_string()) || l.fits(r) || r.fits(l);
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
}

fn wider(a: &Type, b: &Type) -> Type {
    match (a, b) {
        (Type::Nothing, t) | (t, Type::Nothing) => t.clone(),
        (Type::Int, Type::Decimal) | (Type::Decimal, Type::Int) => Type::Decimal,
        (Type::Enum(_), Type::Str) | (Type::Str, Type::Enum(_)) => Type::Str,
        (Type::Money(None), m @ Type::Money(Some(_)))
        | (m @ Type::Money(Some(_)), Type::Money(None)) => m.clone(),
        (Type::List(x), Type::List(y)) => Type::List(Box::new(wider(x, y))),
        (Type::Map(k, v), Type::Map(l, w)) => {
            Type::Map(Box::new(wider(k, l)), Box::new(wider(v, w)))
        }
        (Type::Optional(x), Type::Optional(y)) => wider(x, y).optional(),
        // `a` fits `b`'s inner type (both optional is the arm above).
        (_, Type::Optional(_)) => b.clone(),
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
        // `/` of counts, and any mix of numbers, is decimal.
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
        // (`[]`'s items, `Nothing`, fit any: the other side's type is kept.)
        (ArithOp::Add, List(a), List(b)) => match (&**a, &**b) {
            (x, y) if x.fits(y) => List(Box::new(y.clone())),
            (x, y) if y.fits(x) => List(Box::new(x.clone())),
            _ => return Err(ArithTypeError::Operands),
        },
        _ => return Err(ArithTypeError::Operands),
    };
    Ok(t)
}

#[cfg(test)]
#[path = "operators_tests.rs"]
mod tests;

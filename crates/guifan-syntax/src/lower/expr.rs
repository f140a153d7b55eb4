//! Lowering expressions: operator precedence by a stack, postfix accesses,
//! primaries and calls, each tree measured so that none is built too deep.

use pest::iterators::{Pair, Pairs};

use super::{Lower, Result};
use crate::ast::*;
use crate::error::ParseError;
use crate::grammar::Rule;
use crate::nesting;
use crate::span::Span;

impl<'s> Lower<'s> {
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

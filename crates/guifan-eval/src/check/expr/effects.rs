//! Effects and aggregates: an effect call's arguments against its
//! declaration, and comprehensions over lists.

use std::sync::Arc;

use guifan_syntax::ast::{self};
use guifan_syntax::Span;
use rust_decimal::Decimal;

use super::{ir, poison, Typed};
use crate::check::{facts, with_currency, Cx};
use crate::error::{CheckError, CheckErrorKind};
use crate::ir::Aggregate;
use crate::schema::{self};
use crate::suggest::did_you_mean;
use crate::types::Type;
use crate::value::{Duration, Money, Value};

impl Cx<'_> {
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
        let target = crate::index::Target::Effect {
            name: call.name.name.clone(),
            declared: def.declared,
        };
        self.resolved(call.name.span, target, &Type::Error);
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

    pub(super) fn comprehension(
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
        self.bind(binder, item.clone());
        let depth = self.facts.len();
        let f = filter.map(|f| {
            let x = self.condition(f);
            self.facts.extend(facts::when_true(f));
            x
        });
        let m = map.map(|m| self.expr(m));
        self.facts.truncate(depth);
        self.unbind_to(local as usize);
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

    /// Types a collection that is iterated: a list, or an optional list, which
    /// when absent yields no item; returns it and its item type.
    pub(crate) fn list(&mut self, e: &ast::Expr) -> (ir::Expr, Type) {
        let (x, t) = self.expr(e);
        let item = match t.strip_optional().clone() {
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

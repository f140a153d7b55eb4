//! Typing calls to built-in functions.

use std::sync::Arc;

use guifan_syntax::ast::{self, ExprKind, Literal};
use guifan_syntax::Span;

use super::expr::{aggregate, poison};
use super::Cx;
use crate::error::{CheckError, CheckErrorKind};
use crate::ir::{self, Builtin};
use crate::suggest::did_you_mean;
use crate::types::Type;

/// Every function name, for suggestions.
const FUNCTIONS: [&str; 31] = [
    "date",
    "month",
    "year",
    "time",
    "weekday",
    "start_of_day",
    "starts_with",
    "ends_with",
    "contains",
    "lower",
    "upper",
    "trim",
    "len",
    "words",
    "abs",
    "round",
    "percent",
    "max",
    "min",
    "matches",
    "week",
    "tier",
    "sort",
    "nth",
    "any",
    "all",
    "count",
    "sum",
    "filter",
    "map",
    "distinct",
];

/// The weekdays `week(t, day)` accepts, from Monday: chrono's order.
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Functions with fixed signatures: name, builtin, the argument types accepted (any one row), result.
static SIMPLE: [(&str, Builtin, &[&[Type]], Type); 12] = [
    ("date", Builtin::Date, &[&[Type::Timestamp]], Type::Date),
    (
        "month",
        Builtin::Month,
        &[&[Type::Timestamp], &[Type::Date]],
        Type::Date,
    ),
    (
        "year",
        Builtin::Year,
        &[&[Type::Timestamp], &[Type::Date]],
        Type::Int,
    ),
    (
        "time",
        Builtin::TimeOfDay,
        &[&[Type::Timestamp]],
        Type::Time,
    ),
    (
        "weekday",
        Builtin::Weekday,
        &[&[Type::Timestamp], &[Type::Date]],
        Type::Int,
    ),
    (
        "start_of_day",
        Builtin::StartOfDay,
        &[&[Type::Date]],
        Type::Timestamp,
    ),
    (
        "starts_with",
        Builtin::StartsWith,
        &[&[Type::Str, Type::Str]],
        Type::Bool,
    ),
    (
        "ends_with",
        Builtin::EndsWith,
        &[&[Type::Str, Type::Str]],
        Type::Bool,
    ),
    ("lower", Builtin::Lower, &[&[Type::Str]], Type::Str),
    ("upper", Builtin::Upper, &[&[Type::Str]], Type::Str),
    ("trim", Builtin::Trim, &[&[Type::Str]], Type::Str),
    ("words", Builtin::Words, &[&[Type::Str]], Type::Int),
];

impl Cx<'_> {
    /// Types a call `func(args...)`, and records the function called.
    pub(crate) fn call(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, crate::types::Type) {
        let typed = self.call_builtin(func, args, span);
        let target = crate::index::Target::Builtin {
            name: func.name.clone(),
        };
        self.resolved(func.span, target, &typed.1);
        typed
    }

    fn call_builtin(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, crate::types::Type) {
        let name = func.name.as_str();
        // `count(xs)`, `sum(xs)`, `max(xs)`: an aggregate over a whole list.
        if let Some(op) = aggregate(name) {
            if let [arg] = args {
                return self.aggregate_call(op, arg, span);
            }
            if !matches!(name, "max" | "min") {
                return self.arity(func, "one list", args.len(), span);
            }
        }
        let mut lowered = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for a in args {
            let (x, t) = self.expr(a);
            let t = if matches!(name, "max" | "min") || name == "len" || name == "contains" {
                match t {
                    Type::Optional(inner) => {
                        self.error(
                            a.span,
                            CheckErrorKind::MaybeAbsent {
                                what: "this argument".into(),
                            },
                        );
                        *inner
                    }
                    other => other,
                }
            } else {
                t
            };
            lowered.push(x);
            types.push(t);
        }
        if let Some((_, builtin, accepted, result)) = SIMPLE.iter().find(|(n, ..)| *n == name) {
            let ty = self.signature(func, args, &types, accepted, result.clone());
            return (
                ir::Expr {
                    kind: ir::ExprKind::Call(builtin.clone(), lowered),
                    span,
                },
                ty,
            );
        }
        let (builtin, ty) = match name {
            "contains" => {
                let ty = match types.as_slice() {
                    [Type::List(item), x] => {
                        if !(x.fits(item) || item.fits(x)) {
                            self.mismatch(args.get(1).map(|a| a.span).unwrap_or(span), item, x);
                        }
                        Type::Bool
                    }
                    _ => self.signature(func, args, &types, &[&[Type::Str, Type::Str]], Type::Bool),
                };
                (Builtin::Contains, ty)
            }
            "len" => {
                let ty = match types.as_slice() {
                    [Type::List(_)] | [Type::Map(..)] | [Type::Error] => Type::Int,
                    _ => self.signature(func, args, &types, &[&[Type::Str]], Type::Int),
                };
                (Builtin::Len, ty)
            }
            "abs" => {
                let ty = match types.as_slice() {
                    [t @ (Type::Int
                    | Type::Decimal
                    | Type::Money(_)
                    | Type::Percent
                    | Type::Duration
                    | Type::Error)] => t.clone(),
                    _ => self.signature(func, args, &types, &[&[Type::Decimal]], Type::Decimal),
                };
                (Builtin::Abs, ty)
            }
            "round" => {
                let ty = match types.as_slice() {
                    [t @ (Type::Int
                    | Type::Decimal
                    | Type::Money(_)
                    | Type::Percent
                    | Type::Error), _] => t.clone(), // the places are checked below
                    _ => self.signature(
                        func,
                        args,
                        &types,
                        &[&[Type::Decimal, Type::Int]],
                        Type::Decimal,
                    ),
                };
                let Some(places) = args.get(1).and_then(|a| self.places(a)) else {
                    return poison(span);
                };
                lowered.truncate(1);
                (Builtin::Round(places), ty)
            }
            "percent" => {
                let ty = self.signature(func, args, &types, &[&[Type::Decimal]], Type::Percent);
                (Builtin::Percent, ty)
            }
            "max" | "min" => {
                let mut ty = Type::Nothing;
                for (t, a) in types.iter().zip(args) {
                    ty = self.unify(&ty, t, a.span);
                }
                if types.len() < 2 {
                    return self.arity(func, "two or more values, or one list", types.len(), span);
                }
                let builtin = if name == "max" {
                    Builtin::Max
                } else {
                    Builtin::Min
                };
                (builtin, ty)
            }
            "week" => {
                let ty = self.signature(
                    func,
                    args,
                    &types,
                    &[&[Type::Timestamp, Type::Str], &[Type::Date, Type::Str]],
                    Type::Date,
                );
                // Without a second argument, `signature` has said so.
                let Some(day) = args.get(1).and_then(|a| self.weekday(a)) else {
                    return poison(span);
                };
                lowered.truncate(1);
                (Builtin::Week(day), ty)
            }
            "tier" => {
                // A ladder: `tier(count, [72h, 7d, 30d, permanent])`.
                let ty = match types.as_slice() {
                    [n, Type::List(item)] if n.fits(&Type::Int) => (**item).clone(),
                    // An argument that did not check fits any signature:
                    // only the others' own mistakes are reported.
                    _ => self.signature(
                        func,
                        args,
                        &types,
                        &[&[Type::Int, Type::List(Box::new(Type::Nothing))]],
                        Type::Error,
                    ),
                };
                (Builtin::Tier, ty)
            }
            "sort" => {
                let ty = match types.as_slice() {
                    [t @ Type::List(_)] | [t @ Type::Error] => t.clone(),
                    _ => self.arity(func, "one list", types.len(), span).1,
                };
                (Builtin::Sort, ty)
            }
            "nth" => {
                let ty = match types.as_slice() {
                    [Type::List(item), i] if i.fits(&Type::Int) => (**item).clone().optional(),
                    _ => self.signature(
                        func,
                        args,
                        &types,
                        &[&[Type::List(Box::new(Type::Nothing)), Type::Int]],
                        Type::Error,
                    ),
                };
                (Builtin::Nth, ty)
            }
            "matches" => {
                let pattern = match args.get(1).map(|a| &a.unparen().kind) {
                    Some(ExprKind::Literal(Literal::Str(p), _)) => Some(p.clone()),
                    _ => None,
                };
                // A parameter holding a pattern, or a list of them (optional when it has
                // no default): compiled when the rules load and when a deployment sets it.
                if let (
                    None,
                    Some(ir::Expr {
                        kind: ir::ExprKind::Param(i),
                        ..
                    }),
                ) = (&pattern, lowered.get(1))
                {
                    let i = *i;
                    let patterns = types.get(1).map(Type::strip_optional);
                    let strings = matches!(patterns, Some(Type::Str | Type::Error))
                        || matches!(patterns, Some(Type::List(item)) if matches!(**item, Type::Str | Type::Nothing));
                    let text = types.first().map(|t| t.fits(&Type::Str)).unwrap_or(false);
                    let ty = if strings && text {
                        Type::Bool
                    } else {
                        self.signature(
                            func,
                            args,
                            &types,
                            &[
                                &[Type::Str, Type::Str],
                                &[Type::Str, Type::List(Box::new(Type::Str))],
                            ],
                            Type::Bool,
                        )
                    };
                    let at = args.get(1).map(|a| a.span).unwrap_or(span);
                    self.pattern_params.push((i, at));
                    lowered.truncate(1);
                    return (
                        ir::Expr {
                            kind: ir::ExprKind::Call(Builtin::MatchesParam(i), lowered),
                            span,
                        },
                        ty,
                    );
                }
                let ty = self.signature(func, args, &types, &[&[Type::Str, Type::Str]], Type::Bool);
                match pattern {
                    Some(p) => match regex::Regex::new(&p) {
                        Ok(re) => {
                            lowered.truncate(1);
                            (Builtin::Matches(Arc::new(re)), ty)
                        }
                        Err(e) => {
                            let at = args.get(1).map(|a| a.span).unwrap_or(span);
                            self.error(
                                at,
                                CheckErrorKind::InvalidRegex {
                                    reason: e.to_string(),
                                },
                            );
                            return poison(span);
                        }
                    },
                    None => {
                        let at = args.get(1).map(|a| a.span).unwrap_or(span);
                        self.error(
                            at,
                            CheckErrorKind::NotConstant {
                                what: "a regular expression",
                            },
                        );
                        return poison(span);
                    }
                }
            }
            _ => {
                let err = CheckError::new(
                    self.source,
                    func.span,
                    CheckErrorKind::UnknownFunction {
                        name: name.to_string(),
                    },
                );
                let err = match did_you_mean(name, FUNCTIONS) {
                    Some(h) => err.with_help(h),
                    None => err.with_help(format!("the functions are {}", FUNCTIONS.join(", "))),
                };
                self.push(err);
                return poison(span);
            }
        };
        (
            ir::Expr {
                kind: ir::ExprKind::Call(builtin, lowered),
                span,
            },
            ty,
        )
    }

    fn mismatch(&mut self, span: Span, expected: &Type, found: &Type) {
        let kind = CheckErrorKind::TypeMismatch {
            expected: self.show(expected),
            found: self.show(found),
        };
        self.error(span, kind);
    }

    fn arity(
        &mut self,
        func: &ast::Ident,
        expected: &str,
        found: usize,
        span: Span,
    ) -> (ir::Expr, Type) {
        self.error(
            func.span,
            CheckErrorKind::WrongArity {
                func: func.name.clone(),
                expected: expected.to_string(),
                found,
            },
        );
        poison(span)
    }

    /// Checks arguments against one of several accepted signatures.
    /// The weekday of `week(t, "thursday")`: its name in full, in any case. Reports anything else, quoting it, with the name it is closest to.
    fn weekday(&mut self, arg: &ast::Expr) -> Option<chrono::Weekday> {
        let written = match &arg.unparen().kind {
            ExprKind::Literal(Literal::Str(d), _) => Some(d.as_str()),
            _ => None,
        };
        let full = |d: &str| WEEKDAYS.iter().position(|w| w.eq_ignore_ascii_case(d));
        if let Some(day) = written.and_then(full) {
            return chrono::Weekday::try_from(u8::try_from(day).ok()?).ok();
        }
        let quoted: Vec<String> = WEEKDAYS.iter().map(|v| format!("\"{v}\"")).collect();
        let what = quoted.join(" | ");
        let err = match written {
            Some(text) => {
                let lower = text.to_lowercase();
                let help = WEEKDAYS
                    .iter()
                    .find(|w| lower.len() >= 2 && w.starts_with(&lower))
                    .map(|w| format!("did you mean `{w}`? weekdays are written in full"))
                    .or_else(|| did_you_mean(&lower, WEEKDAYS.iter().copied()))
                    .unwrap_or_else(|| format!("the weekdays are {what}"));
                CheckError::new(
                    self.source,
                    arg.span,
                    CheckErrorKind::UnknownEnumValue {
                        value: text.to_string(),
                        what: "a weekday".into(),
                    },
                )
                .with_label("the weekday weeks start on")
                .with_help(help)
            }
            None => CheckError::new(
                self.source,
                arg.span,
                CheckErrorKind::TypeMismatch {
                    expected: "a weekday written out, such as \"thursday\"".into(),
                    found: "something else".into(),
                },
            )
            .with_help(
                "weeks start on the weekday named: `week(t, \"monday\")`, `week(t, \"thursday\")`",
            ),
        };
        self.push(err);
        None
    }

    /// The places of `round(x, places)`: a whole number from 0 to 28, written
    /// out. Reports anything else and gives `None`.
    fn places(&mut self, arg: &ast::Expr) -> Option<u32> {
        let written = match &arg.unparen().kind {
            ExprKind::Literal(Literal::Int(n), _) => u32::try_from(*n).ok().filter(|n| *n <= 28),
            _ => None,
        };
        if written.is_none() {
            let err = CheckError::new(
                self.source,
                arg.span,
                CheckErrorKind::TypeMismatch {
                    expected: "a number of places from 0 to 28, written out".into(),
                    found: "something else".into(),
                },
            )
            .with_label("the places to round to")
            .with_help("round to a fixed number of places: `round(share, 2)`; a percent rounds its figure, `round(percent(share), 1)` shows `21.7%`");
            self.push(err);
        }
        written
    }

    fn signature(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Expr],
        types: &[Type],
        accepted: &[&[Type]],
        result: Type,
    ) -> Type {
        let arity = accepted.first().map(|s| s.len()).unwrap_or(0);
        if types.len() != arity {
            let words = match arity {
                1 => "one argument".to_string(),
                n => format!("{n} arguments"),
            };
            self.arity(func, &words, types.len(), func.span);
            return Type::Error;
        }
        if accepted
            .iter()
            .any(|sig| types.iter().zip(sig.iter()).all(|(t, s)| t.fits(s)))
        {
            return result;
        }
        // Report against the first signature, at the first argument that does not fit.
        if let Some(sig) = accepted.first() {
            for ((t, s), a) in types.iter().zip(sig.iter()).zip(args) {
                if !t.fits(s) {
                    self.expect_fits(t, s, a.span);
                    break;
                }
            }
        }
        Type::Error
    }
}

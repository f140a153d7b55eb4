//! The operator table of docs/language.md ("Operators"), row by row, as the
//! checker types it: each operand pair's result, or a refusal.

use super::{arith_type, ArithTypeError};
use crate::ir::ArithOp::{self, Add, Div, Mul, Sub};
use crate::types::Type::{self, *};
use crate::value::Currency;

fn cny() -> Type {
    Money(Currency::parse("CNY"))
}
fn usd() -> Type {
    Money(Currency::parse("USD"))
}
fn list(t: Type) -> Type {
    List(Box::new(t))
}

fn typed(op: ArithOp, l: &Type, r: &Type) -> Option<Type> {
    arith_type(op, l, r).ok()
}

#[test]
fn every_row_of_the_operator_table_has_its_type() {
    let rows: Vec<(ArithOp, Type, Type, Type)> = vec![
        (Add, Int, Int, Int),
        (Sub, Int, Int, Int),
        (Mul, Int, Int, Int),
        (Div, Int, Int, Decimal),
        (Add, Int, Decimal, Decimal),
        (Div, Decimal, Int, Decimal),
        (Add, cny(), cny(), cny()),
        (Sub, cny(), Money(None), cny()),
        (Add, Money(None), Money(None), Money(None)),
        (Div, cny(), cny(), Decimal),
        (Mul, cny(), Int, cny()),
        (Div, cny(), Decimal, cny()),
        (Mul, cny(), Percent, cny()),
        (Mul, Decimal, cny(), cny()),
        (Mul, Percent, cny(), cny()),
        (Add, Percent, Percent, Percent),
        (Sub, Percent, Percent, Percent),
        (Mul, Percent, Percent, Percent),
        (Mul, Percent, Int, Decimal),
        (Mul, Int, Percent, Decimal),
        (Add, Timestamp, Duration, Timestamp),
        (Sub, Timestamp, Duration, Timestamp),
        (Add, Duration, Timestamp, Timestamp),
        (Sub, Timestamp, Timestamp, Duration),
        (Add, Date, Duration, Date),
        (Sub, Date, Duration, Date),
        (Sub, Date, Date, Duration),
        (Add, Duration, Duration, Duration),
        (Sub, Duration, Duration, Duration),
        (Mul, Duration, Int, Duration),
        (Mul, Int, Duration, Duration),
        (Div, Duration, Int, Duration),
        (Div, Duration, Duration, Decimal),
        (Add, Timestamp, Period, Timestamp),
        (Sub, Timestamp, Period, Timestamp),
        (Add, Period, Timestamp, Timestamp),
        (Add, Date, Period, Date),
        (Add, Period, Date, Date),
        (Add, Period, Period, Period),
        (Mul, Period, Int, Period),
        (Mul, Int, Period, Period),
        (Add, Str, Str, Str),
        (Add, list(Nothing), list(Int), list(Int)),
        (Add, list(Str), list(Nothing), list(Str)),
        (Add, list(Int), list(Decimal), list(Decimal)),
        (Add, list(Decimal), list(Int), list(Decimal)),
        (Add, Error, Int, Error),
        (Mul, Str, Error, Error),
    ];
    for (op, l, r, want) in rows {
        assert_eq!(typed(op, &l, &r), Some(want.clone()), "{l:?} {op:?} {r:?}");
    }
}

#[test]
fn what_the_table_leaves_out_is_refused() {
    let refused: Vec<(ArithOp, Type, Type)> = vec![
        (Add, cny(), Int),
        (Add, Int, cny()),
        (Mul, cny(), cny()),
        (Div, Int, cny()),
        (Mul, cny(), Str),
        (Mul, Str, cny()),
        (Add, Percent, Int),
        (Mul, Percent, Str),
        (Div, Percent, Percent),
        (Sub, Duration, Timestamp),
        (Sub, Period, Timestamp),
        (Mul, Duration, Decimal),
        (Div, Int, Duration),
        (Sub, Str, Str),
        (Add, list(Int), list(Str)),
        (Add, Bool, Bool),
    ];
    for (op, l, r) in refused {
        assert!(
            matches!(arith_type(op, &l, &r), Err(ArithTypeError::Operands)),
            "{l:?} {op:?} {r:?}"
        );
    }
    // Money of two currencies: refused naming both.
    assert!(matches!(
        arith_type(Add, &cny(), &usd()),
        Err(ArithTypeError::Currency(..))
    ));
    assert!(matches!(
        arith_type(Div, &usd(), &cny()),
        Err(ArithTypeError::Currency(..))
    ));
}

/// The common type of two branches or list items (`wider`), arm by arm, both
/// ways round where the table is symmetric.
#[test]
fn the_wider_of_two_fitting_types_keeps_what_either_knows() {
    let opt = |t: Type| Optional(Box::new(t));
    let map = |k: Type, v: Type| Map(Box::new(k), Box::new(v));
    let e = Enum(crate::ids::EnumId(0));
    let rows: Vec<(Type, Type, Type)> = vec![
        (Nothing, Int, Int),
        (Int, Nothing, Int),
        (Int, Decimal, Decimal),
        (Decimal, Int, Decimal),
        (e.clone(), Str, Str),
        (Str, e.clone(), Str),
        // A currency known on either side is kept.
        (Money(None), cny(), cny()),
        (cny(), Money(None), cny()),
        (Money(None), Money(None), Money(None)),
        (list(Int), list(Decimal), list(Decimal)),
        (list(Money(None)), list(cny()), list(cny())),
        (map(e.clone(), Int), map(Str, Decimal), map(Str, Decimal)),
        (opt(Int), opt(Decimal), opt(Decimal)),
        (Int, opt(Int), opt(Int)),
        (opt(Int), Int, opt(Int)),
        (Bool, Bool, Bool),
    ];
    for (a, b, wide) in rows {
        assert_eq!(super::wider(&a, &b), wide, "{a:?} {b:?}");
    }
}

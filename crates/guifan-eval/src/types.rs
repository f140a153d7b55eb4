//! Static types of the language, as the checker sees them.

use crate::ids::{Currency, EnumId, RecordId};

/// A type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `decimal`
    Decimal,
    /// `money`; `None` in the schema, where each record carries its currency
    Money(Option<Currency>),
    /// `percent`
    Percent,
    /// `string`
    Str,
    /// A string from a fixed set (`"personal" | "enterprise"`)
    Enum(EnumId),
    /// `date`
    Date,
    /// `timestamp`
    Timestamp,
    /// `time`
    Time,
    /// `duration`
    Duration,
    /// `period`: a calendar period in months (`1mo`, `1y`)
    Period,
    /// `[T]`
    List(Box<Type>),
    /// `map<K, V>`
    Map(Box<Type>, Box<Type>),
    /// A record type
    Record(RecordId),
    /// `T?`: may be absent
    Optional(Box<Type>),
    /// `any`: an effect argument that takes a value of any type (`metric(value: ...)`)
    Any,
    /// The element type of an empty list literal: fits any type
    Nothing,
    /// The type of an expression that already failed to check: fits anything, reports nothing more
    Error,
}

impl Type {
    /// Wraps in `Optional` unless already optional.
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Error => self,
            other => Type::Optional(Box::new(other)),
        }
    }

    /// The type without its `Optional`.
    pub fn strip_optional(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// Whether the type is numeric (`int` or `decimal`).
    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }

    /// Whether it is a string (free text or from a fixed set).
    pub fn is_string(&self) -> bool {
        matches!(self, Type::Str | Type::Enum(_))
    }

    /// A value of type `self` can stand where `expected` is wanted.
    pub fn fits(&self, expected: &Type) -> bool {
        match (self, expected) {
            (Type::Error, _) | (_, Type::Error) | (Type::Nothing, _) | (_, Type::Any) => true,
            (Type::Int, Type::Decimal) => true,
            (Type::Enum(_), Type::Str) | (Type::Str, Type::Enum(_)) => true,
            (Type::Enum(a), Type::Enum(b)) => a == b,
            (Type::Money(a), Type::Money(b)) => a.is_none() || b.is_none() || a == b,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (Type::Map(ak, av), Type::Map(bk, bv)) => ak.fits(bk) && av.fits(bv),
            (Type::Optional(a), Type::Optional(b)) => a.fits(b),
            (a, Type::Optional(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Type::{self, *};
    use crate::ids::{Currency, EnumId};

    /// Which types stand where others are wanted, row by row.
    #[test]
    fn a_type_fits_where_it_or_a_wider_one_is_wanted() {
        let cny = Money(Currency::parse("CNY"));
        let usd = Money(Currency::parse("USD"));
        let list = |t: Type| List(Box::new(t));
        let opt = |t: Type| Optional(Box::new(t));
        let map = |k: Type, v: Type| Map(Box::new(k), Box::new(v));
        let fits = [
            (map(Enum(EnumId(1)), Int), map(Str, Decimal)),
            (opt(Int), opt(Decimal)),
            (Int, Decimal),
            (Enum(EnumId(1)), Enum(EnumId(1))),
            (Enum(EnumId(1)), Str),
            (Str, Enum(EnumId(1))),
            (cny.clone(), Money(None)),
            (Money(None), cny.clone()),
            (list(Int), list(Decimal)),
            (Int, opt(Int)),
            (Nothing, Int),
            (Bool, Any),
        ];
        for (t, wanted) in fits {
            assert!(t.fits(&wanted), "{t:?} fits {wanted:?}");
        }
        let refused = [
            (Decimal, Int),
            (Enum(EnumId(1)), Enum(EnumId(2))),
            (cny, usd),
            (list(Decimal), list(Int)),
            (opt(Int), Int),
            (Str, Int),
            (map(Str, Int), map(Str, Str)),
            (map(Int, Str), map(Str, Str)),
        ];
        for (t, wanted) in refused {
            assert!(!t.fits(&wanted), "{t:?} does not fit {wanted:?}");
        }
    }
}

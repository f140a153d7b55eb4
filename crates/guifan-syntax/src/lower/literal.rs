//! Literal tokens to values: numbers, money, dates, times, durations, strings.

use chrono::{DateTime, NaiveDate, NaiveTime};
use pest::iterators::Pair;
use rust_decimal::Decimal;

use super::{span_of, Lower, Result};
use crate::ast::Literal;
use crate::error::ParseError;
use crate::grammar::Rule;

impl Lower<'_> {
    pub(super) fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = span_of(&pair);
        let text = pair.as_str();
        let invalid = |what: &'static str, reason: String| ParseError::InvalidLiteral {
            source_id: self.source,
            span,
            what,
            text: text.to_string(),
            reason,
        };
        match pair.as_rule() {
            Rule::bool_lit => Ok(Literal::Bool(text == "true")),
            Rule::permanent_lit => Ok(Literal::Permanent),
            Rule::int_lit => text
                .parse::<i64>()
                .map(Literal::Int)
                .map_err(|_| invalid("integer", "too large for a 64-bit integer".into())),
            Rule::decimal_lit => parse_decimal(text)
                .map(Literal::Decimal)
                .ok_or_else(|| invalid("decimal", "too many digits".into())),
            Rule::percent_lit => {
                let number = text.trim_end_matches('%');
                parse_decimal(number)
                    .and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
                    .map(Literal::Percent)
                    .ok_or_else(|| invalid("percentage", "too many digits".into()))
            }
            Rule::money_lit => {
                let mut words = text.split_whitespace();
                let amount = words.next().unwrap_or("");
                let currency = words.next().unwrap_or("");
                parse_decimal(amount)
                    .map(|d| Literal::Money(d, currency.to_string()))
                    .ok_or_else(|| invalid("amount", "too many digits".into()))
            }
            Rule::duration_lit => {
                let split = text
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(text.len());
                let (number, unit) = text.split_at(split);
                let scale: i64 = match unit {
                    "s" => 1,
                    "min" => 60,
                    "h" => 3_600,
                    "d" => 86_400,
                    _ => 604_800,
                };
                number
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| n.checked_mul(scale))
                    .map(Literal::Duration)
                    .ok_or_else(|| invalid("duration", "too long".into()))
            }
            Rule::date_lit => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Literal::Date)
                .map_err(|e| invalid("date", e.to_string())),
            Rule::time_lit => NaiveTime::parse_from_str(text, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
                .map(Literal::Time)
                .map_err(|e| invalid("time of day", e.to_string())),
            Rule::timestamp_lit => parse_timestamp(text)
                .map(Literal::Timestamp)
                .map_err(|e| invalid("timestamp", e)),
            Rule::string_lit => Ok(Literal::Str(unescape(
                pair.into_inner().next().map(|p| p.as_str()).unwrap_or(""),
            ))),
            _ => Err(self.internal(span, "unexpected operand")),
        }
    }
}

/// Parses a decimal exactly from its text (never through a float).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str_exact(text).ok()
}

/// Parses `2023-02-24T00:00+08:00` (seconds optional) or RFC 3339.
pub(crate) fn parse_timestamp(
    text: &str,
) -> std::result::Result<DateTime<chrono::FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z"))
        .or_else(|_| DateTime::parse_from_str(&text.replace('Z', "+00:00"), "%Y-%m-%dT%H:%M%:z"))
        .map_err(|e| e.to_string())
}

/// Resolves `\"`, `\\`, `\n`, `\t`, `\r`, `\u{XXXX}` escapes; unknown escapes stay as written.
pub(crate) fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u{");
                        out.push_str(&hex);
                        out.push('}');
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

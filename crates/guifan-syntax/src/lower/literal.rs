//! Literal tokens to values: numbers, money, dates, times, durations, strings.

use chrono::NaiveTime;
use pest::iterators::Pair;
use rust_decimal::Decimal;

use super::{Lower, Result};
use crate::ast::Literal;
use crate::error::ParseError;
use crate::grammar::Rule;

impl Lower<'_> {
    pub(super) fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span_of(&pair);
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
            Rule::absent_lit => Ok(Literal::Absent),
            Rule::int_lit => text
                .parse::<i64>()
                .map(Literal::Int)
                .map_err(|_| invalid("integer", "too large for a 64-bit integer".into())),
            Rule::decimal_lit => crate::literal::decimal(text)
                .map(Literal::Decimal)
                .ok_or_else(|| invalid("decimal", "too many digits".into())),
            Rule::percent_lit => {
                let number = text.trim_end_matches('%');
                crate::literal::decimal(number)
                    .and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
                    .map(Literal::Percent)
                    .ok_or_else(|| invalid("percentage", "too many digits".into()))
            }
            Rule::money_lit => {
                let mut words = text.split_whitespace();
                let amount = words.next().unwrap_or("");
                let currency = words.next().unwrap_or("");
                crate::literal::decimal(amount)
                    .map(|d| Literal::Money(d, currency.to_string()))
                    .ok_or_else(|| invalid("amount", "too many digits".into()))
            }
            Rule::duration_lit => crate::literal::duration_seconds(text)
                .map(Literal::Duration)
                .ok_or_else(|| invalid("duration", "too long".into())),
            Rule::period_lit => crate::literal::period_months(text)
                .map(Literal::Period)
                .ok_or_else(|| invalid("period", "too long".into())),
            Rule::date_lit => crate::literal::date(text)
                .map(Literal::Date)
                .map_err(|e| invalid("date", e.to_string())),
            Rule::time_lit => NaiveTime::parse_from_str(text, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
                .map(Literal::Time)
                .map_err(|e| invalid("time of day", e.to_string())),
            Rule::timestamp_lit => crate::literal::timestamp(text)
                .map(Literal::Timestamp)
                .map_err(|e| invalid("timestamp", e)),
            Rule::string_lit => Ok(Literal::Str(self.string(pair)?.node)),
            _ => Err(self.internal(span, "unexpected operand")),
        }
    }
}

/// An escape sequence that is not one of the language's.
#[derive(Debug)]
pub(crate) struct BadEscape {
    /// Byte range of the sequence in the raw text
    pub start: usize,
    pub end: usize,
    pub reason: &'static str,
}

/// Resolves `\"`, `\\`, `\n`, `\t`, `\r`, `\{`, `\}` and `\u{XXXX}` escapes; any other is an error.
pub(crate) fn unescape(raw: &str) -> std::result::Result<String, BadEscape> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let bad = |end: usize, reason| BadEscape {
            start: at,
            end,
            reason,
        };
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '{')) => out.push('{'),
            Some((_, '}')) => out.push('}'),
            Some((u, 'u')) => {
                if chars.next_if(|(_, c)| *c == '{').is_none() {
                    return Err(bad(u + 1, "write a code point as `\\u{4E2D}`"));
                }
                let mut hex = String::new();
                let mut end = u + 2;
                let mut closed = false;
                for (i, c) in chars.by_ref() {
                    end = i + c.len_utf8();
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    hex.push(c);
                    if hex.len() > 6 {
                        break;
                    }
                }
                if !closed {
                    return Err(bad(
                        end,
                        "write a code point as `\\u{4E2D}`: 1 to 6 hex digits in braces",
                    ));
                }
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => return Err(bad(end, "not a Unicode scalar value")),
                }
            }
            Some((i, other)) => {
                return Err(bad(
                    i + other.len_utf8(),
                    "unknown escape: the escapes are \\\" \\\\ \\n \\t \\r \\{ \\} \\u{...}",
                ))
            }
            None => return Err(bad(raw.len(), "a backslash ends the string: write `\\\\`")),
        }
    }
    Ok(out)
}

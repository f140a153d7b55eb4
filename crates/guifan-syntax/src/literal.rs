//! The literals the language shares with data and the command line: dates,
//! timestamps, durations, periods and exact decimals, each parsed by one
//! function here, used by the parser, the data decoder, `guifan run --at`
//! and the service's `?at=`.

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;

/// Seconds of a duration literal: `30s`, `15min`, `72h`, `7d`, `2w`
/// (`None` for another unit, or one too long to count).
///
/// ```
/// assert_eq!(guifan_syntax::literal::duration_seconds("72h"), Some(259_200));
/// assert_eq!(guifan_syntax::literal::duration_seconds("2x"), None);
/// ```
pub fn duration_seconds(text: &str) -> Option<i64> {
    let (number, unit) = number_and_unit(text)?;
    let scale: i64 = match unit {
        "s" => 1,
        "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// Months of a period literal: `3mo`, `1y` (`None` for another unit, or one
/// too long to count).
///
/// ```
/// assert_eq!(guifan_syntax::literal::period_months("2y"), Some(24));
/// assert_eq!(guifan_syntax::literal::period_months("2w"), None);
/// ```
pub fn period_months(text: &str) -> Option<i64> {
    let (number, unit) = number_and_unit(text)?;
    let scale: i64 = match unit {
        "mo" => 1,
        "y" => 12,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// The leading digits of a literal as a number, and the rest.
fn number_and_unit(text: &str) -> Option<(i64, &str)> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    Some((number.parse::<i64>().ok()?, unit))
}

/// Parses `YYYY-MM-DD` with exactly those digits (chrono alone takes `2023-4-1`).
pub fn date(text: &str) -> std::result::Result<NaiveDate, String> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return Err("a date is written YYYY-MM-DD, such as 2023-04-01".into());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| e.to_string())
}

/// Parses a decimal exactly from its text (never through a float).
pub fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str_exact(text).ok()
}

/// Parses `2023-02-24T00:00+08:00` (seconds optional) or RFC 3339.
///
/// ```
/// let t = guifan_syntax::literal::timestamp("2023-02-24T00:00+08:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2023-02-24T00:00:00+08:00");
/// assert!(guifan_syntax::literal::timestamp("2023-2-24T00:00+08:00").is_err());
/// ```
pub fn timestamp(text: &str) -> std::result::Result<DateTime<chrono::FixedOffset>, String> {
    // chrono alone would take one-digit months and days (`2023-4-1T...`).
    let b = text.as_bytes();
    let shape = b.len() >= 16
        && b.iter().take(16).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T' || *c == b't' || *c == b' ',
            13 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return Err(
            "expected YYYY-MM-DDTHH:MM with an offset, such as 2023-02-24T00:00+08:00".into(),
        );
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z"))
        .or_else(|_| DateTime::parse_from_str(&text.replace('Z', "+00:00"), "%Y-%m-%dT%H:%M%:z"))
        .map_err(|e| e.to_string())
}

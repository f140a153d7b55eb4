//! Arrow record batches read as the JSON Lines the decoder reads.
//!
//! A batch's columns are matched once: each column gets a writer chosen by
//! its Arrow type (struct columns as nested records, list columns as lists,
//! decimals as exact numbers, timestamps with their zone, dictionaries
//! through their values), and each row is then written as the one-line JSON
//! record it stands for. The detailed decoder reads it with the very checks
//! and errors of JSON input: a row that does not fit the schema is reported
//! at its row number with its field path while the others go on. A null is
//! an absent value, as a missing JSON field is; a column no kind declares is
//! not read at all.

use std::collections::HashSet;
use std::io::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, SecondsFormat, TimeZone, Utc};

/// A column that cannot be read as Guifan data: floating-point numbers
/// (Guifan's numbers are exact), binary data, unions, intervals.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column `{column}` ({data_type}): {message}")]
pub struct ColumnError {
    /// The column's path (`deposit.balance`, `withdrawals[].amount`)
    pub column: String,
    /// Its Arrow type
    pub data_type: String,
    /// Why it cannot be read
    pub message: String,
}

/// Writes the value at a row (known not to be null) as JSON.
type WriteValue = Box<dyn Fn(usize, &mut Vec<u8>) + Send + Sync>;

/// One column's writer, chosen once per batch.
struct Writer {
    /// The column, for its nulls
    array: ArrayRef,
    /// A column of the Arrow null type: every value is absent
    all_null: bool,
    write: WriteValue,
}

impl Writer {
    fn is_null(&self, row: usize) -> bool {
        self.all_null || self.array.is_null(row)
    }

    /// The value at `row`, `null` when there is none.
    fn write_or_null(&self, row: usize, out: &mut Vec<u8>) {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
        } else {
            (self.write)(row, out);
        }
    }
}

/// A batch's columns matched to writers: what writes each row as a JSON record.
pub struct BatchLines {
    /// Each read column: its name as a JSON key (with the colon), and its writer
    columns: Vec<(Vec<u8>, Writer)>,
    rows: usize,
}

impl BatchLines {
    /// Matches the columns of `batch`: only those named in `only` (when
    /// given) are read. A column that cannot be read is an error naming it.
    pub fn new(batch: &RecordBatch, only: Option<&HashSet<String>>) -> Result<Self, ColumnError> {
        let schema = batch.schema();
        let mut columns = Vec::new();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name();
            if only.is_some_and(|names| !names.contains(name.as_str())) {
                continue;
            }
            let writer = writer(array, name)?;
            if writer.all_null {
                continue;
            }
            let mut key = json_string(name);
            key.push(b':');
            columns.push((key, writer));
        }
        Ok(BatchLines {
            columns,
            rows: batch.num_rows(),
        })
    }

    /// How many rows the batch has.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes row `row` as a one-line JSON object (no newline).
    pub fn write_row(&self, row: usize, out: &mut Vec<u8>) {
        write_object(&self.columns, row, out);
    }

    /// Every row as JSON Lines, appended to `out`.
    pub fn write_all(&self, out: &mut Vec<u8>) {
        for row in 0..self.rows {
            self.write_row(row, out);
            out.push(b'\n');
        }
    }
}

/// The fields at `row` as a JSON object: each one's key (with its colon)
/// and value, null fields left out as absent (a batch's row, a struct).
fn write_object(fields: &[(Vec<u8>, Writer)], row: usize, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    for (key, writer) in fields {
        if writer.is_null(row) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(key);
        (writer.write)(row, out);
    }
    out.push(b'}');
}

/// `text` as a JSON string.
fn json_string(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    write_json_string(text, &mut out);
    out
}

fn write_json_string(text: &str, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn unreadable(path: &str, ty: &DataType, message: &str) -> ColumnError {
    ColumnError {
        column: path.to_string(),
        data_type: ty.to_string(),
        message: message.to_string(),
    }
}

/// A writer of primitive values by their `Display`.
fn display<T>(array: &ArrayRef) -> WriteValue
where
    T: ArrowPrimitiveType,
    T::Native: std::fmt::Display,
{
    let values = array.as_primitive::<T>().clone();
    Box::new(move |row, out| {
        let _ = write!(out, "{}", values.value(row));
    })
}

/// A writer of decimals: the unscaled integer with its point put back, exactly.
fn decimal<T>(array: &ArrayRef, scale: i8) -> WriteValue
where
    T: ArrowPrimitiveType,
    T::Native: std::fmt::Display,
{
    let values = array.as_primitive::<T>().clone();
    Box::new(move |row, out| {
        out.extend_from_slice(decimal_text(&values.value(row).to_string(), scale).as_bytes());
    })
}

/// The decimal whose unscaled digits are `digits` (with its sign) and scale `scale`.
fn decimal_text(digits: &str, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return if digits == "0" {
            "0".to_string()
        } else {
            format!("{sign}{digits}{zeros}")
        };
    }
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// A writer of timestamps in RFC 3339: UTC without a zone, otherwise in the column's zone.
fn timestamp<T>(
    array: &ArrayRef,
    zone: Option<&str>,
    path: &str,
    instant: fn(i64) -> Option<DateTime<Utc>>,
) -> Result<WriteValue, ColumnError>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    let values = array.as_primitive::<T>().clone();
    let zone = match zone {
        None => Zone::Utc,
        Some(name) => Zone::parse(name).ok_or_else(|| {
            unreadable(
                path,
                array.data_type(),
                &format!("unknown time zone `{name}` (a name such as Asia/Shanghai, or an offset such as +08:00)"),
            )
        })?,
    };
    Ok(Box::new(move |row, out| {
        match instant(values.value(row)) {
            Some(at) => {
                let text = zone.text(at);
                write_json_string(&text, out);
            }
            // Outside chrono's range: a text the decoder refuses at this field.
            None => write_json_string(&format!("{} (out of range)", values.value(row)), out),
        }
    }))
}

/// The zone a timestamp column is written in.
enum Zone {
    Utc,
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl Zone {
    fn parse(name: &str) -> Option<Zone> {
        if name == "UTC" || name == "Z" {
            return Some(Zone::Utc);
        }
        if let Ok(offset) = name.parse::<FixedOffset>() {
            return Some(Zone::Fixed(offset));
        }
        name.parse::<chrono_tz::Tz>().ok().map(Zone::Named)
    }

    fn text(&self, at: DateTime<Utc>) -> String {
        match self {
            Zone::Utc => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Zone::Fixed(offset) => at
                .with_timezone(offset)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Zone::Named(tz) => {
                let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
                at.with_timezone(&offset)
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true)
            }
        }
    }
}

/// A writer of times of day (`HH:MM:SS`, with a fraction when there is one).
fn time_of_day(array: &ArrayRef, of: fn(&ArrayRef, usize) -> Option<NaiveTime>) -> WriteValue {
    let array = array.clone();
    Box::new(move |row, out| match of(&array, row) {
        Some(t) => write_json_string(&t.to_string(), out),
        None => out.extend_from_slice(b"\"(out of range)\""),
    })
}

/// A writer of durations: whole seconds as `Ns`; anything finer is written
/// as it is, which the decoder refuses at its field.
fn duration<T>(array: &ArrayRef, per_second: i64, unit: &'static str) -> WriteValue
where
    T: ArrowPrimitiveType<Native = i64>,
{
    let values = array.as_primitive::<T>().clone();
    Box::new(move |row, out| {
        let v = values.value(row);
        let text = if v % per_second == 0 {
            format!("{}s", v / per_second)
        } else {
            format!("{v}{unit}")
        };
        write_json_string(&text, out);
    })
}

/// The writer of one column (or nested column) by its Arrow type.
fn writer(array: &ArrayRef, path: &str) -> Result<Writer, ColumnError> {
    let ty = array.data_type();
    let write: WriteValue = match ty {
        DataType::Null => {
            return Ok(Writer {
                array: array.clone(),
                all_null: true,
                write: Box::new(|_, out| out.extend_from_slice(b"null")),
            })
        }
        DataType::Boolean => {
            let values = array.as_boolean().clone();
            Box::new(move |row, out| {
                out.extend_from_slice(if values.value(row) {
                    b"true"
                } else {
                    b"false"
                })
            })
        }
        DataType::Int8 => display::<Int8Type>(array),
        DataType::Int16 => display::<Int16Type>(array),
        DataType::Int32 => display::<Int32Type>(array),
        DataType::Int64 => display::<Int64Type>(array),
        DataType::UInt8 => display::<UInt8Type>(array),
        DataType::UInt16 => display::<UInt16Type>(array),
        DataType::UInt32 => display::<UInt32Type>(array),
        DataType::UInt64 => display::<UInt64Type>(array),
        DataType::Decimal32(_, s) => decimal::<Decimal32Type>(array, *s),
        DataType::Decimal64(_, s) => decimal::<Decimal64Type>(array, *s),
        DataType::Decimal128(_, s) => decimal::<Decimal128Type>(array, *s),
        DataType::Decimal256(_, s) => decimal::<Decimal256Type>(array, *s),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            return Err(unreadable(
                path,
                ty,
                "floating-point numbers are not exact, and Guifan's numbers and money are: store it as a decimal, an integer or a string",
            ))
        }
        DataType::Utf8 => {
            let values = array.as_string::<i32>().clone();
            Box::new(move |row, out| write_json_string(values.value(row), out))
        }
        DataType::LargeUtf8 => {
            let values = array.as_string::<i64>().clone();
            Box::new(move |row, out| write_json_string(values.value(row), out))
        }
        DataType::Utf8View => {
            let values = array.as_string_view().clone();
            Box::new(move |row, out| write_json_string(values.value(row), out))
        }
        DataType::Date32 => {
            let values = array.as_primitive::<Date32Type>().clone();
            Box::new(move |row, out| {
                let date = NaiveDate::from_num_days_from_ce_opt(
                    values.value(row).saturating_add(UNIX_EPOCH_DAY),
                );
                write_date(date, out);
            })
        }
        DataType::Date64 => {
            let values = array.as_primitive::<Date64Type>().clone();
            Box::new(move |row, out| {
                let date = DateTime::from_timestamp_millis(values.value(row)).map(|d| d.date_naive());
                write_date(date, out);
            })
        }
        DataType::Time32(TimeUnit::Second) => time_of_day(array, |a, row| {
            let s = a.as_primitive::<Time32SecondType>().value(row);
            NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(s).ok()?, 0)
        }),
        DataType::Time32(TimeUnit::Millisecond) => time_of_day(array, |a, row| {
            let ms = u32::try_from(a.as_primitive::<Time32MillisecondType>().value(row)).ok()?;
            NaiveTime::from_num_seconds_from_midnight_opt(ms / 1000, (ms % 1000) * 1_000_000)
        }),
        DataType::Time64(TimeUnit::Microsecond) => time_of_day(array, |a, row| {
            let us = u64::try_from(a.as_primitive::<Time64MicrosecondType>().value(row)).ok()?;
            let secs = u32::try_from(us / 1_000_000).ok()?;
            let nanos = u32::try_from(us % 1_000_000).ok()? * 1000;
            NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
        }),
        DataType::Time64(TimeUnit::Nanosecond) => time_of_day(array, |a, row| {
            let ns = u64::try_from(a.as_primitive::<Time64NanosecondType>().value(row)).ok()?;
            let secs = u32::try_from(ns / 1_000_000_000).ok()?;
            let nanos = u32::try_from(ns % 1_000_000_000).ok()?;
            NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
        }),
        DataType::Timestamp(unit, zone) => {
            let zone = zone.as_deref();
            match unit {
                TimeUnit::Second => timestamp::<TimestampSecondType>(array, zone, path, |v| {
                    DateTime::from_timestamp(v, 0)
                })?,
                TimeUnit::Millisecond => {
                    timestamp::<TimestampMillisecondType>(array, zone, path, DateTime::from_timestamp_millis)?
                }
                TimeUnit::Microsecond => {
                    timestamp::<TimestampMicrosecondType>(array, zone, path, DateTime::from_timestamp_micros)?
                }
                TimeUnit::Nanosecond => timestamp::<TimestampNanosecondType>(array, zone, path, |v| {
                    Some(DateTime::from_timestamp_nanos(v))
                })?,
            }
        }
        DataType::Duration(TimeUnit::Second) => duration::<DurationSecondType>(array, 1, "s"),
        DataType::Duration(TimeUnit::Millisecond) => {
            duration::<DurationMillisecondType>(array, 1000, "ms")
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            duration::<DurationMicrosecondType>(array, 1_000_000, "us")
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            duration::<DurationNanosecondType>(array, 1_000_000_000, "ns")
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>().clone();
            let items = writer(list.values(), &format!("{path}[]"))?;
            Box::new(move |row, out| {
                let offsets = list.value_offsets();
                let (Some(&start), Some(&end)) = (offsets.get(row), offsets.get(row + 1)) else {
                    return;
                };
                write_items(&items, start as usize..end as usize, out);
            })
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>().clone();
            let items = writer(list.values(), &format!("{path}[]"))?;
            Box::new(move |row, out| {
                let offsets = list.value_offsets();
                let (Some(&start), Some(&end)) = (offsets.get(row), offsets.get(row + 1)) else {
                    return;
                };
                write_items(&items, start as usize..end as usize, out);
            })
        }
        DataType::FixedSizeList(_, _) => {
            let list = array.as_fixed_size_list().clone();
            let items = writer(list.values(), &format!("{path}[]"))?;
            Box::new(move |row, out| {
                let start = list.value_offset_at(row);
                let end = start + list.value_length() as usize;
                write_items(&items, start..end, out);
            })
        }
        DataType::Struct(fields) => {
            let record = array.as_struct().clone();
            let mut children = Vec::new();
            for (field, child) in fields.iter().zip(record.columns()) {
                let w = writer(child, &format!("{path}.{}", field.name()))?;
                if !w.all_null {
                    let mut key = json_string(field.name());
                    key.push(b':');
                    children.push((key, w));
                }
            }
            Box::new(move |row, out| write_object(&children, row, out))
        }
        DataType::Map(_, _) => {
            let map = array.as_map().clone();
            let keys = writer(map.keys(), &format!("{path}.key"))?;
            let values = writer(map.values(), &format!("{path}.value"))?;
            Box::new(move |row, out| {
                let offsets = map.value_offsets();
                let (Some(&start), Some(&end)) = (offsets.get(row), offsets.get(row + 1)) else {
                    return;
                };
                out.push(b'{');
                let mut key = Vec::new();
                for (n, entry) in (start as usize..end as usize).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    key.clear();
                    keys.write_or_null(entry, &mut key);
                    if key.first() == Some(&b'"') {
                        out.extend_from_slice(&key);
                    } else {
                        write_json_string(&String::from_utf8_lossy(&key), out);
                    }
                    out.push(b':');
                    values.write_or_null(entry, out);
                }
                out.push(b'}');
            })
        }
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let keys = dictionary_keys(dictionary.keys());
            let values = writer(dictionary.values(), path)?;
            let len = dictionary.values().len();
            Box::new(move |row, out| match keys.get(row).copied().flatten() {
                Some(key) if key < len => values.write_or_null(key, out),
                _ => out.extend_from_slice(b"null"),
            })
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            return Err(unreadable(
                path,
                ty,
                "binary data has no meaning in the schema: store text as a string column",
            ))
        }
        _ => {
            return Err(unreadable(
                path,
                ty,
                "this Arrow type is not read: use booleans, integers, decimals, strings, dates, times, timestamps, durations, lists, structs or maps",
            ))
        }
    };
    Ok(Writer {
        array: array.clone(),
        all_null: false,
        write,
    })
}

/// A dictionary's keys as indices (`None` for a null or negative key);
/// arrow's own `normalized_keys` asserts on a dictionary with no values.
fn dictionary_keys(keys: &dyn Array) -> Vec<Option<usize>> {
    fn of<T: ArrowPrimitiveType>(keys: &dyn Array) -> Vec<Option<usize>>
    where
        T::Native: TryInto<usize>,
    {
        keys.as_primitive::<T>()
            .iter()
            .map(|k| k.and_then(|k| k.try_into().ok()))
            .collect()
    }
    match keys.data_type() {
        DataType::Int8 => of::<Int8Type>(keys),
        DataType::Int16 => of::<Int16Type>(keys),
        DataType::Int32 => of::<Int32Type>(keys),
        DataType::Int64 => of::<Int64Type>(keys),
        DataType::UInt8 => of::<UInt8Type>(keys),
        DataType::UInt16 => of::<UInt16Type>(keys),
        DataType::UInt32 => of::<UInt32Type>(keys),
        DataType::UInt64 => of::<UInt64Type>(keys),
        _ => vec![None; keys.len()],
    }
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_DAY: i32 = 719_163;

fn write_date(date: Option<NaiveDate>, out: &mut Vec<u8>) {
    match date {
        Some(d) => write_json_string(&d.format("%Y-%m-%d").to_string(), out),
        None => out.extend_from_slice(b"\"(out of range)\""),
    }
}

fn write_items(items: &Writer, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (n, item) in range.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        items.write_or_null(item, out);
    }
    out.push(b']');
}

/// A shared set of column names.
pub(crate) use crate::data::Columns;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit_and_their_sign() {
        assert_eq!(decimal_text("150000", 2), "1500.00");
        assert_eq!(decimal_text("-5", 2), "-0.05");
        assert_eq!(decimal_text("0", 2), "0.00");
        assert_eq!(decimal_text("12", 0), "12");
        assert_eq!(decimal_text("12", -3), "12000");
        assert_eq!(decimal_text("-7", 1), "-0.7");
    }

    #[test]
    fn zones_by_name_offset_or_utc() {
        let at = DateTime::from_timestamp(1_681_963_200, 0).unwrap_or_default();
        let text = |z: &str| Zone::parse(z).map(|z| z.text(at));
        assert_eq!(text("UTC").as_deref(), Some("2023-04-20T04:00:00Z"));
        assert_eq!(text("+08:00").as_deref(), Some("2023-04-20T12:00:00+08:00"));
        assert_eq!(
            text("Asia/Shanghai").as_deref(),
            Some("2023-04-20T12:00:00+08:00")
        );
        assert_eq!(
            text("Europe/Moscow").as_deref(),
            Some("2023-04-20T07:00:00+03:00")
        );
        assert!(text("Mars/Olympus").is_none());
    }
}

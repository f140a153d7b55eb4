//! TOML to JSON text, keeping numbers exactly as written (never through `f64`),
//! so TOML data, parameter files and test files share the JSON decoder.

use toml_edit::{Item, Table, Value};

/// Writes a TOML table as a JSON object. `src` is the document text the table was parsed from.
pub fn table_to_json(table: &Table, src: &str) -> Result<String, String> {
    let mut out = String::new();
    write_table(table.iter(), src, &mut out)?;
    Ok(out)
}

/// Writes one TOML item as JSON text.
pub fn item_to_json(item: &Item, src: &str) -> Result<String, String> {
    let mut out = String::new();
    write_item(item, src, &mut out)?;
    Ok(out)
}

fn write_table<'a>(
    entries: impl Iterator<Item = (&'a str, &'a Item)>,
    src: &str,
    out: &mut String,
) -> Result<(), String> {
    out.push('{');
    let mut first = true;
    for (key, item) in entries {
        if item.is_none() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&quote(key));
        out.push(':');
        write_item(item, src, out)?;
    }
    out.push('}');
    Ok(())
}

fn write_item(item: &Item, src: &str, out: &mut String) -> Result<(), String> {
    match item {
        Item::None => out.push_str("null"),
        Item::Value(v) => write_value(v, src, out)?,
        Item::Table(t) => write_table(t.iter(), src, out)?,
        Item::ArrayOfTables(a) => {
            out.push('[');
            for (i, t) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_table(t.iter(), src, out)?;
            }
            out.push(']');
        }
    }
    Ok(())
}

fn write_value(v: &Value, src: &str, out: &mut String) -> Result<(), String> {
    match v {
        Value::String(s) => out.push_str(&quote(s.value())),
        Value::Integer(i) => out.push_str(&i.value().to_string()),
        Value::Float(f) => {
            // The number as written, so `5230.40` stays exactly 5230.40.
            let raw = v
                .span()
                .and_then(|s| src.get(s))
                .map(|t| t.trim().replace('_', ""))
                .or_else(|| {
                    f.as_repr()
                        .and_then(|r| r.as_raw().as_str())
                        .map(|t| t.trim().replace('_', ""))
                })
                .ok_or_else(|| "a float whose text is unknown".to_string())?;
            if raw.contains("inf") || raw.contains("nan") {
                return Err(format!("`{raw}` is not a number"));
            }
            let raw = raw.strip_prefix('+').unwrap_or(&raw).to_string();
            out.push_str(&raw);
        }
        Value::Boolean(b) => out.push_str(if *b.value() { "true" } else { "false" }),
        Value::Datetime(d) => out.push_str(&quote(&d.value().to_string())),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, src, out)?;
            }
            out.push(']');
        }
        Value::InlineTable(t) => {
            out.push('{');
            for (i, (k, item)) in t.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                write_value(item, src, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_their_written_digits() {
        let src = "a = 5230.40\nb = { c = 0.1, d = [1, 2.50] }\nt = 2023-03-01T09:30:00+08:00\n";
        let doc = toml_edit::ImDocument::parse(src).unwrap();
        let json = table_to_json(doc.as_table(), src).unwrap();
        assert_eq!(
            json,
            r#"{"a":5230.40,"b":{"c":0.1,"d":[1,2.50]},"t":"2023-03-01T09:30:00+08:00"}"#
        );
    }
}

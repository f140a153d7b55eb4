//! Decoding records against a schema.

use guifan_syntax::{parse, SourceId};

use crate::{check, decode_subject, Program, Value};

fn program() -> Program {
    let src = r#"
        platform douyin { currency CNY }
        kind merchant {
          platform: string
          currency: string?
          listings_online: int
          deposit: { balance: money, required: money }
          tags: [string]
          note: string?
        }
    "#;
    check(&[parse(SourceId(0), src).unwrap()]).unwrap()
}

/// The fields of `record`, decoded against the schema `src`, as text.
fn shown_fields(src: &str, record: &[u8]) -> Vec<String> {
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let s = decode_subject(&q.schema, record).unwrap();
    s.fields.iter().map(|v| v.to_string()).collect()
}

#[test]
fn decodes_in_any_key_order() {
    let p = program();
    let s = decode_subject(
        &p.schema,
        br#"{"listings_online":3,"id":"m","deposit":{"balance":"-5.00","required":2000},"kind":"merchant","platform":"douyin","tags":[]}"#,
    )
    .unwrap();
    assert_eq!(&*s.id, "m");
    let Value::Record(deposit) = &s.fields[5] else {
        panic!("{:?}", s.fields)
    };
    assert_eq!(deposit[0].to_string(), "-5.00 CNY");
    assert_eq!(deposit[1].to_string(), "2000.00 CNY");
}

#[test]
fn json_numbers_never_pass_through_floats() {
    let p = program();
    let s = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","currency":"RUB","listings_online":1,"deposit":{"balance":0.1,"required":1e3},"tags":[]}"#,
    )
    .unwrap();
    let Value::Record(deposit) = &s.fields[5] else {
        panic!()
    };
    assert_eq!(deposit[0].to_string(), "0.10 RUB");
    assert_eq!(deposit[1].to_string(), "1000.00 RUB");
    let s = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":123456789012345.987654321,"required":0},"tags":[]}"#,
    )
    .unwrap();
    let Value::Record(deposit) = &s.fields[5] else {
        panic!()
    };
    assert_eq!(deposit[0].to_string(), "123456789012345.987654321 CNY");
    // More digits than exact arithmetic holds: refused, never rounded silently.
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":0.1000000000000000055511151231257827,"required":0},"tags":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "deposit.balance");
    assert!(
        e.message
            .contains("has more digits than exact arithmetic holds"),
        "{e}"
    );
    // Negative too.
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":-0.1000000000000000055511151231257827,"required":0},"tags":[]}"#,
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("has more digits than exact arithmetic holds"),
        "{e}"
    );
}

#[test]
fn errors_name_the_field_path() {
    let p = program();
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"abc","required":"1"},"tags":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "deposit.balance");
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":"many","deposit":{"balance":"1","required":"1"},"tags":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "listings_online");
    assert!(e.message.contains("expected an int"), "{e}");
    // Where in the text: serde's line and column.
    assert_eq!((e.line, e.column), (Some(1), Some(72)));
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":5,"listings_online":1,"deposit":{"balance":"1","required":"1"},"tags":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "platform");
    assert!(e.message.contains("expected a string"), "{e}");
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"tags":[1]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "tags[0]");
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"tags":"a"}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "tags");
    assert!(e.message.contains("a list"), "{e}");
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"tags":[]}"#,
    )
    .unwrap_err();
    assert!(e.message.contains("missing field `deposit`"), "{e}");
    let e = decode_subject(&p.schema, br#"{"kind":"shopper","id":"m"}"#).unwrap_err();
    assert!(e.message.contains("unknown kind `shopper`"), "{e}");
    assert!(decode_subject(&p.schema, b"{not json").is_err());
}

#[test]
fn a_repeated_key_is_an_error_naming_it() {
    let p = program();
    let base = r#""kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1","required":"2"},"tags":[]"#;
    let cases = [
        (format!(r#"{{{base},"listings_online":2}}"#), "listings_online"),
        (format!(r#"{{{base},"currency":"CNY","currency":"RUB"}}"#), "currency"),
        (format!(r#"{{"note":"a",{base},"note":"b"}}"#), "note"),
        (format!(r#"{{"note":"a","note":"b",{base}}}"#), "note"),
        (format!(r#"{{{base},"kind":"merchant"}}"#), "kind"),
        (format!(r#"{{{base},"extra":1,"extra":2}}"#), "extra"),
        (
            r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1","balance":"3","required":"2"},"tags":[]}"#.to_string(),
            "balance",
        ),
    ];
    for (json, key) in cases {
        let err = decode_subject(&p.schema, json.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains(&format!("duplicate key `{key}`")),
            "{json}: {err}"
        );
    }
}

#[test]
fn numbers_dates_and_percentages_are_read_strictly() {
    use crate::decode_value;
    use crate::types::Type;
    let p = program();
    let money = Type::Money(crate::value::Currency::parse("CNY"));
    for bad in [
        r#""3_000.00""#,
        r#""+5""#,
        r#"" 5""#,
        r#""5.""#,
        r#""1e3""#,
        r#"".5""#,
    ] {
        assert!(decode_value(&p.schema, &money, bad).is_err(), "{bad}");
    }
    for good in [r#""3000.00""#, "3000.00", "1e3", r#""-0.01""#] {
        assert!(decode_value(&p.schema, &money, good).is_ok(), "{good}");
    }
    for bad in [r#""2023-4-1""#, r#""2023-04-1""#, r#""23-04-01""#] {
        assert!(decode_value(&p.schema, &Type::Date, bad).is_err(), "{bad}");
    }
    assert!(decode_value(&p.schema, &Type::Timestamp, r#""2023-4-1T00:00+08:00""#).is_err());
    assert!(decode_value(&p.schema, &Type::Timestamp, r#""2023-04-01T00:00+08:00""#).is_ok());
    // `50` could mean 50% or 5000%: a percentage carries its sign.
    for bad in ["50", "0.5", r#""50""#, "\"50 %\""] {
        let err = decode_value(&p.schema, &Type::Percent, bad).unwrap_err();
        assert!(err.to_string().contains("percent sign"), "{bad}: {err}");
    }
    assert_eq!(
        decode_value(&p.schema, &Type::Percent, r#""12.5%""#).unwrap(),
        Value::Percent(rust_decimal::Decimal::new(125, 3))
    );
}

#[test]
fn the_kind_is_glanced_at_whatever_the_layout() {
    let p = program();
    let merchant = p.schema.kind("merchant");
    assert!(merchant.is_some());
    for json in [
        r#"{"kind":"merchant","id":"m"}"#,
        r#"  { "kind" : "merchant", "id": "m"}"#,
        r#"{"id":"m","nested":{"kind":"other"},"kind":"merchant"}"#,
        r#"{"kind":"merch\u0061nt"}"#,
    ] {
        assert_eq!(
            crate::peek_kind(&p.schema, json.as_bytes()),
            merchant,
            "{json}"
        );
    }
    assert_eq!(crate::peek_kind(&p.schema, br#"{"kind":"nope"}"#), None);
    assert_eq!(crate::peek_kind(&p.schema, b"not json"), None);
}

#[test]
fn seen_keys_count_past_128_fields() {
    let mut seen = super::SeenKeys::default();
    for slot in [0, 63, 64, 127, 128, 300] {
        assert!(seen.slot(slot), "{slot} first time");
        assert!(!seen.slot(slot), "{slot} again");
    }
    assert!(seen.other("x") && !seen.other("x"));
    // Slots past 128 that share a bit position are still distinct.
    let mut seen = super::SeenKeys::default();
    for slot in [130, 194, 258, 322] {
        assert!(seen.slot(slot), "{slot} first time");
    }
}

#[test]
fn ids_and_strings_past_their_limits_are_refused_with_a_clear_error() {
    let p = program();
    let record = |id: &str, note: &str| {
        format!(
            r#"{{"kind":"merchant","id":"{id}","platform":"douyin","listings_online":1,"deposit":{{"balance":"0","required":"0"}},"tags":[],"note":"{note}"}}"#
        )
    };
    let at_limit = "i".repeat(crate::MAX_ID_BYTES);
    assert!(decode_subject(&p.schema, record(&at_limit, "").as_bytes()).is_ok());
    let long_id = "i".repeat(crate::MAX_ID_BYTES + 1);
    let err = decode_subject(&p.schema, record(&long_id, "").as_bytes()).unwrap_err();
    assert!(
        err.message
            .contains("`id` is 1025 bytes; an id is at most 1024 bytes"),
        "{err:?}"
    );
    let note = "n".repeat(crate::MAX_STRING_BYTES);
    assert!(decode_subject(&p.schema, record("m", &note).as_bytes()).is_ok());
    // The detailed decoder draws the line at the same byte as the fast path.
    assert!(crate::decode_subject_detailed(&p.schema, record("m", &note).as_bytes()).is_ok());
    let long_note = "n".repeat(crate::MAX_STRING_BYTES + 1);
    assert!(crate::decode_subject_detailed(&p.schema, record("m", &long_note).as_bytes()).is_err());
    let err = decode_subject(&p.schema, record("m", &long_note).as_bytes()).unwrap_err();
    assert_eq!(err.path, "note");
    assert!(
        err.message.contains("strings are at most 1048576 bytes"),
        "{err:?}"
    );
}

#[test]
fn nesting_past_the_limit_is_refused_in_undeclared_fields_too() {
    let p = program();
    let record = |extra: &str| {
        format!(
            r#"{{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{{"balance":"0","required":"0"}},"tags":[],"extra":{extra}}}"#
        )
    };
    let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(decode_subject(&p.schema, record(&shallow).as_bytes()).is_ok());
    for deep in [
        format!("{}{}", "[".repeat(200), "]".repeat(200)),
        format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200)),
    ] {
        let err = decode_subject(&p.schema, record(&deep).as_bytes()).unwrap_err();
        assert!(err.message.contains("recursion limit exceeded"), "{err:?}");
    }
}

#[test]
fn text_that_is_not_json_is_said_in_words() {
    let p = program();
    for (text, words) in [
        ("not json", "not JSON: a JSON value (an object in braces"),
        (
            "{\"kind\":\"merchant\",\"id\":\"x\"",
            "not JSON: the text ends inside an object: a `}` is missing",
        ),
        (
            "{kind: 1}",
            "not JSON: a field name must be in double quotes (column 2)",
        ),
        ("{\"id\": \"x", "not JSON: the text ends inside a string"),
        (
            "{\"tags\": [\"x\"",
            "not JSON: the text ends inside a list: a `]` is missing",
        ),
    ] {
        let err = decode_subject(&p.schema, text.as_bytes()).unwrap_err();
        assert!(err.message.starts_with(words), "{text}: {}", err.message);
    }
    // JSON, but not an object: what a record is, said.
    for text in ["[1]", "5", "\"x\""] {
        let err = decode_subject(&p.schema, text.as_bytes()).unwrap_err();
        assert!(
            err.message
                .contains("a JSON object with \"kind\" and \"id\""),
            "{text}: {}",
            err.message
        );
    }
}

#[test]
fn every_bad_field_of_a_record_is_named() {
    let p = program();
    let record = br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":"many","deposit":{"balance":"0.00","required":"lots"},"tags":["a",2]}"#;
    let err = decode_subject(&p.schema, record).unwrap_err();
    let mut paths = vec![err.path.clone()];
    paths.extend(err.also.iter().map(|e| e.path.clone()));
    paths.sort();
    assert_eq!(
        paths,
        ["deposit.required", "listings_online", "tags[1]"],
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("; at `deposit.required`: invalid amount \"lots\""),
        "{err}"
    );
    // A good record has none; a bad one alone has no others.
    let one = br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":"many"}"#;
    assert!(decode_subject(&p.schema, one).unwrap_err().also.is_empty());
    // At most MAX_FIELD_ERRORS in all, however many fields are bad.
    let fields: String = (0..30).map(|i| format!("f{i}: int, ")).collect();
    let src = format!("kind wide {{ {fields} }}");
    let q = check(&[parse(SourceId(0), &src).unwrap()]).unwrap();
    let bad: String = (0..30).map(|i| format!(r#","f{i}":"x""#)).collect();
    let record = format!(r#"{{"kind":"wide","id":"w"{bad}}}"#);
    let err = decode_subject(&q.schema, record.as_bytes()).unwrap_err();
    assert_eq!(1 + err.also.len(), crate::decode::MAX_FIELD_ERRORS);
}

#[test]
fn a_record_that_is_not_utf8_names_its_line() {
    let p = program();
    let first = decode_subject(&p.schema, b"{\"kind\":\"merch\xffant\"}").unwrap_err();
    assert_eq!(first.line, Some(1), "{first}");
    let third = decode_subject(&p.schema, b"{\n\"kind\":\n\"merch\xffant\"}").unwrap_err();
    assert_eq!(third.line, Some(3), "{third}");
    assert!(third
        .message
        .starts_with("not UTF-8 text (invalid byte at offset 16)"));
}

/// Records decoded one after another on one thread, each decided one handed
/// back to the pool (`crate::recycle`): every record decodes exactly as it
/// would on its own, with nothing left over from the arrays it reuses (a
/// field the last record had and this one lacks is absent; a shorter list is
/// shorter).
#[test]
fn records_decoded_into_recycled_arrays_are_the_records_themselves() {
    let src = r#"
        platform douyin { currency CNY }
        kind merchant {
          platform: string
          deposit: { balance: money, note: string? }
          orders: [{ id: string, amount: money, tags: [string]? }]
          trial: { active: bool, ended_at: timestamp? }?
          note: string?
        }
    "#;
    let p = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let records: [&str; 4] = [
        r#"{"kind":"merchant","id":"a","platform":"douyin","deposit":{"balance":"1.00","note":"first"},"orders":[{"id":"o1","amount":"2.00","tags":["x","y"]},{"id":"o2","amount":"3.00"}],"trial":{"active":true,"ended_at":"2023-01-01T00:00:00+08:00"},"note":"a long note, longer than twenty-three bytes"}"#,
        r#"{"kind":"merchant","id":"b","platform":"douyin","deposit":{"balance":"4.00"},"orders":[{"id":"o3","amount":"5.00"}]}"#,
        r#"{"kind":"merchant","id":"c","platform":"douyin","deposit":{"balance":"6.00"},"orders":[],"trial":{"active":false}}"#,
        r#"{"kind":"merchant","id":"d","platform":"douyin","deposit":{"balance":"7.00","note":"n"},"orders":[{"id":"o4","amount":"8.00","tags":["z"]},{"id":"o5","amount":"9.00","tags":[]},{"id":"o6","amount":"1.00"}]}"#,
    ];
    for _ in 0..3 {
        for record in records {
            let alone = super::decode_text(&p.schema, record).unwrap();
            let fast = super::fast::decode(&p.schema, record).expect("the fast path reads it");
            assert_eq!(fast, alone, "{record}");
            crate::recycle(fast);
        }
    }
}

/// An amount written with JSON escapes (`"\u0035.00"` is `"5.00"`) is the
/// same amount; one whose escapes spell no decimal is refused.
#[test]
fn an_amount_spelt_with_escapes_is_read_as_its_text() {
    let p = program();
    let s = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"\u0035.00","required":"2000\u002e50"},"tags":[]}"#,
    )
    .unwrap();
    let Value::Record(deposit) = &s.fields[5] else {
        panic!("{:?}", s.fields)
    };
    assert_eq!(deposit[0].to_string(), "5.00 CNY");
    assert_eq!(deposit[1].to_string(), "2000.50 CNY");
    assert!(decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"\u0035x","required":"1"},"tags":[]}"#,
    )
    .is_err());
}

/// The fast path reads the usual forms itself, to the same subject as the
/// detailed decoder: counts of one digit and zero, the 59th second, fields
/// after `kind` in any order (a survivor of the mutation run: declining `0`,
/// which the detailed decoder then read right, went unnoticed).
#[test]
fn the_fast_path_reads_the_usual_forms_itself() {
    let src = r#"
        platform douyin { currency CNY }
        kind merchant {
          platform: string
          listings_online: int
          at: timestamp
          deposit: { balance: money }
          prices: map<string, int>?
        }
    "#;
    let p = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    for record in [
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":0,"at":"2023-03-01T10:00:59+08:00","deposit":{"balance":"0.00"}}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":7,"at":"2023-03-01T23:59:59Z","deposit":{"balance":"1"}}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":101,"at":"2023-03-01T23:59:59Z","deposit":{"balance":"1"}}"#,
        // White space anywhere JSON allows it.
        "{ \"kind\" : \"merchant\" ,\n\t\"id\":\"m\", \"platform\":\"douyin\",\r\n \"listings_online\": 3 , \"at\": \"2023-03-01T23:59:59Z\", \"deposit\": { \"balance\" : \"1\" } }",
        // A map, its keys sorted.
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"at":"2023-03-01T23:59:59Z","deposit":{"balance":"1"},"prices":{"b":2,"a":1,"c":3}}"#,
        // Amounts as JSON numbers.
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":7,"at":"2023-03-01T23:59:59Z","deposit":{"balance":-2.75}}"#,
        // A leap second: handed to the general parser, as the detailed decoder reads it.
        r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":7,"at":"2016-12-31T23:59:60Z","deposit":{"balance":"1"}}"#,
        r#"{"kind":"merchant","id":"m","deposit":{"balance":"-2.50"},"at":"2023-03-01T00:00:00+08:00","listings_online":-3,"platform":"douyin"}"#,
    ] {
        let fast = super::fast::decode(&p.schema, record);
        let detailed = crate::decode_subject_detailed(&p.schema, record.as_bytes()).expect("decodes");
        assert_eq!(fast.as_ref(), Some(&detailed), "{record}");
    }
    // Each path alone, as the differential tests and fuzzing call them.
    let record = r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":7,"at":"2023-03-01T23:59:59Z","deposit":{"balance":"1"}}"#;
    let fast = crate::decode_subject_fast(&p.schema, record.as_bytes());
    let detailed = crate::decode_subject_detailed(&p.schema, record.as_bytes()).ok();
    assert!(fast.is_some());
    assert_eq!(fast, detailed);
    assert_eq!(
        crate::decode_subject_fast(&p.schema, b"{\"kind\":\"nobody\"}"),
        None
    );
    // A timestamp whose date and time are not joined by `T` is refused.
    let record = r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"at":"2023-03-01x10:00:00Z","deposit":{"balance":"1"}}"#;
    assert!(decode_subject(&p.schema, record.as_bytes()).is_err());
    // Optional values, present and null, through the detailed decoder alone.
    let src = r#"platform douyin { currency CNY }
        kind merchant { platform: string, note: string?, at: timestamp?, deposit: { balance: money }? }"#;
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record = r#"{"kind":"merchant","id":"m","platform":"douyin","note":"n","at":null,"deposit":{"balance":"1"}}"#;
    let detailed = crate::decode_subject_detailed(&q.schema, record.as_bytes());
    assert_eq!(
        detailed.as_ref().ok(),
        decode_subject(&q.schema, record.as_bytes()).as_ref().ok()
    );
    assert!(detailed.is_ok(), "{detailed:?}");
    // A leading zero is declined, and refused by the detailed decoder.
    let record = r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":07,"at":"2023-03-01T10:00:00Z","deposit":{"balance":"1"}}"#;
    assert_eq!(super::fast::decode(&p.schema, record), None);
    assert!(decode_subject(&p.schema, record.as_bytes()).is_err());
}

#[test]
fn optional_items_and_map_values_may_be_null() {
    let src = r#"platform douyin { currency CNY }
        kind merchant { platform: string, notes: [string?], scores: map<string, int?> }"#;
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record = r#"{"kind":"merchant","id":"m","platform":"douyin","notes":["a",null],"scores":{"x":null,"y":2}}"#;
    let detailed = crate::decode_subject_detailed(&q.schema, record.as_bytes());
    let general = decode_subject(&q.schema, record.as_bytes());
    assert!(detailed.is_ok(), "{detailed:?}");
    assert_eq!(detailed.as_ref().ok(), general.as_ref().ok());
    let fast = crate::decode_subject_fast(&q.schema, record.as_bytes());
    assert_eq!(fast.as_ref(), detailed.as_ref().ok());
    // A null where the item or value is not optional is still refused.
    let strict = check(&[parse(SourceId(0), &src.replace('?', "")).unwrap()]).unwrap();
    let refused = decode_subject(&strict.schema, record.as_bytes()).unwrap_err();
    assert_eq!(refused.path, "notes[1]");
    assert_eq!(refused.also[0].path, "scores.x");
    let subject = detailed.unwrap();
    let shown = format!("{:?}", subject);
    assert!(shown.contains("Absent"), "{shown}");
    assert!(shown.contains("Int(2)"), "{shown}");
}

/// Strings spelt with escapes are read as their text (serde hands them over
/// as owned strings, not borrowed from the input).
#[test]
fn strings_spelt_with_escapes_are_read_as_their_text() {
    let p = program();
    let s = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"dou\u0079in","listings_online":1,"deposit":{"balance":"1","required":"2"},"tags":["a\"b","\u4e2d"],"note":"x\ny"}"#,
    )
    .unwrap();
    let shown = format!("{:?}", s.fields);
    for text in [r#""douyin""#, r#""a\"b""#, r#""中""#, r#""x\ny""#] {
        assert!(shown.contains(text), "{text} in {shown}");
    }
}

/// What the fast path must not take for JSON: a key without its opening
/// quote, an offset of 60 minutes; the detailed decoder refuses both.
#[test]
fn near_misses_of_the_usual_forms_are_refused() {
    let src = "platform douyin { currency CNY } kind merchant { platform: string, at: timestamp }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let decode = |record: &str| decode_subject(&q.schema, record.as_bytes());
    // An offset of minus zero is read as the general parser reads it.
    let minus_zero =
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03-01T10:00:00-00:00"}"#;
    assert_eq!(
        crate::decode_subject_fast(&q.schema, minus_zero.as_bytes()),
        crate::decode_subject_detailed(&q.schema, minus_zero.as_bytes()).ok()
    );
    // The usual forms, read by the fast path itself, to the same instants.
    for at in [
        "2023-03-01T10:00:00+05:59",
        "2023-12-31T23:59:58Z",
        "1999-01-02T03:04:05-03:30",
        "2023-03-01T10:00:00+08:00",
        "2023-03-01T10:00:00-08:00",
        "2023-03-01T10:00:59Z",
    ] {
        let record = format!(r#"{{"kind":"merchant","id":"m","platform":"douyin","at":"{at}"}}"#);
        let fast = crate::decode_subject_fast(&q.schema, record.as_bytes());
        let instant = guifan_syntax::literal::timestamp(at).expect("an instant");
        assert!(
            format!("{fast:?}").contains(&format!("Timestamp({instant:?})")),
            "{fast:?}"
        );
        assert_eq!(
            fast,
            crate::decode_subject_detailed(&q.schema, record.as_bytes()).ok()
        );
    }
    for record in [
        r#"{"kind":"merchant","id":"m",platform":"douyin","at":"2023-03-01T10:00:00Z"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin",xat":"2023-03-01T10:00:00Z"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03-01T10:00:00+05:60"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03-01T10:00:00+05x30"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03-01T10x00:00Z"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023x03-01T10:00:00Z"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03-01T10:00x00Z"}"#,
        r#"{"kind":"merchant","id":"m","platform":"douyin","at":"2023-03x01T10:00:00Z"}"#,
        r#"{"kind":"merchant","id":"m","platformx:"douyin","at":"2023-03-01T10:00:00Z"}"#,
    ] {
        assert!(decode(record).is_err(), "{record}");
        assert_eq!(
            crate::decode_subject_fast(&q.schema, record.as_bytes()),
            None,
            "{record}"
        );
    }
}

/// A record whose money is all absent needs no currency: it decodes without
/// one (the record's currency is asked for only when money was read).
#[test]
fn a_record_without_money_needs_no_currency() {
    let src =
        "platform shop { zone UTC } kind k { platform: string, currency: string?, amount: money? }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let none = decode_subject(&q.schema, br#"{"kind":"k","id":"a","platform":"shop"}"#);
    assert!(none.is_ok(), "{none:?}");
    let some = decode_subject(
        &q.schema,
        br#"{"kind":"k","id":"a","platform":"shop","amount":"1"}"#,
    );
    assert!(some
        .unwrap_err()
        .message
        .contains("cannot tell the currency"));
}

/// A JSON number amount with a leading zero is refused, by the fast path
/// as by the detailed decoder; a lone zero before the point is read.
#[test]
fn an_amount_with_a_leading_zero_is_refused() {
    let src = "platform douyin { currency CNY } kind merchant { platform: string, amount: money }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record = |amount: &str| {
        format!(r#"{{"kind":"merchant","id":"m","platform":"douyin","amount":{amount}}}"#)
    };
    for bad in ["07.5", "00", "-07"] {
        let text = record(bad);
        assert!(decode_subject(&q.schema, text.as_bytes()).is_err(), "{bad}");
        assert_eq!(
            crate::decode_subject_fast(&q.schema, text.as_bytes()),
            None,
            "{bad}"
        );
    }
    for good in ["0.5", "0", "7.5", "-0.5"] {
        let text = record(good);
        let fast = crate::decode_subject_fast(&q.schema, text.as_bytes());
        assert!(fast.is_some(), "{good}");
        assert_eq!(
            fast,
            decode_subject(&q.schema, text.as_bytes()).ok(),
            "{good}"
        );
    }
}

/// Lists of lists, read by the fast path, are the detailed decoder's: each
/// inner list holds its own items only.
#[test]
fn lists_of_lists_hold_their_own_items() {
    let src = "platform douyin { currency CNY } kind merchant { platform: string, grid: [[int]] }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record =
        br#"{"kind":"merchant","id":"m","platform":"douyin","grid":[[1,2],[3],[],[4,5,6]]}"#;
    let fast = crate::decode_subject_fast(&q.schema, record);
    assert!(fast.is_some());
    assert_eq!(fast, crate::decode_subject_detailed(&q.schema, record).ok());
    assert!(format!("{fast:?}").contains("List([Int(3)])"), "{fast:?}");
}

/// A variant's fields are required when the record is of that variant, and
/// only then; missing, the message names the condition.
#[test]
fn a_variants_fields_are_required_only_in_it() {
    let src = r#"platform douyin { currency CNY }
        kind shop { platform: string, when platform == "douyin" { rating: int } }"#;
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let decode = |record: &str| decode_subject(&q.schema, record.as_bytes());
    assert!(decode(r#"{"kind":"shop","id":"a","platform":"kuaishou"}"#).is_ok());
    assert!(decode(r#"{"kind":"shop","id":"a","platform":"douyin","rating":3}"#).is_ok());
    let missing = decode(r#"{"kind":"shop","id":"a","platform":"douyin"}"#).unwrap_err();
    assert!(
        missing
            .message
            .contains(r#"missing field `rating` (required when `platform` is "douyin")"#),
        "{missing}"
    );
}

/// Durations, periods and times of day, read by both decoders alike.
#[test]
fn durations_periods_and_times_are_read() {
    let src = "platform douyin { currency CNY } kind merchant { platform: string, wait: duration, ban: duration, term: period, opens: time }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record = br#"{"kind":"merchant","id":"m","platform":"douyin","wait":"72h","ban":"permanent","term":"1y","opens":"10:30"}"#;
    let shown = shown_fields(src, record);
    for text in ["3d", "permanent", "1y", "10:30"] {
        assert!(shown.iter().any(|s| s == text), "{text} in {shown:?}");
    }
    // A time with seconds shows them.
    let seconds = br#"{"kind":"merchant","id":"m","platform":"douyin","wait":"1h","ban":"1h","term":"6mo","opens":"10:30:15"}"#;
    let s = decode_subject(&q.schema, seconds).unwrap();
    assert!(
        s.fields.iter().any(|v| v.to_string() == "10:30:15"),
        "{:?}",
        s.fields
    );
    assert_eq!(
        crate::decode_subject_fast(&q.schema, record),
        crate::decode_subject_detailed(&q.schema, record).ok()
    );
    let bad = br#"{"kind":"merchant","id":"m","platform":"douyin","wait":"3 days","ban":"1h","term":"1y","opens":"10:30"}"#;
    assert!(decode_subject(&q.schema, bad)
        .unwrap_err()
        .message
        .contains("invalid duration"));
}

/// Money takes its record's currency from the record's own platform, not
/// from another string that happens to name a platform.
#[test]
fn money_takes_the_currency_of_the_records_platform() {
    let src = "platform douyin { currency CNY } platform wb { currency RUB }
        kind shop { platform: string, note: string, amount: money }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    for record in [
        r#"{"kind":"shop","id":"a","platform":"douyin","note":"wb","amount":"1"}"#,
        r#"{"kind":"shop","id":"a","note":"wb","platform":"douyin","amount":"1"}"#,
        r#"{"kind":"shop","id":"a","amount":"1","note":"wb","platform":"douyin"}"#,
    ] {
        let s = decode_subject(&q.schema, record.as_bytes()).unwrap();
        let shown: Vec<String> = s.fields.iter().map(|v| v.to_string()).collect();
        assert!(
            shown.contains(&"1.00 CNY".to_string()),
            "{record}: {shown:?}"
        );
        let detailed = crate::decode_subject_detailed(&q.schema, record.as_bytes());
        assert_eq!(detailed.ok().as_ref(), Some(&s), "{record}");
    }
}

/// Money in a map's values, read before the record's currency, is given it.
#[test]
fn money_in_maps_takes_the_records_currency() {
    let shown = shown_fields(
        "kind shop { currency: string, prices: map<string, money>, tiers: [money] }",
        br#"{"kind":"shop","id":"a","prices":{"x":"1"},"tiers":["2"],"currency":"RUB"}"#,
    );
    assert!(shown.contains(&"{x: 1.00 RUB}".to_string()), "{shown:?}");
    assert!(shown.contains(&"2.00 RUB".to_string()), "{shown:?}");
}

/// A string of exactly the limit is read by the fast path itself; one byte
/// more is left to the detailed decoder, which refuses it.
#[test]
fn a_string_at_its_limit_is_read_by_the_fast_path() {
    let src = "platform douyin { currency CNY } kind merchant { platform: string, note: string }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let record = |n: usize| {
        format!(
            r#"{{"kind":"merchant","id":"m","platform":"douyin","note":"{}"}}"#,
            "x".repeat(n)
        )
    };
    let at = record(crate::decode::MAX_STRING_BYTES);
    assert!(crate::decode_subject_fast(&q.schema, at.as_bytes()).is_some());
    let over = record(crate::decode::MAX_STRING_BYTES + 1);
    assert_eq!(crate::decode_subject_fast(&q.schema, over.as_bytes()), None);
    assert!(decode_subject(&q.schema, over.as_bytes()).is_err());
}

/// A map or a record given something else than an object says what it wanted.
#[test]
fn a_map_given_a_list_says_it_wanted_an_object() {
    let p = program();
    let e = decode_subject(
        &p.schema,
        br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":[1],"tags":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "deposit");
    assert!(e.message.contains("an object"), "{e}");
    let src = "kind shop { prices: map<string, int> }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let e = decode_subject(&q.schema, br#"{"kind":"shop","id":"a","prices":[1]}"#).unwrap_err();
    assert_eq!(e.path, "prices");
    assert!(e.message.contains("an object"), "{e}");
}

/// Money only in a list, or only in a map's values, read before the
/// record's currency, is given it.
#[test]
fn money_only_in_a_list_takes_the_records_currency() {
    let shown = shown_fields(
        "kind shop { currency: string, tiers: [money] }",
        br#"{"kind":"shop","id":"a","tiers":["2"],"currency":"RUB"}"#,
    );
    assert!(shown.contains(&"2.00 RUB".to_string()), "{shown:?}");
    let shown = shown_fields(
        "kind shop { currency: string, prices: map<string, money> }",
        br#"{"kind":"shop","id":"a","prices":{"x":"3"},"currency":"RUB"}"#,
    );
    assert!(shown.contains(&"{x: 3.00 RUB}".to_string()), "{shown:?}");
}

/// Money read after the platform and before the record's own currency is
/// in the record's currency, not the platform's default.
#[test]
fn the_records_currency_wins_over_its_platforms_default() {
    let shown = shown_fields(
        "platform douyin { currency CNY } kind shop { platform: string, currency: string, amount: money }",
        br#"{"kind":"shop","id":"a","platform":"douyin","amount":"1","currency":"RUB"}"#,
    );
    assert!(shown.contains(&"1.00 RUB".to_string()), "{shown:?}");
}

/// Only the record's `currency` field sets its currency: another string
/// that reads like a currency code does not.
#[test]
fn only_the_currency_field_sets_the_currency() {
    let shown = shown_fields(
        "kind shop { currency: string, code: string, amount: money }",
        br#"{"kind":"shop","id":"a","currency":"RUB","code":"USD","amount":"1"}"#,
    );
    assert!(shown.contains(&"1.00 RUB".to_string()), "{shown:?}");
}

/// Two fields of different fixed sets each take their own values.
#[test]
fn each_fixed_set_takes_its_own_values() {
    let src = r#"kind shop { a: "x" | "y", b: "p" | "q", c: "x" | "y" }"#;
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let ok = br#"{"kind":"shop","id":"s","a":"y","b":"p","c":"x"}"#;
    assert!(decode_subject(&q.schema, ok).is_ok());
    let bad = br#"{"kind":"shop","id":"s","a":"p","b":"p","c":"x"}"#;
    assert_eq!(decode_subject(&q.schema, bad).unwrap_err().path, "a");
}

/// A record's currency is its `currency` field's, even when none of its
/// fields is money (rules compare it with the policy's).
#[test]
fn a_records_currency_is_read_without_money() {
    let src = "kind shop { currency: string, n: int }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let s = decode_subject(
        &q.schema,
        br#"{"kind":"shop","id":"s","currency":"RUB","n":1}"#,
    )
    .unwrap();
    assert_eq!(s.currency, crate::Currency::parse("RUB"));
}

/// The record's kind is kept among its fields, by both decoders.
#[test]
fn the_kind_is_kept_among_the_fields() {
    let p = program();
    let record = br#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1","required":"2"},"tags":[]}"#;
    for s in [
        crate::decode_subject_fast(&p.schema, record),
        crate::decode_subject_detailed(&p.schema, record).ok(),
    ] {
        let s = s.expect("decodes");
        assert!(
            s.fields.iter().any(|v| v.to_string() == "merchant"),
            "{:?}",
            s.fields
        );
    }
}

/// A record whose `kind` is not first is read by the fast path too, with
/// the layout of the kind it names itself, never a nested object's.
#[test]
fn a_kind_named_last_is_read_with_its_own_layout() {
    let src = r#"
        kind a { n: int }
        kind b { n: int }
    "#;
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let a = q.schema.kind("a");
    for json in [
        r#"{"id":"1","n":2,"kind":"a"}"#,
        // A nested object names the other kind first: a wrong guess, caught.
        r#"{"x":{"kind":"b"},"id":"1","n":2,"kind":"a"}"#,
        r#"{"x":"\"kind\":\"b\"","id":"1","n":2,"kind":"a"}"#,
    ] {
        let fast = crate::decode_subject_fast(&q.schema, json.as_bytes());
        let detailed = crate::decode_subject_detailed(&q.schema, json.as_bytes()).unwrap();
        assert_eq!(Some(detailed.kind), a, "{json}");
        if let Some(fast) = fast {
            assert_eq!(format!("{fast:?}"), format!("{detailed:?}"), "{json}");
        }
        assert_eq!(crate::peek_kind(&q.schema, json.as_bytes()), a, "{json}");
    }
    // The usual record with its kind last is the fast path's own.
    assert!(crate::decode_subject_fast(&q.schema, br#"{"id":"1","n":2,"kind":"a"}"#).is_some());
}

/// Required fields are known present from the slots read; a record missing
/// one, in the record itself or a nested one, is declined by the fast path
/// and refused with the field's name.
#[test]
fn a_missing_required_field_is_found_by_either_path() {
    let p = program();
    for (json, missing) in [
        (
            r#"{"kind":"merchant","id":"m","platform":"douyin","deposit":{"balance":"1.00","required":"2.00"},"tags":[]}"#,
            "listings_online",
        ),
        (
            r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1.00"},"tags":[]}"#,
            "required",
        ),
        (
            r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{},"tags":[]}"#,
            "balance",
        ),
    ] {
        assert!(
            crate::decode_subject_fast(&p.schema, json.as_bytes()).is_none(),
            "{json}"
        );
        let error = decode_subject(&p.schema, json.as_bytes()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("missing field `{missing}`")),
            "{error}"
        );
    }
    // Optional fields may be left out, and the fast path takes the record.
    let whole = r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1.00","required":"2.00"},"tags":[]}"#;
    assert!(crate::decode_subject_fast(&p.schema, whole.as_bytes()).is_some());
}

/// Undeclared keys are skipped by the fast path, in the record and in nested
/// ones; a repeated one is declined there and refused by the detailed decoder.
#[test]
fn undeclared_keys_are_skipped_and_a_repeated_one_refused() {
    let p = program();
    let base = r#"{"kind":"merchant","id":"m","platform":"douyin","listings_online":1,"deposit":{"balance":"1.00","required":"2.00"@NESTED@},"tags":[]@ROOT@}"#;
    let record =
        |root: &str, nested: &str| base.replace("@ROOT@", root).replace("@NESTED@", nested);
    let plain = decode_subject(&p.schema, record("", "").as_bytes()).unwrap();
    for (root, nested) in [
        (r#","shop":"小店","x1":[1,{"a":null}]"#, ""),
        ("", r#","ax":1,"bx":2"#),
        (r#","ab":1,"cb":2,"b":3"#, r#","ab":1"#),
    ] {
        let json = record(root, nested);
        let fast = crate::decode_subject_fast(&p.schema, json.as_bytes());
        assert_eq!(format!("{fast:?}"), format!("{:?}", Some(&plain)), "{json}");
    }
    for (root, nested) in [
        (r#","shop":1,"shop":2"#, ""),
        (r#","shop":1,"x":0,"shop":2"#, ""),
        ("", r#","ab":1,"ab":1"#),
    ] {
        let json = record(root, nested);
        assert!(
            crate::decode_subject_fast(&p.schema, json.as_bytes()).is_none(),
            "{json}"
        );
        let error = decode_subject(&p.schema, json.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("duplicate key"), "{error}");
    }
}

/// Nesting is counted down again as each record closes: a long list of
/// nested records is the fast path's own, however long.
#[test]
fn long_lists_of_records_stay_on_the_fast_path() {
    let src = "kind k { items: [{ n: int }] }";
    let q = check(&[parse(SourceId(0), src).unwrap()]).unwrap();
    let items: Vec<String> = (0..200).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    let json = format!(r#"{{"kind":"k","id":"1","items":[{}]}}"#, items.join(","));
    assert!(crate::decode_subject_fast(&q.schema, json.as_bytes()).is_some());
}

/// A kind wider than the 128 slots whose presence is kept in bits: its
/// records are left to the detailed decoder, which still finds a missing
/// field past the 128th.
#[test]
fn records_wider_than_128_fields_are_checked_whole() {
    let names: Vec<String> = (0..130).map(|i| format!("f{i}")).collect();
    let fields: Vec<String> = names.iter().map(|n| format!("{n}: int")).collect();
    let src = format!("kind wide {{ {} }}", fields.join("\n"));
    let q = check(&[parse(SourceId(0), &src).unwrap()]).unwrap();
    let values: Vec<String> = names.iter().map(|n| format!(r#""{n}":1"#)).collect();
    let whole = format!(r#"{{"kind":"wide","id":"w",{}}}"#, values.join(","));
    assert!(decode_subject(&q.schema, whole.as_bytes()).is_ok());
    let short = format!(
        r#"{{"kind":"wide","id":"w",{}}}"#,
        values[..values.len() - 1].join(",")
    );
    let error = decode_subject(&q.schema, short.as_bytes()).unwrap_err();
    assert!(
        error.to_string().contains("missing field `f129`"),
        "{error}"
    );
}

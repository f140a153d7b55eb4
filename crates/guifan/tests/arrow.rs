//! Arrow batches read as the records they stand for: every Arrow type a
//! column may have, nulls, columns that cannot be read, and rows that do
//! not fit the schema (feature `parquet`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::sync::Arc;

use guifan::arrow::arrow_array::builder::{
    Decimal128Builder, Int64Builder, ListBuilder, MapBuilder, StringBuilder,
    StringDictionaryBuilder,
};
use guifan::arrow::arrow_array::types::{Int32Type, Int64Type};
use guifan::arrow::arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal256Array,
    DurationSecondArray, FixedSizeListArray, Float64Array, Int64Array, Int8Array, LargeListArray,
    LargeStringArray, NullArray, RecordBatch, StringArray, StringViewArray, StructArray,
    Time32SecondArray, Time64MicrosecondArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampSecondArray, UInt32Array,
};
use guifan::arrow::arrow_buffer::i256;
use guifan::arrow::arrow_schema::{DataType, Field, Fields};
use guifan::arrow::{BatchLines, DecisionTable};

fn rows(batch: &RecordBatch) -> Vec<String> {
    let lines = BatchLines::new(batch, None).unwrap();
    (0..lines.rows())
        .map(|r| {
            let mut out = Vec::new();
            lines.write_row(r, &mut out);
            String::from_utf8(out).unwrap()
        })
        .collect()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

#[test]
fn scalars_of_every_arrow_type_are_written_as_json_would_have_them() {
    let mut money = Decimal128Builder::new()
        .with_precision_and_scale(10, 2)
        .unwrap();
    money.append_value(-5);
    let big = Decimal256Array::from(vec![i256::from_i128(150_000)])
        .with_precision_and_scale(40, 3)
        .unwrap();
    let b = batch(vec![
        ("kind", Arc::new(StringArray::from(vec!["k"])) as ArrayRef),
        ("id", Arc::new(LargeStringArray::from(vec!["x\"1"]))),
        ("view", Arc::new(StringViewArray::from(vec!["规范"]))),
        ("yes", Arc::new(BooleanArray::from(vec![true]))),
        ("small", Arc::new(Int8Array::from(vec![-7]))),
        (
            "unsigned",
            Arc::new(UInt32Array::from(vec![4_000_000_000u32])),
        ),
        ("money", Arc::new(money.finish())),
        ("big", Arc::new(big)),
        ("day", Arc::new(Date32Array::from(vec![19_467]))),
        (
            "day64",
            Arc::new(Date64Array::from(vec![1_681_948_800_000])),
        ),
        ("clock", Arc::new(Time32SecondArray::from(vec![75_600]))),
        (
            "clock_us",
            Arc::new(Time64MicrosecondArray::from(vec![32_400_500_000])),
        ),
        (
            "utc",
            Arc::new(TimestampSecondArray::from(vec![1_681_963_200])),
        ),
        (
            "shanghai",
            Arc::new(
                TimestampMillisecondArray::from(vec![1_681_963_200_000])
                    .with_timezone("Asia/Shanghai"),
            ),
        ),
        (
            "offset",
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_681_963_200_500_000])
                    .with_timezone("+03:00"),
            ),
        ),
        ("ban", Arc::new(DurationSecondArray::from(vec![259_200]))),
    ]);
    assert_eq!(
        rows(&b),
        [concat!(
            r#"{"kind":"k","id":"x\"1","view":"规范","yes":true,"small":-7,"unsigned":4000000000,"#,
            r#""money":-0.05,"big":150.000,"day":"2023-04-20","day64":"2023-04-20","clock":"21:00:00","#,
            r#""clock_us":"09:00:00.500","utc":"2023-04-20T04:00:00Z","shanghai":"2023-04-20T12:00:00+08:00","#,
            r#""offset":"2023-04-20T07:00:00.500+03:00","ban":"259200s"}"#
        )]
    );
}

#[test]
fn nested_columns_nulls_and_dictionaries() {
    // A list with a null item, and an absent list.
    let mut list = ListBuilder::new(Int64Builder::new());
    list.values().append_value(1);
    list.values().append_null();
    list.append(true);
    list.append(false);
    // A struct with a null child, and a null struct.
    let fields = Fields::from(vec![
        Field::new("active", DataType::Boolean, true),
        Field::new("ended_at", DataType::Utf8, true),
    ]);
    let record = StructArray::new(
        fields,
        vec![
            Arc::new(BooleanArray::from(vec![Some(true), Some(false)])) as ArrayRef,
            Arc::new(StringArray::from(vec![None, Some("2023-01-01T00:00:00Z")])),
        ],
        Some(vec![true, false].into()),
    );
    // A map of dates to amounts.
    let mut map = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    map.keys().append_value("2023-03-11");
    map.values().append_value("10.50");
    map.append(true).unwrap();
    map.append(true).unwrap();
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    dictionary.append_value("personal");
    dictionary.append_null();
    let large = LargeListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(3)]),
        Some(vec![]),
    ]);
    let fixed = FixedSizeListArray::from_iter_primitive::<Int64Type, _, _>(
        vec![Some(vec![Some(1), Some(2)]), None],
        2,
    );
    let b = batch(vec![
        (
            "kind",
            Arc::new(StringArray::from(vec!["k", "k"])) as ArrayRef,
        ),
        ("list", Arc::new(list.finish())),
        ("trial", Arc::new(record)),
        ("gmv", Arc::new(map.finish())),
        ("store", Arc::new(dictionary.finish())),
        ("large", Arc::new(large)),
        ("fixed", Arc::new(fixed)),
        ("nothing", Arc::new(NullArray::new(2))),
    ]);
    assert_eq!(
        rows(&b),
        [
            r#"{"kind":"k","list":[1,null],"trial":{"active":true},"gmv":{"2023-03-11":"10.50"},"store":"personal","large":[3],"fixed":[1,2]}"#,
            r#"{"kind":"k","gmv":{},"large":[]}"#,
        ]
    );
}

#[test]
fn floats_and_binary_columns_are_refused_by_their_path_and_unread_columns_are_not_looked_at() {
    let inner = StructArray::new(
        Fields::from(vec![Field::new("amount", DataType::Float64, true)]),
        vec![Arc::new(Float64Array::from(vec![0.1])) as ArrayRef],
        None,
    );
    let b = batch(vec![
        ("kind", Arc::new(StringArray::from(vec!["k"])) as ArrayRef),
        ("pay", Arc::new(inner)),
    ]);
    let e = BatchLines::new(&b, None).err().unwrap();
    assert_eq!(e.column, "pay.amount");
    assert!(e.to_string().contains("not exact"), "{e}");
    let raw = batch(vec![(
        "photo",
        Arc::new(BinaryArray::from(vec![&b"\x00"[..]])) as ArrayRef,
    )]);
    assert_eq!(BatchLines::new(&raw, None).err().unwrap().column, "photo");
    // A column no kind declares is skipped, whatever its type.
    let only: std::collections::HashSet<String> = ["kind".to_string()].into();
    let lines = BatchLines::new(&b, Some(&only)).unwrap();
    let mut out = Vec::new();
    lines.write_row(0, &mut out);
    assert_eq!(out, br#"{"kind":"k"}"#);
}

fn trial_rules() -> guifan::RuleSet {
    guifan::RuleSet::from_sources([(
        "p.policy",
        r#"kind shop { currency: string?, store: "personal" | "enterprise", listings: int, gmv: money }
           effect cap(over: int)
           policy a.b {
             subject shop zone Asia/Shanghai currency CNY
             rule listing_cap "over the cap" {
               when store == "personal" and listings > 100
               then cap(over: listings - 100)
               message "{listings} listings, gmv {gmv}"
             }
           }"#,
    )])
    .unwrap()
}

const S1: &[u8] = br#"{"kind":"shop","id":"s-1","currency":"CNY","store":"personal","listings":140,"gmv":"12.50"}"#;

#[test]
fn a_batch_is_decided_into_a_decision_table_and_a_bad_row_is_placed_while_the_others_go_on() {
    let rules = trial_rules();
    let mut money = Decimal128Builder::new()
        .with_precision_and_scale(38, 2)
        .unwrap();
    money.append_value(1_250);
    money.append_value(100);
    money.append_value(0);
    let b = batch(vec![
        (
            "kind",
            Arc::new(StringArray::from(vec!["shop", "shop", "shop"])) as ArrayRef,
        ),
        ("id", Arc::new(StringArray::from(vec!["s-1", "s-2", "s-3"]))),
        (
            "currency",
            Arc::new(StringArray::from(vec!["CNY", "CNY", "CNY"])),
        ),
        (
            "store",
            Arc::new(StringArray::from(vec!["personal", "personel", "personal"])),
        ),
        ("listings", Arc::new(Int64Array::from(vec![140, 200, 10]))),
        ("gmv", Arc::new(money.finish())),
    ]);
    let now = "2024-03-01T12:00:00+08:00".parse().unwrap();
    let decided = rules.decide_arrow(&b, now).unwrap();
    assert_eq!(decided.schema(), guifan::arrow::decisions_schema());
    let column = |name: &str| {
        decided
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(column("subject"), [Some("s-1".into()), Some("s-2".into())]);
    assert_eq!(column("rule"), [Some("a.b.listing_cap".into()), None]);
    assert_eq!(
        column("message"),
        [Some("140 listings, gmv 12.50 CNY".into()), None]
    );
    let error = column("error")[1].clone().unwrap();
    assert!(error.starts_with("row 2: at `store`:"), "{error}");
    assert_eq!(
        column("error_code")[1].as_deref(),
        Some("guifan::data::invalid")
    );
    // The effect with its argument's text, as a decided record gives it.
    let effects = decided.column_by_name("effects").unwrap();
    let mut table = DecisionTable::default();
    table.push(&rules.decide_json(S1, now).unwrap());
    let again = table.finish();
    assert_eq!(
        again
            .column_by_name("effects")
            .unwrap()
            .slice(0, 1)
            .to_data(),
        effects.slice(0, 1).to_data()
    );
    assert_eq!(effects.null_count(), 1);
}

#[test]
fn decision_records_in_json_lines_make_the_same_table_as_the_decisions_themselves() {
    let rules = trial_rules();
    let now = "2024-03-01T12:00:00+08:00".parse().unwrap();
    let decided = rules.decide_json(S1, now).unwrap();
    let mut typed = DecisionTable::default();
    typed.push(&decided);
    let mut read = DecisionTable::default();
    read.push_json(serde_json::to_string(&decided).unwrap().as_bytes())
        .unwrap();
    let (typed, read) = (typed.finish(), read.finish());
    assert_eq!(typed.num_rows(), 1);
    assert_eq!(typed, read);
}

//! The playground's operations over the bundled catalogue, as the page calls
//! them: JSON in, JSON out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

use std::path::Path;

use guifan::serde_json::{self, json, Value};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Every rule file of the bundled catalogue, as the page holds them.
fn catalogue() -> Vec<Value> {
    let rules = root().join("rules");
    let mut files: Vec<Value> = guifan::rule_files(&rules)
        .unwrap()
        .into_iter()
        .map(|p| {
            json!({
                "path": p.strip_prefix(&rules).unwrap().to_string_lossy(),
                "text": std::fs::read_to_string(&p).unwrap(),
            })
        })
        .collect();
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    files
}

fn trial_test() -> String {
    std::fs::read_to_string(root().join("rules/douyin/zero_deposit_trial.test.toml")).unwrap()
}

fn call(op: fn(&str) -> String, ws: &Value) -> Value {
    serde_json::from_str(&op(&ws.to_string())).unwrap()
}

/// The trial's records, made from its test file's cases.
fn trial_workspace(params: &str) -> Value {
    let ws = json!({ "files": catalogue() });
    let examples: Value =
        serde_json::from_str(&guifan_wasm::examples(&ws.to_string(), &trial_test())).unwrap();
    assert_eq!(examples["problems"], json!([]));
    json!({
        "files": catalogue(),
        "params": params,
        "records": examples["records"],
        "at": examples["at"],
    })
}

#[test]
fn the_catalogue_checks_clean_and_names_its_policies() {
    let checked = call(
        guifan_wasm::check,
        &json!({ "files": catalogue(), "at": "2024-01-01T00:00:00Z" }),
    );
    assert_eq!(checked["problems"], json!([]), "{checked:#}");
    let policies = checked["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 14, "{policies:?}");
    assert!(policies.contains(&json!("douyin.zero_deposit_trial")));
}

#[test]
fn a_misspelt_field_is_placed_at_its_line_in_utf16_units_with_its_fix() {
    let mut files = catalogue();
    let trial = files
        .iter_mut()
        .find(|f| f["path"] == "douyin/zero_deposit_trial.policy")
        .unwrap();
    let text = trial["text"].as_str().unwrap().to_string();
    let at = text.find("listings_online").unwrap();
    let broken = text.replacen("listings_online", "listings_onlin", 1);
    trial["text"] = json!(broken);
    let checked = call(
        guifan_wasm::check,
        &json!({ "files": files, "at": "2024-01-01T00:00:00Z" }),
    );
    let problems = checked["problems"].as_array().unwrap();
    let p = problems
        .iter()
        .find(|p| p["code"] == "guifan::check::unknown_field")
        .unwrap_or_else(|| panic!("{checked:#}"));
    let line = text[..at].matches('\n').count() + 1;
    let units = text[..at].encode_utf16().count();
    assert_eq!(p["path"], "douyin/zero_deposit_trial.policy");
    assert_eq!(p["from"]["line"], line);
    assert_eq!(p["from"]["offset"], units);
    assert_eq!(p["to"]["offset"], units + "listings_onlin".len());
    assert_eq!(p["anchor"], "guifan-check-unknown_field");
    // The text before it holds Chinese titles: bytes and UTF-16 units differ.
    assert_ne!(units, at);
    let fix = &p["fixes"][0];
    assert_eq!(fix["edits"][0]["text"], "listings_online");
    assert_eq!(fix["edits"][0]["from"]["offset"], units);
}

#[test]
fn lint_warnings_come_with_the_checks() {
    let ws = json!({
        "files": [{"path": "p.policy", "text": "kind k { n: int } effect e\npolicy a.b {\n  subject k\n  zone UTC\n  param unused: int = 1\n  rule r { when n > 1 then e }\n}\n"}],
        "at": "2024-01-01T00:00:00Z",
    });
    let checked = call(guifan_wasm::check, &ws);
    let p = &checked["problems"][0];
    assert_eq!(p["severity"], "warning", "{checked:#}");
    assert_eq!(p["from"]["line"], 5);
}

#[test]
fn lowering_the_personal_cap_decides_more_records_as_the_library_does() {
    let at100 = call(guifan_wasm::run, &trial_workspace(""));
    let at90 = call(
        guifan_wasm::run,
        &trial_workspace("[\"douyin.zero_deposit_trial\"]\npersonal_listing_cap = 90\n"),
    );
    assert_eq!(at100["problems"], json!([]), "{at100:#}");
    assert_eq!(at100["errors"], json!([]));
    assert!(at100["records"].as_u64().unwrap() > 20);
    let (n100, n90) = (
        at100["decisions"].as_u64().unwrap(),
        at90["decisions"].as_u64().unwrap(),
    );
    assert!(n90 > n100, "{n100} → {n90}");
    // The same as the library decides the same records.
    let ws = trial_workspace("");
    let rules = guifan::RuleSet::from_dir(root().join("rules")).unwrap();
    let now = guifan::parse_time(ws["at"].as_str().unwrap()).unwrap();
    let answers = rules
        .decide_batch(
            ws["records"].as_str().unwrap().as_bytes(),
            guifan::data::InputFormat::Jsonl,
            now,
        )
        .unwrap();
    let library: usize = answers
        .iter()
        .map(|a| a.as_ref().unwrap().decisions().len())
        .sum();
    assert_eq!(n100 as usize, library);
    let first = serde_json::to_value(answers[0].as_ref().unwrap()).unwrap();
    assert_eq!(at100["decided"][0]["output"], first);
}

#[test]
fn a_record_that_cannot_be_decided_is_placed_at_its_line_and_the_others_go_on() {
    let ws = json!({
        "files": [{"path": "p.policy", "text": "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 1 then e } }"}],
        "records": "{\"kind\":\"k\",\"id\":\"x\",\"n\":2}\n{\"kind\":\"k\",\"id\":\"y\",\"n\":\"two\"}\n{\"kind\":\"k\",\"id\":\"z\",\"n\":3}\n",
        "at": "2024-01-01T00:00:00Z",
    });
    let run = call(guifan_wasm::run, &ws);
    assert_eq!(run["decisions"], 2);
    assert_eq!(run["decided"].as_array().unwrap().len(), 2);
    assert_eq!(run["errors"][0]["from"]["line"], 2, "{run:#}");
    assert_eq!(run["errors"][0]["path"], "records");
}

#[test]
fn explaining_a_subject_gives_each_comparison_and_its_distance() {
    let ws = json!({
        "files": [{"path": "p.policy", "text": "kind k { n: int } effect e policy a.b { subject k zone UTC rule r { when n > 10 then e } }"}],
        "records": "[{\"kind\":\"k\",\"id\":\"x\",\"n\":7}]",
        "at": "2024-01-01T00:00:00Z",
    });
    let explained: Value =
        serde_json::from_str(&guifan_wasm::explain(&ws.to_string(), "x")).unwrap();
    let check = &explained["explanation"]["policies"][0]["rules"][0]["checks"][0];
    assert_eq!(check["distance"], "4 more", "{explained:#}");
    assert!(explained["text"].as_str().unwrap().contains("4 more"));
    let missing: Value =
        serde_json::from_str(&guifan_wasm::explain(&ws.to_string(), "nobody")).unwrap();
    assert!(missing["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nobody"));
}

#[test]
fn the_trial_test_file_passes_and_a_wrong_expectation_fails_at_its_line() {
    let ws = json!({ "files": catalogue() });
    let tested: Value =
        serde_json::from_str(&guifan_wasm::test(&ws.to_string(), &trial_test())).unwrap();
    assert_eq!(tested["failures"], json!([]), "{tested:#}");
    assert!(tested["passed"].as_u64().unwrap() > 20);
    let wrong = trial_test().replacen(
        "record = { listings_online = 101 }\nexpect = { listing_cap = 1 }",
        "record = { listings_online = 101 }\nexpect = { listing_cap = 0 }",
        1,
    );
    assert_ne!(wrong, trial_test());
    let tested: Value = serde_json::from_str(&guifan_wasm::test(&ws.to_string(), &wrong)).unwrap();
    let failure = &tested["failures"][0];
    // At the line of the case that holds the changed expectation.
    let before = &wrong[..wrong.find("name = \"101 listings is not\"").unwrap()];
    let case = before.rfind("[[case]]").unwrap();
    let line = before[..case].matches('\n').count() + 1;
    assert_eq!(failure["line"], line, "{tested:#}");
    assert_eq!(failure["case"], "101 listings is not");
    assert_eq!(tested["failures"].as_array().unwrap().len(), 1);
}

#[test]
fn formatting_gives_the_canonical_layout_or_the_problems() {
    let formatted: Value =
        serde_json::from_str(&guifan_wasm::format("k.schema", "kind   k {n:int}")).unwrap();
    assert_eq!(
        formatted["text"], "kind k {\n  n: int\n}\n",
        "{formatted:#}"
    );
    let broken: Value = serde_json::from_str(&guifan_wasm::format("k.schema", "kind {")).unwrap();
    assert_eq!(broken["text"], Value::Null);
    assert_eq!(broken["problems"][0]["from"]["line"], 1, "{broken:#}");
}

#[test]
fn a_request_the_page_got_wrong_is_a_problem_not_an_exception() {
    for answer in [
        guifan_wasm::run("not json"),
        guifan_wasm::check("{\"files\": 3}"),
        guifan_wasm::explain("{\"nosuch\": 1}", "x"),
    ] {
        let v: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(
            v["problems"][0]["code"], "guifan::playground::request",
            "{v}"
        );
    }
    let ws = json!({ "files": catalogue(), "records": "", "at": "yesterday" });
    let run = call(guifan_wasm::run, &ws);
    assert_eq!(
        run["problems"][0]["code"], "guifan::playground::invalid_time",
        "{run}"
    );
}

#[test]
fn bad_parameters_are_problems_of_the_parameters_file() {
    let ws = json!({
        "files": catalogue(),
        "params": "[\"douyin.zero_deposit_trial\"]\npersonal_listing_cp = 90\n",
        "at": "2024-01-01T00:00:00Z",
    });
    let checked = call(guifan_wasm::check, &ws);
    let p = &checked["problems"][0];
    assert_eq!(p["path"], "params.toml", "{checked:#}");
    assert_eq!(p["from"]["line"], 2);
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `personal_listing_cap`"),
        "{p}"
    );
    assert_eq!(p["code"], "guifan::params::unknown_param");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn no_text_makes_an_operation_panic(policy in "\\PC{0,80}", records in "\\PC{0,60}", at in "\\PC{0,30}") {
        let ws = json!({
            "files": [{"path": "p.policy", "text": format!("kind k {{ n: int }} effect e policy a.b {{ subject k zone UTC rule r {{ when {policy} then e }} }}")}],
            "records": records,
            "at": at,
            "params": policy,
        }).to_string();
        for answer in [guifan_wasm::check(&ws), guifan_wasm::run(&ws), guifan_wasm::explain(&ws, "x"), guifan_wasm::test(&ws, &records), guifan_wasm::examples(&ws, &policy), guifan_wasm::format("p.policy", &policy)] {
            let v: Value = serde_json::from_str(&answer).unwrap();
            proptest::prop_assert!(v["problems"].is_array());
        }
    }
}

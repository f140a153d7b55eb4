//! The `guifan` command end to end: exit codes, bad records, output files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests and benchmarks fail loudly"
)]

mod common;

use common::{guifan, guifan_stdin, merchant, stderr, stdout};

const AT: &str = "2023-04-20T12:00:00+08:00";

#[test]
fn a_line_that_is_not_json_fails_alone() {
    let input = format!(
        "{}\n{{\"kind\": \"merchant\", oops\n{}\n",
        merchant("m-1", 40),
        merchant("m-3", 101)
    );
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert_eq!(out.status.code(), Some(1), "some records failed");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("\"subject\":\"m-1\""));
    assert!(lines[1].contains("\"subject\":\"m-3\"") && lines[1].contains("listing_cap"));
    let err = stderr(&out);
    assert!(err.contains("<stdin>:2"), "{err}");
    assert!(err.contains("2 decided"), "{err}");
}

#[test]
fn a_wrong_field_type_names_the_line_and_field_path() {
    let bad = merchant("m-2", 40).replace(r#""balance":"0.00""#, r#""balance":"lots""#);
    let input = format!("{}\n{}\n", merchant("m-1", 40), bad);
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("<stdin>:2 (record `m-2`): at `deposit.balance`"),
        "{err}"
    );
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn a_missing_required_field_is_named() {
    let bad = merchant("m-2", 40).replace(r#""goods_balance":"3000.00","#, "");
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("missing field `goods_balance` (required when `platform` is \"douyin\")"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn clean_runs_exit_zero_and_keep_input_order() {
    let input: String = (0..50)
        .map(|i| merchant(&format!("m-{i}"), 95 + i % 10) + "\n")
        .collect();
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["subject"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("m-{i}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn json_and_toml_data_decide_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("data.json");
    std::fs::write(
        &json_path,
        format!("[\n{},\n{}\n]", merchant("m-1", 40), merchant("m-2", 101)),
    )
    .unwrap();
    let toml_path = dir.path().join("data.toml");
    std::fs::write(
        &toml_path,
        r#"
[[records]]
kind = "claim"
id = "c-1"
platform = "douyin"
order_at = 2023-03-05T10:00:00+08:00
price = 100.10
finding = "counterfeit"
"#,
    )
    .unwrap();
    let out = guifan(&[
        "run",
        "--data",
        json_path.to_str().unwrap(),
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let out = guifan(&["run", "--data", toml_path.to_str().unwrap(), "--at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(r#""compensation":"400.40 CNY""#),
        "{}",
        stdout(&out)
    );
}

#[test]
fn output_files_are_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("decisions.jsonl");
    let out = guifan(&[
        "run",
        "--data",
        "examples/douyin_zero_deposit_trial.jsonl",
        "--at",
        AT,
        "--output",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap().lines().count(),
        4
    );
    // Only the output file is left behind: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // An unwritable destination fails before anything is published.
    let out = guifan(&[
        "run",
        "--data",
        "examples/douyin_zero_deposit_trial.jsonl",
        "--at",
        AT,
        "--output",
        "/nonexistent-dir/decisions.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_exit_codes() {
    let out = guifan(&["check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::root().join("rules/schema/kinds.schema"),
        dir.path().join("kinds.schema"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.policy"),
        "policy t.bad {\n  subject merchant\n  zone Asia/Shanghai\n  rule r { when listing_online > 1 then end_trial }\n}\n",
    )
    .unwrap();
    let out = guifan(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let problems: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let codes: Vec<&str> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"guifan::check::unknown_field"), "{codes:?}");
    assert!(
        codes.contains(&"guifan::check::unknown_effect"),
        "{codes:?}"
    );
    assert_eq!(problems[0]["line"], 4);
}

#[test]
fn usage_errors_exit_two() {
    let out = guifan(&["run", "--data", "no-such-file.jsonl", "--at", AT]);
    assert_eq!(out.status.code(), Some(2));
    let out = guifan(&[
        "run",
        "--data",
        "examples/douyin_zero_deposit_trial.jsonl",
        "--at",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--at `yesterday`"));
}

#[test]
fn parameters_override_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.toml");
    std::fs::write(
        &params,
        "[\"douyin.zero_deposit_trial\"]\npersonal_listing_cap = 200\n",
    )
    .unwrap();
    let input = merchant("m-1", 150);
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert!(stdout(&out).contains("listing_cap"));
    let with_params = [
        "run",
        "--data",
        "-",
        "--at",
        AT,
        "--params",
        params.to_str().unwrap(),
    ];
    let out = guifan_stdin(&with_params, &input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("listing_cap"), "{}", stdout(&out));
    std::fs::write(
        &params,
        "[\"douyin.zero_deposit_trial\"]\npersonal_listing_cap = \"many\"\n",
    )
    .unwrap();
    let out = guifan_stdin(&with_params, &input);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn guifan_test_runs_the_policy_tests() {
    let out = guifan(&["test", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(" 0 failed"));
}

#[test]
fn streamed_input_keeps_line_numbers_across_blocks() {
    // About 3.5 MB: more than one streaming block.
    let mut input = String::new();
    for i in 1..=6000 {
        if i == 4321 {
            input.push_str("{\"kind\":\"merchant\",\"id\":\"broken\"\n");
        } else {
            input.push_str(&merchant(&format!("m-{i}"), 40));
            input.push('\n');
        }
    }
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("<stdin>:4321"), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 5999);
    assert!(text.lines().nth(4319).unwrap().contains("\"m-4320\""));
    assert!(text.lines().nth(4320).unwrap().contains("\"m-4322\""));
}

#[test]
fn money_in_another_currency_than_the_policy_is_an_error_of_that_policy() {
    let usd_claim = r#"{"kind":"claim","id":"c-usd","platform":"douyin","currency":"USD","order_at":"2023-03-01T00:00:00+08:00","price":"1.00","finding":"counterfeit"}"#;
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], usd_claim);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("guifan::eval::currency_mismatch"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(
            "rule `douyin.authenticity_guarantee` failed: currency mismatch: CNY and USD"
        ),
        "{}",
        stderr(&out)
    );
    // A record the policy does not judge is not its concern, whatever its currency.
    let other_platform = usd_claim.replace("\"douyin\"", "\"tmall\"");
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &other_platform);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn moderators_extend_word_lists_and_patterns_with_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.toml");
    let chat = r#"{"kind":"seller_chat","id":"wb-1","platform":"wildberries","questions":[],"messages":[{"id":"m-1","at":"2023-03-02T09:05:00+03:00","from":"seller","text":"Ну ты и балбес"}]}"#;
    let args = |p: &str| {
        vec![
            "run".to_string(),
            "--data".into(),
            "-".into(),
            "--at".into(),
            "2023-03-05T12:00:00+03:00".into(),
            "--params".into(),
            p.to_string(),
        ]
    };
    let run = |toml: &str| {
        std::fs::write(&params, toml).unwrap();
        let a = args(params.to_str().unwrap());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        guifan_stdin(&a, chat)
    };
    // Not an insult the bundled lists know.
    let out = run("");
    assert!(
        !stdout(&out).contains("prohibited_content"),
        "{}",
        stdout(&out)
    );
    // A moderator adds a pattern: compiled when the rules load, and it catches the word.
    let out = run("[\"wildberries.buyer_chat\"]\ninsult_patterns = [\"(?i)балбес\"]\npenalty = \"suspend_sales\"\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\"code\":\"insult\""), "{text}");
    assert!(
        text.contains("\"kind\":\"suspend_sales\"") && !text.contains("\"kind\":\"fine\""),
        "{text}"
    );
    // An invalid pattern is refused when the parameters are read, never at run time.
    let out = run("[\"wildberries.buyer_chat\"]\ninsult_patterns = [\"(\"]\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("invalid regular expression"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ranking_policies_read_the_input_twice_from_a_file_or_standard_input() {
    let video = |id: &str, gmv: &str| {
        format!(
            r#"{{"kind":"video","id":"{id}","platform":"tiktok_shop","market":"MY","account":"a","posted_at":"2023-03-01T20:00:00+08:00","hashtags":["TikTokShopBazaarRamadan"],"cross_border_product":true,"gmv_by_day":{{"2023-03-05":"{gmv}"}}}}"#
        )
    };
    // Twelve videos: the last two by GMV are outside the top 10.
    let input: String = (0..12)
        .map(|i| video(&format!("v-{i:02}"), &format!("{}.00", 100 + i)) + "\n")
        .collect();
    let at = "2023-03-06T12:00:00+08:00";
    let rewarded = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .filter(|l| l.contains("daily_top10"))
            .map(|l| l[12..16].to_string())
            .collect()
    };
    let from_stdin = guifan_stdin(&["run", "--data", "-", "--at", at], &input);
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    let expected: Vec<String> = (2..12).map(|i| format!("v-{i:02}")).collect();
    assert_eq!(rewarded(&from_stdin), expected);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("videos.jsonl");
    std::fs::write(&file, &input).unwrap();
    let from_file = guifan(&["run", "--data", file.to_str().unwrap(), "--at", at]);
    assert_eq!(stdout(&from_file), stdout(&from_stdin));
    // JSON arrays too.
    let array = format!("[{}]", input.trim_end().replace('\n', ","));
    let from_json = guifan_stdin(
        &["run", "--data", "-", "--input-format", "json", "--at", at],
        &array,
    );
    assert_eq!(rewarded(&from_json), expected);
}

#[test]
fn data_errors_speak_the_language_and_suggest() {
    let base = merchant("m-1", 40);
    let lines = [
        base.replace(r#""listings_online":40"#, r#""listings_online":"many""#),
        base.replace(r#""listings_online":40"#, r#""listings_online":1.5"#),
        base.replace(r#""store_type":"personal""#, r#""store_type":"personl""#),
        base.replace(r#""kind":"merchant""#, r#""kind":"merchnt""#),
    ];
    for line in &lines {
        assert_ne!(line, &base, "the record was changed");
    }
    let out = guifan_stdin(
        &["run", "--data", "-", "--at", AT],
        &(lines.join("\n") + "\n"),
    );
    let err = stderr(&out);
    for expected in [
        "at `listings_online`: expected an int, found the string \"many\"",
        "at `listings_online`: expected an int, found the number 1.5",
        "did you mean \"personal\"?",
        "did you mean `merchant`?",
        "[guifan::data::invalid]",
    ] {
        assert!(err.contains(expected), "{expected}:\n{err}");
    }
    assert!(!err.contains("i64"), "{err}");
}

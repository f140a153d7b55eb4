//! Hardening, round two: defects found by attacking the surfaces added after
//! the first round (ranking's two passes, `serve`, `fmt`, `test`, `explain`,
//! `diff`). One regression test per defect, each bounded in time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::root;

const AT: &str = "2023-03-16T12:00:00+08:00";

/// `n` eligible Ramadan videos with sales yesterday: a ranking policy decides them.
fn videos(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"kind":"video","id":"v-{i}","platform":"tiktok_shop","market":"MY","account":"a","posted_at":"2023-03-05T20:00:00+08:00","hashtags":["TikTokShopBazaarRamadan"],"cross_border_product":true,"gmv_by_day":{{"2023-03-15":"{}.00"}}}}"#,
                100 + i
            ) + "\n"
        })
        .collect()
}

/// Runs `guifan` with `input` on standard input, killed (and the test failed)
/// after `limit`.
fn run_bounded(args: &[&str], input: Option<&str>, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(args)
        .current_dir(root())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = input {
        let mut stdin = child.stdin.take().unwrap();
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("guifan {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn ranking_over_an_input_that_cannot_be_read_twice_decides_every_record() {
    let data = videos(300);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("videos.jsonl");
    std::fs::write(&file, &data).unwrap();
    let limit = Duration::from_secs(60);
    let from_file = run_bounded(
        &["run", "--data", file.to_str().unwrap(), "--at", AT],
        None,
        limit,
    );
    assert!(from_file.status.success());
    let expected = lines(&from_file);
    assert_eq!(expected.len(), 300);
    assert_eq!(
        expected
            .iter()
            .filter(|l| l.contains("daily_top10"))
            .count(),
        10
    );
    // `/dev/stdin` is a pipe here, not `-`: it must be read once all the same.
    let from_pipe = run_bounded(
        &["run", "--data", "/dev/stdin", "--at", AT],
        Some(&data),
        limit,
    );
    assert!(
        from_pipe.status.success(),
        "{}",
        String::from_utf8_lossy(&from_pipe.stderr)
    );
    assert_eq!(lines(&from_pipe), expected);
    // A named FIFO: opened once, never waited on a second time.
    let fifo = dir.path().join("videos.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        let data = data.clone();
        std::thread::spawn(move || std::fs::write(fifo, data))
    };
    let from_fifo = run_bounded(
        &["run", "--data", fifo.to_str().unwrap(), "--at", AT],
        None,
        limit,
    );
    writer.join().unwrap().unwrap();
    assert!(from_fifo.status.success());
    assert_eq!(lines(&from_fifo), expected);
    // `diff` ranks twice (the old rules and the new) over one read.
    let diff = run_bounded(
        &[
            "diff",
            "--base",
            "rules",
            "--rules",
            "rules",
            "--data",
            "/dev/stdin",
            "--at",
            AT,
        ],
        Some(&data),
        limit,
    );
    assert!(diff.status.success());
    assert!(
        String::from_utf8_lossy(&diff.stdout).starts_with("300 records, 300 compared"),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
}

/// A copy of the bundled schema and the Douyin policies in a temporary directory.
fn rules_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["schema", "douyin"] {
        common::copy_dir(&root().join("rules").join(sub), &dir.path().join(sub));
    }
    dir
}

#[test]
fn a_fifo_named_like_a_rule_or_test_file_is_an_error_not_a_hang() {
    for name in ["douyin/stalled.policy", "douyin/stalled.test.toml"] {
        let dir = rules_copy();
        let fifo = dir.path().join(name);
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let rules = dir.path().to_str().unwrap();
        let limit = Duration::from_secs(30);
        let runs: Vec<Vec<&str>> = if name.ends_with(".policy") {
            vec![
                vec!["check", rules],
                vec!["fmt", "--check", rules],
                vec!["test", rules],
            ]
        } else {
            vec![vec!["test", rules]]
        };
        for args in runs {
            let out = run_bounded(&args, None, limit);
            let err = String::from_utf8_lossy(&out.stderr).to_string()
                + &String::from_utf8_lossy(&out.stdout);
            assert!(!out.status.success(), "{args:?}: {err}");
            assert!(
                err.contains("stalled") && err.contains("not a regular file (a FIFO)"),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn text_that_is_not_utf8_is_the_same_located_error_for_the_library_and_check() {
    let dir = rules_copy();
    std::fs::write(
        dir.path().join("douyin/latin1.policy"),
        b"// caf\xE9\npolicy a.b { }\n",
    )
    .unwrap();
    let err = guifan::RuleSet::from_dir(dir.path()).unwrap_err();
    let codes: Vec<(&str, (usize, usize))> = err
        .problems()
        .iter()
        .map(|p| (p.code(), p.position()))
        .collect();
    assert_eq!(codes, [("guifan::parse::encoding", (1, 7))]);
    let out = run_bounded(
        &["check", "--format", "json", dir.path().to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("guifan::parse::encoding"), "{text}");
    assert!(
        text.contains("\"line\": 1") && text.contains("\"column\": 7"),
        "{text}"
    );
}

/// A rules copy with one test file for `douyin.e_waybill` whose case is named `name` (TOML text).
fn with_test_named(name: &str) -> tempfile::TempDir {
    let dir = rules_copy();
    for f in std::fs::read_dir(dir.path().join("douyin")).unwrap() {
        let p = f.unwrap().path();
        if p.to_string_lossy().ends_with(".test.toml") {
            std::fs::remove_file(p).unwrap();
        }
    }
    std::fs::write(
        dir.path().join("douyin/e_waybill.test.toml"),
        format!(
            "policy = \"douyin.e_waybill\"\nat = \"2021-09-01T00:00:00+08:00\"\n[base]\nkind = \"shipment\"\nid = \"s\"\nplatform = \"douyin\"\norder_source = \"douyin_store\"\nshipped_at = \"2021-09-01T10:00:00+08:00\"\nwaybill = \"553000\"\n\n[[case]]\nname = \"{name}\"\nexpect = {{}}\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn junit_output_is_well_formed_whatever_the_case_names() {
    let dir = with_test_named("bell \\u0007 escape \\u001B form \\f and <&>");
    let out = run_bounded(
        &["test", "--format", "junit", dir.path().to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    let forbidden: Vec<char> = xml
        .chars()
        .filter(|c| *c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    assert!(forbidden.is_empty(), "{forbidden:?} in {xml}");
    assert!(
        xml.contains("bell \\u{7} escape \\u{1B} form \\u{C} and &lt;&amp;&gt;"),
        "{xml}"
    );
}

#[test]
fn bad_min_coverage_is_bad_usage_and_an_unmatched_filter_fails() {
    for bad in ["nan", "inf", "-1", "101", "1e308", "lots"] {
        let out = run_bounded(
            &["test", "--min-coverage", bad, "rules"],
            None,
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(2), "--min-coverage {bad}");
    }
    let out = run_bounded(
        &[
            "test",
            "--min-coverage",
            "100",
            "rules/douyin/e_waybill.test.toml",
        ],
        None,
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bounded(
        &["test", "--filter", "no case is called this", "rules/douyin"],
        None,
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches no test case"));
}

#[test]
fn diff_reports_records_that_do_not_decode_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.jsonl");
    let good = std::fs::read_to_string(root().join("examples/douyin_zero_deposit_trial.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        &data,
        format!("{good}\n{{\"kind\":\"merchant\",\"id\":\"bad\",\"platform\":\"douyin\",\"listings_online\":\"many\"}}\n{good}\n"),
    )
    .unwrap();
    let out = run_bounded(
        &[
            "diff",
            "--base",
            "rules",
            "--rules",
            "rules",
            "--data",
            data.to_str().unwrap(),
            "--at",
            "2023-04-20T12:00:00+08:00",
        ],
        None,
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("data.jsonl:2: not decoded"), "{err}");
    assert!(err.contains("guifan::data::invalid"), "{err}");
}

#[test]
fn params_accept_toml_nested_tables_and_bound_pattern_lists() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.toml");
    let data = dir.path().join("m.jsonl");
    let merchant = std::fs::read_to_string(root().join("examples/douyin_zero_deposit_trial.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("\"personal\""))
        .unwrap()
        .to_string();
    std::fs::write(&data, format!("{merchant}\n")).unwrap();
    // Unquoted, TOML reads `[douyin.zero_deposit_trial]` as nested tables.
    std::fs::write(
        &params,
        "[douyin.zero_deposit_trial]\npersonal_listing_cap = 0\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--data",
            data.to_str().unwrap(),
            "--at",
            "2023-04-20T12:00:00+08:00",
        ];
        args.extend_from_slice(extra);
        run_bounded(&args, None, Duration::from_secs(30))
    };
    let plain = String::from_utf8(run(&[]).stdout).unwrap();
    let out = run(&["--params", params.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tuned = String::from_utf8(out.stdout).unwrap();
    assert!(
        !plain.contains("listing_cap") && tuned.contains("listing_cap"),
        "{tuned}"
    );
    // A misspelt policy: did you mean.
    std::fs::write(
        &params,
        "[douyin.zero_deposit_trail]\npersonal_listing_cap = 0\n",
    )
    .unwrap();
    let out = run_bounded(
        &["check", "--params", params.to_str().unwrap(), "rules"],
        None,
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean `douyin.zero_deposit_trial`?"),
        "{err}"
    );
    // 100,000 patterns: refused before any is compiled.
    let patterns: Vec<String> = (0..100_000).map(|i| format!("\"w{i}[a-z]+\"")).collect();
    std::fs::write(
        &params,
        format!(
            "[wildberries.buyer_chat]\ninsult_patterns = [{}]\n",
            patterns.join(",")
        ),
    )
    .unwrap();
    let out = run_bounded(
        &[
            "check",
            "--params",
            params.to_str().unwrap(),
            "rules",
            "--format",
            "github",
        ],
        None,
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(3));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("100000 patterns; a pattern parameter holds at most 1000"),
        "{report}"
    );
}

#[test]
fn data_never_starts_a_forged_line_and_repeated_ids_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    let claim = |id: &str, price: &str| {
        format!(
            r#"{{"kind":"claim","id":"{id}","platform":"douyin","order_at":"2023-02-20T12:00:00+08:00","price":"{price}","finding":"counterfeit"}}"#
        )
    };
    std::fs::write(
        &data,
        [
            claim("c\\nerror: forged", "lots"),
            claim("twin", "300.00"),
            claim("twin", "200.00"),
        ]
        .join("\n"),
    )
    .unwrap();
    let limit = Duration::from_secs(30);
    let at = "2023-03-01T00:00:00+08:00";
    let out = run_bounded(
        &["run", "--data", data.to_str().unwrap(), "--at", at],
        None,
        limit,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record `c\\u{a}error: forged`"), "{err}");
    assert!(
        !err.lines().any(|l| l.starts_with("error: forged")),
        "{err}"
    );
    // Two records with one ID: explain says which it explains.
    let out = run_bounded(
        &[
            "explain",
            "--data",
            data.to_str().unwrap(),
            "--subject",
            "twin",
            "--at",
            at,
        ],
        None,
        limit,
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "2 records have `id` `twin`; this explains the first, line 2 (the others: line 3)"
        ),
        "{err}"
    );
    // diff lists a repeated subject once per record, and says so.
    let changed = dir.path().join("rules");
    common::copy_dir(&root().join("rules"), &changed);
    let policy = changed.join("douyin/authenticity_guarantee.policy");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replace("3 * price", "5 * price")).unwrap();
    let out = run_bounded(
        &[
            "diff",
            "--base",
            "rules",
            "--rules",
            changed.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--at",
            at,
        ],
        None,
        limit,
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("note: 1 changed records share their subject's ID with an earlier one"),
        "{report}"
    );
}

#[test]
fn fmt_keeps_hard_links_and_owners_and_leaves_no_temporary_file_when_stopped() {
    use std::os::unix::fs::MetadataExt;
    let dir = rules_copy();
    let policy = dir.path().join("douyin/e_waybill.policy");
    let messy = std::fs::read_to_string(&policy)
        .unwrap()
        .replace("  zone", "zone");
    std::fs::write(&policy, &messy).unwrap();
    // A second name for the file: formatting would part them, so it is refused.
    let other = dir.path().join("e_waybill.hardlink");
    std::fs::hard_link(&policy, &other).unwrap();
    let out = run_bounded(
        &["fmt", policy.to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("has 2 hard links"), "{err}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), messy);
    assert_eq!(std::fs::metadata(&policy).unwrap().nlink(), 2);
    std::fs::remove_file(&other).unwrap();
    // Another owner's file keeps its owner (where this user may give it: root).
    let owned = std::os::unix::fs::chown(&policy, Some(4321), Some(4321)).is_ok();
    let out = run_bounded(
        &["fmt", policy.to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read_to_string(&policy).unwrap(), messy);
    if owned {
        let meta = std::fs::metadata(&policy).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (4321, 4321));
    }
    // Stopped while it writes: exit 143, no temporary file left.
    let many = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        std::fs::write(many.path().join(format!("p{i}.policy")), &messy).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_guifan"))
        .arg("fmt")
        .arg(many.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    let left: Vec<String> = std::fs::read_dir(many.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn explain_streams_its_input_and_still_ranks_against_all_of_it() {
    // From a pipe, read once: the subject is the 290th of 300 videos; its
    // place in the daily ranking comes from all of them.
    let data = videos(300);
    let out = run_bounded(
        &[
            "explain",
            "--data",
            "-",
            "--subject",
            "v-290",
            "--at",
            AT,
            "--format",
            "json",
        ],
        Some(&data),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"subject\": \"v-290\""), "{text}");
    // v-290 has the 10th highest GMV of the 300 (v-299 the highest); v-289 the 11th.
    let status = |text: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["rules"].as_array().unwrap().iter())
            .find(|r| r["rule"] == "tiktok_shop.ramadan_2023.daily_top10")
            .map(|r| r["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status(&text), "fired", "{text}");
    let out = run_bounded(
        &[
            "explain",
            "--data",
            "-",
            "--subject",
            "v-289",
            "--at",
            AT,
            "--format",
            "json",
        ],
        Some(&data),
        Duration::from_secs(60),
    );
    let fired = status(&String::from_utf8_lossy(&out.stdout)) == "fired";
    assert!(!fired);
}

//! What a user or an attacker sends never crashes `guifan`, hangs it,
//! corrupts a file or loses a record: one regression test per defect found.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::{guifan, guifan_stdin, merchant, root, stderr, stdout};

const AT: &str = "2023-04-20T12:00:00+08:00";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guifan"));
    c.current_dir(root());
    c
}

/// A copy of the bundled rules in a temporary directory, plus `extra` files.
fn rules_with(extra: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["schema", "douyin"] {
        let from = root().join("rules").join(sub);
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for f in std::fs::read_dir(from).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), dir.path().join(sub).join(f.file_name())).unwrap();
        }
    }
    for (name, bytes) in extra {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

#[test]
fn output_through_a_symlink_replaces_its_target_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("decisions.jsonl");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("latest.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let data = dir.path().join("in.jsonl");
    std::fs::write(&data, merchant("m-1", 101) + "\n").unwrap();
    let out = guifan(&[
        "run",
        "--data",
        data.to_str().unwrap(),
        "--at",
        AT,
        "--output",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target).unwrap().contains("m-1"));
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_closed_standard_output_ends_quietly_with_141() {
    let input: String = (0..20_000)
        .map(|i| merchant(&format!("m-{i}"), 101) + "\n")
        .collect();
    let mut child = bin()
        .args(["run", "--data", "-", "--at", AT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader goes away (as `head` does): stdout is closed here.
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    assert_eq!(out.status.code(), Some(141), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));

    // `check --format json` and `test` print through the same guard.
    for args in [&["check", "--format", "json"][..], &["test"][..]] {
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(141)),
            "{args:?}: {:?}",
            out.status
        );
    }
}

#[test]
fn a_closed_standard_error_is_no_crash() {
    let dir = rules_with(&[(
        "bad.policy",
        b"policy x.y { subject merchant rule r { when nope then e } }",
    )]);
    let mut child = bin()
        .args(["check", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "the problems are still found");
}

#[test]
fn a_rule_file_that_is_not_utf8_gets_a_located_diagnostic() {
    let dir = rules_with(&[("bad.policy", b"policy x.y {\n  title \"\xff\xfe\"\n}\n")]);
    let out = guifan(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let problems: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(problems[0]["code"], "guifan::parse::encoding");
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(problems[0]["column"], 10);
}

#[test]
fn a_byte_order_mark_is_accepted_in_rule_files_and_data() {
    let policy = b"\xEF\xBB\xBFpolicy bom.ok {\n  subject merchant where platform == \"douyin\"\n  zone Asia/Shanghai\n  rule r { when listings_online > 100 then violation(code: \"x\") }\n}\n";
    let dir = rules_with(&[("bom.policy", policy)]);
    let out = guifan(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let data = format!("\u{FEFF}{}\n", merchant("m-1", 101));
    for format in ["jsonl", "json"] {
        let out = guifan_stdin(
            &[
                "run",
                "--rules",
                dir.path().to_str().unwrap(),
                "--data",
                "-",
                "--input-format",
                format,
                "--at",
                AT,
            ],
            &data,
        );
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(stdout(&out).contains("bom.ok.r"), "{format}");
    }
}

#[test]
fn usage_errors_exit_two() {
    let out = guifan(&[
        "run",
        "--data",
        "examples/douyin_zero_deposit_trial.jsonl",
        "--params",
        "no/such/params.toml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = guifan(&[
        "run",
        "--data",
        "examples/douyin_zero_deposit_trial.jsonl",
        "--jobs",
        "100000",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--jobs takes 1 to"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_symlink_loop_in_the_rule_directory_is_walked_once() {
    let dir = rules_with(&[]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("douyin").join("loop")).unwrap();
    let out = guifan(&["check", dir.path().to_str().unwrap()]);
    // The policies are found once (through the loop they would be declared again).
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn control_characters_in_record_ids_are_escaped_on_the_terminal() {
    let bad = merchant("m-\\u001b[31mred", 40).replace(r#""balance":"0.00""#, r#""balance":"x""#);
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &(bad + "\n"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("m-\\u{1b}[31mred"), "{err}");
}

#[test]
fn a_repeated_key_names_the_key_and_the_line_and_the_others_go_on() {
    let bad = merchant("m-2", 40).replace(
        r#""currency":"CNY","#,
        r#""currency":"CNY","currency":"RUB","#,
    );
    let input = format!("{}\n{bad}\n{}\n", merchant("m-1", 40), merchant("m-3", 101));
    let out = guifan_stdin(&["run", "--data", "-", "--at", AT], &input);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("<stdin>:2 (record `m-2`)") && err.contains("duplicate key `currency`"),
        "{err}"
    );
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn a_table_is_laid_out_a_group_at_a_time() {
    let input: String = (0..20_000)
        .map(|i| merchant(&format!("m-{i}"), 40) + "\n")
        .collect();
    let out = guifan_stdin(
        &["run", "--data", "-", "--at", AT, "--format", "table"],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let headers = text
        .lines()
        .filter(|l| l.contains("subject") && l.contains("message"))
        .count();
    assert!(
        headers >= 2,
        "one table per group of records, found {headers}"
    );
    assert_eq!(text.matches("m-19999 ").count(), 1);
}

#[test]
fn an_interrupted_run_removes_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    let mut child = bin()
        .args([
            "run",
            "--data",
            "-",
            "--at",
            AT,
            "--output",
            output.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Enough for the temporary file to exist; the input stays open, so the run waits.
    stdin
        .write_all((merchant("m-1", 101) + "\n").repeat(20_000).as_bytes())
        .unwrap();
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    let started = std::time::Instant::now();
    while temporaries().is_empty() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        temporaries().len(),
        1,
        "the run writes through a temporary file"
    );
    assert!(temporaries()[0].starts_with(".out.jsonl.guifan-"));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    assert!(temporaries().is_empty(), "{:?}", temporaries());
    assert!(!output.exists(), "nothing half-written is published");
}

#[test]
fn a_diagnostic_past_column_65535_renders_clipped() {
    let policy = format!(
        "policy long.line {{ subject merchant where platform == \"douyin\" zone Asia/Shanghai rule r {{ when {}nope > 1 then violation(code: \"x\") }} }}",
        " ".repeat(100_000)
    );
    let dir = rules_with(&[("long.policy", policy.as_bytes())]);
    let out = guifan(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err:.2000}");
    assert!(err.contains("unknown field `nope`"), "{err:.2000}");
    assert!(
        err.contains("long.policy:1:100"),
        "the real line and column: {err:.2000}"
    );
    assert!(
        err.len() < 5_000,
        "the line is clipped: {} bytes",
        err.len()
    );
}

/// Every input the fuzzers found (`fuzz/regressions/`) goes through loading
/// and checking with the bundled schema, promptly and without a panic.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = root().join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let mut texts = common::rule_texts(&root().join("rules/schema"));
        texts.push((path.clone(), text));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let loaded = guifan::RuleSet::from_sources(texts).is_ok();
            let _ = tx.send(loaded);
        });
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{} does not load promptly", path.display()));
        count += 1;
    }
    assert!(count >= 1);
}

//! The conventions of a mature command line: colour as the flag and the
//! environment ask, `-q`/`-v`, `--version` with its commit, completions and
//! man pages, examples in every `--help`, `check -` and the terminal's width.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use std::process::{Command, Output, Stdio};

use common::{root, stderr, stdout};

/// `guifan` with some environment variables set and the colour ones cleared.
fn guifan_env(args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guifan"));
    cmd.args(args).current_dir(root());
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "TERM",
        "COLUMNS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        std::io::Write::write_all(&mut stdin, text.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The bundled trial policy with one misspelt field, as a draft on standard input.
fn draft() -> String {
    std::fs::read_to_string(root().join("rules/douyin/zero_deposit_trial.policy"))
        .unwrap()
        .replace(
            "listings_online > listing_cap",
            "listing_online > listing_cap",
        )
}

#[test]
fn check_reads_a_policy_from_standard_input() {
    let out = guifan_env(&["check", "-", "--format", "github"], &[], Some(&draft()));
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).starts_with("::error file=<stdin>,line=107,"),
        "{}",
        stdout(&out)
    );
    let good = draft().replace("listing_online", "listings_online");
    let out = guifan_env(&["check", "-"], &[], Some(&good));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("ok: 4 file(s)"), "{}", stderr(&out));
}

#[test]
fn colour_follows_the_flag_then_the_environment() {
    let escapes = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["check", "-"];
        all.extend_from_slice(args);
        stderr(&guifan_env(&all, env, Some(&draft()))).contains('\u{1b}')
    };
    assert!(!escapes(&[], &[]), "a pipe gets no colour");
    assert!(escapes(&[], &["--color", "always"]));
    assert!(escapes(&[("NO_COLOR", "1")], &["--color", "always"]));
    assert!(escapes(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(escapes(&[("FORCE_COLOR", "1")], &[]));
    assert!(!escapes(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!escapes(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
}

#[test]
fn reports_fit_the_width_asked_for() {
    // An optional field used without a test: a long help line.
    let policy = draft().replace(
        "listing_online > listing_cap",
        "withdrawal_request.amount > 1 CNY",
    );
    let longest = |columns: &str| {
        let out = guifan_env(&["check", "-"], &[("COLUMNS", columns)], Some(&policy));
        assert!(stderr(&out).contains("may be absent"), "{}", stderr(&out));
        // Source lines are shown as written; messages and help are wrapped.
        stderr(&out)
            .lines()
            .filter(|l| !l.contains(['│', '·', '╭', '╰']))
            .map(|l| l.chars().count())
            .max()
            .unwrap()
    };
    assert!(longest("60") <= 60, "{}", longest("60"));
    assert!(longest("160") > 60);
}

#[test]
fn quiet_and_verbose() {
    let out = guifan_env(&["-q", "check", "rules"], &[], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "", "-q leaves out the summary");
    let out = guifan_env(&["check", "rules", "-v"], &[], None);
    let err = stderr(&out);
    assert!(
        err.contains("checked rules/douyin/zero_deposit_trial.policy"),
        "{err}"
    );
    assert!(err.contains("ok: 17 file(s)"), "{err}");
    let out = guifan_env(&["test", "rules/cainiao", "--verbose"], &[], None);
    assert!(stdout(&out).contains("  ok a pilot city picks up until 21:00"));
    let out = guifan_env(&["-q", "-v", "check"], &[], None);
    assert_eq!(out.status.code(), Some(2), "-q and -v conflict");
}

#[test]
fn version_completions_and_man_pages() {
    let out = guifan_env(&["--version"], &[], None);
    let version = stdout(&out);
    assert!(version.starts_with(&format!("guifan {}", env!("CARGO_PKG_VERSION"))));
    // Built from a git checkout: the commit and its date.
    if root().join(".git").exists() {
        let inner = version.split('(').nth(1).unwrap_or_default();
        let (commit, date) = inner
            .trim_end()
            .trim_end_matches(')')
            .split_once(' ')
            .unwrap();
        assert!(
            commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{version}"
        );
        assert_eq!(date.len(), 10, "{version}");
    }
    for (shell, marker) in [
        ("bash", "_guifan()"),
        ("zsh", "#compdef guifan"),
        ("fish", "complete -c guifan"),
    ] {
        let out = guifan_env(&["completions", shell], &[], None);
        assert_eq!(out.status.code(), Some(0));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}");
        assert!(
            script.contains("explain") && script.contains("min-coverage"),
            "{shell}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = guifan_env(&["man", "--dir", pages.to_str().unwrap()], &[], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in [
        "guifan",
        "guifan-check",
        "guifan-run",
        "guifan-test",
        "guifan-diff",
    ] {
        let page = std::fs::read_to_string(pages.join(format!("{name}.1"))).unwrap();
        assert!(
            page.contains(".TH") && page.contains(".SH SYNOPSIS"),
            "{name}"
        );
    }
    let out = guifan_env(&["man"], &[], None);
    assert!(stdout(&out).contains(".TH guifan 1"));
}

#[test]
fn every_help_has_examples_and_its_own_text() {
    let out = guifan_env(&["--help"], &[], None);
    let top = stdout(&out);
    for word in ["check", "format", "test", "explain", "run", "diff", "serve"] {
        assert!(top.lines().next().unwrap().contains(word), "{word}: {top}");
    }
    for command in [
        "check",
        "run",
        "test",
        "fmt",
        "serve",
        "explain",
        "diff",
        "completions",
        "man",
    ] {
        let out = guifan_env(&[command, "--help"], &[], None);
        assert!(stdout(&out).contains("Examples:\n  guifan "), "{command}");
    }
    let out = guifan_env(&["explain", "--help"], &[], None);
    assert!(!stdout(&out).contains("Totals, then each rule's counts"));
}

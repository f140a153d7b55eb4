//! `guifan.toml`: the nearest one's settings stand in for the arguments left
//! to their defaults, in every command; a wrong one is refused at its line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::{root, stderr, stdout};

/// A project whose rules live in `policies/`, with a `guifan.toml`.
fn project(settings: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&root().join("rules"), &dir.path().join("policies"));
    std::fs::write(dir.path().join("guifan.toml"), settings).unwrap();
    dir
}

#[test]
fn every_command_reads_the_project_settings() {
    let dir = project(
        "[rules]\ndir = \"policies\"\nparams = \"deploy.toml\"\n\n[time]\nzone = \"Asia/Shanghai\"\n",
    );
    std::fs::write(
        dir.path().join("deploy.toml"),
        "[douyin.zero_deposit_trial]\npersonal_listing_cap = 120\n",
    )
    .unwrap();
    let out = common::guifan_in_with(dir.path(), &["check"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("ok: 17 file(s)"), "{}", stderr(&out));
    // A subdirectory finds the file above it.
    let sub = dir.path().join("policies/douyin");
    let out = common::guifan_in_with(&sub, &["fmt", "--check"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // run: the project's rules, its parameters, a time in its zone.
    let record = common::merchant("m-110", 110);
    let out = common::guifan_in_with(
        dir.path(),
        &["run", "--data", "-", "--at", "2023-04-20T12:00", "-q"],
        &record,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("listing_cap"),
        "the cap of 120 holds: {}",
        stdout(&out)
    );
    let out = common::guifan_in_with(
        dir.path(),
        &[
            "run",
            "--data",
            "-",
            "--at",
            "2023-04-20T12:00",
            "-q",
            "--params",
            "none.toml",
        ],
        &record,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an argument wins: none.toml is read"
    );
    // test: the project's rules (the bundled case expecting a cap of 100 fails
    // under the deployment's 120).
    let out = common::guifan_in_with(dir.path(), &["test"], "");
    assert!(
        stdout(&out).contains("FAILED 101 listings is not"),
        "{}",
        stdout(&out)
    );
    // Without the zone, a time without an offset is refused and says why.
    std::fs::write(
        dir.path().join("guifan.toml"),
        "[rules]\ndir = \"policies\"\n",
    )
    .unwrap();
    let out = common::guifan_in_with(
        dir.path(),
        &["run", "--data", "-", "--at", "2023-04-20T12:00"],
        &record,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[time] zone"), "{}", stderr(&out));
}

#[test]
fn lint_levels_allow_and_deny() {
    let dir = project("[rules]\ndir = \"policies\"\n");
    std::fs::remove_file(dir.path().join("policies/jd/scheduled_delivery.test.toml")).unwrap();
    let out = common::guifan_in_with(dir.path(), &["check"], "");
    assert!(
        stderr(&out).contains("guifan::lint::untested_policy"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        dir.path().join("guifan.toml"),
        "[rules]\ndir = \"policies\"\n[lint]\nallow = [\"guifan::lint::untested_policy\"]\n",
    )
    .unwrap();
    let out = common::guifan_in_with(dir.path(), &["check"], "");
    assert!(
        !stderr(&out).contains("untested_policy"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(
        dir.path().join("guifan.toml"),
        "[rules]\ndir = \"policies\"\n[lint]\ndeny = [\"guifan::lint::untested_policy\"]\n",
    )
    .unwrap();
    let out = common::guifan_in_with(dir.path(), &["check"], "");
    assert_eq!(
        out.status.code(),
        Some(3),
        "a denied lint fails: {}",
        stderr(&out)
    );
}

#[test]
fn a_wrong_project_file_is_refused_at_its_lines() {
    let dir = project(
        "[rules]\ndirs = \"policies\"\n[lint]\nallow = [\"guifan::lint::untested_polcy\"]\n[tiem]\nzone = \"UTC\"\n",
    );
    let out = common::guifan_in_with(dir.path(), &["check", "--format", "github"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("guifan.toml:2:1"), "{err}");
    assert!(err.contains("did you mean `dir`?"), "{err}");
    assert!(
        err.contains("did you mean `guifan::lint::untested_policy`?"),
        "{err}"
    );
    assert!(err.contains("did you mean `time`?"), "{err}");
}

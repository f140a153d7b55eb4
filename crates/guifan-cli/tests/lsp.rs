//! `guifan lsp` over stdio, the real binary: what an editor sees. The same
//! scenarios as the language server's in-memory tests (guifan-lsp's
//! tests/common/scenarios.rs), each against a fresh `guifan lsp` process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

#[path = "../../guifan-lsp/tests/common/mod.rs"]
mod common;

use std::process::Stdio;

use common::client::{uri, Client, WAIT};
use common::scenarios::{self, repo};
use tokio::process::{Child, ChildStdin, ChildStdout};

type Stdio2 = Client<ChildStdout, ChildStdin>;

/// `guifan lsp --stdio`, initialized on the repository.
async fn start() -> (Child, Stdio2) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_guifan"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let init = client.initialize(&uri(&repo())).await;
    assert_eq!(init["serverInfo"]["name"], "guifan");
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    (child, client)
}

/// Shuts the server down; it exits with success.
async fn stop(mut child: Child, mut client: Stdio2) {
    client.stop().await;
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

macro_rules! over_stdio {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let (child, mut client) = start().await;
            let _ = scenarios::$name(&mut client).await;
            stop(child, client).await;
        }
    )*};
}

over_stdio!(
    a_misspelt_field_is_diagnosed_and_its_quick_fix_clears_it,
    hover_shows_a_field_a_parameter_and_a_builtin,
    definition_of_a_field_is_in_the_kinds_schema,
    completion_after_a_dot_lists_the_fields_of_its_record,
    renaming_a_parameter_renames_it_in_the_policy_and_its_test_file,
    formatting_gives_the_canonical_layout,
    the_run_tests_lens_runs_the_policy_tests,
    the_explain_lens_shows_each_case_in_the_rule_hover,
    a_test_file_is_diagnosed_and_leads_to_its_rules,
    positions_are_utf16_on_lines_with_chinese_text,
);

#[tokio::test]
async fn hover_and_completion_over_stdio_are_those_of_the_snapshots() {
    let (child, mut client) = start().await;
    let hovers = scenarios::hover_shows_a_field_a_parameter_and_a_builtin(&mut client).await;
    assert!(hovers.contains("balance: money (CNY)"), "{hovers}");
    assert!(
        hovers.contains("param personal_listing_cap: int = 100"),
        "{hovers}"
    );
    assert!(
        hovers.contains("month(t: timestamp | date) -> date"),
        "{hovers}"
    );
    let listed =
        scenarios::completion_after_a_dot_lists_the_fields_of_its_record(&mut client).await;
    assert_eq!(listed, "balance money\nrequired money");
    stop(child, client).await;
}

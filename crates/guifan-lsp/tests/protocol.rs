//! The server driven over an in-memory duplex, the whole protocol: initialize,
//! open, diagnostics, hover, definition, completion, rename, formatting, code
//! actions, lenses, symbols — on the bundled rules directory, edited unsaved.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail loudly"
)]

mod common;

use common::client::{in_memory, InMemory};
use common::scenarios::{self, repo};

/// A server and a client over an in-memory duplex, on the repository.
async fn start() -> InMemory {
    in_memory(&repo()).await
}

#[tokio::test]
async fn a_misspelt_field_is_diagnosed_and_its_quick_fix_clears_it() {
    let mut client = start().await;
    scenarios::a_misspelt_field_is_diagnosed_and_its_quick_fix_clears_it(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn hover_shows_a_field_a_parameter_and_a_builtin() {
    let mut client = start().await;
    let shown = scenarios::hover_shows_a_field_a_parameter_and_a_builtin(&mut client).await;
    insta::assert_snapshot!(shown);
    client.stop().await;
}

#[tokio::test]
async fn definition_of_a_field_is_in_the_kinds_schema() {
    let mut client = start().await;
    scenarios::definition_of_a_field_is_in_the_kinds_schema(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn completion_after_a_dot_lists_the_fields_of_its_record() {
    let mut client = start().await;
    let shown = scenarios::completion_after_a_dot_lists_the_fields_of_its_record(&mut client).await;
    insta::assert_snapshot!(shown);
    client.stop().await;
}

#[tokio::test]
async fn renaming_a_parameter_renames_it_in_the_policy_and_its_test_file() {
    let mut client = start().await;
    scenarios::renaming_a_parameter_renames_it_in_the_policy_and_its_test_file(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn formatting_gives_the_canonical_layout() {
    let mut client = start().await;
    scenarios::formatting_gives_the_canonical_layout(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn the_run_tests_lens_runs_the_policy_tests() {
    let mut client = start().await;
    scenarios::the_run_tests_lens_runs_the_policy_tests(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn the_explain_lens_shows_each_case_in_the_rule_hover() {
    let mut client = start().await;
    scenarios::the_explain_lens_shows_each_case_in_the_rule_hover(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn symbols_outline_the_policy() {
    let mut client = start().await;
    scenarios::symbols_outline_the_policy(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn a_test_file_is_diagnosed_and_leads_to_its_rules() {
    let mut client = start().await;
    scenarios::a_test_file_is_diagnosed_and_leads_to_its_rules(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn positions_are_utf16_on_lines_with_chinese_text() {
    let mut client = start().await;
    scenarios::positions_are_utf16_on_lines_with_chinese_text(&mut client).await;
    client.stop().await;
}

#[tokio::test]
async fn hints_tokens_references_folding_and_workspace_symbols_answer() {
    let mut client = start().await;
    scenarios::hints_tokens_references_folding_and_workspace_symbols_answer(&mut client).await;
    client.stop().await;
}

//! The pest parser generated from `grammar.pest`; nothing else lives here.

#![allow(
    missing_docs,
    reason = "pest_derive generates the `Rule` enum; its docs come from the grammar"
)]

/// The generated parser for Guifan rule files.
#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct PolicyParser;

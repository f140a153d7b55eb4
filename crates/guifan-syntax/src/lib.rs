//! The syntax of Guifan (规范) rule files: a pest grammar, a typed AST with
//! spans, and parse errors as miette diagnostics. No evaluation happens here.
//!
//! ```
//! use guifan_syntax::{parse, SourceId, ast::Item};
//!
//! let file = parse(SourceId(0), r#"
//!     policy shop.demo {
//!       subject merchant
//!       rule big "商品过多" {
//!         when listings_online > 100
//!         then violation(code: "too_many")
//!       }
//!     }
//! "#).expect("parses");
//! assert!(matches!(file.items[0], Item::Policy(_)));
//! ```
//!
//! Data flow: text ─[`parse`]→ [`ast::RuleFile`] ─(guifan-eval `check`)→ IR.

pub mod ast;
pub mod diagnostic;
mod error;
mod grammar;
pub mod literal;
mod lower;
pub mod nesting;
mod same;
mod span;
pub mod visit;

pub use error::ParseError;
pub use same::same_ignoring_spans;
pub use span::{SourceId, Span, Spanned};

/// Parses one rule file into its AST, or every error found.
pub fn parse(source: SourceId, text: &str) -> Result<ast::RuleFile, Vec<ParseError>> {
    let (file, errors) = parse_recovering(source, text);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

/// Parses one rule file as far as it goes: every declaration and policy entry
/// that parses, and an error for each one that does not (recorded in
/// [`ast::RuleFile::broken`] and [`ast::PolicyDecl::broken`]). A syntax error
/// hides only the declaration or entry it is in.
pub fn parse_recovering(source: SourceId, text: &str) -> (ast::RuleFile, Vec<ParseError>) {
    lower::file_recovering(source, text)
}

/// Parses a single expression (for tools, tests and template checks).
pub fn parse_expr(source: SourceId, text: &str) -> Result<ast::Expr, ParseError> {
    lower::expression(source, text)
}

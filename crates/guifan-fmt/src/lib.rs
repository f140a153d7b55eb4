//! `guifan fmt`: the one canonical layout of Guifan rule files.
//!
//! The formatter prints the syntax tree back, with every comment kept and
//! every literal as its author wrote it (`72h` stays `72h`). Its layout is
//! fixed: two-space indentation, one entry per line, a blank line kept (never
//! more than one) where the author left one, and expressions broken over
//! lines only when they do not fit in [`WIDTH`] columns — `and`/`or` chains
//! before their operators, calls and lists one argument per line, `any {}` and
//! `all {}` one condition per line.
//!
//! Formatting is idempotent, and the formatted file has the same tree as the
//! original ([`guifan_syntax::same_ignoring_spans`]).
//!
//! ```
//! let messy = "policy a.b{subject merchant zone Asia/Shanghai\n// why\nparam cap:int=100}";
//! let tidy = guifan_fmt::format_text(messy).expect("parses");
//! assert_eq!(tidy, "policy a.b {\n  subject merchant\n  zone    Asia/Shanghai\n  // why\n  param cap: int = 100\n}\n");
//! ```

mod expr;
mod items;
mod printer;

use guifan_syntax::ast::RuleFile;
use guifan_syntax::{ParseError, SourceId};

/// The width lines are kept within, where the layout allows.
pub const WIDTH: usize = 100;

/// Formats a rule file's text; refuses (with the errors) a file that does not parse.
pub fn format_text(text: &str) -> Result<String, Vec<ParseError>> {
    let file = guifan_syntax::parse(SourceId(0), text)?;
    Ok(format_file(&file, text))
}

/// Formats a parsed file; `text` is the text it was parsed from (literals and
/// strings are printed as written there).
pub fn format_file(file: &RuleFile, text: &str) -> String {
    let comments = items::comments_for_layout(file);
    let mut p = printer::Printer::new(text, &comments);
    items::file(&mut p, file);
    p.finish()
}

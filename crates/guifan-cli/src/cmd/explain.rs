//! `guifan explain`: why each rule fired or did not for one subject.

use std::io::Read;

use guifan::clip::{one_line, printable};
use guifan::data::{self, InputFormat};
use guifan::report::ReportFormat;

use super::{error, evaluation_time, load, Input};
use crate::args::{ExplainArgs, ExplainFormat};
use crate::{errln, outln, Exit};

/// Finds the subject's record in the data and explains every policy of its
/// kind for it (ranking policies see the places of the whole input).
pub(crate) fn explain(args: ExplainArgs) -> Exit {
    let now = match evaluation_time(args.at.as_deref()) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let rules = match load(
        &args.rules,
        ReportFormat::Human,
        args.params.file.as_deref(),
    ) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let Input {
        name,
        mut source,
        format,
        ..
    } = match Input::open(&args.data, None, false) {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    // Found in one pass: the subject's first record (and the lines of any
    // other with its ID), and the ranking keys of every record when a policy
    // ranks. JSON Lines are streamed in blocks, so memory holds one block,
    // the record and the keys, never the input.
    let mut found: Option<(usize, Vec<u8>)> = None;
    let mut others: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    let mut look_at = |records: &[data::RecordText<'_>], keys: &mut Vec<_>| {
        for r in records {
            if guifan::record_id(&r.json).as_deref() == Some(args.subject.as_str()) {
                match &found {
                    None => found = Some((r.line, r.json.to_vec())),
                    Some(_) => others.push(r.line.to_string()),
                }
            }
        }
        if rules.needs_ranks() {
            keys.extend(rules.rank_keys(records, now, &mut |_| {}));
        }
    };
    if format == InputFormat::Jsonl {
        for block in data::Blocks::new(&mut source, guifan::BLOCK_BYTES) {
            match block {
                Ok(block) => look_at(&block.records(), &mut keys),
                Err(e) => return error(format!("cannot read {name}: {e}")),
            }
        }
    } else {
        // JSON arrays and TOML files are read whole, as `run` reads them.
        let mut bytes = Vec::new();
        if let Err(e) = source.read_to_end(&mut bytes) {
            return error(format!("cannot read {name}: {e}"));
        }
        match data::records(&bytes, format) {
            Ok(records) => look_at(&records, &mut keys),
            Err(e) => return error(format!("{}:{}: {}", args.data, e.line, e.message)),
        }
    }
    let Some((line, json)) = found else {
        return error(format!(
            "no record with `id` `{}` in {}",
            one_line(&args.subject),
            args.data
        ));
    };
    if !others.is_empty() {
        errln!(
            "note: {} records have `id` `{}`; this explains the first, line {line} (the others: line {})",
            others.len() + 1,
            one_line(&args.subject),
            others.join(", ")
        );
    }
    // Ranking policies see the places of the whole input.
    let rules = if rules.needs_ranks() {
        rules.with_rank_keys(keys)
    } else {
        rules
    };
    match rules.explain(&json, now) {
        Ok(e) => {
            match args.format {
                ExplainFormat::Human => outln!(
                    "{}",
                    guifan::explain::human(&e, crate::term::color_stdout()).trim_end()
                ),
                ExplainFormat::Json => {
                    outln!("{}", serde_json::to_string_pretty(&e).unwrap_or_default())
                }
            }
            Exit::Ok
        }
        Err(e) => {
            errln!("error: {}:{line}: {}", args.data, printable(&e.to_string()));
            Exit::Failures
        }
    }
}

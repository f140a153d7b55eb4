//! `guifan fmt`: rule files rewritten in the canonical layout, in place (each
//! whole or not at all), or only listed with `--check`.

use std::io::Read;
use std::path::{Path, PathBuf};

use guifan::report::{self, At, Diagnostic, Label, ReportFormat};
use guifan::{LoadError, SourceMap};

use crate::{errln, outln, Exit};

/// A file whose layout is not the canonical one.
struct Unformatted {
    path: PathBuf,
    /// 1-based line of the first difference
    line: usize,
    /// The difference, as a unified diff
    diff: String,
}

/// Formats `paths` (files or directories; `-` is standard input to standard
/// output). With `check`, changes nothing and exits 1 when some file is not
/// formatted. A file that does not parse is reported and left as it is (exit 3).
pub(crate) fn fmt(paths: &[PathBuf], check: bool, format: ReportFormat) -> Exit {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            errln!("error: `-` (standard input) is formatted alone");
            return Exit::Usage;
        }
        return stdin(check, format);
    }
    // An interrupted fmt leaves no temporary file behind, as an interrupted run does.
    if !check {
        if let Err(e) = crate::interrupt::install_cleanup() {
            errln!("error: cannot watch for interruptions: {e}");
            return Exit::Usage;
        }
    }
    let mut files = Vec::new();
    for p in paths {
        match guifan::rule_files(p) {
            Ok(f) => files.extend(f),
            Err(e) => return fail(format, &e),
        }
    }
    let mut sources = SourceMap::default();
    let mut problems = Vec::new();
    let mut unformatted = Vec::new();
    for path in &files {
        let read = match guifan::read_rule_file(path) {
            Ok(read) => read,
            Err(e) => {
                return fail(
                    format,
                    &LoadError::Io {
                        path: path.clone(),
                        source: e.into_io(),
                    },
                )
            }
        };
        if read.bad_byte.is_some() {
            problems.push(at_file(
                "guifan::parse::encoding",
                path,
                "not UTF-8 text: not formatted",
            ));
            continue;
        }
        // A leading byte-order mark was dropped, and is not written back.
        let text = read.text;
        let body = text.as_str();
        let formatted = match guifan::format_into(&mut sources, path.clone(), body) {
            Ok(formatted) => formatted,
            Err(errors) => {
                problems.extend(errors);
                continue;
            }
        };
        if formatted == body {
            continue;
        }
        if check {
            unformatted.push(difference(path, body, &formatted));
        } else if let Err(e) =
            guifan_runner::output::write_file(path, |out| out.write_all(formatted.as_bytes()))
        {
            errln!("error: cannot write `{}`: {e}", path.display());
            return Exit::Usage;
        } else if format == ReportFormat::Human {
            errln!("formatted {}", path.display());
        }
    }
    let mut diagnostics = problems;
    diagnostics.extend(unformatted.iter().map(|u| {
        Diagnostic::new(
            "guifan::fmt::unformatted",
            format!("`{}` is not formatted", u.path.display()),
            Label {
                at: At::Line {
                    file: u.path.display().to_string(),
                    line: u.line,
                    field: None,
                },
                message: None,
            },
        )
        .with_help("run `guifan fmt` on it")
    }));
    match format {
        ReportFormat::Human => {
            let errors: Vec<Diagnostic> = diagnostics
                .iter()
                .filter(|d| d.code != "guifan::fmt::unformatted")
                .cloned()
                .collect();
            if !errors.is_empty() {
                errln!(
                    "{}",
                    report::render(format, &errors, &sources, false).trim_end()
                );
            }
            for u in &unformatted {
                outln!(
                    "Diff in {} at line {}:\n{}",
                    u.path.display(),
                    u.line,
                    u.diff
                );
            }
            if check && !unformatted.is_empty() {
                errln!(
                    "{} file{} would be reformatted",
                    unformatted.len(),
                    if unformatted.len() == 1 { "" } else { "s" }
                );
            }
        }
        _ => {
            let text = report::render(format, &diagnostics, &sources, false);
            outln!("{}", text.trim_end());
        }
    }
    if diagnostics
        .iter()
        .any(|d| d.code != "guifan::fmt::unformatted")
    {
        Exit::CheckFailed
    } else if !unformatted.is_empty() {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

/// Standard input formatted to standard output (with `check`, only compared).
fn stdin(check: bool, format: ReportFormat) -> Exit {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        errln!("error: cannot read standard input: {e}");
        return Exit::Usage;
    }
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut sources = SourceMap::default();
    match guifan::format_into(&mut sources, "<stdin>", body) {
        Ok(formatted) => {
            if check {
                if formatted == body {
                    return Exit::Ok;
                }
                let u = difference(Path::new("<stdin>"), body, &formatted);
                outln!("Diff in <stdin> at line {}:\n{}", u.line, u.diff);
                return Exit::Failures;
            }
            crate::stdio::write_stdout(formatted.as_bytes())
        }
        Err(diagnostics) => {
            let text = report::render(format, &diagnostics, &sources, false);
            match format {
                ReportFormat::Human => errln!("{}", text.trim_end()),
                _ => outln!("{}", text.trim_end()),
            }
            Exit::CheckFailed
        }
    }
}

fn at_file(code: &'static str, path: &Path, message: &str) -> Diagnostic {
    Diagnostic::new(
        code,
        format!("`{}`: {message}", path.display()),
        Label {
            at: At::File(path.display().to_string()),
            message: None,
        },
    )
}

fn fail(format: ReportFormat, e: &LoadError) -> Exit {
    let (d, sources) = e.diagnostics();
    let text = report::render(format, &d, &sources, false);
    match format {
        ReportFormat::Human => errln!("{}", text.trim_end()),
        _ => outln!("{}", text.trim_end()),
    }
    Exit::Usage
}

/// Where two texts first differ, and a unified diff of them.
fn difference(path: &Path, before: &str, after: &str) -> Unformatted {
    let line = before
        .lines()
        .zip(after.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| before.lines().count().min(after.lines().count()))
        + 1;
    let diff = similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .to_string();
    Unformatted {
        path: path.to_path_buf(),
        line,
        diff,
    }
}

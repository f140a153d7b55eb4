//! The commands, one module each, and what they share: loading rules with
//! their problems reported, the evaluation time, and opening the data.

pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod fmt;
pub(crate) mod lsp;
pub(crate) mod run;
pub(crate) mod serve;
pub(crate) mod shell;
pub(crate) mod test;

use std::io::{BufRead, IsTerminal, Read};
use std::path::{Path, PathBuf};

use guifan::clip::printable;
use guifan::data::InputFormat;
use guifan::report::{self, Diagnostic, ReportFormat};
use guifan::{
    DateTime, FixedOffset, LoadError, Params, ParamsError, Population, RuleSet, SourceMap,
};

use crate::{errln, outln, Exit};

/// The most worker threads `--jobs` takes.
pub(crate) const MAX_JOBS: usize = 1024;
/// Stack of each worker thread: the deepest expression allowed needs under 2 MiB even in a debug build.
const WORKER_STACK: usize = 16 << 20;
/// The smallest data file `run` and `diff` show a progress bar for (smaller ones take a moment).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

/// Prints `error: <message>` and gives the usage status.
pub(crate) fn error(message: impl std::fmt::Display) -> Exit {
    errln!("error: {}", printable(&message.to_string()));
    Exit::Usage
}

/// Prints diagnostics in `format`: people read them on standard error,
/// machines on standard output.
pub(crate) fn report(format: ReportFormat, diagnostics: &[Diagnostic], sources: &SourceMap) {
    if diagnostics.is_empty() && format == ReportFormat::Human {
        return;
    }
    match format {
        ReportFormat::Human => {
            let (color, width) = (crate::term::color_stderr(), crate::term::width());
            errln!(
                "{}",
                report::render_human(diagnostics, sources, color, width).trim_end()
            );
        }
        _ => {
            let text = report::render(format, diagnostics, sources, false);
            outln!("{}", text.trim_end());
        }
    }
}

/// Reports a failed load; its exit status: unreadable files are usage
/// errors, the rest check failures.
pub(crate) fn load_failure(e: &LoadError, format: ReportFormat, what: &Path) -> Exit {
    let (diagnostics, sources) = e.diagnostics();
    report(format, &diagnostics, &sources);
    if let LoadError::Invalid {
        problems, omitted, ..
    } = e
    {
        if format == ReportFormat::Human {
            let total = problems.len() + omitted;
            let more = if *omitted > 0 {
                format!(" ({omitted} more not shown)")
            } else {
                String::new()
            };
            errln!(
                "error: {total} problem{} in rule files under `{}`{more}",
                if total == 1 { "" } else { "s" },
                printable(&what.display().to_string())
            );
        }
        return Exit::CheckFailed;
    }
    Exit::Usage
}

/// A parameter file's problems, each at its line, in any format.
pub(crate) fn params_failure(e: &ParamsError, format: ReportFormat) -> Exit {
    let (diagnostics, sources) = e.diagnostics();
    report(format, &diagnostics, &sources);
    match e {
        ParamsError::Io { .. } => Exit::Usage,
        ParamsError::Invalid { .. } => Exit::CheckFailed,
    }
}

/// The rule set with the overrides of `--params`, when given.
pub(crate) fn with_params(
    rules: RuleSet,
    params: Option<&Path>,
    format: ReportFormat,
) -> Result<RuleSet, Exit> {
    let Some(path) = params else {
        return Ok(rules);
    };
    Params::from_file(path)
        .and_then(|p| rules.with_params(&p))
        .map_err(|e| params_failure(&e, format))
}

/// Loads a rules directory, reporting problems in `format`; `Err` carries the exit status.
pub(crate) fn load(
    dir: &Path,
    format: ReportFormat,
    params: Option<&Path>,
) -> Result<RuleSet, Exit> {
    let rules = RuleSet::from_dir(dir).map_err(|e| load_failure(&e, format, dir))?;
    with_params(rules, params, format)
}

/// The evaluation time given with `--at` (the forms `guifan::parse_time`
/// takes, as the service's `?at=`), or the wall clock's.
pub(crate) fn evaluation_time(at: Option<&str>) -> Result<DateTime<FixedOffset>, Exit> {
    match at {
        Some(at) => crate::project::project().parse_time(at).map_err(|e| {
            error(format!(
                "--at `{at}` is not an RFC 3339 time: {e} (a time without an offset needs `[time] zone` in guifan.toml)"
            ))
        }),
        None => Ok(guifan::Utc::now().fixed_offset()),
    }
}

/// Starts the global worker pool (`jobs` threads, default one per core), with
/// stacks well above what the deepest rule allowed needs (reserved, not committed).
pub(crate) fn start_workers(jobs: Option<usize>) -> Result<(), Exit> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build_global()
        .map_err(|e| error(format!("cannot start the worker threads: {e}")))
}

/// The input read as it is now: a buffered stream.
pub(crate) type Source = std::io::BufReader<Box<dyn Read + Send>>;

/// The data named on the command line, opened: its name for messages, the
/// buffered source, its progress bar, and its format (given, from the file's
/// extension, or sniffed from its first bytes).
pub(crate) struct Input {
    pub(crate) data: String,
    pub(crate) name: String,
    pub(crate) source: Source,
    pub(crate) progress: Option<indicatif::ProgressBar>,
    pub(crate) format: InputFormat,
}

impl Input {
    /// Opens `data` (`-`: standard input).
    pub(crate) fn open(
        data: &str,
        given: Option<InputFormat>,
        show_progress: bool,
    ) -> Result<Input, Exit> {
        let name = if data == "-" {
            "<stdin>".to_string()
        } else {
            data.to_string()
        };
        let (mut source, progress) = open_data(data, show_progress)?;
        let format = match given.or_else(|| {
            (data != "-")
                .then(|| InputFormat::from_path(Path::new(data)))
                .flatten()
        }) {
            Some(f) => f,
            None => match source.fill_buf() {
                Ok(head) => InputFormat::sniff(head),
                Err(e) => return Err(error(format!("cannot read {name}: {e}"))),
            },
        };
        Ok(Input {
            data: data.to_string(),
            name,
            source,
            progress,
            format,
        })
    }

    /// The whole input, for the formats read whole (a JSON array, TOML).
    pub(crate) fn read_whole(&mut self) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.source.read_to_end(&mut bytes).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name))
        })?;
        Ok(bytes)
    }

    /// The input as a population that can be read twice (for ranking
    /// policies): a regular file is opened again; any other input (standard
    /// input, a pipe, a FIFO, a device) is read once, into a temporary file.
    pub(crate) fn population(self) -> std::io::Result<Population> {
        if reopenable(&self.data) {
            return Ok(Population::file(PathBuf::from(&self.data), self.format).named(self.name));
        }
        Population::spool(self.name, self.format, self.source)
    }
}

/// Whether `data` names a regular file, which can be opened a second time
/// and read again from its start. Standard input, pipes, FIFOs, process
/// substitutions (`<(...)`, `/dev/fd/63`), `/dev/stdin` and other devices
/// cannot: what was read of them is gone, and a FIFO opened again waits for
/// a second writer.
fn reopenable(data: &str) -> bool {
    data != "-" && std::fs::metadata(data).is_ok_and(|m| m.is_file())
}

/// The data named on the command line (`-`: standard input), buffered.
/// With a progress bar on standard error when it is a terminal and the file is
/// big enough to take more than a moment (`show` false: never).
fn open_data(data: &str, show: bool) -> Result<(Source, Option<indicatif::ProgressBar>), Exit> {
    if data == "-" {
        let source: Box<dyn Read + Send> = Box::new(std::io::stdin());
        return Ok((std::io::BufReader::with_capacity(1 << 16, source), None));
    }
    let file = match std::fs::File::open(data) {
        Ok(f) => f,
        Err(e) => return Err(error(format!("cannot read `{data}`: {e}"))),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = (show && size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let source: Box<dyn Read + Send> = match &bar {
        Some(b) => Box::new(b.wrap_read(file)),
        None => Box::new(file),
    };
    Ok((std::io::BufReader::with_capacity(1 << 16, source), bar))
}

/// The first of several paths, or `rules`.
pub(crate) fn first_path(paths: &[PathBuf]) -> &Path {
    paths.first().map_or(Path::new("rules"), PathBuf::as_path)
}

//! The `guifan` command: `check`, `fmt`, `test`, `run`, `serve`, `explain`
//! and `diff` over rule files and data, and `completions` and `man` for the
//! shell. Each command is a module of `cmd/`:
//! its arguments, its printing and its exit status; the work is done by the
//! `guifan` library and the runner.

mod args;
mod cmd;
mod exit;
mod interrupt;
mod project;
mod stdio;
mod term;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};
use exit::Exit;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    term::init(cli.color, cli.quiet, cli.verbose);
    if let Err(e) = project::apply(&mut cli, &matches) {
        let (diagnostics, sources) = e.diagnostics();
        cmd::report(guifan::report::ReportFormat::Human, &diagnostics, &sources);
        return ExitCode::from(Exit::Usage.code());
    }
    let exit = match cli.command {
        Command::Check(args) => cmd::check::check(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Test(args) => cmd::test::test(args),
        Command::Serve(args) => cmd::serve::serve(args),
        Command::Diff(args) => cmd::diff::diff(args),
        Command::Explain(args) => cmd::explain::explain(args),
        Command::Fmt(args) => cmd::fmt::fmt(&args.paths, args.check, args.format.into()),
        Command::Lsp(_) => cmd::lsp::lsp(),
        Command::Completions(args) => cmd::shell::completions(args.shell),
        Command::Man(args) => cmd::shell::man(args.dir.as_deref()),
    };
    ExitCode::from(exit.code())
}

//! The `guifan` command: `check`, `fmt`, `test`, `run`, `serve`, `explain`
//! and `diff` over rule files and data, and `completions` and `man` for the
//! shell. Each command is a module of `cmd/`:
//! its arguments, its printing and its exit status; the work is done by the
//! `guifan` library and the runner.

mod args;
mod cmd;
mod exit;
mod interrupt;
mod stdio;
mod term;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use exit::Exit;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    term::init(cli.color, cli.quiet, cli.verbose);
    let exit = match cli.command {
        Command::Check(args) => cmd::check::check(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Test(args) => cmd::test::test(args),
        Command::Serve(args) => cmd::serve::serve(args),
        Command::Diff(args) => cmd::diff::diff(args),
        Command::Explain(args) => cmd::explain::explain(args),
        Command::Fmt(args) => cmd::fmt::fmt(&args.paths, args.check, args.format.into()),
        Command::Completions(args) => cmd::shell::completions(args.shell),
        Command::Man(args) => cmd::shell::man(args.dir.as_deref()),
    };
    ExitCode::from(exit.code())
}

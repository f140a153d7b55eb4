//! `guifan.toml` for the command line: the nearest one's settings fill in
//! what the command line leaves to its defaults (an argument given always
//! wins), and stay readable by every command.

use std::path::PathBuf;
use std::sync::OnceLock;

use clap::parser::ValueSource;
use clap::ArgMatches;
use guifan::Project;

use crate::args::{Cli, Command};

static PROJECT: OnceLock<Project> = OnceLock::new();

/// The project's settings (none set when there is no `guifan.toml`).
pub(crate) fn project() -> &'static Project {
    PROJECT.get_or_init(Project::default)
}

/// Reads the nearest `guifan.toml` and lets its settings stand in for the
/// arguments left to their defaults.
pub(crate) fn apply(cli: &mut Cli, matches: &ArgMatches) -> Result<(), guifan::ProjectError> {
    let found = Project::discover(std::path::Path::new("."))?;
    let project = PROJECT.get_or_init(|| found);
    let Some((_, sub)) = matches.subcommand() else {
        return Ok(());
    };
    let defaulted = |id: &str| {
        sub.try_get_raw(id).is_ok()
            && sub
                .value_source(id)
                .is_none_or(|s| s == ValueSource::DefaultValue)
    };
    let rules = project.rules.clone();
    let params = project.params.clone();
    let set = |slot: &mut PathBuf, id: &str| {
        if let (true, Some(dir)) = (defaulted(id), &rules) {
            slot.clone_from(dir);
        }
    };
    let set_params = |slot: &mut Option<PathBuf>| {
        if slot.is_none() {
            slot.clone_from(&params);
        }
    };
    match &mut cli.command {
        Command::Check(a) => {
            if let (true, Some(dir)) = (defaulted("paths"), &rules) {
                a.paths = vec![dir.clone()];
            }
            if a.schema.is_none() {
                a.schema.clone_from(&project.schema);
            }
            set_params(&mut a.params.file);
        }
        Command::Run(a) => {
            set(&mut a.rules, "rules");
            set_params(&mut a.params.file);
        }
        Command::Explain(a) => {
            set(&mut a.rules, "rules");
            set_params(&mut a.params.file);
        }
        Command::Diff(a) => {
            set(&mut a.rules, "rules");
            set_params(&mut a.params.file);
        }
        Command::Serve(a) => {
            set(&mut a.rules, "rules");
            set_params(&mut a.params.file);
        }
        Command::Test(a) => {
            set(&mut a.dir, "dir");
            set_params(&mut a.params.file);
        }
        Command::Fmt(a) => {
            if let (true, Some(dir)) = (defaulted("paths"), &rules) {
                a.paths = vec![dir.clone()];
            }
        }
        // The language server finds each document's `guifan.toml` itself.
        Command::Lsp(_) | Command::Completions(_) | Command::Man(_) => {}
    }
    Ok(())
}

//! `guifan completions` and `guifan man`: the command line described for
//! shells and for `man`, generated from the same definitions as `--help`.

use std::path::Path;

use clap::CommandFactory;

use super::error;
use crate::args::Cli;
use crate::stdio::write_stdout;
use crate::Exit;

/// Prints the completion script for `shell` on standard output.
pub(crate) fn completions(shell: clap_complete::Shell) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "guifan", &mut script);
    write_stdout(&script)
}

/// Writes `guifan.1` to standard output, or it and one page per command
/// (`guifan-check.1`, ...) into `dir` (made if missing), each whole or not at all.
pub(crate) fn man(dir: Option<&Path>) -> Exit {
    let command = Cli::command();
    let Some(dir) = dir else {
        return match page(&command) {
            Ok(text) => write_stdout(&text),
            Err(e) => error(format!("cannot write the man page: {e}")),
        };
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return error(format!("cannot make `{}`: {e}", dir.display()));
    }
    let mut pages = vec![("guifan.1".to_string(), command.clone())];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("guifan-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("guifan {}", sub.get_name()))
            .version(env!("GUIFAN_LONG_VERSION"));
        pages.push((format!("{name}.1"), page));
    }
    for (file, command) in pages {
        let written = page(&command).and_then(|text| {
            guifan_runner::output::write_file(&dir.join(&file), |out| out.write_all(&text))
        });
        if let Err(e) = written {
            return error(format!("cannot write `{}`: {e}", dir.join(&file).display()));
        }
    }
    Exit::Ok
}

/// One man page, roff text.
fn page(command: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    Ok(out)
}

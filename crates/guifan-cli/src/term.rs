//! What the person at the terminal asked for: colour or not (`--color`, and
//! the `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR` and
//! `TERM=dumb` conventions), how wide the terminal is, and how talkative to
//! be (`-q`, `-v`). Set once from the global options, read everywhere.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour on a terminal, unless the environment says otherwise
    #[default]
    Auto,
    /// Always colour, even in a pipe
    Always,
    /// Never colour
    Never,
}

/// How much the commands say besides their results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: results and errors only: no summaries, no progress bars
    Quiet,
    /// The default
    Normal,
    /// `-v`: what was read and how long it took
    Verbose,
}

struct Settings {
    color: ColorChoice,
    verbosity: Verbosity,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Records the global options; the first call wins.
pub(crate) fn init(color: ColorChoice, quiet: bool, verbose: bool) {
    let verbosity = match (quiet, verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let _ = SETTINGS.set(Settings { color, verbosity });
}

/// How talkative to be.
pub(crate) fn verbosity() -> Verbosity {
    SETTINGS.get().map_or(Verbosity::Normal, |s| s.verbosity)
}

/// Whether `-q` was given.
pub(crate) fn quiet() -> bool {
    verbosity() == Verbosity::Quiet
}

/// Whether to colour what goes to standard error.
pub(crate) fn color_stderr() -> bool {
    color_for(std::io::stderr().is_terminal())
}

/// Whether to colour what goes to standard output.
pub(crate) fn color_stdout() -> bool {
    color_for(std::io::stdout().is_terminal())
}

fn color_for(is_terminal: bool) -> bool {
    let choice = SETTINGS.get().map_or(ColorChoice::Auto, |s| s.color);
    wants_color(choice, |name| std::env::var(name).ok(), is_terminal)
}

/// The colour decision, from `--color`, the environment and whether the
/// stream is a terminal: `--color` wins; then `NO_COLOR` (set and not empty)
/// turns colour off; `CLICOLOR_FORCE` or `FORCE_COLOR` (set, not empty, not
/// `0`) turns it on; `TERM=dumb` and `CLICOLOR=0` turn it off; otherwise a
/// terminal gets colour and a pipe does not.
pub(crate) fn wants_color(
    choice: ColorChoice,
    env: impl Fn(&str) -> Option<String>,
    is_terminal: bool,
) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    if set("NO_COLOR").is_some() {
        return false;
    }
    let forced = |name: &str| set(name).is_some_and(|v| v != "0");
    if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") {
        return true;
    }
    if env("TERM").as_deref() == Some("dumb") || env("CLICOLOR").as_deref() == Some("0") {
        return false;
    }
    is_terminal
}

/// The width human reports are laid out for: the terminal's (standard
/// error's, then standard output's), else `COLUMNS`, else 100; from 40 to 200.
pub(crate) fn width() -> usize {
    let from_terminal = terminal_size::terminal_size_of(std::io::stderr())
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()))
        .map(|(w, _)| usize::from(w.0));
    let from_env = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    };
    from_terminal
        .or_else(from_env)
        .unwrap_or(guifan::report::HUMAN_WIDTH)
        .clamp(40, 200)
}

#[cfg(test)]
mod tests {
    use super::{wants_color, ColorChoice};

    fn decide(choice: ColorChoice, vars: &[(&str, &str)], tty: bool) -> bool {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        wants_color(choice, env, tty)
    }

    #[test]
    fn the_flag_wins_then_the_environment_then_the_terminal() {
        use ColorChoice::{Always, Auto, Never};
        assert!(decide(Auto, &[], true));
        assert!(!decide(Auto, &[], false));
        assert!(decide(Always, &[("NO_COLOR", "1")], false));
        assert!(!decide(Never, &[("CLICOLOR_FORCE", "1")], true));
        assert!(!decide(Auto, &[("NO_COLOR", "1")], true));
        assert!(
            decide(Auto, &[("NO_COLOR", "")], true),
            "an empty NO_COLOR is unset"
        );
        assert!(!decide(
            Auto,
            &[("NO_COLOR", "x"), ("FORCE_COLOR", "1")],
            true
        ));
        assert!(decide(Auto, &[("CLICOLOR_FORCE", "1")], false));
        assert!(decide(Auto, &[("FORCE_COLOR", "true")], false));
        assert!(!decide(Auto, &[("FORCE_COLOR", "0")], false));
        assert!(!decide(Auto, &[("FORCE_COLOR", "")], false));
        assert!(!decide(Auto, &[("TERM", "dumb")], true));
        assert!(decide(Auto, &[("TERM", "xterm")], true));
        assert!(!decide(Auto, &[("CLICOLOR", "0")], true));
        assert!(decide(Auto, &[("CLICOLOR", "1")], true));
        assert!(decide(
            Auto,
            &[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")],
            true
        ));
    }
}

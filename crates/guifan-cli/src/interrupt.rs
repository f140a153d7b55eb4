//! Interrupted while writing an output file: the temporary file goes, and
//! the process ends with the status a shell gives a process killed by the signal.

/// On SIGINT, SIGTERM or SIGHUP: removes the temporary files being written and
/// exits with 128 + the signal's number, as a shell reports a process killed by it.
pub(crate) fn install_cleanup() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        std::thread::Builder::new()
            .name("guifan-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    guifan_runner::output::remove_temporaries_and_exit(128 + signal);
                }
            })?;
    }
    Ok(())
}

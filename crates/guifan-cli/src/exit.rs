//! Exit statuses of the `guifan` command.

/// Exit statuses of the `guifan` command, stable for CI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything succeeded
    Ok = 0,
    /// Some records or rules failed (the rest were decided), or some tests failed
    Failures = 1,
    /// Bad usage, or a file that cannot be read or written
    Usage = 2,
    /// Rule files do not parse or check
    CheckFailed = 3,
    /// Standard output was closed by its reader (128 + SIGPIPE, as a shell reports it)
    BrokenPipe = 141,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

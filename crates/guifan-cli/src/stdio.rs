//! Printing that never panics: a closed pipe on standard output ends the
//! process quietly with the status a shell gives a process killed by SIGPIPE
//! (141), and standard error is best effort.
//!
//! `println!` and `eprintln!` panic when a write fails (`guifan check | head`
//! closes the pipe early); every line the command prints goes through here.

use std::fmt::Arguments;
use std::io::Write;

/// Whether an I/O error means the reader went away.
pub fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Writes a line to standard output; exits with [`crate::Exit::BrokenPipe`] if its reader is gone.
pub fn out_line(args: Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if is_broken_pipe(&e) {
            std::process::exit(i32::from(crate::Exit::BrokenPipe.code()));
        }
        err_line(format_args!("error: cannot write to standard output: {e}"));
        std::process::exit(i32::from(crate::Exit::Usage.code()));
    }
}

/// Writes a line to standard error; a failure to do so is ignored (there is nowhere to report it).
pub fn err_line(args: Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// `println!` that ends the process quietly when standard output is closed.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::stdio::out_line(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::stdio::err_line(format_args!($($arg)*)) };
}

/// Writes bytes to standard output as they are: [`crate::Exit::Ok`], or the
/// status of the failure (a closed pipe ends quietly).
pub fn write_stdout(bytes: &[u8]) -> crate::Exit {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => crate::Exit::Ok,
        Err(e) if is_broken_pipe(&e) => crate::Exit::BrokenPipe,
        Err(e) => {
            err_line(format_args!("error: cannot write to standard output: {e}"));
            crate::Exit::Usage
        }
    }
}

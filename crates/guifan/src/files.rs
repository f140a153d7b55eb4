//! Reading rule, schema and test files from disk: the one way every surface
//! (the library, `check`, `fmt`, `test`, `serve` and its watcher) reads them.
//!
//! A rule file must be a regular file of at most [`MAX_RULE_FILE_BYTES`]:
//! a FIFO, a device or a socket named `*.policy` is refused at once, never
//! waited on (it is opened without blocking, and what was opened is what is
//! checked, so a file swapped for a FIFO between a look and the read is
//! refused too). Its text is UTF-8, a leading byte-order mark dropped; text
//! that is not is returned with the first bad byte's place, for a located
//! `guifan::parse::encoding` diagnostic.

use std::io::Read;
use std::path::Path;

/// The largest rule, schema or test file read (16 MiB): larger ones are refused.
pub const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// A rule file's text as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    /// The text: exact when it was UTF-8, else with each bad byte shown as `\u{FFFD}`
    pub text: String,
    /// Where the first byte that is not UTF-8 is (a byte offset in `text`), if any
    pub bad_byte: Option<usize>,
}

/// Why a rule file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The system's error opening or reading it
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a regular file (a FIFO, a device, a socket, a directory)
    #[error("not a regular file ({0}): rule, schema and test files must be regular files")]
    NotRegular(&'static str),
    /// Larger than [`MAX_RULE_FILE_BYTES`]
    #[error("{0} bytes; rule, schema and test files are at most {MAX_RULE_FILE_BYTES} bytes")]
    TooLarge(u64),
}

impl ReadError {
    /// As an I/O error, for callers that report one.
    pub fn into_io(self) -> std::io::Error {
        match self {
            ReadError::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// Reads a rule, schema or test file: a regular file, at most
/// [`MAX_RULE_FILE_BYTES`], never blocking on a FIFO.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.policy");
/// std::fs::write(&path, "\u{FEFF}kind k { n: int }")?;
/// let read = guifan::read_rule_file(&path)?;
/// assert_eq!(read.text, "kind k { n: int }");
/// assert_eq!(read.bad_byte, None);
///
/// std::fs::write(&path, b"kind k { n: \xFF }")?;
/// assert_eq!(guifan::read_rule_file(&path)?.bad_byte, Some(12));
///
/// let err = guifan::read_rule_file(dir.path()).unwrap_err();
/// assert!(err.to_string().starts_with("not a regular file (a directory)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_rule_file(path: &Path) -> Result<FileText, ReadError> {
    let file = open_without_blocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(file_kind(&meta)));
    }
    if meta.len() > MAX_RULE_FILE_BYTES {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow between the look and the read: never past the limit.
    file.take(MAX_RULE_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    let size = bytes.len() as u64;
    if size > MAX_RULE_FILE_BYTES {
        return Err(ReadError::TooLarge(size));
    }
    Ok(decode(bytes))
}

/// UTF-8 text, a leading byte-order mark dropped; otherwise the text with each
/// bad byte shown as `\u{FFFD}` and where the first one is.
fn decode(mut bytes: Vec<u8>) -> FileText {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => FileText {
            text,
            bad_byte: None,
        },
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            FileText {
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                bad_byte: Some(at),
            }
        }
    }
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO with no writer returns at once (reading a
    // regular file is unaffected).
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a file"
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("a.policy");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_rule_file(&fifo).map(|_| ()).map_err(|e| e.to_string()));
        });
        let result = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO must not block");
        assert_eq!(
            result.unwrap_err(),
            "not a regular file (a FIFO): rule, schema and test files must be regular files"
        );
    }

    #[test]
    fn a_device_and_an_oversized_file_are_refused() {
        let err = read_rule_file(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, ReadError::NotRegular("a device")), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.policy");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_RULE_FILE_BYTES + 1).unwrap();
        assert!(matches!(
            read_rule_file(&big).unwrap_err(),
            ReadError::TooLarge(n) if n == MAX_RULE_FILE_BYTES + 1
        ));
        f.set_len(MAX_RULE_FILE_BYTES).unwrap();
        assert_eq!(
            read_rule_file(&big).unwrap().text.len() as u64,
            MAX_RULE_FILE_BYTES
        );
    }
}

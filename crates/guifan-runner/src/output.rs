//! Writing a result file safely: whole or not at all, and never over anything
//! but a regular file.
//!
//! - A regular file (or a path that does not exist yet) is written through a
//!   temporary file beside it, renamed into place only when complete; the old
//!   file's permissions are kept, and its owner and group where the user may
//!   give them. A file with more than one hard link is refused: replacing it
//!   would part its names.
//! - A symbolic link is resolved and its final target is replaced; the link
//!   stays a link.
//! - Anything else (a device such as `/dev/null`, a FIFO, `/dev/stdout`, a
//!   socket) is written through directly: it cannot be replaced, and must not be.
//!
//! Temporary files are named `.<name>.guifan-<random>.tmp` and hold an
//! exclusive lock while they are written. A run that is interrupted by
//! SIGINT, SIGTERM or SIGHUP removes its temporary files (see
//! [`install_interrupt_cleanup`]); one killed outright leaves a file that the
//! next run writing the same destination recognises (nobody holds its lock)
//! and removes.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Symbolic links followed at most while resolving a destination (as the kernel does).
const MAX_LINKS: usize = 40;

/// Temporary files being written now, removed if the process is interrupted.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Writes `write`'s output to `path`, whole or not at all (see the module documentation).
pub fn write_file<T>(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let target = resolve_links(path)?;
    match std::fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => {
            if meta.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("`{}` is a directory", path.display()),
                ));
            }
            write_through(&target, write)
        }
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                // Replacing the file would leave its other names on the old text.
                if meta.nlink() > 1 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!(
                            "`{}` has {} hard links; writing it would part them (a new file under this name only): not written",
                            path.display(),
                            meta.nlink()
                        ),
                    ));
                }
            }
            replace(&target, Some(meta), write)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => replace(&target, None, write),
        Err(e) => Err(e),
    }
}

/// Follows symbolic links to the path that would be written (which may not exist yet).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "`{}`: more than {MAX_LINKS} levels of symbolic links",
            path.display()
        ),
    ))
}

fn write_through<T>(
    target: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let file = OpenOptions::new().write(true).open(target)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let result = write(&mut out)?;
    out.flush()?;
    Ok(result)
}

/// The prefix and suffix of temporary files written for `target`.
fn temp_affixes(target: &Path) -> (String, &'static str) {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (format!(".{name}.guifan-"), ".tmp")
}

fn replace<T>(
    target: &Path,
    old: Option<std::fs::Metadata>,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let permissions = old.as_ref().map(std::fs::Metadata::permissions);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_stale_temporaries(dir, target);
    let (prefix, suffix) = temp_affixes(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(suffix);
    let permissions = permissions.or_else(default_permissions);
    if let Some(p) = &permissions {
        builder.permissions(p.clone());
    }
    let mut tmp = create_registered(&builder, dir)?;
    let tmp_path = tmp.path().to_path_buf();
    let result = (|| {
        let r = {
            let mut out = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
            let r = write(&mut out)?;
            out.flush()?;
            r
        };
        if let Some(p) = permissions {
            // The umask may have narrowed the mode given at creation.
            tmp.as_file().set_permissions(p)?;
        }
        #[cfg(unix)]
        if let Some(meta) = &old {
            // The old file's owner and group, where this user may give them
            // (root may; others keep their own, as any editor does).
            use std::os::unix::fs::MetadataExt;
            let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()));
        }
        tmp.as_file().sync_all()?;
        Ok(r)
    })();
    let result = result.and_then(|r| tmp.persist(target).map(|_| r).map_err(|e| e.error));
    unregister(&tmp_path);
    result
}

/// Ordinary permissions for a new file (rw-r--r-- less the umask), not a temporary file's private ones.
fn default_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Removes temporary files for `target` left by runs that were killed outright.
fn remove_stale_temporaries(dir: &Path, target: &Path) {
    let (prefix, suffix) = temp_affixes(target);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(suffix)) {
            continue;
        }
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !is_file {
            continue;
        }
        let path = entry.path();
        // A file whose lock can be taken has no writer left.
        if let Ok(file) = File::open(&path) {
            if file.try_lock().is_ok() {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// Creates and locks a temporary file in `dir` and registers it, all while
/// holding the registry: an interruption either sees the file or comes before it.
fn create_registered(
    builder: &tempfile::Builder<'_, '_>,
    dir: &Path,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut list = IN_PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let tmp = builder.tempfile_in(dir)?;
    // Held until the file is renamed or removed: a later run knows it is not stale.
    tmp.as_file().try_lock().map_err(std::io::Error::other)?;
    list.push(tmp.path().to_path_buf());
    Ok(tmp)
}

fn unregister(path: &Path) {
    if let Ok(mut list) = IN_PROGRESS.lock() {
        list.retain(|p| p != path);
    }
}

/// Removes every temporary file being written now (for an interrupted process).
///
/// Another thread may start a file just after; a process that is ending uses
/// [`remove_temporaries_and_exit`], which keeps any from starting.
pub fn remove_temporaries() {
    let mut list = IN_PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    remove_listed(&mut list);
}

/// Removes every temporary file being written now and ends the process with
/// `code`. The registry stays held to the end, so no thread creates a
/// temporary file after the removal.
pub fn remove_temporaries_and_exit(code: i32) -> ! {
    let mut list = IN_PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    remove_listed(&mut list);
    std::process::exit(code)
}

fn remove_listed(list: &mut Vec<PathBuf>) {
    for p in list.drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_text(path: &Path, text: &str) -> std::io::Result<()> {
        write_file(path, |out| out.write_all(text.as_bytes()))
    }

    #[test]
    fn regular_files_are_replaced_whole_and_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_text(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A failed write leaves the old file and no temporary file.
        let failed = write_file(&path, |out| {
            out.write_all(b"partial")?;
            Err::<(), _>(std::io::Error::other("boom"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn symlinks_stay_links_and_their_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.jsonl");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink("real.jsonl", &link).unwrap();
        write_text(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("made.jsonl", &dangling).unwrap();
        write_text(&dangling, "made").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.jsonl")).unwrap(),
            "made"
        );
        // A loop is an error, not a hang.
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        assert!(write_text(&a, "x").is_err());
    }

    #[test]
    fn devices_and_fifos_are_written_through_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        // A null device of our own (where the system lets us make one), so a
        // regression can never replace the machine's `/dev/null`.
        let null = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if made {
            write_text(&null, "discarded").unwrap();
            let meta = std::fs::metadata(&null).unwrap();
            assert!(meta.file_type().is_char_device(), "the device was replaced");
        }

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_text(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(
            write_text(dir.path(), "x").is_err(),
            "a directory is refused"
        );
    }

    #[test]
    fn stale_temporary_files_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let stale = dir.path().join(".out.jsonl.guifan-abc123.tmp");
        std::fs::write(&stale, "left by a killed run").unwrap();
        let live = dir.path().join(".out.jsonl.guifan-live.tmp");
        std::fs::write(&live, "being written").unwrap();
        let holder = File::open(&live).unwrap();
        holder.lock().unwrap();
        let other = dir.path().join(".other.jsonl.guifan-x.tmp");
        std::fs::write(&other, "another destination's").unwrap();
        write_text(&path, "done").unwrap();
        assert!(!stale.exists(), "a stale temporary file is removed");
        assert!(live.exists(), "a locked one belongs to a running writer");
        assert!(other.exists(), "another destination's files are left alone");
        drop(holder);
    }

    #[test]
    fn interrupted_writes_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let _ = write_file(&path, |out| {
            out.write_all(b"partial")?;
            // What the signal handler does mid-write.
            remove_temporaries();
            Ok(())
        });
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")),
            "{names:?}"
        );
    }
}

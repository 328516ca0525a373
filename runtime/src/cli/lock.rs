//! The state directory's apply lock: on the local target, one `capz apply` or `capz
//! destroy` at a time per state directory.
//!
//! `apply.lock` in the state directory is locked exclusively (`flock`-style, through
//! [`std::fs::File::try_lock`]) for the whole run, and holds the holder's PID as text. A
//! second run waits up to `--lock-timeout` (default `0s`: refuse at once, as Terraform's
//! `-lock-timeout` does) and then refuses with `capz::apply::locked`, naming that PID. The
//! operating system releases the lock when the holder exits, however it exits (`kill -9`
//! included), so a stale lock cannot outlive its process.

use crate::codes;
use lang::Diagnostic;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// File name of the lock in the state directory.
pub const LOCK_FILE: &str = "apply.lock";

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
}

impl StateLock {
    /// Where the lock lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Take the lock of `state_dir`, waiting up to `timeout` for another holder; `waiting`
/// is called once with the holder's PID when the lock is busy and `timeout` is not zero.
///
/// Errors: `capz::apply::locked` (busy past `timeout`, naming the holder's PID) or
/// `capz::target::emulator-failed` (the directory or file cannot be created).
pub fn acquire(
    state_dir: &Path,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<StateLock, Diagnostic> {
    let path = state_dir.join(LOCK_FILE);
    let io_fail = |e: std::io::Error| {
        Diagnostic::error(
            codes::TARGET_EMULATOR_FAILED,
            format!("cannot create the apply lock {}: {e}", path.display()),
        )
        .with_help("check that the state directory (--state-dir) is writable")
    };
    std::fs::create_dir_all(state_dir).map_err(io_fail)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_fail)?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let holder = holder_pid(&path);
                if start.elapsed() >= timeout {
                    return Err(Diagnostic::error(
                        codes::APPLY_LOCKED,
                        format!(
                            "another capz apply (PID {holder}) holds the lock {} of this local ARM",
                            path.display()
                        ),
                    )
                    .with_help(
                        "wait for it to finish, or pass --lock-timeout DURATION (e.g. 5m) to wait for the lock",
                    ));
                }
                if !told {
                    told = true;
                    waiting(&holder);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(TryLockError::Error(e)) => return Err(io_fail(e)),
        }
    }
    // Ours now: record the PID for whoever waits next.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    Ok(StateLock { file, path })
}

/// The PID written in the lock file, or `unknown`.
fn holder_pid(path: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let pid = text.trim();
    if pid.is_empty() || !pid.chars().all(|c| c.is_ascii_digit()) {
        "unknown".into()
    } else {
        pid.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_pid_then_gets_it_once_free() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), Duration::ZERO, &mut |_| {}).unwrap();
        let written = std::fs::read_to_string(first.path()).unwrap();
        assert_eq!(written, std::process::id().to_string());
        let e = acquire(dir.path(), Duration::ZERO, &mut |_| {}).unwrap_err();
        assert_eq!(e.code, codes::APPLY_LOCKED);
        assert!(
            e.message.contains(&format!("PID {}", std::process::id())),
            "{}",
            e.message
        );
        let mut told = Vec::new();
        let e = acquire(dir.path(), Duration::from_millis(250), &mut |p| {
            told.push(p.to_string())
        })
        .unwrap_err();
        assert_eq!(e.code, codes::APPLY_LOCKED);
        assert_eq!(told, [std::process::id().to_string()]);
        drop(first);
        let again = acquire(dir.path(), Duration::ZERO, &mut |_| {});
        assert!(again.is_ok());
    }
}

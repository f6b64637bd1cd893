//! [`DirLock`]: one process per data directory. An exclusive lock on
//! `dir/LOCK` (std's `File::try_lock`, an `flock` on Unix), held for as long
//! as the [`DirLock`] lives; the operating system drops it when the process
//! dies, so a crash never leaves a directory locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

/// The name of the lock file inside the data directory.
const LOCK_FILE: &str = "LOCK";

/// An exclusive hold on a data directory; released on drop.
#[derive(Debug)]
pub struct DirLock {
    /// The locked directory.
    dir: PathBuf,
    /// The open, locked `LOCK` file: closing it releases the lock.
    _file: File,
}

impl DirLock {
    /// Creates `dir` when needed and locks it; [`StorageError::Locked`] when
    /// another holder (another process, or another open in this one) has it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let io = |what: &str, e: std::io::Error| {
            StorageError::Backend(format!("{what} {}: {e}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create data directory", e))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(|e| io("cannot open the lock file in", e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self {
                dir: dir.to_owned(),
                _file: file,
            }),
            Err(TryLockError::WouldBlock) => Err(StorageError::Locked {
                path: dir.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(io("cannot lock data directory", e)),
        }
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let first = DirLock::acquire(&dir).expect("locks");
        assert_eq!(first.dir(), dir);
        assert!(matches!(
            DirLock::acquire(&dir),
            Err(StorageError::Locked { path }) if path == dir
        ));
        drop(first);
        DirLock::acquire(&dir).expect("free again");
    }
}

//! One sync at a time: an exclusive lock on a file beside the database. The operating system
//! releases it when the process ends, however it ends, so a killed sync never blocks the next.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held while a sync runs.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another sync holds it.
    #[error("another sync is already running on this database (lock file {0})")]
    Busy(PathBuf),
    /// The lock file could not be opened.
    #[error("cannot open the sync lock file {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The lock file for a database: `<db>.sync-lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sync-lock");
    PathBuf::from(p)
}

impl SyncLock {
    /// Takes the lock for `db` without waiting.
    pub fn acquire(db: &Path) -> Result<Self, LockError> {
        let path = lock_path(db);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy(path)),
            Err(TryLockError::Error(source)) => Err(LockError::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let first = SyncLock::acquire(&db).unwrap();
        assert!(matches!(SyncLock::acquire(&db), Err(LockError::Busy(_))));
        drop(first);
        SyncLock::acquire(&db).expect("free again once released");
    }
}

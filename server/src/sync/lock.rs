//! One sync at a time: an exclusive lock on a file beside the database. The operating system
//! releases it when the process ends, however it ends, so a killed sync never blocks the next.
//! A sync that ends normally also removes the file; a killed one leaves it behind, harmless.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Held while a sync runs; dropping it removes the lock file and releases the lock.
#[derive(Debug)]
pub struct SyncLock {
    file: File,
    path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another sync holds it.
    #[error("another sync is already running on this database (lock file {0})")]
    Busy(PathBuf),
    /// The lock file could not be opened. The reason is in the message, not a `source`, so
    /// error chains print it once.
    #[error("cannot open the sync lock file {path}: {reason}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The lock file for a database: `<db>.sync-lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sync-lock");
    PathBuf::from(p)
}

/// Attempts at taking the lock when another process keeps removing the file under us.
const ATTEMPTS: usize = 10;

impl SyncLock {
    /// Takes the lock for `db` without waiting.
    pub fn acquire(db: &Path) -> Result<Self, LockError> {
        let path = lock_path(db);
        let io = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        for _ in 0..ATTEMPTS {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(LockError::Busy(path)),
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            // The holder before us may have removed the file between our open and our lock: then
            // we hold a lock on a file nobody else can find, and must lock the current one.
            if is_same_file(&file, &path) {
                return Ok(Self { file, path });
            }
        }
        Err(io(std::io::Error::other(
            "the lock file keeps being replaced",
        )))
    }
}

/// Whether `path` still names the open `file`.
fn is_same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

impl Drop for SyncLock {
    /// Removes the file while still holding the lock, so no one can lock it after we leave.
    fn drop(&mut self) {
        if is_same_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
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
        assert!(
            !lock_path(&db).exists(),
            "a sync that ends removes its lock file"
        );
        SyncLock::acquire(&db).expect("free again once released");
    }

    #[test]
    fn a_lock_file_left_by_a_killed_sync_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(lock_path(&db), "").unwrap();
        let lock = SyncLock::acquire(&db).expect("an unlocked leftover file is taken over");
        drop(lock);
        assert!(!lock_path(&db).exists());
    }
}

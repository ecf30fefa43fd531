//! The SQLite store: every read and write the product makes, one module per table family.
//!
//! Writes are idempotent upserts in transactions, so a sync repeated or cut short leaves the
//! database consistent and the next one completes it.

pub mod alarms;
pub mod chunks;
pub mod costs;
pub mod deployments;
pub mod metrics;
pub mod services;
pub mod sync_runs;
#[cfg(any(test, feature = "test-helpers"))]
pub mod test_helpers;
mod text;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

/// The schema migrations, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What can go wrong opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not an SQLite database.
    #[error("{path} is not an SQLite database (its header is not \"SQLite format 3\"); refusing to touch it")]
    NotSqlite {
        /// The offending path.
        path: PathBuf,
    },
    /// The file could not be read or created.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The file's folder does not exist or cannot be read.
    #[error("cannot open database {path}: {reason}")]
    Location {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The database was written by a newer Spendwatch than this one.
    #[error(
        "database {path} has schema version {found}, but this spendwatch knows versions up to {known}: \
         upgrade spendwatch (the database was left unchanged)"
    )]
    NewerSchema {
        /// The path given.
        path: PathBuf,
        /// Highest version recorded in the file.
        found: i64,
        /// Highest version this binary knows.
        known: i64,
    },
    /// Applying migrations failed.
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(sqlx::Error),
    /// SQLite said the disk is full (SQLITE_FULL): the transaction was rolled back whole.
    #[error(
        "the disk holding the database is full: this write was rolled back and everything stored \
         before it is intact; free some space and run again (it continues where it stopped)"
    )]
    DiskFull,
    /// SQLite was refused a write (SQLITE_READONLY): the file or its file system is read-only.
    #[error(
        "the database cannot be written (its file, folder or file system is read-only): nothing \
         was changed"
    )]
    ReadOnly,
    /// A point's value is NaN or an infinity: not a measurement, so the write is refused whole.
    #[error(
        "series {series_id}: the value at {ts} is {value}, but only finite numbers are stored \
         (nothing of this write was kept)"
    )]
    NonFinite {
        /// The series written to.
        series_id: i64,
        /// Time of the offending point.
        ts: i64,
        /// The offending value.
        value: f64,
    },
    /// A stored chunk of a series could not be decoded (the file was damaged or edited).
    #[error("series {series_id}: the stored chunk of day {day} cannot be decoded: {reason}")]
    Chunk {
        /// The series read.
        series_id: i64,
        /// The chunk's UTC day number.
        day: i64,
        /// What the decoder said.
        reason: String,
    },
    /// A stored JSON column could not be read.
    #[error("stored JSON is malformed: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<sqlx::Error> for StoreError {
    /// Names the two failures a user can mend (a full disk, a read-only file) and keeps SQLite's
    /// words for the rest.
    fn from(e: sqlx::Error) -> Self {
        match sqlite_primary_code(&e) {
            Some(SQLITE_FULL) => StoreError::DiskFull,
            Some(SQLITE_READONLY) => StoreError::ReadOnly,
            _ => StoreError::Query(e),
        }
    }
}

/// SQLITE_READONLY: a write to a database that cannot be written.
const SQLITE_READONLY: i32 = 8;
/// SQLITE_CANTOPEN: the file (or its journal beside it) cannot be opened.
const SQLITE_CANTOPEN: i32 = 14;
/// SQLITE_FULL: the disk (or the page limit) is full.
const SQLITE_FULL: i32 = 13;

/// SQLite's primary result code (the low byte of the extended one) of a database error.
fn sqlite_primary_code(e: &sqlx::Error) -> Option<i32> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    db.code()?.parse::<i32>().ok().map(|code| code & 0xff)
}

/// Why an existing database at `path` cannot be opened for writing, when that is the trouble:
/// the file or its folder refuses writes (a read-only mount, permissions). SQLite only says
/// "unable to open database file"; the operating system names the cause.
fn unwritable_reason(path: &Path) -> Option<String> {
    if let Err(e) = std::fs::OpenOptions::new().append(true).open(path) {
        return Some(format!("the file cannot be written ({e})"));
    }
    // WAL mode keeps two files beside the database: the folder must take new files.
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = folder.join(format!(".spendwatch-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(format!(
            "its folder {} does not take new files ({e}), and SQLite keeps its journal there",
            folder.display()
        )),
    }
}

/// Connections the pool keeps open (each on its own thread with its own page cache).
const MAX_CONNECTIONS: u32 = 8;

/// SQLite's page cache per connection, in KiB. Reads go through the operating system's file cache
/// anyway, and a connection's cache only serves that connection: at 64 MiB each, a year of
/// series read across the pool kept 512 MiB resident for little gain. 2 MiB each keeps the
/// B-trees' upper levels and a day's chunks, 16 MiB for the whole pool at most (at 8 MiB, a year
/// of 200 services left the server at 139 MB after the benchmark's load, at 2 MiB 102 MB, with
/// no page slower).
pub const PAGE_CACHE_KIB_PER_CONNECTION: i64 = 2 * 1024;

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Begins a write transaction holding SQLite's write lock from its first statement (BEGIN
/// IMMEDIATE). A deferred one that reads first and then writes is refused at once with
/// SQLITE_BUSY when another connection holds the lock (SQLite does not wait on the busy timeout
/// for that upgrade), so a writer elsewhere could make a sync fail; this one waits its turn.
pub(crate) async fn begin_write(pool: &SqlitePool) -> StoreResult<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// A handle to the SQLite database (cheap to clone: it wraps a pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Significant digits values are rounded to before they are stored (None: stored exactly).
    round_digits: Option<u8>,
}

impl Store {
    /// Opens (creating if missing) the database at `path`, checks it is ours, and migrates it.
    ///
    /// A file that is not SQLite, or was written by a newer schema, is left untouched.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Self::open_tuned(path, |options| options).await
    }

    /// [`Store::open`] with the connection options adjusted by `tune` (tests: a page limit).
    pub(crate) async fn open_tuned(
        path: &Path,
        tune: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
    ) -> StoreResult<Self> {
        check_location(path)?;
        let exists = path.exists();
        if exists {
            check_header(path)?;
            check_schema_version(path).await?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: path.into(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB_PER_CONNECTION}"));
        let options = tune(options);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| open_error(path, exists, source))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.into(),
                source,
            })?;
        // The halves of migrations 0004 and 0005 that SQL cannot do (encoding rows into chunks,
        // hourly rollup rows into days), in that order: 0004 leaves the rollups to 0005.
        chunks::migrate::move_rows_into_chunks(&pool).await?;
        if chunks::migrate::move_hourly_into_days(&pool)
            .await?
            .is_some()
        {
            // 0005 copied the chunks into a new table: give the old pages back to the disk once
            // (a 50 x 90 demo file shrinks from 398 to about 190 MB). Not fatal: the free pages
            // are reused by later writes anyway.
            if let Err(e) = sqlx::query("VACUUM").execute(&pool).await {
                tracing::warn!("could not compact the database after migrating it: {e}");
            }
        }
        Ok(Self {
            pool,
            round_digits: None,
        })
    }

    /// This store, rounding every value it writes from now on to `digits` significant decimal
    /// digits (`[storage] round_significant_digits`); None (the default) stores values exactly.
    pub fn with_round_significant_digits(mut self, digits: Option<u8>) -> Self {
        self.round_digits = digits.filter(|d| *d > 0);
        self
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the store holds no services, costs or alarms yet.
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM services) OR EXISTS (SELECT 1 FROM costs)
                 OR EXISTS (SELECT 1 FROM alarms)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n == 0)
    }
}

/// Whether the store can serve: reachable, and every migration this binary knows applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Migration versions this binary knows that the database has not applied.
    pub pending_migrations: Vec<i64>,
}

impl Store {
    /// Queries the database (an error when it cannot be reached) and lists pending migrations.
    pub async fn readiness(&self) -> StoreResult<Readiness> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
                .fetch_all(&self.pool)
                .await?;
        let pending_migrations = MIGRATOR
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        Ok(Readiness { pending_migrations })
    }

    /// The database's size in bytes (pages in use times page size; the WAL not counted).
    pub async fn database_size_bytes(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

/// Says why an open failed in words a user can act on: a read-only file or folder is named as
/// such; anything else keeps SQLite's words.
fn open_error(path: &Path, existed: bool, source: sqlx::Error) -> StoreError {
    let code = sqlite_primary_code(&source);
    if existed && matches!(code, Some(SQLITE_CANTOPEN | SQLITE_READONLY)) {
        if let Some(reason) = unwritable_reason(path) {
            return StoreError::Location {
                path: path.into(),
                reason: format!(
                    "Spendwatch needs to write it, even to read it, and {reason}; nothing was \
                     changed (mount it read-write, or copy it somewhere writable)"
                ),
            };
        }
    }
    StoreError::Open {
        path: path.into(),
        source,
    }
}

fn check_location(path: &Path) -> StoreResult<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if !parent.is_dir() {
        return Err(StoreError::Location {
            path: path.into(),
            reason: format!("folder {} does not exist", parent.display()),
        });
    }
    if path.is_dir() {
        return Err(StoreError::Location {
            path: path.into(),
            reason: "it is a folder".into(),
        });
    }
    Ok(())
}

fn check_header(path: &Path) -> StoreResult<()> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| StoreError::Location {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Ok(()); // an empty file is a fresh database to SQLite
    }
    match file.read_exact(&mut header) {
        Ok(()) if &header == SQLITE_MAGIC => Ok(()),
        _ => Err(StoreError::NotSqlite { path: path.into() }),
    }
}

/// Refuses a database migrated past what this binary knows, reading it without writing.
async fn check_schema_version(path: &Path) -> StoreResult<()> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::ConnectOptions::connect(&options)
        .await
        .map_err(|source| open_error(path, true, source))?;
    let has_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|source| open_error(path, true, source))?;
    let found: Option<i64> = if has_table > 0 {
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .map_err(|source| open_error(path, true, source))?
    } else {
        None
    };
    sqlx::Connection::close(conn).await.ok();
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    match found {
        Some(found) if found > known => Err(StoreError::NewerSchema {
            path: path.into(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}

/// Serializes string pairs as a canonical JSON object (keys sorted), the form series and alarms
/// store their dimensions in.
pub fn canonical_dimensions<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let map: std::collections::BTreeMap<&str, &str> = pairs.into_iter().collect();
    serde_json::to_string(&map).expect("string map serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_pooled_connection_keeps_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        // Hold every connection the pool allows at once, so none is a reused first one.
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            held.push(store.pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let kib: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(kib, -PAGE_CACHE_KIB_PER_CONNECTION);
        }
        assert_eq!(store.pool.size(), MAX_CONNECTIONS);
    }
}

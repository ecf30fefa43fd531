//! The ingest benchmark's native anchor: a bare SQLite bulk insert of the same points as rows,
//! through the SQLite Spendwatch itself links (the bundled one), with no driver in between.
//!
//!   cargo run --release --example bare_insert -- ROWS.db OUT.db
//!
//! ROWS.db is bench/rows.py's row-per-point copy (table `points`). Every point is read into
//! memory first (not timed), then inserted into OUT.db's `(series_id, ts, value)` WITHOUT ROWID
//! table with one prepared statement, bound and stepped per row, in one transaction: what the
//! issue names as the anchor, written the fastest way SQLite's C API allows. Prints `key value`
//! lines like rows.py.

use std::ffi::{c_int, CStr, CString};
use std::ptr;
use std::time::Instant;

use libsqlite3_sys as ffi;

/// One open database; closed on drop.
struct Db(*mut ffi::sqlite3);

/// One prepared statement; finalized on drop.
struct Stmt(*mut ffi::sqlite3_stmt);

impl Db {
    fn open(path: &str) -> Result<Self, String> {
        let path = CString::new(path).map_err(|e| e.to_string())?;
        let mut db = ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE;
        // SAFETY: a valid C string and out-pointer; the handle is closed by Drop even on error.
        let rc = unsafe { ffi::sqlite3_open_v2(path.as_ptr(), &mut db, flags, ptr::null()) };
        let db = Db(db);
        db.check(rc, "open")?;
        Ok(db)
    }

    fn error(&self) -> String {
        // SAFETY: the handle is open; SQLite returns a NUL-terminated message it owns.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.0)) }
            .to_string_lossy()
            .into_owned()
    }

    fn check(&self, rc: c_int, what: &str) -> Result<(), String> {
        match rc {
            ffi::SQLITE_OK | ffi::SQLITE_ROW | ffi::SQLITE_DONE => Ok(()),
            _ => Err(format!("{what}: {}", self.error())),
        }
    }

    fn exec(&self, sql: &str) -> Result<(), String> {
        let sql = CString::new(sql).map_err(|e| e.to_string())?;
        // SAFETY: open handle, valid SQL text, no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(self.0, sql.as_ptr(), None, ptr::null_mut(), ptr::null_mut())
        };
        self.check(rc, "exec")
    }

    fn prepare(&self, sql: &str) -> Result<Stmt, String> {
        let sql = CString::new(sql).map_err(|e| e.to_string())?;
        let mut stmt = ptr::null_mut();
        // SAFETY: open handle, valid SQL text and out-pointer.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.0, sql.as_ptr(), -1, &mut stmt, ptr::null_mut())
        };
        self.check(rc, "prepare")?;
        Ok(Stmt(stmt))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // SAFETY: the handle was opened; main declares its statements after it, so they are
        // finalized first.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: a statement prepared on a still-open handle.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

/// Every point of `rows.db`, ordered by series and time.
fn read_points(db: &Db) -> Result<Vec<(i64, i64, f64)>, String> {
    let stmt = db.prepare("SELECT series_id, ts, value FROM points ORDER BY series_id, ts")?;
    let mut out = Vec::new();
    loop {
        // SAFETY: a prepared statement on an open handle; columns read only on SQLITE_ROW.
        match unsafe { ffi::sqlite3_step(stmt.0) } {
            ffi::SQLITE_ROW => out.push(unsafe {
                (
                    ffi::sqlite3_column_int64(stmt.0, 0),
                    ffi::sqlite3_column_int64(stmt.0, 1),
                    ffi::sqlite3_column_double(stmt.0, 2),
                )
            }),
            ffi::SQLITE_DONE => return Ok(out),
            rc => return db.check(rc, "read").map(|()| out),
        }
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, target] = args.as_slice() else {
        return Err("usage: bare_insert ROWS.db OUT.db".into());
    };
    let points = read_points(&Db::open(source)?)?;

    let db = Db::open(target)?;
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    db.exec(
        "CREATE TABLE points (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, \
         value REAL NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID",
    )?;
    let insert = db.prepare("INSERT INTO points (series_id, ts, value) VALUES (?1, ?2, ?3)")?;
    let started = Instant::now();
    db.exec("BEGIN")?;
    for &(series, ts, value) in &points {
        // SAFETY: binds by index on a prepared three-parameter statement, then steps and resets it.
        let rc = unsafe {
            ffi::sqlite3_bind_int64(insert.0, 1, series);
            ffi::sqlite3_bind_int64(insert.0, 2, ts);
            ffi::sqlite3_bind_double(insert.0, 3, value);
            let rc = ffi::sqlite3_step(insert.0);
            ffi::sqlite3_reset(insert.0);
            rc
        };
        if rc != ffi::SQLITE_DONE {
            return db.check(rc, "insert");
        }
    }
    db.exec("COMMIT")?;
    let seconds = started.elapsed().as_secs_f64();
    // SAFETY: no arguments; returns a static string.
    let version = unsafe { CStr::from_ptr(ffi::sqlite3_libversion()) }.to_string_lossy();
    println!("native_points {}", points.len());
    println!(
        "native_insert_rows_per_s {:.0}",
        points.len() as f64 / seconds
    );
    println!("native_sqlite_version {version}");
    Ok(())
}

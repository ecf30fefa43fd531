//! Benchmark helper: the same points three ways, timed.
//!
//!   bench_rows SRC.db ROWS.db COPY.db
//!
//! 1. reads every series of SRC through the series API (`read_points`: decoding chunks);
//! 2. inserts the same points into ROWS.db as a row each, the bare SQLite way: a
//!    `(series_id, ts, value)` WITHOUT ROWID table, one prepared statement, one transaction
//!    (SQLite's C API directly, no driver in between): the anchor for ingest;
//! 3. writes them into a fresh store COPY.db with `write_points`, the sync's write path.
//!
//! ROWS.db is also what the numpy recommend script reads (the obvious row-per-point copy).
//! Prints one `key value` line per figure, for scripts/bench.d/05-storage.sh.

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use app::store::Store;
use libsqlite3_sys as ffi;

/// A raw SQLite connection with one prepared insert, inside one transaction.
struct BareInsert {
    db: *mut ffi::sqlite3,
    insert: *mut ffi::sqlite3_stmt,
}

impl BareInsert {
    fn open(path: &Path) -> Self {
        let c_path = CString::new(path.to_str().expect("utf-8 path")).unwrap();
        let mut db = std::ptr::null_mut();
        // SAFETY: plain use of the SQLite C API; every return code is checked.
        unsafe {
            check(ffi::sqlite3_open(c_path.as_ptr(), &mut db), db);
            for sql in [
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "CREATE TABLE points (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
                     PRIMARY KEY (series_id, ts)) WITHOUT ROWID",
                "BEGIN",
            ] {
                exec(db, sql);
            }
            let sql = CString::new("INSERT INTO points (series_id, ts, value) VALUES (?1, ?2, ?3)")
                .unwrap();
            let mut insert = std::ptr::null_mut();
            check(
                ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut insert, std::ptr::null_mut()),
                db,
            );
            Self { db, insert }
        }
    }

    fn insert(&mut self, series_id: i64, ts: &[i64], values: &[f64]) {
        // SAFETY: the statement belongs to this open connection.
        unsafe {
            for (t, v) in ts.iter().zip(values) {
                ffi::sqlite3_bind_int64(self.insert, 1, series_id);
                ffi::sqlite3_bind_int64(self.insert, 2, *t);
                ffi::sqlite3_bind_double(self.insert, 3, *v);
                let rc = ffi::sqlite3_step(self.insert);
                assert_eq!(rc, ffi::SQLITE_DONE, "insert failed");
                ffi::sqlite3_reset(self.insert);
            }
        }
    }

    fn commit(self) {
        // SAFETY: finalizing our own statement, then closing our own connection.
        unsafe {
            ffi::sqlite3_finalize(self.insert);
            exec(self.db, "COMMIT");
            ffi::sqlite3_close(self.db);
        }
    }
}

unsafe fn exec(db: *mut ffi::sqlite3, sql: &str) {
    let sql = CString::new(sql).unwrap();
    check(
        ffi::sqlite3_exec(
            db,
            sql.as_ptr(),
            None,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        ),
        db,
    );
}

unsafe fn check(rc: i32, db: *mut ffi::sqlite3) {
    if rc != ffi::SQLITE_OK {
        let msg = std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(db));
        panic!("sqlite error {rc}: {}", msg.to_string_lossy());
    }
}

fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [src, rows, copy] = args.as_slice() else {
        eprintln!("usage: bench_rows SRC.db ROWS.db COPY.db");
        std::process::exit(2);
    };
    let source = Store::open(Path::new(src)).await.expect("open source");
    let target = Store::open(Path::new(copy)).await.expect("open copy");
    let mut bare = BareInsert::open(Path::new(rows));
    let (mut read_time, mut bare_time, mut write_time) = Default::default();
    let mut points = 0u64;
    for s in source.list_series(None).await.expect("list series") {
        let t = Instant::now();
        let p = source
            .read_points(s.id, i64::MIN, i64::MAX)
            .await
            .expect("read");
        read_time += t.elapsed();
        points += p.len() as u64;

        let t = Instant::now();
        bare.insert(s.id, &p.ts, &p.values);
        bare_time += t.elapsed();

        let id = target
            .upsert_series(&s.key, s.unit.as_deref(), None)
            .await
            .expect("series");
        let pairs = p.pairs();
        let t = Instant::now();
        target.write_points(id, &pairs).await.expect("write");
        write_time += t.elapsed();
    }
    let t = Instant::now();
    bare.commit();
    bare_time += t.elapsed();
    target.close().await;
    println!("points {points}");
    println!("read_points_per_s {:.0}", per_second(points, read_time));
    println!(
        "bare_insert_rows_per_s {:.0}",
        per_second(points, bare_time)
    );
    println!("write_points_per_s {:.0}", per_second(points, write_time));
}

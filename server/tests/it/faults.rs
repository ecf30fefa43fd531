//! Hostile input and abrupt ends (issue 13): every query string and form the server parses,
//! fuzzed with a bounded run (no 500, a 400 says why); `demo` killed with SIGKILL at random
//! points leaves a consistent database that the next run completes.

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

use app::store::Store;

use crate::helpers::{kill_after_points, spawn_app_with, FakeSync, TestApp};

/// Every route that reads a query string (pages and their JSON/CSV), plus ones that read none.
const ROUTES: [&str; 13] = [
    "/",
    "/services",
    "/services/mangu-publishing-cluster-production/mangu-publishing-server",
    "/services/no-such/service",
    "/tiers",
    "/sync",
    "/api/overview",
    "/api/services",
    "/api/services/mangu-publishing-cluster-production/mangu-publishing-server",
    "/api/tiers",
    "/api/sync-runs",
    "/api/recommendations",
    "/no-such-page",
];

/// The keys the parsers know, and some they do not.
const KEYS: [&str; 12] = [
    "range", "from", "to", "sort", "order", "removed", "format", "table", "x", "", "range[]", "%ZZ",
];

/// Values near what the parsers expect, and hostile ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("30d".to_string()),
        Just("csv".to_string()),
        Just("show".to_string()),
        Just("desc".to_string()),
        Just("2026-11-01".to_string()),
        Just("2026-02-30".to_string()),
        Just("99999999999999999999d".to_string()),
        Just("-1d".to_string()),
        Just("%00%FF%".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        "[ -~]{0,24}",
        "\\PC{0,12}",
        "[0-9]{1,25}[a-z]{0,2}",
    ]
}

/// A query string: several `key=value` pairs, percent-encoded, with repeats allowed.
fn query() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// Percent-encodes all but unreserved characters, and leaves a stray `%` as it is half the time.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'%' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How many fuzz cases a run tries: a bounded number in the normal suite, more with
/// SPENDWATCH_FUZZ_CASES.
fn cases(default: u32) -> u32 {
    std::env::var("SPENDWATCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz_app() -> (tokio::runtime::Runtime, TestApp) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app_with(
        Some(crate::helpers::small_spec()),
        Some(Arc::new(FakeSync::default())),
    ));
    (rt, app)
}

#[test]
fn fuzzed_query_strings_get_a_page_or_a_400_with_a_reason_never_a_500() {
    let (rt, app) = fuzz_app();
    let config = ProptestConfig {
        cases: cases(96),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(route in prop::sample::select(ROUTES.to_vec()), q in query())| {
        let uri = format!("{route}?{q}");
        let Ok(req) = Request::get(&uri).body(Body::empty()) else {
            return Ok(()); // not a URI a client could send
        };
        let (status, _, body) = rt.block_on(app.send(req));
        prop_assert!(!status.is_server_error(), "{uri}: {status}: {body}");
        if status == StatusCode::BAD_REQUEST {
            prop_assert!(body.trim().len() > 10, "{uri}: a 400 says why: {body:?}");
        }
    });
}

#[test]
fn fuzzed_sync_now_forms_never_get_a_500() {
    let (rt, app) = fuzz_app();
    let config = ProptestConfig {
        cases: cases(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let content_types = vec![
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ];
    proptest!(config, |(body in "\\PC{0,64}", ct in prop::sample::select(content_types), q in query())| {
        let mut req = Request::post(format!("/api/sync_now?{q}"))
            .header(header::HOST, "spend.test")
            .header(header::ORIGIN, "http://spend.test");
        if !ct.is_empty() {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let Ok(req) = req.body(Body::from(body.clone())) else {
            return Ok(());
        };
        let (status, _, answer) = rt.block_on(app.send(req));
        prop_assert!(!status.is_server_error(), "{ct} {body:?}: {status}: {answer}");
    });
}

/// The case the fuzzer found: a form body Leptos's decoder cannot parse ("[0…" reads as an
/// array index) was a 500; "Sync now" takes no input, so the body is ignored and the sync starts.
#[test]
fn a_sync_now_body_that_does_not_parse_is_ignored() {
    let (rt, app) = fuzz_app();
    let req = Request::post("/api/sync_now")
        .header(header::HOST, "spend.test")
        .header(header::ORIGIN, "http://spend.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("[0\u{1ee5f}"))
        .unwrap();
    let (status, _, answer) = rt.block_on(app.send(req));
    assert!(
        status.is_success() || status.is_redirection(),
        "{status}: {answer}"
    );
}

fn spendwatch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.env_remove("SPENDWATCH_DB").env_remove("RUST_LOG");
    c
}

/// How many random points the kill tests try: 5 in the normal suite, more with
/// SPENDWATCH_KILL_POINTS (e.g. 20).
pub fn kill_points() -> usize {
    std::env::var("SPENDWATCH_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

const DEMO_ARGS: [&str; 6] = ["demo", "--services", "3", "--days", "2", "--end"];
const DEMO_END: &str = "2026-11-27T13:00";

/// Checks an interrupted demo's file is whole, then that the next run completes it: `total`
/// points, no gap or duplicate.
async fn whole_then_completed(db: &std::path::Path, total: i64, why: &str) {
    let store = Store::open(db).await.unwrap();
    assert_eq!(integrity(&store).await, "ok", "{why}");
    store.close().await;
    let out = demo_into(db);
    assert!(
        out.status.success(),
        "{why}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(db).await.unwrap();
    assert_eq!(
        store.count_points().await.unwrap(),
        total,
        "{why}: the next run completes it with no gap or duplicate"
    );
    store.close().await;
}

/// Runs the small demo into `db` to the end.
fn demo_into(db: &std::path::Path) -> std::process::Output {
    spendwatch()
        .arg("--db")
        .arg(db)
        .args(DEMO_ARGS)
        .arg(DEMO_END)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_killed_at_random_points_leaves_a_consistent_database_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    // The whole demo once, uninterrupted: what every resumed run must end with.
    let clean = dir.path().join("clean.db");
    let out = demo_into(&clean);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&clean).await.unwrap();
    let total = store.count_points().await.unwrap();
    store.close().await;
    let seed = std::env::var("SPENDWATCH_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("kill points from seed {seed} (SPENDWATCH_KILL_SEED replays them)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for point in 0..kill_points() {
        // A random point in the run, measured in datapoints written (not in time).
        let at = rng.gen_range(1..total);
        let db = dir.path().join(format!("k{point}.db"));
        let caught = kill_demo_after(&db, at).await;
        let why = format!("seed {seed}: killed at {caught} of {total} points");
        whole_then_completed(&db, total, &why).await;
    }
}

/// Runs `demo` into `db` and kills it once at least `at` datapoints are stored (see
/// [`kill_after_points`]). Returns the datapoints then stored.
async fn kill_demo_after(db: &std::path::Path, at: i64) -> i64 {
    let mut demo = spendwatch();
    demo.arg("--db")
        .arg(db)
        .args(DEMO_ARGS)
        .arg(DEMO_END)
        .stderr(std::process::Stdio::null());
    kill_after_points(db, demo, at).await
}

/// A demo that needs `pages` more than the file may hold: the write fails as on a full disk
/// (SQLite's page limit gives the same SQLITE_FULL a full disk does), with an error that says so;
/// the file stays whole, and once there is room the next run completes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_database_says_so_keeps_what_it_had_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = server::demo::DemoSpec {
        services: 3,
        days: 2,
        seed: 42,
        end: crate::helpers::test_end(),
    };
    let clean = dir.path().join("clean.db");
    let store = Store::open(&clean).await.unwrap();
    server::demo::generate(&store, &spec, false).await.unwrap();
    let total = store.count_points().await.unwrap();
    store.close().await;

    let db = dir.path().join("full.db");
    drop(Store::open(&db).await.unwrap());
    let pages: u64 = page_count(&db).await;
    // Room for the schema and a little more: the demo runs out part way.
    let limited = Store::open_with_page_limit(&db, pages + 40).await.unwrap();
    let err = server::demo::generate(&limited, &spec, false)
        .await
        .expect_err("the demo cannot fit in 40 pages");
    let text = format!("{err:#}");
    assert!(
        text.contains("the disk holding the database is full")
            && text.contains("everything stored before it is intact"),
        "{text}"
    );
    assert!(
        !text.contains("(code: 13)"),
        "SQLite's code is not the message: {text}"
    );
    limited.close().await;

    let store = Store::open(&db).await.unwrap();
    assert_eq!(integrity(&store).await, "ok");
    let kept = store.count_points().await.unwrap();
    assert!(
        kept < total,
        "the demo stopped part way ({kept} of {total})"
    );
    server::demo::generate(&store, &spec, false).await.unwrap();
    assert_eq!(store.count_points().await.unwrap(), total);
    store.close().await;
}

/// The same on a real file system: a small tmpfs fills up under `spendwatch demo`, then is
/// remounted read-only. Mounting needs root (CI runs as root); without it the test says so and
/// stops, the page-limit test above still covering the full-disk path.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_and_a_read_only_mount_give_clear_errors_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.db");
    let out = demo_into(&clean);
    assert!(out.status.success());
    let store = Store::open(&clean).await.unwrap();
    let total = store.count_points().await.unwrap();
    store.close().await;

    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_tmpfs) = Tmpfs::mount(&mnt, "400k") else {
        eprintln!("cannot mount a tmpfs here (not root?): the real-disk variant did not run");
        return;
    };
    let db = mnt.join("s.db");
    let out = demo_into(&db);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "400 KB cannot hold the demo");
    assert!(
        stderr.contains("the disk holding the database is full"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Room again: the file is whole and the next run completes the demo.
    remount(&mnt, "remount,size=64m");
    whole_then_completed(&db, total, "after the disk filled").await;

    // Read-only: every command says why it cannot open the file, and the file is untouched.
    let before = std::fs::read(&db).unwrap();
    remount(&mnt, "remount,ro");
    for args in [&["recommend"][..], &DEMO_ARGS[..]] {
        let out = spendwatch()
            .arg("--db")
            .arg(&db)
            .args(args)
            .args(if args.len() > 1 {
                &[DEMO_END][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains("Read-only file system") && stderr.contains("nothing was changed"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` on `at`, or None when this user may not mount.
    fn mount(at: &std::path::Path, size: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Remounts `at` with `options`, retrying briefly: a file the test just closed can keep the
/// mount busy for a moment.
fn remount(at: &std::path::Path, options: &str) {
    let mut said = String::new();
    for _ in 0..50 {
        let out = Command::new("mount")
            .args(["-o", options])
            .arg(at)
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        said = String::from_utf8_lossy(&out.stderr).to_string();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("mount -o {options}: {said}");
}

async fn page_count(db: &std::path::Path) -> u64 {
    let store = Store::open(db).await.unwrap();
    let n: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    n as u64
}

async fn integrity(store: &Store) -> String {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

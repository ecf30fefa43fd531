//! The test helpers: the real app on a temporary SQLite file, driven in-process, and a writer
//! process killed at a chosen point.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::clock::FixedClock;
use app::settings::Settings;
use app::store::Store;
use server::demo::DemoSpec;
use server::startup::{build_state, StateSpec};

/// 2026-11-27 13:00 UTC: the end of every test demo.
pub fn test_end() -> i64 {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(13, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

/// A small demo: the seed's two services over 14 days of minutes (costs span 14 months anyway).
pub fn small_spec() -> DemoSpec {
    DemoSpec {
        services: 2,
        days: 14,
        seed: 42,
        end: test_end(),
    }
}

/// A running app over a temporary database.
pub struct TestApp {
    /// Keeps the folder alive.
    pub _dir: tempfile::TempDir,
    /// The store under the app.
    pub store: Store,
    /// The router.
    pub router: axum::Router,
}

/// Builds the app on an empty database, optionally filled with `spec`'s demo, with the clock
/// stopped at the demo's end.
pub async fn spawn_app(spec: Option<DemoSpec>) -> TestApp {
    spawn_app_with(spec, None).await
}

/// A sync trigger that counts its starts instead of calling AWS.
#[derive(Default)]
pub struct FakeSync {
    /// How many times a sync was started.
    pub started: std::sync::atomic::AtomicUsize,
    /// What `last_error` reports.
    pub error: Option<(i64, String)>,
}

impl app::SyncTrigger for FakeSync {
    fn start(&self) -> Result<(), String> {
        self.started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn is_running(&self) -> bool {
        false
    }

    fn last_error(&self) -> Option<(i64, String)> {
        self.error.clone()
    }
}

/// Like [`spawn_app`], with a sync trigger.
pub async fn spawn_app_with(
    spec: Option<DemoSpec>,
    sync: Option<Arc<dyn app::SyncTrigger>>,
) -> TestApp {
    spawn_app_with_settings(spec, sync, Settings::default()).await
}

/// Like [`spawn_app_with`], with settings other than the defaults.
pub async fn spawn_app_with_settings(
    spec: Option<DemoSpec>,
    sync: Option<Arc<dyn app::SyncTrigger>>,
    settings: Settings,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut state = build_state(StateSpec {
        db: dir.path().join("spendwatch.db"),
        demo: spec,
        progress: false,
        clock: Arc::new(FixedClock(test_end())),
        settings,
    })
    .await
    .unwrap();
    if let Some(sync) = sync {
        state = state.with_sync(sync);
    }
    TestApp {
        _dir: dir,
        store: state.store.clone(),
        router: server::startup::router(state),
    }
}

impl TestApp {
    /// Sends a request and returns the status, the Location header and the body text.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Option<String>, String) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, location, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// GETs `uri` and returns the status and body text.
    pub async fn get(&self, uri: &str) -> (StatusCode, String) {
        let res = self
            .router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }
}

/// Spawns `command` (a `spendwatch` writing into `db`) and, once at least `at` datapoints are
/// stored, takes the write lock (the writer then waits on its next write) and kills it with
/// SIGKILL. Returns the datapoints then stored (all of them if it finished first).
pub async fn kill_after_points(
    db: &std::path::Path,
    mut command: std::process::Command,
    at: i64,
) -> i64 {
    // Create the database first, so the test can watch it while the writer fills it.
    drop(Store::open(db).await.unwrap());
    let watcher = Store::open(db).await.unwrap();
    let mut watch = watcher.pool().acquire().await.unwrap();
    let mut child = command.stdout(std::process::Stdio::null()).spawn().unwrap();
    let started = std::time::Instant::now();
    let stored = "SELECT coalesce(sum(count), 0) FROM series_chunks";
    loop {
        let n: i64 = sqlx::query_scalar(stored)
            .fetch_one(&mut *watch)
            .await
            .unwrap();
        if n >= at {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *watch)
                .await
                .unwrap();
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{n} of {at} points stored in 2 minutes"
        );
        tokio::task::yield_now().await;
    }
    let _ = child.kill();
    child.wait().unwrap();
    let caught: i64 = sqlx::query_scalar(stored)
        .fetch_one(&mut *watch)
        .await
        .unwrap();
    let _ = sqlx::query("ROLLBACK").execute(&mut *watch).await;
    drop(watch);
    watcher.close().await;
    caught
}

//! The one test helper: the real app on a temporary SQLite file, driven in-process.

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

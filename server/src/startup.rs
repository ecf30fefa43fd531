//! Building the app's state and HTTP router, and serving it. The CLI and the tests build both
//! through the same functions, so the tests exercise what `spendwatch serve` runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use app::clock::SharedClock;
use app::error::AppError;
use app::settings::Settings;
use app::store::Store;
use app::{shell, App, AppState};

use crate::access::Access;
use crate::demo::{self, DemoSpec};
use crate::ops::{HttpMetrics, MetricsSources};

/// What the app's state is built from: the CLI fills it from flags and the settings file, the
/// tests from fixtures.
pub struct StateSpec {
    /// The SQLite file, created and migrated when needed.
    pub db: PathBuf,
    /// Demo data loaded first when the database is empty.
    pub demo: Option<DemoSpec>,
    /// Whether loading the demo reports its progress on the terminal.
    pub progress: bool,
    /// Where pages read "now".
    pub clock: SharedClock,
    /// Prices and sizing settings.
    pub settings: Settings,
}

/// Opens the store, loads the demo into it when asked and it is empty, and builds the state the
/// pages share (without a sync trigger: add one with [`AppState::with_sync`]).
pub async fn build_state(spec: StateSpec) -> anyhow::Result<AppState> {
    let store = Store::open(&spec.db)
        .await
        .context("opening the database (--db)")?;
    if let Some(demo_spec) = &spec.demo {
        load_demo_if_empty(&store, &spec.db, demo_spec, spec.progress, &spec.clock).await?;
    }
    Ok(AppState::new(store, spec.clock, spec.settings))
}

/// Fills an empty store with the demo; a store holding data is left as it is.
async fn load_demo_if_empty(
    store: &Store,
    db: &std::path::Path,
    spec: &DemoSpec,
    progress: bool,
    clock: &SharedClock,
) -> anyhow::Result<()> {
    if !store.is_empty().await? {
        return Ok(());
    }
    if progress {
        println!("{} is empty: loading the demo dataset first.", db.display());
    }
    // The demo's sync run is stamped with when it was loaded (the data's end is in its summary).
    demo::generate_at(store, spec, progress, || clock.now()).await?;
    Ok(())
}

/// What the axum handlers outside Leptos need.
#[derive(Clone)]
struct ServerState {
    options: LeptosOptions,
    app: AppState,
    http_metrics: Arc<HttpMetrics>,
    datapoints: Arc<crate::ops::DatapointCount>,
}

impl FromRef<ServerState> for Store {
    fn from_ref(s: &ServerState) -> Self {
        s.app.store.clone()
    }
}

impl FromRef<ServerState> for MetricsSources {
    fn from_ref(s: &ServerState) -> Self {
        MetricsSources {
            store: s.app.store.clone(),
            http: s.http_metrics.clone(),
            datapoints: s.datapoints.clone(),
        }
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(s: &ServerState) -> Self {
        s.app.clone()
    }
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.options.clone()
    }
}

/// The router open to anyone (loopback use and tests): see [`router_with`].
pub fn router(state: AppState) -> Router {
    router_with(state, Access::open())
}

/// Builds the whole router: asset routes, the JSON API, every page, health and metrics, and a
/// 404 for the rest (JSON under `/api/`, the styled page elsewhere). Middleware over every route,
/// outermost first: a log line per request with its latency, request metrics, security headers,
/// `access` (all but /healthz), the same-origin check on state-changing requests, and "Sync
/// now" dropping the body it does not read.
pub fn router_with(state: AppState, access: Access) -> Router {
    let options = LeptosOptions::builder().output_name("spendwatch").build();
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let http_metrics = Arc::new(HttpMetrics::default());
    let server_state = ServerState {
        options: options.clone(),
        app: state,
        http_metrics: http_metrics.clone(),
        datapoints: Arc::default(),
    };
    Router::<ServerState>::new()
        .route(crate::access::HEALTH_PATH, get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz))
        .route("/metrics", get(crate::ops::metrics))
        .route("/style.css", get(crate::assets::style))
        .route("/favicon.svg", get(crate::assets::favicon))
        .route("/api/recommendations", get(recommendations_json))
        .route("/api/sync-runs", get(crate::api::sync_runs))
        .route("/api/overview", get(crate::api::overview))
        .route("/api/services", get(crate::api::services))
        .route("/api/services/{cluster}/{name}", get(crate::api::service))
        .route(
            "/api/services/{cluster}/{name}/whatif",
            get(crate::api::whatif),
        )
        .route("/api/tiers", get(crate::api::tiers))
        .route("/api/costs", get(crate::api::costs))
        .route("/api/costs/explain", get(crate::api::costs_explain))
        .route("/api/alarms", get(crate::api::alarms))
        .route("/api/alarms/history", get(crate::api::alarm_history))
        .route(
            "/api/alarms/{name}/backtest",
            get(crate::api::alarm_backtest),
        )
        .leptos_routes_with_context(
            &server_state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(not_found)
        .layer(middleware::from_fn(crate::guard::sync_now_ignores_its_body))
        .layer(middleware::from_fn(crate::guard::same_origin_writes))
        .layer(middleware::from_fn_with_state(
            Arc::new(access),
            crate::access::require,
        ))
        .layer(middleware::from_fn(crate::guard::security_headers))
        .layer(middleware::from_fn_with_state(
            http_metrics,
            crate::ops::count_requests,
        ))
        .layer(request_log())
        .with_state(server_state.clone())
}

/// One log line per request when it completes: method, path, status and latency.
fn request_log() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    DefaultMakeSpan,
    (),
    DefaultOnResponse,
> {
    TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Millis),
        )
}

/// Query of GET /api/recommendations.
#[derive(Debug, serde::Deserialize)]
struct RecommendationsQuery {
    /// `show` lists services deleted in AWS too.
    removed: Option<String>,
}

/// GET /api/recommendations: the same JSON as `spendwatch recommend --format json`
/// (`?removed=show` as `--include-removed`).
async fn recommendations_json(
    State(ServerState { app, .. }): State<ServerState>,
    query: Result<Query<RecommendationsQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(q) = query.map_err(|e| AppError::bad_request(e.body_text()))?;
    let removed = app::store::services::Removed::from_query(q.removed.as_deref())
        .map_err(AppError::bad_request)?;
    let evidence = app
        .recommendations
        .get(&app.store, &app.settings, app.clock.now())
        .await?;
    let recs: Vec<_> = app::reports::recommendations::listed(&evidence, removed)
        .map(|e| &e.recommendation)
        .collect();
    Ok(Json(recs).into_response())
}

/// Renders the app's not-found page with status 404; a JSON 404 for paths under `/api/`.
async fn not_found(
    State(ServerState {
        options,
        app: state,
        ..
    }): State<ServerState>,
    req: Request<Body>,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        return AppError::not_found(format!("there is no API endpoint {path}")).into_response();
    }
    let handler = leptos_axum::render_app_async_with_context(
        move || provide_context(state.clone()),
        move || shell(options.clone()),
    );
    let mut res = handler(req).await.into_response();
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

/// Binds `addr` and serves with `access` until Ctrl-C or SIGTERM; requests in flight finish.
pub async fn serve(state: AppState, addr: SocketAddr, access: Access) -> anyhow::Result<()> {
    access.check_bind(addr)?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another server using it? try --bind)")
    })?;
    let local = listener.local_addr().context("reading the bound address")?;
    // Printed, not logged: said once, on stdout, where the browser tests read the address.
    println!("Spendwatch is serving http://{local}/  (Ctrl-C to stop)");
    // The peer's address reaches the access check, which trusts a proxy's header by it.
    let app = router_with(state, access).into_make_service_with_connect_info::<SocketAddr>();
    crate::memory::spawn_releaser();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server stopped with an error")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

//! Building the HTTP router and serving it.

use std::net::SocketAddr;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{FromRef, Query, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use app::{shell, App, AppState};

/// What the axum handlers outside Leptos need.
#[derive(Clone)]
struct ServerState {
    options: LeptosOptions,
    app: AppState,
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

/// Builds the whole router: asset routes, every page, and a styled 404 for the rest.
pub fn router(state: AppState) -> Router {
    let options = LeptosOptions::builder().output_name("spendwatch").build();
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let server_state = ServerState {
        options: options.clone(),
        app: state,
    };
    Router::<ServerState>::new()
        .route("/style.css", get(crate::assets::style))
        .route("/favicon.svg", get(crate::assets::favicon))
        .route("/api/recommendations", get(recommendations_json))
        .route("/api/sync-runs", get(crate::api::sync_runs))
        .route("/api/overview", get(crate::api::overview))
        .route("/api/services", get(crate::api::services))
        .route("/api/services/{cluster}/{name}", get(crate::api::service))
        .route("/api/tiers", get(crate::api::tiers))
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
        .with_state(server_state.clone())
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
    Query(q): Query<RecommendationsQuery>,
) -> Response {
    let removed = match app::store::services::Removed::from_query(q.removed.as_deref()) {
        Ok(r) => r,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    match app
        .recommendations
        .get(&app.store, &app.settings, app.clock.now())
        .await
    {
        Ok(evidence) => {
            let recs: Vec<_> = app::reports::recommendations::listed(&evidence, removed)
                .map(|e| &e.recommendation)
                .collect();
            axum::Json(recs).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "recommendations failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the server log",
            )
                .into_response()
        }
    }
}

/// Renders the app's not-found page with status 404.
async fn not_found(
    State(ServerState {
        options,
        app: state,
    }): State<ServerState>,
    req: Request<Body>,
) -> Response {
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

/// Binds `addr` and serves until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another server using it? try --bind)")
    })?;
    let local = listener.local_addr().context("reading the bound address")?;
    // Printed, not logged: said once, on stdout, where the browser tests read the address.
    println!("Spendwatch is serving http://{local}/  (Ctrl-C to stop)");
    axum::serve(listener, router(state))
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

//! The JSON (and CSV) endpoints: each runs the same report builder as its page and hands the
//! result to [`respond`], so every page's data and tables can be had by programs too.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use app::domain::range::DateRange;
use app::error::AppError;
use app::reports::services::ServicesQuery;
use app::reports::Tables;
use app::reports::{overview, service, services, sync_history, tiers};
use app::store::services::Removed;
use app::AppState;

/// The query every report endpoint takes: `?format=json` (default) or `?format=csv`, with
/// `&table=NAME` for pages with more than one table.
#[derive(Debug, Default, Deserialize)]
pub struct FormatQuery {
    /// `json` or `csv`.
    format: Option<String>,
    /// Which table, for CSV.
    table: Option<String>,
}

/// Turns a report into a JSON response, or one of its tables into CSV; errors become their
/// status with the message (a 500 says only that the log has the detail).
pub fn respond<T: Serialize + Tables>(report: Result<T, AppError>, q: &FormatQuery) -> Response {
    let report = match report {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    match q.format.as_deref().unwrap_or("json") {
        "" | "json" => axum::Json(report).into_response(),
        "csv" => match report.table(q.table.as_deref()) {
            Ok(table) => (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                table.to_csv(),
            )
                .into_response(),
            Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
        },
        other => (
            StatusCode::BAD_REQUEST,
            format!("'format={other}' is not json or csv"),
        )
            .into_response(),
    }
}

fn error(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match e {
        AppError::Internal => "internal error: see the server log".to_string(),
        other => other.to_string(),
    };
    (status, message).into_response()
}

/// GET /api/sync-runs: the Sync page's runs, calls and errors.
pub async fn sync_runs(State(app): State<AppState>, Query(q): Query<FormatQuery>) -> Response {
    respond(sync_history::build(&app, app.clock.now()).await, &q)
}

/// The query of GET /api/services: the Services page's sort and filter, and the format.
#[derive(Debug, Default, Deserialize)]
pub struct ServicesParams {
    sort: Option<String>,
    order: Option<String>,
    removed: Option<String>,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/services: the Services page's rows and totals (`?sort=&order=&removed=` as the page).
pub async fn services(State(app): State<AppState>, Query(q): Query<ServicesParams>) -> Response {
    let report =
        match ServicesQuery::parse(q.sort.as_deref(), q.order.as_deref(), q.removed.as_deref()) {
            Ok(query) => services::build(&app, query, app.clock.now()).await,
            Err(message) => Err(AppError::bad_request(message)),
        };
    respond(report, &q.format)
}

/// GET /api/tiers: the Tiers page's prices and the services in each tier.
pub async fn tiers(State(app): State<AppState>, Query(q): Query<FormatQuery>) -> Response {
    respond(tiers::build(&app, app.clock.now()).await, &q)
}

/// The query of GET /api/overview: `removed=show` lists services deleted in AWS, and the format.
#[derive(Debug, Default, Deserialize)]
pub struct OverviewParams {
    removed: Option<String>,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/overview: the Overview page's spend, services, firing alarms and last sync.
pub async fn overview(State(app): State<AppState>, Query(q): Query<OverviewParams>) -> Response {
    let report = match Removed::from_query(q.removed.as_deref()) {
        Ok(removed) => overview::build(&app, removed, app.clock.now()).await,
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// The query of GET /api/services/{cluster}/{name}: the Service page's range, and the format.
#[derive(Debug, Default, Deserialize)]
pub struct ServiceParams {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/services/{cluster}/{name}: the Service page's recommendation and chart data
/// (`?range=` as the page; CSV tables `cpu`, `memory`, `tasks`).
pub async fn service(
    State(app): State<AppState>,
    Path((cluster, name)): Path<(String, String)>,
    Query(q): Query<ServiceParams>,
) -> Response {
    let now = app.clock.now();
    let range = DateRange::parse(
        q.range.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        now,
        app.settings.rules.lookback_days,
    );
    let report = match range {
        Ok(range) => service::build(&app, &cluster, &name, range, now).await,
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// The query of GET /api/costs and /api/costs/explain: the Costs page's parameters and the format.
#[derive(Debug, Default, Deserialize)]
pub struct CostsApiParams {
    #[serde(flatten)]
    costs: app::reports::costs::query::CostsParams,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/costs: spend by group against the previous period, days or months, and the rest of
/// the Costs page (`?from=&to=&group_by=&granularity=` as the page; CSV tables by `table=`).
pub async fn costs(State(app): State<AppState>, Query(q): Query<CostsApiParams>) -> Response {
    use app::reports::costs::{build, query::CostsQuery};
    let now = app.clock.now();
    let report = match CostsQuery::parse(&q.costs, now) {
        Ok(query) => build(&app, &query, now).await,
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// GET /api/costs/explain: why ECS spend changed (`?from=&to=` the later period; default the last
/// full month against the one before).
pub async fn costs_explain(
    State(app): State<AppState>,
    Query(q): Query<CostsApiParams>,
) -> Response {
    use app::reports::costs::{build_explain, query::ExplainQuery};
    let now = app.clock.now();
    let report = match ExplainQuery::parse(&q.costs.from, &q.costs.to, now) {
        Ok(query) => build_explain(&app, &query, now).await,
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// The query of GET /api/alarms/{name}/backtest: the backtest's settings, and the format.
#[derive(Debug, Default, Deserialize)]
pub struct BacktestQueryParams {
    #[serde(flatten)]
    params: app::reports::backtest::BacktestParams,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/alarms/{name}/backtest: the alarm replayed with the given settings (unset: its own),
/// its episodes, match rate and threshold sweep (CSV tables `episodes`, `compared`, `sweep`).
pub async fn alarm_backtest(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<BacktestQueryParams>,
) -> Response {
    respond(
        app::reports::backtest::build(&app.store, &name, &q.params).await,
        &q.format,
    )
}

/// The query of GET /api/alarms: the Alarms page's range, filters and sort, and the format.
#[derive(Debug, Default, Deserialize)]
pub struct AlarmsQueryParams {
    #[serde(flatten)]
    params: app::reports::alarms::AlarmsParams,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/alarms: every alarm with its record over the range, and the noise report (CSV
/// tables `alarms`, `noise`).
pub async fn alarms(State(app): State<AppState>, Query(q): Query<AlarmsQueryParams>) -> Response {
    let now = app.clock.now();
    let report = match q.params.parse(now, app.settings.rules.lookback_days) {
        Ok(query) => app::reports::alarms::build(&app, query, now).await,
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// The query of GET /api/alarms/history: the History page's filters and cursor; `export=all`
/// gives every filtered item instead of one page.
#[derive(Debug, Default, Deserialize)]
pub struct HistoryQueryParams {
    #[serde(flatten)]
    params: app::reports::alarm_history::HistoryParams,
    export: Option<String>,
    #[serde(flatten)]
    format: FormatQuery,
}

/// GET /api/alarms/history: one page of alarm history, newest first, or the whole filtered set
/// with `export=all` (CSV table `history`).
pub async fn alarm_history(
    State(app): State<AppState>,
    Query(q): Query<HistoryQueryParams>,
) -> Response {
    let export = match q.export.as_deref() {
        None | Some("") | Some("page") => false,
        Some("all") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("'export={other}' is not page or all"),
            )
                .into_response()
        }
    };
    let report = match q.params.parse() {
        Ok(query) => {
            app::reports::alarm_history::build(&app.store, query, export, app.clock.now()).await
        }
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &q.format)
}

/// GET /api/services/{cluster}/{name}/whatif: the Scaling page's replay (`?target_cpu=&max=&...`
/// as the page's form; CSV tables `comparison`, `sweep`). Bad values are a 400 with the reason.
pub async fn whatif(
    State(app): State<AppState>,
    Path((cluster, name)): Path<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let format = FormatQuery {
        format: q.get("format").cloned(),
        table: q.get("table").cloned(),
    };
    let now = app.clock.now();
    let get = |k: &str| q.get(k).cloned();
    let parsed = app::reports::whatif::parse_request(&get, now, app.settings.rules.lookback_days);
    let report = match parsed {
        Ok((query, range)) => {
            app::reports::whatif::build(&app, Some(&cluster), &name, query, range, now).await
        }
        Err(message) => Err(AppError::bad_request(message)),
    };
    respond(report, &format)
}

//! Operability: `/healthz` (the process answers), `/readyz` (the database answers and is
//! migrated), and Prometheus `/metrics` (requests per route, the last sync, the database).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::store::sync_runs::RunOutcome;
use app::store::Store;

/// Upper bounds (seconds) of the request latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of requests no route matched (the 404 page): one label, however many
/// paths are tried, so a scan cannot blow up the metric's cardinality.
const UNMATCHED: &str = "unmatched";

/// Request counts and latencies per route, kept in memory since the process started.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

#[derive(Debug, Default, Clone)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

impl HttpMetrics {
    /// Records one request to `route` (the route's pattern, not the path) by `method`.
    pub fn record(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut routes = self.routes.lock().expect("metrics lock");
        let stats = routes
            .entry((route.to_string(), method.to_string()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        for (bucket, bound) in stats.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
        stats.count += 1;
        stats.sum_secs += secs;
    }

    /// The counters and histograms in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        let routes = self.routes.lock().expect("metrics lock").clone();
        out.push_str("# HELP spendwatch_http_requests_total HTTP requests by route, method and status.\n# TYPE spendwatch_http_requests_total counter\n");
        for ((route, method), stats) in &routes {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "spendwatch_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    label(route),
                    label(method)
                );
            }
        }
        out.push_str("# HELP spendwatch_http_request_duration_seconds Time to answer, by route and method.\n# TYPE spendwatch_http_request_duration_seconds histogram\n");
        for ((route, method), stats) in &routes {
            let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
            for (n, bound) in stats.buckets.iter().zip(LATENCY_BUCKETS) {
                let _ = writeln!(
                    out,
                    "spendwatch_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "spendwatch_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "spendwatch_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_secs
            );
            let _ = writeln!(
                out,
                "spendwatch_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
    }
}

/// A label value with `\`, `"` and line breaks escaped, as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware counting every request by its route's pattern.
pub async fn count_requests(
    State(metrics): State<Arc<HttpMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED.to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    metrics.record(
        &method,
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// GET /healthz: the process is up (no database call, no authentication).
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// GET /readyz: 200 when the database answers and is fully migrated, else 503 with the reason.
pub async fn readyz(State(store): State<Store>) -> Response {
    match store.readiness().await {
        Ok(r) if r.pending_migrations.is_empty() => (StatusCode::OK, "ready\n").into_response(),
        Ok(r) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: migrations {:?} are not applied\n",
                r.pending_migrations
            ),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!("readiness check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: the database does not answer ({e})\n"),
            )
                .into_response()
        }
    }
}

/// What /metrics reads: the store and the request counters.
#[derive(Clone)]
pub struct MetricsSources {
    /// The database.
    pub store: Store,
    /// The request counters the middleware fills.
    pub http: Arc<HttpMetrics>,
    /// The datapoint count, kept between scrapes.
    pub datapoints: Arc<DatapointCount>,
}

/// The number of datapoints stored, counted once per data version: the count adds up a row per
/// series and day (585,600 rows for 200 services over a year: seconds of reading, and the pages
/// of the whole table through SQLite's cache), and it only changes when a sync or demo load
/// finishes. A sync still running is counted when it finishes.
pub type DatapointCount = app::reports::cache::VersionedSlot<(), i64>;

/// The datapoints stored, from `count` when it was counted at the current data version.
async fn datapoints_stored(store: &Store, count: &DatapointCount) -> app::store::StoreResult<i64> {
    Ok(*count
        .get_or_compute(store, (), || store.count_datapoints())
        .await?)
}

/// GET /metrics: Prometheus text format.
pub async fn metrics(
    State(MetricsSources {
        store,
        http,
        datapoints,
    }): State<MetricsSources>,
) -> Response {
    let mut out = String::new();
    http.render(&mut out);
    if let Err(e) = render_store(&store, &datapoints, &mut out).await {
        tracing::warn!("reading metrics from the database failed: {e}");
        out.push_str("# the database did not answer: store metrics left out\n");
        out.push_str("# TYPE spendwatch_database_up gauge\nspendwatch_database_up 0\n");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// The database's size and datapoints, and the last sync's times, outcome, calls and cost.
async fn render_store(
    store: &Store,
    datapoints: &DatapointCount,
    out: &mut String,
) -> app::store::StoreResult<()> {
    let size = store.database_size_bytes().await?;
    let points = datapoints_stored(store, datapoints).await?;
    let last = store.sync_history(1).await?.into_iter().next();
    gauge(
        out,
        "spendwatch_database_up",
        "1 when the database answers.",
        1.0,
    );
    gauge(
        out,
        "spendwatch_database_size_bytes",
        "Size of the SQLite file (pages in use).",
        size as f64,
    );
    gauge(
        out,
        "spendwatch_datapoints_stored",
        "Metric datapoints stored.",
        points as f64,
    );
    let Some(last) = last else {
        return Ok(());
    };
    let run = &last.run;
    gauge(
        out,
        "spendwatch_last_sync_started_timestamp_seconds",
        "When the newest sync (or demo load) started.",
        run.started_at as f64,
    );
    if let Some(finished) = run.finished_at {
        gauge(
            out,
            "spendwatch_last_sync_finished_timestamp_seconds",
            "When the newest sync finished.",
            finished as f64,
        );
    }
    out.push_str("# HELP spendwatch_last_sync_outcome The newest sync's outcome (1 for the one it had).\n# TYPE spendwatch_last_sync_outcome gauge\n");
    for outcome in [
        RunOutcome::Running,
        RunOutcome::Ok,
        RunOutcome::Partial,
        RunOutcome::Failed,
        RunOutcome::Interrupted,
    ] {
        let _ = writeln!(
            out,
            "spendwatch_last_sync_outcome{{outcome=\"{outcome}\"}} {}",
            u8::from(run.outcome == outcome)
        );
    }
    gauge(
        out,
        "spendwatch_last_sync_api_cost_dollars",
        "Estimated AWS API cost of the newest sync.",
        run.api_cost_usd,
    );
    gauge(
        out,
        "spendwatch_last_sync_datapoints_written",
        "Datapoints the newest sync wrote.",
        run.datapoints_written as f64,
    );
    out.push_str("# HELP spendwatch_last_sync_api_calls AWS API calls of the newest sync, by API.\n# TYPE spendwatch_last_sync_api_calls gauge\n");
    for call in &last.calls {
        let _ = writeln!(
            out,
            "spendwatch_last_sync_api_calls{{api=\"{}\"}} {}",
            label(&call.api),
            call.calls
        );
    }
    Ok(())
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::store::metrics::SeriesKey;
    use app::store::sync_runs::{RunTotals, RunTrigger};

    /// Writes `n` points to a new series inside a sync run that finishes.
    async fn sync_points(store: &Store, metric: &str, n: i64) {
        let run = store.start_sync_run(RunTrigger::Cli, 1_000).await.unwrap();
        let key = SeriesKey {
            namespace: "AWS/ECS".into(),
            metric_name: metric.into(),
            dimensions: "{}".into(),
            statistic: "Average".into(),
            period: 60,
        };
        let id = store.upsert_series(&key, None, None).await.unwrap();
        let points: Vec<(i64, f64)> = (0..n).map(|i| (i * 60, i as f64)).collect();
        store.write_points(id, &points).await.unwrap();
        store
            .finish_sync_run(run, &RunTotals::default(), 2_000)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_datapoint_count_follows_each_finished_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let count = DatapointCount::default();
        assert_eq!(datapoints_stored(&store, &count).await.unwrap(), 0);
        sync_points(&store, "CPUUtilization", 90).await;
        assert_eq!(datapoints_stored(&store, &count).await.unwrap(), 90);
        sync_points(&store, "MemoryUtilization", 30).await;
        assert_eq!(datapoints_stored(&store, &count).await.unwrap(), 120);
        assert_eq!(store.count_datapoints().await.unwrap(), 120);
    }

    #[test]
    fn a_request_lands_in_its_status_and_latency_buckets() {
        let m = HttpMetrics::default();
        m.record("GET", "/services", 200, 0.02);
        m.record("GET", "/services", 400, 2.0);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "spendwatch_http_requests_total{route=\"/services\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(out.contains(
            "spendwatch_http_requests_total{route=\"/services\",method=\"GET\",status=\"400\"} 1"
        ));
        let bucket = |le: &str| {
            let key = format!(
                "spendwatch_http_request_duration_seconds_bucket{{route=\"/services\",method=\"GET\",le=\"{le}\"}} "
            );
            out.lines()
                .find_map(|l| l.strip_prefix(&key))
                .unwrap()
                .to_string()
        };
        assert_eq!(bucket("0.01"), "0");
        assert_eq!(bucket("0.025"), "1");
        assert_eq!(bucket("2.5"), "2");
        assert_eq!(bucket("+Inf"), "2");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

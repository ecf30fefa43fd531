//! The demo dataset: deterministic, and its Fargate costs agree with its simulated task-hours.

use app::analysis::spend::month_windows;
use app::domain::calendar::{day_start, DAY};
use app::domain::capacity::split_tasks;
use app::domain::fargate::PriceTable;
use app::store::Store;
use server::demo::{self, costs::ECS};
use sqlx::Row;

use crate::helpers::{small_spec, spawn_app, test_end};

/// Every table's rows as text, in key order, so two databases can be compared.
async fn dump(store: &Store) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {t} ORDER BY 1, 2, 3"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        for r in rows {
            let cols: Vec<String> = (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .or_else(|_| r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                        .or_else(|_| r.try_get::<Option<Vec<u8>>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap()
                })
                .collect();
            out.push(format!("{t}: {}", cols.join("|")));
        }
    }
    out
}

#[tokio::test]
async fn the_demo_is_the_same_twice() {
    let a = spawn_app(Some(small_spec())).await;
    let b = spawn_app(Some(small_spec())).await;
    let (da, db) = (dump(&a.store).await, dump(&b.store).await);
    let points = a.store.count_points().await.unwrap();
    assert!(
        points > 100_000,
        "the demo writes a real dataset: {points} points"
    );
    assert_eq!(da.len(), db.len());
    assert!(da == db, "two runs of the same demo differ");

    // Writing it again over itself changes nothing either.
    let report = demo::generate(&a.store, &small_spec(), false)
        .await
        .unwrap();
    assert_eq!(
        report.datapoints, 0,
        "a repeated demo rewrites no datapoint"
    );
}

#[tokio::test]
async fn demo_has_the_seeds_shape() {
    let app = spawn_app(Some(small_spec())).await;
    let services = app.store.list_services().await.unwrap();
    assert_eq!(services.len(), 2);
    let server = services
        .iter()
        .find(|s| s.service.name == "mangu-publishing-server-production")
        .unwrap();
    assert_eq!(
        (server.service.size.cpu, server.service.size.memory_mib),
        (512, 1024)
    );
    assert_eq!(
        (server.service.scaling_min, server.service.scaling_max),
        (Some(2), Some(10))
    );
    assert_eq!(server.service.strategy.len(), 2);
    let alarms = app.store.list_alarms(None).await.unwrap();
    let names: Vec<&str> = alarms.iter().map(|a| a.name.as_str()).collect();
    for n in [
        "server-cpu-high",
        "server-memory-high",
        "server-task-count-low",
        "client-cpu-high",
        "alb-5xx-errors",
        "server-target-unhealthy",
        "client-target-unhealthy",
    ] {
        assert!(names.contains(&n), "alarm {n} missing from {names:?}");
    }
    let history = app
        .store
        .list_alarm_history(Some("server-target-unhealthy"), 100)
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.new_state.as_deref() == Some("ALARM")),
        "the incident fired the unhealthy-target alarm"
    );
    let flaps = app
        .store
        .list_alarm_history(Some("alb-5xx-errors"), 10_000)
        .await
        .unwrap();
    assert!(
        flaps
            .iter()
            .filter(|h| h.new_state.as_deref() == Some("ALARM"))
            .count()
            >= 5,
        "alb-5xx-errors flaps"
    );
    // 14 months of costs: this month and the 13 before it.
    let first: i64 = sqlx::query_scalar("SELECT min(period_start) FROM costs")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut m = month_windows(test_end()).this_month.0;
    for _ in 0..13 {
        m = app::domain::calendar::prev_month_start(m);
    }
    assert_eq!(first, m);
}

#[tokio::test]
async fn fargate_costs_agree_with_task_hours_at_list_prices() {
    let app = spawn_app(Some(small_spec())).await;
    let prices = PriceTable::default();
    let day = day_start(test_end()) - 3 * DAY; // a whole day inside the metrics window
    let mut expected = 0.0;
    for s in app.store.list_services().await.unwrap() {
        let series = app.store.list_series(Some(s.id)).await.unwrap();
        let tasks = series
            .iter()
            .find(|x| x.key.metric_name == "RunningTaskCount")
            .unwrap();
        let points = app
            .store
            .read_points(tasks.id, day, day + DAY)
            .await
            .unwrap()
            .pairs();
        assert_eq!(points.len(), 1440);
        for (_, n) in points {
            let split = split_tasks(&s.service.strategy, n);
            expected += (split.on_demand * prices.hourly(s.service.size, s.service.architecture)
                + split.spot * prices.spot_hourly(s.service.size, s.service.architecture))
                / 60.0;
        }
    }
    let billed: f64 = sqlx::query_scalar(
        "SELECT amount FROM costs WHERE scope = '' AND group_by = 'SERVICE' AND group_key = ?1 AND period_start = ?2",
    )
    .bind(ECS)
    .bind(day)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert!(
        (billed - expected).abs() < 0.001,
        "billed {billed} vs task-hours {expected}"
    );
    let usage_types: f64 = sqlx::query_scalar(
        "SELECT sum(amount) FROM costs WHERE scope = ?1 AND group_by = 'USAGE_TYPE' AND metric = 'UnblendedCost' AND period_start = ?2",
    )
    .bind(ECS)
    .bind(day)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert!(
        (usage_types - billed).abs() < 0.001,
        "usage types add up to the service total"
    );
}

#[tokio::test]
async fn the_sync_page_says_a_demo_load_is_demo_data_and_up_to_when() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/sync").await;
    assert!(
        html.contains("demo data generated just now (2026-11-27 13:00 UTC)"),
        "when it was generated, not how old its data is"
    );
    assert!(
        html.contains("demo data up to 2026-11-27 13:00 UTC: 2 services, 14 days (seed 42)"),
        "what it holds, up to when"
    );
}

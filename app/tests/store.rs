//! Store tests on a real SQLite file: migrations, idempotent upserts, and refusing files that are
//! not ours.

use app::domain::capacity::StrategyItem;
use app::domain::fargate::{Architecture, TaskSize};
use app::store::alarms::{AlarmHistoryRecord, HistoryItemType};
use app::store::costs::CostRecord;
use app::store::metrics::SeriesKey;
use app::store::services::{Removed, ServiceRecord};
use app::store::{canonical_dimensions, Store, StoreError};

mod common;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    (dir, store)
}

fn service(cpu: u32, strategy: Vec<StrategyItem>) -> ServiceRecord {
    ServiceRecord {
        region: "us-east-1".into(),
        cluster: "c".into(),
        name: "svc".into(),
        arn: None,
        launch_type: None,
        architecture: Architecture::X86_64,
        task_definition: Some("svc:1".into()),
        size: TaskSize::new(cpu, 1024),
        desired_count: 2,
        running_count: 2,
        scaling_min: Some(2),
        scaling_max: Some(10),
        strategy,
        policies: vec![],
        target_groups: vec![],
    }
}

fn key() -> SeriesKey {
    SeriesKey {
        namespace: "AWS/ECS".into(),
        metric_name: "CPUUtilization".into(),
        dimensions: canonical_dimensions([("ServiceName", "svc"), ("ClusterName", "c")]),
        statistic: "Maximum".into(),
        period: 60,
    }
}

#[tokio::test]
async fn migrates_an_empty_file_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for t in [
        "alarm_history",
        "alarms",
        "costs",
        "metric_series",
        "series_chunks",
        "series_hourly",
        "services",
        "sync_runs",
    ] {
        assert!(
            tables.iter().any(|n| n == t),
            "missing table {t} in {tables:?}"
        );
    }
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(store.is_empty().await.unwrap());
    store.close().await;
    Store::open(&path)
        .await
        .expect("reopening a migrated database works");
}

#[tokio::test]
async fn service_upsert_replaces_and_never_duplicates() {
    let (_dir, store) = fresh().await;
    let strategy = vec![StrategyItem {
        provider: "FARGATE".into(),
        base: 2,
        weight: 1,
    }];
    let id1 = store
        .upsert_service(&service(512, strategy.clone()), 1)
        .await
        .unwrap();
    let id2 = store
        .upsert_service(&service(1024, vec![]), 2)
        .await
        .unwrap();
    assert_eq!(id1, id2);
    let all = store.list_services().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].service.size.cpu, 1024);
    assert!(
        all[0].service.strategy.is_empty(),
        "the strategy is replaced, not appended"
    );
}

#[tokio::test]
async fn a_removed_service_keeps_its_row_and_comes_back_when_seen_again() {
    let (_dir, store) = fresh().await;
    let web = ServiceRecord {
        name: "web".into(),
        ..service(512, vec![])
    };
    let gone = store
        .upsert_service(&service(512, vec![]), 100)
        .await
        .unwrap();
    store.upsert_service(&web, 100).await.unwrap();
    let series = store.upsert_series(&key(), None, Some(gone)).await.unwrap();
    store.write_points(series, &[(60, 1.0)]).await.unwrap();

    assert_eq!(store.mark_removed(&[gone], 200).await.unwrap(), 1);
    assert_eq!(
        store.mark_removed(&[gone], 300).await.unwrap(),
        0,
        "the first time it was found gone is kept"
    );
    let current = store.list_services().await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].service.name, "web");
    let all = store.list_services_with(Removed::Show).await.unwrap();
    let svc = all.iter().find(|s| s.id == gone).expect("the row is kept");
    assert_eq!((svc.last_seen, svc.removed_at), (100, Some(200)));
    assert_eq!(
        store.read_points(series, 0, 120).await.unwrap().pairs(),
        vec![(60, 1.0)],
        "its history is kept"
    );

    // Seen again: current once more, last seen then.
    store
        .upsert_service(&service(512, vec![]), 400)
        .await
        .unwrap();
    let back = store.list_services().await.unwrap();
    let svc = back.iter().find(|s| s.id == gone).expect("listed again");
    assert_eq!((svc.last_seen, svc.removed_at), (400, None));
}

#[tokio::test]
async fn the_presence_migration_applies_to_a_database_of_the_previous_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // The schema as it was before 0003: the earlier migrations only, run by sqlx as before.
    let pool = common::database_at_schema(&path, &["0001_init.sql", "0002_sync_cursors.sql"]).await;
    sqlx::query(
        "INSERT INTO services (region, cluster, name, cpu_units, memory_mib, updated_at)
         VALUES ('us-east-1', 'c', 'old', 512, 1024, 1234)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Store::open(&path)
        .await
        .expect("migrates to the new schema");
    let services = store.list_services().await.unwrap();
    assert_eq!(services.len(), 1, "an existing service stays current");
    assert_eq!(services[0].last_seen, 1234, "last seen when last written");
    assert_eq!(services[0].removed_at, None);
}

#[tokio::test]
async fn datapoints_are_idempotent_and_new_values_replace_old() {
    let (_dir, store) = fresh().await;
    let id = store
        .upsert_series(&key(), Some("Percent"), None)
        .await
        .unwrap();
    assert_eq!(store.upsert_series(&key(), None, None).await.unwrap(), id);
    let points: Vec<(i64, f64)> = (0..3000).map(|i| (i * 60, (i % 100) as f64)).collect();
    assert_eq!(store.write_points(id, &points).await.unwrap().changed, 3000);
    assert_eq!(
        store.write_points(id, &points).await.unwrap().changed,
        0,
        "same window twice changes nothing"
    );
    assert_eq!(store.count_points().await.unwrap(), 3000);

    let restated = [(120, 555.0)];
    assert_eq!(store.write_points(id, &restated).await.unwrap().changed, 1);
    let back = store.read_points(id, 0, 300).await.unwrap().pairs();
    assert_eq!(
        back,
        vec![(0, 0.0), (60, 1.0), (120, 555.0), (180, 3.0), (240, 4.0)]
    );

    let hours = store.read_hourly(id, 0, 7200).await.unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!(hours[0].count, 60);
    assert_eq!(hours[0].max, 555.0, "the rollup follows the restated value");
    assert_eq!(hours[0].min, 0.0);
    assert_eq!(store.last_point_time(id).await.unwrap(), Some(2999 * 60));
}

/// A writer elsewhere (another process, a second server) holds the write lock for a moment: a
/// write that merges into an existing chunk (it reads the chunk, then writes it) waits its turn
/// instead of failing at once with "database is locked".
#[tokio::test(flavor = "multi_thread")]
async fn a_write_waits_for_another_writer_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    let id = store.upsert_series(&key(), None, None).await.unwrap();
    let first: Vec<(i64, f64)> = (0..60).map(|i| (i * 60, 1.0)).collect();
    store.write_points(id, &first).await.unwrap();

    let other = Store::open(&path).await.unwrap();
    let mut holder = other.pool().acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    });
    let more: Vec<(i64, f64)> = (60..120).map(|i| (i * 60, 2.0)).collect();
    let written = store.write_points(id, &more).await;
    release.await.unwrap();
    assert_eq!(written.unwrap().changed, 60);
    assert_eq!(store.count_points().await.unwrap(), 120);
}

#[tokio::test]
async fn alarm_history_is_stored_once() {
    let (_dir, store) = fresh().await;
    let item = AlarmHistoryRecord {
        region: "us-east-1".into(),
        alarm_name: "a".into(),
        ts: 100,
        item_type: HistoryItemType::StateUpdate,
        summary: "Alarm updated from OK to ALARM".into(),
        history_data: "{}".into(),
        ..Default::default()
    };
    assert_eq!(
        store
            .insert_alarm_history(&[item.clone(), item.clone()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.insert_alarm_history(&[item]).await.unwrap(), 0);
    assert_eq!(store.list_alarm_history(None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn restated_costs_overwrite_and_repeats_change_nothing() {
    let (_dir, store) = fresh().await;
    let mut c = CostRecord {
        granularity: "DAILY".into(),
        period_start: 86_400,
        period_end: 2 * 86_400,
        scope: "".into(),
        group_by: "SERVICE".into(),
        group_key: "Amazon Elastic Container Service".into(),
        metric: "UnblendedCost".into(),
        amount: 10.0,
        unit: "USD".into(),
        estimated: true,
    };
    assert_eq!(
        store
            .upsert_costs(std::slice::from_ref(&c), 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .upsert_costs(std::slice::from_ref(&c), 2)
            .await
            .unwrap(),
        0
    );
    c.amount = 12.5;
    c.estimated = false;
    assert_eq!(
        store
            .upsert_costs(std::slice::from_ref(&c), 3)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .daily_spend_total("", "SERVICE", 0, 10 * 86_400)
            .await
            .unwrap(),
        12.5
    );
    assert!(!store.any_estimated(0, 10 * 86_400).await.unwrap());
}

#[tokio::test]
async fn spend_totals_of_several_windows_come_back_in_their_order() {
    let (_dir, store) = fresh().await;
    let day = |d: i64, key: &str, amount: f64| CostRecord {
        granularity: "DAILY".into(),
        period_start: d * 86_400,
        period_end: (d + 1) * 86_400,
        scope: "".into(),
        group_by: "SERVICE".into(),
        group_key: key.into(),
        metric: "UnblendedCost".into(),
        amount,
        unit: "USD".into(),
        estimated: false,
    };
    let rows = [
        day(1, "a", 1.0),
        day(1, "b", 2.0),
        day(2, "a", 4.0),
        day(5, "a", 8.0),
    ];
    store.upsert_costs(&rows, 1).await.unwrap();
    let d = 86_400;
    let windows = [
        (2 * d, 6 * d),
        (0, 2 * d),
        (3 * d, 5 * d),
        (0, 10 * d),
        (2 * d, 3 * d),
    ];
    assert_eq!(
        store
            .daily_spend_totals("", "SERVICE", &windows)
            .await
            .unwrap(),
        vec![12.0, 3.0, 0.0, 15.0, 4.0],
        "each window sums its own days, an empty one is 0, overlaps count in each"
    );
    for (w, expected) in windows.iter().zip([12.0, 3.0, 0.0, 15.0, 4.0]) {
        assert_eq!(
            store
                .daily_spend_total("", "SERVICE", w.0, w.1)
                .await
                .unwrap(),
            expected
        );
    }
    assert!(store
        .daily_spend_totals("", "SERVICE", &[])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn refuses_a_file_that_is_not_sqlite_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, b"these are my notes, not a database\n").unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::NotSqlite { .. }), "{err}");
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"these are my notes, not a database\n"
    );
    assert!(!dir.path().join("notes.txt-wal").exists());
}

#[tokio::test]
async fn refuses_a_newer_schema_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    // Move everything into the main file so comparing its bytes compares the whole database.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99990101000000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade spendwatch"), "{err}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the file is untouched"
    );
}

#[tokio::test]
async fn names_a_missing_folder() {
    let err = Store::open(std::path::Path::new("/nonexistent-spendwatch-dir/x.db"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent-spendwatch-dir/x.db") && msg.contains("does not exist"),
        "{msg}"
    );
}

#[tokio::test]
async fn regular_points_write_like_timed_points() {
    let (_dir, store) = fresh().await;
    let a = store.upsert_series(&key(), None, None).await.unwrap();
    let mut other = key();
    other.statistic = "Average".into();
    let b = store.upsert_series(&other, None, None).await.unwrap();
    let values: Vec<f64> = (0..130)
        .map(|i| if i == 7 { f64::NAN } else { i as f64 * 1.5 })
        .collect();
    // The same points with times; write_points refuses NaN, so the gap is simply left out.
    let timed: Vec<(i64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .map(|(i, v)| (600 + i as i64 * 60, *v))
        .collect();
    assert_eq!(
        store
            .write_regular_points(a, 600, 60, &values)
            .await
            .unwrap()
            .changed,
        129,
        "the NaN is a gap"
    );
    store.write_points(b, &timed).await.unwrap();
    let read = |id| store.read_points(id, 0, i64::MAX);
    assert_eq!(read(a).await.unwrap(), read(b).await.unwrap());
    assert_eq!(
        store.read_hourly(a, 0, 99_999).await.unwrap(),
        store.read_hourly(b, 0, 99_999).await.unwrap()
    );
    assert_eq!(
        store
            .write_regular_points(a, 600, 60, &values)
            .await
            .unwrap()
            .changed,
        0,
        "idempotent"
    );
}

#[tokio::test]
async fn buckets_read_in_sqlite_match_the_pure_downsample() {
    use app::analysis::downsample::{downsample, points_as_samples};
    let (_dir, store) = fresh().await;
    let id = store.upsert_series(&key(), None, None).await.unwrap();
    // Three days of minutes with a spike and a gap.
    let points: Vec<(i64, f64)> = (0..3 * 1440)
        .filter(|i| !(2000..2100).contains(i))
        .map(|i| {
            (
                1_000_020 + i * 60,
                if i == 777 { 99.0 } else { (i % 50) as f64 },
            )
        })
        .collect();
    store.write_points(id, &points).await.unwrap();
    let (from, to) = (1_000_020 + 3600, 1_000_020 + 3 * 86_400 - 7200);
    for columns in [900, 100] {
        let w = (to - from + columns - 1) / columns;
        let expected = downsample(&points_as_samples(&points), from, to, columns as usize);
        let raw = store.read_buckets(id, from, to, w, false).await.unwrap();
        assert_eq!(raw.len(), expected.len());
        for (r, e) in raw.iter().zip(&expected) {
            assert_eq!((r.0, r.1, r.2), (e.ts, e.min, e.max));
            assert!((r.3 / r.4 as f64 - e.mean).abs() < 1e-9);
        }
        assert_eq!(
            raw.iter().map(|b| b.2).fold(0.0, f64::max),
            99.0,
            "the spike survives"
        );
    }
    // From hourly rollups: the same extremes per (hour-aligned) bucket.
    let hourly = store
        .read_buckets(id, from, to, 6 * 3600, true)
        .await
        .unwrap();
    // Whole hours are counted: from the hour holding `from` to the hour holding `to`'s last second.
    let (first_hour, end_hour) = (from - from % 3600, (to + 3599) / 3600 * 3600);
    let in_hours = points
        .iter()
        .filter(|p| p.0 >= first_hour && p.0 < end_hour)
        .count() as i64;
    assert_eq!(hourly.iter().map(|b| b.4).sum::<i64>(), in_hours);
    assert_eq!(hourly.iter().map(|b| b.2).fold(0.0, f64::max), 99.0);
}

#[tokio::test]
async fn the_chunk_migration_moves_every_point_of_a_database_of_the_previous_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.db");
    // The schema before 0004 (a row per point), written the way that version wrote it.
    let pool = common::database_at_schema(
        &path,
        &[
            "0001_init.sql",
            "0002_sync_cursors.sql",
            "0003_service_presence.sql",
        ],
    )
    .await;
    // Three series: two of three days of full-precision minutes (one with a gap), one sparse.
    let mut expected: Vec<Vec<(i64, f64)>> = Vec::new();
    for s in 1..=3i64 {
        sqlx::query(
            "INSERT INTO metric_series (id, namespace, metric_name, dimensions, statistic, period)
             VALUES (?1, 'AWS/ECS', 'CPUUtilization', '{}', ?2, 60)",
        )
        .bind(s)
        .bind(format!("stat{s}"))
        .execute(&pool)
        .await
        .unwrap();
        let points: Vec<(i64, f64)> = (0..3 * 1440i64)
            .filter(|i| s != 2 || !(1000..1500).contains(i))
            .filter(|i| s != 3 || i % 97 == 0)
            .map(|i| {
                (
                    1_700_000_040 + i * 60,
                    (i as f64 * 0.7548776662466927 * s as f64).fract() * 100.0,
                )
            })
            .collect();
        let mut tx = pool.begin().await.unwrap();
        for (t, v) in &points {
            sqlx::query("INSERT INTO datapoints (series_id, ts, value) VALUES (?1, ?2, ?3)")
                .bind(s)
                .bind(t)
                .bind(v)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        expected.push(points);
    }
    let (rows, row_sum): (i64, f64) = sqlx::query_as("SELECT count(*), sum(value) FROM datapoints")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = Store::open(&path).await.expect("migrates into chunks");
    assert_eq!(
        store.count_points().await.unwrap(),
        rows,
        "every point kept"
    );
    let mut sum = 0.0;
    for (s, points) in (1..).zip(&expected) {
        let back = store.read_points(s, 0, i64::MAX).await.unwrap();
        assert_eq!(&back.pairs(), points, "series {s} point for point");
        sum += back.values.iter().sum::<f64>();
    }
    assert!(
        (sum - row_sum).abs() <= 1e-9 * row_sum.abs(),
        "{sum} vs {row_sum}"
    );
    let old_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'datapoints'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(old_table, 0, "the row table is dropped");
    // Writes after the migration merge into the moved chunks.
    let last = expected[0].last().unwrap().0;
    assert_eq!(
        store.write_points(1, &expected[0]).await.unwrap().changed,
        0
    );
    assert_eq!(store.last_point_time(1).await.unwrap(), Some(last));
    store.close().await;
    let again = Store::open(&path).await.expect("reopens");
    assert_eq!(again.count_points().await.unwrap(), rows);
}

#[tokio::test]
async fn series_of_a_metric_are_the_listed_series_of_that_metric() {
    let (_dir, store) = fresh().await;
    let dims = |svc: &str| canonical_dimensions([("ClusterName", "c"), ("ServiceName", svc)]);
    for (metric, svc, statistic, period) in [
        ("CPUUtilization", "a", "Average", 60),
        ("CPUUtilization", "a", "Maximum", 60),
        ("MemoryUtilization", "a", "Average", 60),
        ("CPUUtilization", "b", "Average", 60),
        ("CPUUtilization", "a", "Average", 300),
    ] {
        let k = SeriesKey {
            metric_name: metric.into(),
            dimensions: dims(svc),
            statistic: statistic.into(),
            period,
            ..key()
        };
        store.upsert_series(&k, None, None).await.unwrap();
    }
    let expected: Vec<_> = store
        .list_series(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.key.metric_name == "CPUUtilization" && s.key.dimensions == dims("a"))
        .collect();
    assert_eq!(expected.len(), 3);
    let found = store
        .series_of_metric("AWS/ECS", "CPUUtilization", &dims("a"))
        .await
        .unwrap();
    assert_eq!(found, expected);
    assert!(store
        .series_of_metric("AWS/ECS", "CPUUtilization", "{}")
        .await
        .unwrap()
        .is_empty());
}

//! Compressed series chunks through the public series API: every write reads back as a
//! row-per-point reference store would give it, non-finite values are refused, and a writer
//! killed during a chunk rewrite leaves the previous chunks whole.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use app::store::metrics::SeriesKey;
use app::store::{canonical_dimensions, Store, StoreError};
use proptest::prelude::*;

mod common;

fn key(statistic: &str) -> SeriesKey {
    SeriesKey {
        namespace: "AWS/ECS".into(),
        metric_name: "CPUUtilization".into(),
        dimensions: canonical_dimensions([("ServiceName", "svc"), ("ClusterName", "c")]),
        statistic: statistic.into(),
        period: 60,
    }
}

/// One write of the property test: timed points, or a regular run (start, values).
#[derive(Debug, Clone)]
enum Batch {
    Timed(Vec<(i64, f64)>),
    Regular(i64, Vec<f64>),
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |v| v.is_finite()),
        (0u8..4).prop_map(f64::from),
        (-1e6f64..1e6),
        Just(-0.0),
    ]
}

/// Times over five days around the epoch (negative ones included), mostly on the minute grid
/// so batches restate each other.
fn time() -> impl Strategy<Value = i64> {
    prop_oneof![
        (-2 * 1440i64..3 * 1440).prop_map(|m| m * 60),
        -2 * 86_400i64..3 * 86_400,
    ]
}

fn batch() -> impl Strategy<Value = Batch> {
    prop_oneof![
        proptest::collection::vec((time(), finite()), 0..300).prop_map(Batch::Timed),
        (time(), proptest::collection::vec(finite(), 0..400))
            .prop_map(|(start, v)| Batch::Regular(start - start.rem_euclid(60), v)),
    ]
}

/// Applies a batch to the reference (a row per point) and returns how many points it changed.
fn apply(reference: &mut BTreeMap<i64, f64>, points: &[(i64, f64)]) -> u64 {
    let mut last: BTreeMap<i64, f64> = BTreeMap::new();
    for &(t, v) in points {
        last.insert(t, v); // the later of two points for one time wins
    }
    let mut changed = 0;
    for (t, v) in last {
        if reference.insert(t, v).map(f64::to_bits) != Some(v.to_bits()) {
            changed += 1;
        }
    }
    changed
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

async fn check_against_reference(batches: Vec<Batch>, from: i64, to: i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("p.db")).await.unwrap();
    let id = store
        .upsert_series(&key("Maximum"), None, None)
        .await
        .unwrap();
    let mut reference = BTreeMap::new();
    for b in batches {
        let (points, stats) = match b {
            Batch::Timed(points) => {
                let stats = store.write_points(id, &points).await.unwrap();
                (points, stats)
            }
            Batch::Regular(start, values) => {
                let stats = store
                    .write_regular_points(id, start, 60, &values)
                    .await
                    .unwrap();
                let points: Vec<(i64, f64)> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (start + i as i64 * 60, *v))
                    .collect();
                (points, stats)
            }
        };
        assert_eq!(stats.changed, apply(&mut reference, &points));
    }
    let all = store.read_points(id, i64::MIN, i64::MAX).await.unwrap();
    assert_eq!(all.ts, reference.keys().copied().collect::<Vec<_>>());
    assert_eq!(
        bits(&all.values),
        bits(&reference.values().copied().collect::<Vec<_>>())
    );
    let part = store.read_points(id, from, to).await.unwrap();
    let expected: Vec<(i64, f64)> = reference
        .range(from..to.max(from))
        .map(|(t, v)| (*t, *v))
        .collect();
    assert_eq!(part.ts, expected.iter().map(|p| p.0).collect::<Vec<_>>());
    assert_eq!(
        bits(&part.values),
        bits(&expected.iter().map(|p| p.1).collect::<Vec<_>>())
    );
    assert_eq!(store.count_points().await.unwrap(), reference.len() as i64);
    // Rollups hold each hour's count, min, max and sum (added oldest first) of the reference.
    let mut hours: BTreeMap<i64, (i64, f64, f64, f64)> = BTreeMap::new();
    for (t, v) in &reference {
        let h = hours.entry(t.div_euclid(3600) * 3600).or_insert((
            0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
        ));
        *h = (h.0 + 1, h.1.min(*v), h.2.max(*v), h.3 + v);
    }
    let rollups: BTreeMap<i64, (i64, f64, f64, f64)> = store
        .read_hourly(id, i64::MIN, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.hour, (h.count, h.min, h.max, h.sum)))
        .collect();
    assert_eq!(rollups, hours);
    // Buckets read from the rollups group those hours: an hour reaching into `from` counts in
    // the first bucket, buckets are `width` apart from `from`.
    let width = 3600 * (1 + (to - from).rem_euclid(30));
    let mut expected: Vec<(i64, f64, f64, f64, i64)> = Vec::new();
    for (&hour, &(count, min, max, sum)) in hours.range(from - 3599..to.max(from - 3599)) {
        let b = from + (hour.max(from) - from) / width * width;
        match expected.last_mut() {
            Some(last) if last.0 == b => {
                *last = (
                    b,
                    last.1.min(min),
                    last.2.max(max),
                    last.3 + sum,
                    last.4 + count,
                )
            }
            _ => expected.push((b, min, max, sum, count)),
        }
    }
    let buckets = store.read_buckets(id, from, to, width, true).await.unwrap();
    assert_eq!(buckets, expected);
    store.close().await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_writes_read_back_as_a_row_per_point_store_gives_them(
        batches in proptest::collection::vec(batch(), 1..6),
        from in time(),
        len in 0i64..3 * 86_400,
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check_against_reference(batches, from, from + len));
    }
}

#[tokio::test]
async fn nan_and_infinities_are_refused_and_nothing_of_the_write_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("n.db")).await.unwrap();
    let id = store
        .upsert_series(&key("Maximum"), None, None)
        .await
        .unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = store
            .write_points(id, &[(60, 1.0), (120, bad)])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NonFinite { series_id, ts: 120, .. } if series_id == id),
            "{err}"
        );
        assert!(err.to_string().contains("only finite numbers"), "{err}");
    }
    for bad in [f64::INFINITY, f64::NEG_INFINITY] {
        let err = store
            .write_regular_points(id, 0, 60, &[1.0, bad])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NonFinite { ts: 60, .. }), "{err}");
    }
    assert_eq!(store.count_points().await.unwrap(), 0);
    assert!(store.read_hourly(id, 0, 99_999).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_write_of_more_days_than_one_insert_carries_reads_back_whole() {
    // 300 days of hourly points: more chunks (and rollup rows) than one multi-row insert carries,
    // then every 7th point restated across all of them (each chunk rewritten in place).
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("long.db")).await.unwrap();
    let id = store
        .upsert_series(&key("Average"), None, None)
        .await
        .unwrap();
    let points: Vec<(i64, f64)> = (0..300 * 24)
        .map(|h| (h * 3600, h as f64 * 0.1 + 0.013))
        .collect();
    let written = store.write_points(id, &points).await.unwrap();
    assert_eq!(written.changed, points.len() as u64);
    let restated: Vec<(i64, f64)> = points
        .iter()
        .step_by(7)
        .map(|&(t, v)| (t, v + 1.0))
        .collect();
    let rewritten = store.write_points(id, &restated).await.unwrap();
    assert_eq!(rewritten.changed, restated.len() as u64);

    let mut expected: BTreeMap<i64, f64> = points.into_iter().collect();
    expected.extend(restated);
    let read = store.read_points(id, 0, 300 * 86_400).await.unwrap();
    assert_eq!(read.ts, expected.keys().copied().collect::<Vec<_>>());
    assert_eq!(
        bits(&read.values),
        bits(&expected.values().copied().collect::<Vec<_>>())
    );
    assert_eq!(store.count_points().await.unwrap(), 300 * 24);
    let hours = store.read_hourly(id, 0, i64::MAX).await.unwrap();
    assert_eq!(hours.len(), expected.len());
    for (h, (t, v)) in hours.iter().zip(&expected) {
        assert_eq!((h.hour, h.count, h.sum.to_bits()), (*t, 1, v.to_bits()));
    }
    store.close().await;
}

/// Days rewritten by each generation of the killed writer, and points a day.
const KILL_DAYS: i64 = 40;
const KILL_MINUTES: i64 = 1440;

/// The value generation `g` writes at minute `i`: full precision, so chunks are big.
fn generation_value(g: u64, i: i64) -> f64 {
    g as f64 * 1000.0 + (i as f64 * 0.618_033_988_749_895).fract()
}

/// The child half of the kill test: rewrites every point of the series with generation 1, 2, ...
/// forever, one transaction each, printing each generation once committed.
async fn rewrite_forever(db: &str) {
    let store = Store::open(std::path::Path::new(db)).await.unwrap();
    let id = store
        .upsert_series(&key("Maximum"), None, None)
        .await
        .unwrap();
    for g in 1.. {
        let values: Vec<f64> = (0..KILL_DAYS * KILL_MINUTES)
            .map(|i| generation_value(g, i))
            .collect();
        store
            .write_regular_points(id, 0, 60, &values)
            .await
            .unwrap();
        println!("committed {g}");
    }
}

#[tokio::test]
async fn a_writer_killed_during_a_chunk_rewrite_leaves_the_previous_chunks_whole() {
    if let Ok(db) = std::env::var("SPENDWATCH_CHUNK_WRITER_DB") {
        return rewrite_forever(&db).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    drop(Store::open(&db).await.unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_writer_killed_during_a_chunk_rewrite_leaves_the_previous_chunks_whole",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SPENDWATCH_CHUNK_WRITER_DB", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has committed two generations: it is then rewriting the third (a
    // generation is one long transaction of 40 chunk rewrites, so the kill lands inside one).
    let mut committed = 0;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while committed < 2 {
        let line = lines.next().expect("the writer stopped early").unwrap();
        if let Some(g) = line.strip_prefix("committed ") {
            committed = g.trim().parse().unwrap();
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = Store::open(&db).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let id = store
        .upsert_series(&key("Maximum"), None, None)
        .await
        .unwrap();
    let points = store.read_points(id, 0, i64::MAX).await.unwrap();
    assert_eq!(points.len() as i64, KILL_DAYS * KILL_MINUTES);
    let g = (points.values[0] / 1000.0).floor() as u64;
    assert!(g >= committed, "generation {g} read, {committed} committed");
    for (i, v) in points.values.iter().enumerate() {
        assert_eq!(
            v.to_bits(),
            generation_value(g, i as i64).to_bits(),
            "point {i}: every chunk is of one committed generation"
        );
    }
    let hours = store.read_hourly(id, 0, i64::MAX).await.unwrap();
    assert_eq!(hours.len() as i64, KILL_DAYS * 24);
    assert!(hours
        .iter()
        .all(|h| h.count == 60 && h.min >= g as f64 * 1000.0 && h.max < (g + 1) as f64 * 1000.0));
}

#[tokio::test]
async fn rounding_when_asked_keeps_significant_digits_and_the_rollups_follow() {
    let dir = tempfile::tempdir().unwrap();
    let exact = Store::open(&dir.path().join("r.db")).await.unwrap();
    let id = exact
        .upsert_series(&key("Maximum"), None, None)
        .await
        .unwrap();
    let points = [
        (60, 37.123_449_9),
        (120, 0.000_123_456_78),
        (180, 99.999_999_9),
    ];
    exact.write_points(id, &points).await.unwrap();
    let back = exact.read_points(id, 0, 3600).await.unwrap();
    assert_eq!(back.pairs(), points.to_vec(), "exact by default");

    let rounding = exact.clone().with_round_significant_digits(Some(6));
    let stats = rounding.write_points(id, &points).await.unwrap();
    assert_eq!(stats.changed, 3, "each value changes when rounded");
    let back = rounding.read_points(id, 0, 3600).await.unwrap();
    assert_eq!(back.values, vec![37.1234, 0.000_123_457, 100.0]);
    let hour = rounding.read_hourly(id, 0, 3600).await.unwrap();
    assert_eq!(
        (hour[0].min, hour[0].max, hour[0].count),
        (0.000_123_457, 100.0, 3)
    );
    assert_eq!(
        rounding.write_points(id, &points).await.unwrap().changed,
        0,
        "a restatement that rounds to the stored value changes nothing"
    );
}

/// The previous schema's rollup read (hourly rows grouped inside SQLite, returned as JSON),
/// kept here to compare the new reads with what that version gave.
const OLD_BUCKETS_SQL: &str = "SELECT json_group_array(json_array(b, lo, hi, total, n)) FROM
         (SELECT ?2 + ((max(hour, ?2) - ?2) / ?4) * ?4 AS b, min(min) AS lo, max(max) AS hi,
                 sum(sum) AS total, sum(count) AS n
          FROM datapoints_hourly WHERE series_id = ?1 AND hour > ?2 - 3600 AND hour < ?3
          GROUP BY b ORDER BY b)";

type Bucket = (i64, f64, f64, f64, i64);

/// A database of schema 0004 (chunks, a row per hourly rollup) written the way that version
/// wrote it: three series (full-precision minutes, one with a gap, one sparse and irregular).
/// Returns each series' points and the database's hourly rows.
async fn previous_schema_database(path: &std::path::Path) -> Vec<Vec<(i64, f64)>> {
    use app::store::chunks::codec;
    let pool = common::database_at_schema(
        path,
        &[
            "0001_init.sql",
            "0002_sync_cursors.sql",
            "0003_service_presence.sql",
            "0004_series_chunks.sql",
        ],
    )
    .await;
    let mut series = Vec::new();
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
                let t = 1_700_000_040 + i * 60 + if s == 3 { i % 7 } else { 0 };
                (
                    t,
                    (i as f64 * 0.754_877_666_246_692_7 * s as f64).fract() * 100.0 - 20.0,
                )
            })
            .collect();
        let mut tx = pool.begin().await.unwrap();
        for day in points.chunk_by(|a, b| a.0.div_euclid(86_400) == b.0.div_euclid(86_400)) {
            let ts: Vec<i64> = day.iter().map(|p| p.0).collect();
            let values: Vec<f64> = day.iter().map(|p| p.1).collect();
            sqlx::query(
                "INSERT INTO series_chunks (series_id, day, count, last_ts, ts_blob, values_blob)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(s)
            .bind(ts[0].div_euclid(86_400))
            .bind(ts.len() as i64)
            .bind(ts[ts.len() - 1])
            .bind(codec::encode_times(&ts))
            .bind(codec::encode_values(&values))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        for hour in points.chunk_by(|a, b| a.0.div_euclid(3600) == b.0.div_euclid(3600)) {
            let v = hour.iter().map(|p| p.1);
            sqlx::query(
                "INSERT INTO datapoints_hourly (series_id, hour, min, max, sum, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(s)
            .bind(hour[0].0.div_euclid(3600) * 3600)
            .bind(v.clone().fold(f64::INFINITY, f64::min))
            .bind(v.clone().fold(f64::NEG_INFINITY, f64::max))
            .bind(v.fold(0.0, |a, b| a + b))
            .bind(hour.len() as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        series.push(points);
    }
    pool.close().await;
    series
}

#[tokio::test]
async fn the_compact_migration_keeps_every_point_and_every_rollup_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    let series = previous_schema_database(&path).await;
    // What the previous version read from that file.
    let pool =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();
    let old_hours: Vec<(i64, i64, f64, f64, f64, i64)> = sqlx::query_as(
        "SELECT series_id, hour, min, max, sum, count FROM datapoints_hourly ORDER BY series_id, hour",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (old_points, old_sum): (i64, f64) =
        sqlx::query_as("SELECT sum(count), sum(sum) FROM datapoints_hourly")
            .fetch_one(&pool)
            .await
            .unwrap();
    let t0 = 1_700_000_040;
    let windows = [
        (t0, t0 + 3 * 86_400, 6 * 3600),
        (t0 + 1234, t0 + 2 * 86_400 + 77, 5400),
        (t0 - 86_400, t0 + 86_400, 3600),
    ];
    let mut old_buckets: Vec<Vec<Bucket>> = Vec::new();
    for s in 1..=3i64 {
        for (from, to, width) in windows {
            let json: String = sqlx::query_scalar(OLD_BUCKETS_SQL)
                .bind(s)
                .bind(from)
                .bind(to)
                .bind(width)
                .fetch_one(&pool)
                .await
                .unwrap();
            old_buckets.push(serde_json::from_str(&json).unwrap());
        }
    }
    pool.close().await;

    let store = Store::open(&path)
        .await
        .expect("migrates to compact storage");
    let points: usize = series.iter().map(Vec::len).sum();
    assert_eq!(store.count_points().await.unwrap(), points as i64);
    assert_eq!(store.count_datapoints().await.unwrap(), old_points);
    assert_eq!(old_points, points as i64);
    let mut new_hours = Vec::new();
    for (s, expected) in (1..).zip(&series) {
        let back = store.read_points(s, 0, i64::MAX).await.unwrap();
        assert_eq!(&back.pairs(), expected, "series {s} point for point");
        for h in store.read_hourly(s, 0, i64::MAX).await.unwrap() {
            new_hours.push((s, h.hour, h.min, h.max, h.sum, h.count));
        }
    }
    let bits = |h: &(i64, i64, f64, f64, f64, i64)| {
        (h.0, h.1, h.2.to_bits(), h.3.to_bits(), h.4.to_bits(), h.5)
    };
    assert_eq!(
        new_hours.iter().map(bits).collect::<Vec<_>>(),
        old_hours.iter().map(bits).collect::<Vec<_>>(),
        "every hourly rollup moved bit for bit"
    );
    let new_sum: f64 = new_hours.iter().map(|h| h.4).sum();
    assert!(
        (new_sum - old_sum).abs() <= 1e-9 * old_sum.abs(),
        "{new_sum} vs {old_sum}"
    );
    // The bucket read gives what the old SQL gave (which printed 15 significant digits).
    let mut old = old_buckets.into_iter();
    for s in 1..=3i64 {
        for (from, to, width) in windows {
            let new = store.read_buckets(s, from, to, width, true).await.unwrap();
            let old = old.next().unwrap();
            assert!(!old.is_empty());
            assert_eq!(new.len(), old.len(), "series {s} from {from}");
            for (n, o) in new.iter().zip(&old) {
                assert_eq!((n.0, n.4), (o.0, o.4), "bucket start and count");
                for (a, b) in [(n.1, o.1), (n.2, o.2), (n.3, o.3)] {
                    assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
                }
            }
        }
    }
    let gone: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'datapoints_hourly'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(gone, 0, "the row-per-hour table is dropped");
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(free, 0, "the pages of the tables moved are given back");
    // A restatement after the migration rewrites the day's chunk and its rollups.
    let (t, _) = series[0][100];
    store.write_points(1, &[(t, 1e6)]).await.unwrap();
    let hour = store
        .read_hourly(1, t - t % 3600, t - t % 3600 + 1)
        .await
        .unwrap();
    assert_eq!((hour[0].max, hour[0].count), (1e6, 60));
    store.close().await;
    let again = Store::open(&path).await.expect("reopens");
    assert_eq!(again.count_datapoints().await.unwrap(), old_points);
}

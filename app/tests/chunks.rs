//! Compressed series chunks through the public series API: every write reads back as a
//! row-per-point reference store would give it, non-finite values are refused, and a writer
//! killed during a chunk rewrite leaves the previous chunks whole.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use app::store::metrics::SeriesKey;
use app::store::{canonical_dimensions, Store, StoreError};
use proptest::prelude::*;

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
    // Rollups hold each hour's count, min and max of the reference.
    let mut hours: BTreeMap<i64, (i64, f64, f64)> = BTreeMap::new();
    for (t, v) in &reference {
        let h =
            hours
                .entry(t.div_euclid(3600) * 3600)
                .or_insert((0, f64::INFINITY, f64::NEG_INFINITY));
        *h = (h.0 + 1, h.1.min(*v), h.2.max(*v));
    }
    let rollups: BTreeMap<i64, (i64, f64, f64)> = store
        .read_hourly(id, i64::MIN, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.hour, (h.count, h.min, h.max)))
        .collect();
    assert_eq!(rollups, hours);
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

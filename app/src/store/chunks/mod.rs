//! Series points stored as compressed chunks: one `series_chunks` row per series per UTC day,
//! holding that day's times and values encoded by [`codec`]. Only this module reads or writes
//! the table; everything else goes through the series API in [`super::metrics`].
//!
//! A write merges the new points into the chunks they fall in (a later value for the same time
//! wins), rewrites only the chunks that changed, and refreshes the hourly rollups of the hours
//! that changed, all inside the caller's transaction: a crash leaves the previous chunk whole.

pub mod codec;
pub(super) mod migrate;

use std::collections::HashMap;

use sqlx::SqliteConnection;

use super::metrics::SeriesPoints;
use super::{StoreError, StoreResult};

/// Seconds in a chunk: one UTC day.
pub const CHUNK_SECONDS: i64 = 86_400;

/// Seconds in a rollup bucket.
const HOUR: i64 = 3_600;

/// The chunk (UTC day number) a time falls in.
fn day_of(ts: i64) -> i64 {
    ts.div_euclid(CHUNK_SECONDS)
}

/// One decoded chunk: ascending unique times and their values.
#[derive(Debug, Clone, Default, PartialEq)]
struct Chunk {
    ts: Vec<i64>,
    values: Vec<f64>,
}

/// One hourly rollup row: hour start, min, max, sum, count.
type HourRollup = (i64, f64, f64, f64, i64);

/// Refuses NaN and infinities, then sorts points by time keeping the last one given for a time
/// (a restatement later in the same batch wins, as it would in two writes).
pub(super) fn checked_sorted(
    series_id: i64,
    points: &[(i64, f64)],
) -> StoreResult<Vec<(i64, f64)>> {
    if let Some(&(ts, value)) = points.iter().find(|(_, v)| !v.is_finite()) {
        return Err(StoreError::NonFinite {
            series_id,
            ts,
            value,
        });
    }
    let mut sorted = points.to_vec();
    // Stable: equal times keep their input order, so the last one given is last.
    sorted.sort_by_key(|p| p.0);
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(sorted.len());
    for p in sorted {
        match out.last_mut() {
            Some(last) if last.0 == p.0 => *last = p,
            _ => out.push(p),
        }
    }
    Ok(out)
}

/// Merges `points` (sorted, unique times, finite) into the series' chunks and refreshes the
/// rollups of the hours whose points changed. Returns the number of points inserted or whose
/// value changed (bit for bit). Runs inside the caller's transaction.
pub(super) async fn write_sorted(
    conn: &mut SqliteConnection,
    series_id: i64,
    points: &[(i64, f64)],
) -> StoreResult<u64> {
    write_days(conn, series_id, points, true).await
}

/// [`write_sorted`] without touching the rollups: for moving rows whose rollups already exist.
async fn write_chunks_only(
    conn: &mut SqliteConnection,
    series_id: i64,
    points: &[(i64, f64)],
) -> StoreResult<u64> {
    write_days(conn, series_id, points, false).await
}

async fn write_days(
    conn: &mut SqliteConnection,
    series_id: i64,
    points: &[(i64, f64)],
    refresh_rollups: bool,
) -> StoreResult<u64> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(0);
    };
    let mut stored: HashMap<i64, Chunk> =
        load(&mut *conn, series_id, day_of(first.0), day_of(last.0))
            .await?
            .into_iter()
            .collect();
    let mut changed_total = 0;
    for day_points in points.chunk_by(|a, b| day_of(a.0) == day_of(b.0)) {
        let day = day_of(day_points[0].0);
        let old = stored.remove(&day).unwrap_or_default();
        let (merged, changed_hours, changed) = merge(&old, day_points);
        if changed == 0 {
            continue;
        }
        changed_total += changed;
        save(&mut *conn, series_id, day, &merged).await?;
        if refresh_rollups {
            save_rollups(&mut *conn, series_id, &rollups(&merged, &changed_hours)).await?;
        }
    }
    Ok(changed_total)
}

/// The points of a series in `[from, to)`, oldest first, decoded from the chunks covering it.
pub(super) async fn read_range<'e>(
    exec: impl sqlx::SqliteExecutor<'e>,
    series_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<SeriesPoints> {
    let mut out = SeriesPoints::default();
    if from >= to {
        return Ok(out);
    }
    for (_, chunk) in load(exec, series_id, day_of(from), day_of(to - 1)).await? {
        let lo = chunk.ts.partition_point(|t| *t < from);
        let hi = chunk.ts.partition_point(|t| *t < to);
        out.ts.extend_from_slice(&chunk.ts[lo..hi]);
        out.values.extend_from_slice(&chunk.values[lo..hi]);
    }
    Ok(out)
}

/// Decodes the chunks of days `[lo_day, hi_day]` of a series, oldest first.
async fn load<'e>(
    exec: impl sqlx::SqliteExecutor<'e>,
    series_id: i64,
    lo_day: i64,
    hi_day: i64,
) -> StoreResult<Vec<(i64, Chunk)>> {
    let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "SELECT day, count, ts_blob, values_blob FROM series_chunks
         WHERE series_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
    )
    .bind(series_id)
    .bind(lo_day)
    .bind(hi_day)
    .fetch_all(exec)
    .await?;
    rows.into_iter()
        .map(|(day, count, ts_blob, values_blob)| {
            let bad = |e: codec::CodecError| StoreError::Chunk {
                series_id,
                day,
                reason: e.to_string(),
            };
            let count = usize::try_from(count).unwrap_or(0);
            let chunk = Chunk {
                ts: codec::decode_times(&ts_blob, count).map_err(bad)?,
                values: codec::decode_values(&values_blob, count).map_err(bad)?,
            };
            Ok((day, chunk))
        })
        .collect()
}

/// Writes (inserts or replaces) one chunk.
async fn save(
    conn: &mut SqliteConnection,
    series_id: i64,
    day: i64,
    chunk: &Chunk,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO series_chunks (series_id, day, count, last_ts, ts_blob, values_blob)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (series_id, day) DO UPDATE SET count = excluded.count,
             last_ts = excluded.last_ts, ts_blob = excluded.ts_blob, values_blob = excluded.values_blob",
    )
    .bind(series_id)
    .bind(day)
    .bind(chunk.ts.len() as i64)
    .bind(chunk.ts.last().copied().unwrap_or(day * CHUNK_SECONDS))
    .bind(codec::encode_times(&chunk.ts))
    .bind(codec::encode_values(&chunk.values))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Upserts hourly rollup rows (at most a day's 24) in one statement.
async fn save_rollups(
    conn: &mut SqliteConnection,
    series_id: i64,
    rows: &[HourRollup],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO datapoints_hourly (series_id, hour, min, max, sum, count) VALUES ",
    );
    for i in 0..rows.len() {
        sql.push_str(if i == 0 {
            "(?, ?, ?, ?, ?, ?)"
        } else {
            ", (?, ?, ?, ?, ?, ?)"
        });
    }
    sql.push_str(
        " ON CONFLICT (series_id, hour) DO UPDATE SET
             min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count",
    );
    let mut query = sqlx::query(&sql);
    for &(hour, min, max, sum, count) in rows {
        query = query
            .bind(series_id)
            .bind(hour)
            .bind(min)
            .bind(max)
            .bind(sum)
            .bind(count);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Merges new points (sorted, unique times) into a chunk: a new value for a stored time replaces
/// it. Returns the merged chunk, the starts of the hours whose points changed (ascending), and
/// how many points were inserted or changed (bit for bit).
fn merge(old: &Chunk, new: &[(i64, f64)]) -> (Chunk, Vec<i64>, u64) {
    let mut merged = Chunk {
        ts: Vec::with_capacity(old.ts.len() + new.len()),
        values: Vec::with_capacity(old.ts.len() + new.len()),
    };
    let mut hours: Vec<i64> = Vec::new();
    let mut changed = 0;
    let (mut i, mut j) = (0, 0);
    while i < old.ts.len() || j < new.len() {
        let take_old = j == new.len() || (i < old.ts.len() && old.ts[i] < new[j].0);
        if take_old {
            merged.ts.push(old.ts[i]);
            merged.values.push(old.values[i]);
            i += 1;
            continue;
        }
        let (t, v) = new[j];
        let same_time = i < old.ts.len() && old.ts[i] == t;
        if !same_time || old.values[i].to_bits() != v.to_bits() {
            changed += 1;
            let hour = t.div_euclid(HOUR) * HOUR;
            if hours.last() != Some(&hour) {
                hours.push(hour);
            }
        }
        if same_time {
            i += 1;
        }
        merged.ts.push(t);
        merged.values.push(v);
        j += 1;
    }
    (merged, hours, changed)
}

/// Hourly min, max, sum and count of a chunk, for the given hours only (ascending).
fn rollups(chunk: &Chunk, hours: &[i64]) -> Vec<HourRollup> {
    let mut out = Vec::with_capacity(hours.len());
    for &hour in hours {
        let lo = chunk.ts.partition_point(|t| *t < hour);
        let hi = chunk.ts.partition_point(|t| *t < hour + HOUR);
        let values = &chunk.values[lo..hi];
        if values.is_empty() {
            continue;
        }
        let (min, max, sum) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY, 0.0), |(lo, hi, s), v| {
                (lo.min(*v), hi.max(*v), s + v)
            });
        out.push((hour, min, max, sum, values.len() as i64));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(points: &[(i64, f64)]) -> Chunk {
        Chunk {
            ts: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn merge_inserts_replaces_and_counts_only_changes() {
        let old = chunk(&[(60, 1.0), (120, 2.0), (7200, 3.0)]);
        let (merged, hours, changed) = merge(&old, &[(0, 9.0), (120, 2.0), (7200, 4.0)]);
        assert_eq!(
            merged,
            chunk(&[(0, 9.0), (60, 1.0), (120, 2.0), (7200, 4.0)])
        );
        assert_eq!(hours, vec![0, 7200]);
        assert_eq!(changed, 2, "the unchanged 120 is not counted");
    }

    #[test]
    fn minus_zero_restating_zero_is_a_change() {
        let (_, _, changed) = merge(&chunk(&[(0, 0.0)]), &[(0, -0.0)]);
        assert_eq!(changed, 1, "values are kept bit for bit");
    }

    #[test]
    fn the_last_point_given_for_a_time_wins_and_non_finite_is_refused() {
        let sorted = checked_sorted(1, &[(120, 1.0), (60, 2.0), (120, 3.0)]).unwrap();
        assert_eq!(sorted, vec![(60, 2.0), (120, 3.0)]);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = checked_sorted(7, &[(60, 1.0), (120, bad)]).unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::NonFinite {
                        series_id: 7,
                        ts: 120,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains("finite"), "{err}");
        }
    }

    #[test]
    fn rollups_cover_only_the_hours_asked() {
        let c = chunk(&[(0, 1.0), (60, 3.0), (3600, 5.0), (7200, 7.0)]);
        assert_eq!(
            rollups(&c, &[0, 7200, 10_800]),
            vec![(0, 1.0, 3.0, 4.0, 2), (7200, 7.0, 7.0, 7.0, 1)]
        );
    }
}

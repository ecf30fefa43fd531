//! Series points stored as compressed chunks: one `series_chunks` row per series per UTC day,
//! holding that day's times and values encoded by [`codec`], and one `series_hourly` row per
//! series per day holding that day's hourly rollups (min, max, sum, count), encoded too. Only
//! this module reads or writes the two tables; everything else goes through the series API in
//! [`super::metrics`].
//!
//! A write merges the new points into the chunks they fall in (a later value for the same time
//! wins), rewrites only the chunks that changed, and recomputes the rollups of the days that
//! changed, all inside the caller's transaction: a crash leaves the previous chunk whole.

pub mod codec;
pub(super) mod migrate;

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::metrics::SeriesPoints;
use super::{StoreError, StoreResult};

/// Seconds in a chunk: one UTC day.
pub const CHUNK_SECONDS: i64 = 86_400;

/// Seconds in a rollup bucket.
const HOUR: i64 = 3_600;

pub use codec::HourRollup;

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

/// The points with their values rounded to `digits` significant decimal digits (the nearest f64 to
/// the rounded decimal, so 37.123449 kept to 6 digits reads back as 37.1234). A value that would
/// round past the largest f64 is kept as it is.
pub(super) fn rounded(points: &[(i64, f64)], digits: u8) -> Vec<(i64, f64)> {
    let decimals = usize::from(digits.max(1) - 1);
    points
        .iter()
        .map(|&(t, v)| {
            let r: f64 = format!("{v:.decimals$e}").parse().unwrap_or(v);
            (t, if r.is_finite() { r } else { v })
        })
        .collect()
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
    let mut days = Vec::new();
    for day_points in points.chunk_by(|a, b| day_of(a.0) == day_of(b.0)) {
        let day = day_of(day_points[0].0);
        let old = stored.remove(&day).unwrap_or_default();
        let (merged, changed) = merge(&old, day_points);
        if changed == 0 {
            continue;
        }
        changed_total += changed;
        days.push((day, merged));
    }
    let rows = encode_days(series_id, &days, refresh_rollups)?;
    save(&mut *conn, series_id, &rows).await?;
    if refresh_rollups {
        let hours = rows
            .iter()
            .filter_map(|r| r.hours.as_ref().map(|h| (r.day, h)));
        save_hours_encoded(&mut *conn, series_id, hours).await?;
    }
    Ok(changed_total)
}

/// One day's chunk encoded for its `series_chunks` row, and its rollups for `series_hourly`
/// when they are refreshed.
struct EncodedDay {
    day: i64,
    count: i64,
    last_ts: i64,
    ts_blob: Vec<u8>,
    values_blob: Vec<u8>,
    /// The day's point count and encoded hours.
    hours: Option<(i64, Vec<u8>)>,
}

impl EncodedDay {
    fn new(series_id: i64, day: i64, chunk: &Chunk, with_hours: bool) -> StoreResult<Self> {
        let hours = if with_hours {
            let hours = rollups(chunk);
            Some((hours_count(&hours), encode_hours(series_id, day, &hours)?))
        } else {
            None
        };
        Ok(Self {
            day,
            count: chunk.ts.len() as i64,
            last_ts: chunk.ts.last().copied().unwrap_or(day * CHUNK_SECONDS),
            ts_blob: codec::encode_times(&chunk.ts),
            values_blob: codec::encode_values(&chunk.values),
            hours,
        })
    }
}

/// Days an encoding thread is worth: a daily sync's day or two are encoded in place, a
/// backfill's or the demo's 90 on every core (encoding is most of a write's time).
const DAYS_PER_THREAD: usize = 8;

/// Encodes each day's chunk (and rollups), in order, spread over the machine's cores.
fn encode_days(
    series_id: i64,
    days: &[(i64, Chunk)],
    with_hours: bool,
) -> StoreResult<Vec<EncodedDay>> {
    let encode = |part: &[(i64, Chunk)]| -> StoreResult<Vec<EncodedDay>> {
        part.iter()
            .map(|(day, chunk)| EncodedDay::new(series_id, *day, chunk, with_hours))
            .collect()
    };
    if days.len() < 2 * DAYS_PER_THREAD {
        return encode(days);
    }
    // Asked only for a write worth sharing out: on Linux it reads the cgroup's CPU quota files.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (days.len() / DAYS_PER_THREAD).clamp(1, cores);
    if threads == 1 {
        return encode(days);
    }
    let per_thread = days.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = days.chunks(per_thread);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .map(|part| scope.spawn(move || encode(part)))
            .collect();
        let mut out = encode(first)?;
        for other in others {
            let part = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            out.extend(part?);
        }
        Ok(out)
    })
}

/// Rows a multi-row insert carries: a series' 90 days in one statement instead of 90 (a
/// statement is a round trip to the connection's thread), well under SQLite's 32,766 bound
/// parameters.
const ROWS_PER_INSERT: usize = 256;

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

/// Writes (inserts or replaces) encoded chunks, [`ROWS_PER_INSERT`] to a statement.
async fn save(conn: &mut SqliteConnection, series_id: i64, rows: &[EncodedDay]) -> StoreResult<()> {
    for batch in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO series_chunks (series_id, day, count, last_ts, ts_blob, values_blob) ",
        );
        insert.push_values(batch, |mut row, r| {
            row.push_bind(series_id)
                .push_bind(r.day)
                .push_bind(r.count)
                .push_bind(r.last_ts)
                .push_bind(r.ts_blob.as_slice())
                .push_bind(r.values_blob.as_slice());
        });
        insert.push(
            " ON CONFLICT (series_id, day) DO UPDATE SET count = excluded.count,
             last_ts = excluded.last_ts, ts_blob = excluded.ts_blob,
             values_blob = excluded.values_blob",
        );
        insert.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The points counted in a day's rollups.
fn hours_count(hours: &[HourRollup]) -> i64 {
    hours.iter().map(|h| h.count).sum()
}

/// A day's rollups encoded; an hour outside the day is a chunk error naming the day.
fn encode_hours(series_id: i64, day: i64, hours: &[HourRollup]) -> StoreResult<Vec<u8>> {
    codec::encode_hours(day, hours).map_err(|e| StoreError::Chunk {
        series_id,
        day,
        reason: format!("hourly rollups: {e}"),
    })
}

/// Writes (inserts or replaces) the hourly rollups of one day: the day's point count and the
/// encoded hours.
pub(super) async fn save_hours(
    conn: &mut SqliteConnection,
    series_id: i64,
    day: i64,
    hours: &[HourRollup],
) -> StoreResult<()> {
    let encoded = (hours_count(hours), encode_hours(series_id, day, hours)?);
    save_hours_encoded(conn, series_id, std::iter::once((day, &encoded))).await
}

/// Writes (inserts or replaces) days' encoded rollups, each `(day, (count, blob))`,
/// [`ROWS_PER_INSERT`] to a statement.
async fn save_hours_encoded<'a>(
    conn: &mut SqliteConnection,
    series_id: i64,
    days: impl Iterator<Item = (i64, &'a (i64, Vec<u8>))>,
) -> StoreResult<()> {
    let days: Vec<_> = days.collect();
    for batch in days.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO series_hourly (series_id, day, count, hours_blob) ",
        );
        insert.push_values(batch, |mut row, (day, (count, blob))| {
            row.push_bind(series_id)
                .push_bind(*day)
                .push_bind(*count)
                .push_bind(blob.as_slice());
        });
        insert.push(
            " ON CONFLICT (series_id, day) DO UPDATE SET count = excluded.count,
             hours_blob = excluded.hours_blob",
        );
        insert.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Hourly rollups of a series for the hours starting in `[from, to)`, oldest first.
pub(super) async fn read_hourly<'e>(
    exec: impl sqlx::SqliteExecutor<'e>,
    series_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<HourRollup>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT day, hours_blob FROM series_hourly
         WHERE series_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
    )
    .bind(series_id)
    .bind(day_of(from))
    .bind(day_of(to - 1))
    .fetch_all(exec)
    .await?;
    let mut out = Vec::with_capacity(rows.len() * 24);
    for (day, blob) in rows {
        let hours = codec::decode_hours(day, &blob).map_err(|e| StoreError::Chunk {
            series_id,
            day,
            reason: format!("hourly rollups: {e}"),
        })?;
        out.extend(hours.into_iter().filter(|h| h.hour >= from && h.hour < to));
    }
    Ok(out)
}

/// A series over `[from, to)` from its hourly rollups, grouped into buckets of `width` seconds
/// aligned to `from`: (bucket start, min, max, sum, count), oldest first, empty buckets left out.
/// An hour that starts before `from` but reaches into it counts in the first bucket.
pub(super) async fn hourly_buckets<'e>(
    exec: impl sqlx::SqliteExecutor<'e>,
    series_id: i64,
    from: i64,
    to: i64,
    width: i64,
) -> StoreResult<Vec<(i64, f64, f64, f64, i64)>> {
    let hours = read_hourly(exec, series_id, from.saturating_sub(HOUR - 1), to).await?;
    Ok(group_hours(&hours, from, width.max(1)))
}

/// Groups hourly rollups (ascending) into buckets of `width` seconds aligned to `from`; an hour
/// starting before `from` counts in the bucket of `from`.
fn group_hours(hours: &[HourRollup], from: i64, width: i64) -> Vec<(i64, f64, f64, f64, i64)> {
    let mut out: Vec<(i64, f64, f64, f64, i64)> = Vec::new();
    for h in hours {
        let offset = i128::from(h.hour.max(from)) - i128::from(from);
        let start = i128::from(from) + offset / i128::from(width) * i128::from(width);
        let b = i64::try_from(start).unwrap_or(i64::MAX);
        match out.last_mut() {
            Some(last) if last.0 == b => {
                last.1 = last.1.min(h.min);
                last.2 = last.2.max(h.max);
                last.3 += h.sum;
                last.4 += h.count;
            }
            _ => out.push((b, h.min, h.max, h.sum, h.count)),
        }
    }
    out
}

/// Merges new points (sorted, unique times) into a chunk: a new value for a stored time replaces
/// it. Returns the merged chunk and how many points were inserted or changed (bit for bit).
fn merge(old: &Chunk, new: &[(i64, f64)]) -> (Chunk, u64) {
    let mut merged = Chunk {
        ts: Vec::with_capacity(old.ts.len() + new.len()),
        values: Vec::with_capacity(old.ts.len() + new.len()),
    };
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
        }
        if same_time {
            i += 1;
        }
        merged.ts.push(t);
        merged.values.push(v);
        j += 1;
    }
    (merged, changed)
}

/// Hourly min, max, sum (added oldest first) and count of every hour of a chunk that has points.
fn rollups(chunk: &Chunk) -> Vec<HourRollup> {
    let mut out: Vec<HourRollup> = Vec::with_capacity(24);
    for (&t, &v) in chunk.ts.iter().zip(&chunk.values) {
        let hour = t.div_euclid(HOUR) * HOUR;
        match out.last_mut() {
            Some(h) if h.hour == hour => {
                h.min = h.min.min(v);
                h.max = h.max.max(v);
                h.sum += v;
                h.count += 1;
            }
            _ => out.push(HourRollup {
                hour,
                min: v,
                max: v,
                sum: v,
                count: 1,
            }),
        }
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
    fn days_encoded_across_threads_come_out_in_order_as_one_thread_encodes_them() {
        // 40 days: shared out over every core the machine has (one thread on one core).
        let days: Vec<(i64, Chunk)> = (0..40i64)
            .map(|d| {
                let points: Vec<(i64, f64)> = (0..1440)
                    .map(|m| (d * CHUNK_SECONDS + m * 60, (d * 1440 + m) as f64 * 0.37))
                    .collect();
                (d, chunk(&points))
            })
            .collect();
        let shared = encode_days(7, &days, true).unwrap();
        assert_eq!(shared.len(), days.len());
        for ((day, c), row) in days.iter().zip(&shared) {
            let alone = EncodedDay::new(7, *day, c, true).unwrap();
            assert_eq!(row.day, *day);
            assert_eq!((row.count, row.last_ts), (alone.count, alone.last_ts));
            assert_eq!(
                (&row.ts_blob, &row.values_blob),
                (&alone.ts_blob, &alone.values_blob)
            );
            assert_eq!(row.hours, alone.hours);
        }
        // Without rollups, none are encoded.
        assert!(encode_days(7, &days, false)
            .unwrap()
            .iter()
            .all(|r| r.hours.is_none()));
    }

    #[test]
    fn merge_inserts_replaces_and_counts_only_changes() {
        let old = chunk(&[(60, 1.0), (120, 2.0), (7200, 3.0)]);
        let (merged, changed) = merge(&old, &[(0, 9.0), (120, 2.0), (7200, 4.0)]);
        assert_eq!(
            merged,
            chunk(&[(0, 9.0), (60, 1.0), (120, 2.0), (7200, 4.0)])
        );
        assert_eq!(changed, 2, "the unchanged 120 is not counted");
    }

    #[test]
    fn rounding_keeps_significant_digits_and_never_makes_an_infinity() {
        let points = [
            (0, 37.123_449_9),
            (60, -0.000_123_456_78),
            (120, 0.0),
            (180, f64::MAX),
        ];
        let r = rounded(&points, 6);
        assert_eq!(r[0], (0, 37.1234));
        assert_eq!(r[1], (60, -0.000_123_457));
        assert_eq!(r[2], (120, 0.0));
        assert_eq!(r[3], (180, 1.797_69e308));
        assert_eq!(
            rounded(&[(0, f64::MAX)], 1),
            vec![(0, f64::MAX)],
            "2e308 is infinite"
        );
        assert_eq!(rounded(&[(0, 123_456.0)], 2), vec![(0, 120_000.0)]);
    }

    #[test]
    fn minus_zero_restating_zero_is_a_change() {
        let (_, changed) = merge(&chunk(&[(0, 0.0)]), &[(0, -0.0)]);
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

    fn hour(hour: i64, min: f64, max: f64, sum: f64, count: i64) -> HourRollup {
        HourRollup {
            hour,
            min,
            max,
            sum,
            count,
        }
    }

    #[test]
    fn rollups_cover_every_hour_with_points() {
        let c = chunk(&[(0, 1.0), (60, 3.0), (3600, 5.0), (7200, 7.0), (7260, -1.0)]);
        assert_eq!(
            rollups(&c),
            vec![
                hour(0, 1.0, 3.0, 4.0, 2),
                hour(3600, 5.0, 5.0, 5.0, 1),
                hour(7200, -1.0, 7.0, 6.0, 2)
            ]
        );
    }

    #[test]
    fn hours_group_into_buckets_aligned_to_from() {
        let hours = [
            hour(0, 1.0, 2.0, 3.0, 2),
            hour(3600, 0.5, 9.0, 9.5, 2),
            hour(7200, 4.0, 4.0, 4.0, 1),
            hour(14_400, 6.0, 6.0, 6.0, 1),
        ];
        // From mid-first-hour, two-hour buckets: the first hour counts in the first bucket.
        assert_eq!(
            group_hours(&hours, 1800, 7200),
            vec![(1800, 0.5, 9.0, 16.5, 5), (9000, 6.0, 6.0, 6.0, 1)]
        );
    }
}

//! The Rust halves of migrations 0004 and 0005: moving the row-per-point `datapoints` table
//! into chunks, and the row-per-hour `datapoints_hourly` table into encoded days.
//!
//! sqlx migrations are plain SQL, and SQL cannot run the codec, so 0004 only creates
//! `series_chunks`; this step, run by [`super::super::Store::open`] right after the SQL migrations,
//! encodes every series' rows into chunks and drops `datapoints`, in one transaction. A crash
//! midway rolls it all back and the next open starts it again; once `datapoints` is gone it does
//! nothing. The hourly rollups were kept in step with the rows: [`move_hourly_into_days`] (0005)
//! moves them as they are.

use sqlx::SqlitePool;

use super::{checked_sorted, day_of, save_hours, write_chunks_only, HourRollup};
use crate::store::StoreResult;

/// Moves every row of the old `datapoints` table (if it is still there) into `series_chunks`
/// and drops the table. Returns the number of points moved.
pub(in crate::store) async fn move_rows_into_chunks(pool: &SqlitePool) -> StoreResult<u64> {
    let mut tx = crate::store::begin_write(pool).await?;
    let has_rows_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'datapoints'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if has_rows_table == 0 {
        return Ok(0);
    }
    let series: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT series_id FROM datapoints ORDER BY series_id")
            .fetch_all(&mut *tx)
            .await?;
    let mut moved = 0;
    for series_id in series {
        let rows: Vec<(i64, f64)> =
            sqlx::query_as("SELECT ts, value FROM datapoints WHERE series_id = ?1 ORDER BY ts")
                .bind(series_id)
                .fetch_all(&mut *tx)
                .await?;
        // The old writer skipped non-finite values, and a REAL NOT NULL column holds no NaN.
        let points = checked_sorted(series_id, &rows)?;
        moved += write_chunks_only(&mut tx, series_id, &points).await?;
    }
    sqlx::query("DROP TABLE datapoints")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if moved > 0 {
        tracing::info!(
            points = moved,
            "moved datapoints into compressed series chunks"
        );
    }
    Ok(moved)
}

/// Moves every row of the old `datapoints_hourly` table (if it is still there) into
/// `series_hourly`, a row per series per day with the day's hours encoded, and drops the table,
/// in one transaction. The rows are moved as they are, not recomputed, so every rollup read
/// gives what it gave before. Returns the number of hours moved, None when there was no table.
pub(in crate::store) async fn move_hourly_into_days(pool: &SqlitePool) -> StoreResult<Option<u64>> {
    let mut tx = crate::store::begin_write(pool).await?;
    let has_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'datapoints_hourly'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if has_table == 0 {
        return Ok(None);
    }
    let series: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT series_id FROM datapoints_hourly ORDER BY series_id")
            .fetch_all(&mut *tx)
            .await?;
    let mut moved = 0;
    for series_id in series {
        let rows: Vec<(i64, f64, f64, f64, i64)> = sqlx::query_as(
            "SELECT hour, min, max, sum, count FROM datapoints_hourly
             WHERE series_id = ?1 AND count > 0 ORDER BY hour",
        )
        .bind(series_id)
        .fetch_all(&mut *tx)
        .await?;
        let hours: Vec<HourRollup> = rows
            .into_iter()
            .map(|(hour, min, max, sum, count)| HourRollup {
                hour,
                min,
                max,
                sum,
                count,
            })
            .collect();
        for day in hours.chunk_by(|a, b| day_of(a.hour) == day_of(b.hour)) {
            save_hours(&mut tx, series_id, day_of(day[0].hour), day).await?;
            moved += day.len() as u64;
        }
    }
    sqlx::query("DROP TABLE datapoints_hourly")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if moved > 0 {
        tracing::info!(hours = moved, "moved hourly rollups into encoded days");
    }
    Ok(Some(moved))
}

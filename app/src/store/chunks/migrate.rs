//! The Rust half of migration 0004: moving the row-per-point `datapoints` table into chunks.
//!
//! sqlx migrations are plain SQL, and SQL cannot run the codec, so 0004 only creates
//! `series_chunks`; this step, run by [`super::super::Store::open`] right after the SQL migrations,
//! encodes every series' rows into chunks and drops `datapoints`, in one transaction. A crash
//! midway rolls it all back and the next open starts it again; once `datapoints` is gone it does
//! nothing. The hourly rollups were kept in step with the rows and stay as they are.

use sqlx::SqlitePool;

use super::{checked_sorted, write_chunks_only};
use crate::store::StoreResult;

/// Moves every row of the old `datapoints` table (if it is still there) into `series_chunks`
/// and drops the table. Returns the number of points moved.
pub(in crate::store) async fn move_rows_into_chunks(pool: &SqlitePool) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
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

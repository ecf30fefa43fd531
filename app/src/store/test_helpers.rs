//! Reads only tests make: raw points, hourly rollups, counts and alarm history as stored.
//!
//! Compiled for the crate's own tests and, through the `test-helpers` feature, for the integration
//! tests of `app` and `server` (their dev-dependencies turn it on); the product never calls them.

use serde::{Deserialize, Serialize};

use super::alarms::AlarmHistoryRecord;
use super::{Store, StoreResult};

/// One hourly rollup bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct HourlyBucket {
    /// Start of the hour.
    pub hour: i64,
    /// Smallest value in the hour.
    pub min: f64,
    /// Largest value in the hour.
    pub max: f64,
    /// Sum of values.
    pub sum: f64,
    /// Number of datapoints.
    pub count: i64,
}

impl Store {
    /// Opens the database with its file limited to `max_pages` pages: writes past the limit fail
    /// as on a full disk (SQLITE_FULL), without needing one.
    pub async fn open_with_page_limit(path: &std::path::Path, max_pages: u64) -> StoreResult<Self> {
        Self::open_tuned(path, |o| o.pragma("max_page_count", max_pages.to_string())).await
    }

    /// The underlying pool, for tests that inspect or damage the tables directly.
    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    /// Hourly rollups of a series for hours starting in `[from, to)`, oldest first.
    pub async fn read_hourly(
        &self,
        series_id: i64,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<HourlyBucket>> {
        let hours = super::chunks::read_hourly(&self.pool, series_id, from, to).await?;
        Ok(hours
            .into_iter()
            .map(|h| HourlyBucket {
                hour: h.hour,
                min: h.min,
                max: h.max,
                sum: h.sum,
                count: h.count,
            })
            .collect())
    }

    /// The newest datapoint time of a series, if it has any.
    pub async fn last_point_time(&self, series_id: i64) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT max(last_ts) FROM series_chunks WHERE series_id = ?1")
                .bind(series_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Total stored datapoints (summed over the chunks).
    pub async fn count_points(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT coalesce(sum(count), 0) FROM series_chunks")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// History items of one alarm (or all when `None`), newest first.
    pub async fn list_alarm_history(
        &self,
        alarm_name: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AlarmHistoryRecord>> {
        Ok(sqlx::query_as(
            "SELECT region, alarm_name, ts, item_type, summary, old_state, new_state, reason, history_data
             FROM alarm_history WHERE ?1 IS NULL OR alarm_name = ?1 ORDER BY ts DESC, id DESC LIMIT ?2",
        )
        .bind(alarm_name)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// SQLite's plan for `sql` on a freshly migrated database, its steps joined by `; `: for tests
/// that a query reads through the index meant for it.
pub async fn query_plan(sql: &str) -> String {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory database opens");
    super::MIGRATOR
        .run(&pool)
        .await
        .expect("the migrations run");
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(&pool)
        .await
        .expect("the query plans");
    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
}

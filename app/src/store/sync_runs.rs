//! The record of every sync (and demo load): when, how it ended, what it cost.

use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};

/// A finished or running sync (read straight from its `sync_runs` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SyncRun {
    /// Row id.
    pub id: i64,
    /// `cli`, `schedule`, `button` or `demo`.
    pub trigger: String,
    /// Start time.
    pub started_at: i64,
    /// End time, while running `None`.
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `partial` or `failed`.
    pub outcome: String,
    /// Datapoints written.
    pub datapoints_written: i64,
    /// Other rows written.
    pub rows_written: i64,
    /// Estimated AWS API cost in dollars.
    pub api_cost_usd: f64,
    /// One-line summary.
    pub summary: Option<String>,
}

/// How a run ended, for [`Store::finish_sync_run`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunTotals {
    /// `ok`, `partial` or `failed`.
    pub outcome: String,
    /// Datapoints written.
    pub datapoints_written: i64,
    /// Other rows written.
    pub rows_written: i64,
    /// Estimated AWS API cost in dollars.
    pub api_cost_usd: f64,
    /// One-line summary.
    pub summary: Option<String>,
}

impl Store {
    /// Records the start of a run and returns its id.
    pub async fn start_sync_run(&self, trigger: &str, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sync_runs (trigger, started_at, outcome) VALUES (?1, ?2, 'running') RETURNING id",
        )
        .bind(trigger)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Records how a run ended.
    pub async fn finish_sync_run(&self, id: i64, totals: &RunTotals, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sync_runs SET finished_at = ?2, outcome = ?3, datapoints_written = ?4,
                 rows_written = ?5, api_cost_usd = ?6, summary = ?7 WHERE id = ?1",
        )
        .bind(id)
        .bind(now)
        .bind(&totals.outcome)
        .bind(totals.datapoints_written)
        .bind(totals.rows_written)
        .bind(totals.api_cost_usd)
        .bind(&totals.summary)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks runs left `running` by a process that died as `interrupted` (call with the sync lock
    /// held: then no run can really be running). Returns how many there were.
    pub async fn interrupt_stale_runs(&self, now: i64) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE sync_runs SET outcome = 'interrupted', finished_at = ?1,
                 summary = coalesce(summary, 'the process stopped before the sync finished')
             WHERE outcome = 'running'",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Records calls made to one API during a run (adds to what is there).
    pub async fn record_api_calls(
        &self,
        run_id: i64,
        api: &str,
        calls: u64,
        units: u64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sync_api_calls (run_id, api, calls, units) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (run_id, api) DO UPDATE SET calls = calls + excluded.calls, units = units + excluded.units",
        )
        .bind(run_id)
        .bind(api)
        .bind(calls as i64)
        .bind(units as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an error met during a run.
    pub async fn record_sync_error(
        &self,
        run_id: i64,
        at: i64,
        api: Option<&str>,
        message: &str,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO sync_errors (run_id, at, api, message) VALUES (?1, ?2, ?3, ?4)")
            .bind(run_id)
            .bind(at)
            .bind(api)
            .bind(message)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Calls per API of a run: (api, calls, units), by API.
    pub async fn sync_api_calls(&self, run_id: i64) -> StoreResult<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT api, calls, units FROM sync_api_calls WHERE run_id = ?1 ORDER BY api",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Errors of a run: (at, api, message), oldest first.
    pub async fn sync_errors(
        &self,
        run_id: i64,
    ) -> StoreResult<Vec<(i64, Option<String>, String)>> {
        Ok(sqlx::query_as(
            "SELECT at, api, message FROM sync_errors WHERE run_id = ?1 ORDER BY rowid",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The most recent runs, newest first.
    pub async fn list_sync_runs(&self, limit: i64) -> StoreResult<Vec<SyncRun>> {
        Ok(
            sqlx::query_as("SELECT * FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT ?1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Changes whenever a sync or demo load finishes: (newest finished run id, its end time).
    pub async fn data_version(&self) -> StoreResult<(Option<i64>, Option<i64>)> {
        Ok(sqlx::query_as(
            "SELECT max(id), max(finished_at) FROM sync_runs WHERE finished_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The newest run that finished without failing.
    pub async fn last_good_sync_run(&self) -> StoreResult<Option<SyncRun>> {
        Ok(sqlx::query_as(
            "SELECT * FROM sync_runs WHERE outcome IN ('ok', 'partial')
             ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}

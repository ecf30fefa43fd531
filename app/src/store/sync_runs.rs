//! The record of every sync (and demo load): when, how it ended, what it cost.

use serde::{Deserialize, Serialize};

use super::text::{stored_as_text, StoredText};
use super::{Store, StoreResult};

/// How a sync ended, or that it has not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunOutcome {
    /// Started and not finished (or its process died: see [`Store::interrupt_stale_runs`]).
    #[default]
    Running,
    /// Finished without errors.
    Ok,
    /// Finished, with errors it carried on past.
    Partial,
    /// Stopped by an error it could not carry on past.
    Failed,
    /// Its process stopped before it finished.
    Interrupted,
}

impl StoredText for RunOutcome {
    const WHAT: &'static str = "sync outcome";

    fn as_str(&self) -> &str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    fn from_stored(s: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Ok,
            Self::Partial,
            Self::Failed,
            Self::Interrupted,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

stored_as_text!(RunOutcome);

/// What started a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTrigger {
    /// `spendwatch sync`.
    Cli,
    /// `serve --sync-every`.
    Schedule,
    /// The "Sync now" button.
    Button,
    /// A demo load.
    Demo,
}

impl StoredText for RunTrigger {
    const WHAT: &'static str = "sync trigger";

    fn as_str(&self) -> &str {
        match self {
            Self::Cli => "cli",
            Self::Schedule => "schedule",
            Self::Button => "button",
            Self::Demo => "demo",
        }
    }

    fn from_stored(s: &str) -> Option<Self> {
        [Self::Cli, Self::Schedule, Self::Button, Self::Demo]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

stored_as_text!(RunTrigger);

/// A finished or running sync (read straight from its `sync_runs` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SyncRun {
    /// Row id.
    pub id: i64,
    /// What started it.
    pub trigger: RunTrigger,
    /// Start time.
    pub started_at: i64,
    /// End time, while running `None`.
    pub finished_at: Option<i64>,
    /// How it ended.
    pub outcome: RunOutcome,
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
    /// How it ended.
    pub outcome: RunOutcome,
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
    pub async fn start_sync_run(&self, trigger: RunTrigger, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sync_runs (trigger, started_at, outcome) VALUES (?1, ?2, ?3) RETURNING id",
        )
        .bind(trigger)
        .bind(now)
        .bind(RunOutcome::Running)
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
        .bind(totals.outcome)
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
            "UPDATE sync_runs SET outcome = ?2, finished_at = ?1,
                 summary = coalesce(summary, 'the process stopped before the sync finished')
             WHERE outcome = ?3",
        )
        .bind(now)
        .bind(RunOutcome::Interrupted)
        .bind(RunOutcome::Running)
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
            "SELECT * FROM sync_runs WHERE outcome IN (?1, ?2)
             ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .bind(RunOutcome::Ok)
        .bind(RunOutcome::Partial)
        .fetch_optional(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::text::parse;

    const OUTCOMES: [(RunOutcome, &str); 5] = [
        (RunOutcome::Running, "running"),
        (RunOutcome::Ok, "ok"),
        (RunOutcome::Partial, "partial"),
        (RunOutcome::Failed, "failed"),
        (RunOutcome::Interrupted, "interrupted"),
    ];

    #[test]
    fn outcomes_and_triggers_are_stored_as_the_schema_words() {
        for (outcome, word) in OUTCOMES {
            assert_eq!(
                (outcome.to_string(), parse(word)),
                (word.to_string(), Ok(outcome))
            );
        }
        for (trigger, word) in [
            (RunTrigger::Cli, "cli"),
            (RunTrigger::Schedule, "schedule"),
            (RunTrigger::Button, "button"),
            (RunTrigger::Demo, "demo"),
        ] {
            assert_eq!(
                (trigger.to_string(), parse(word)),
                (word.to_string(), Ok(trigger))
            );
        }
    }

    #[test]
    fn an_unknown_word_is_an_error_naming_it() {
        assert_eq!(
            parse::<RunOutcome>("exploded"),
            Err("unknown sync outcome \"exploded\" in the database".to_string())
        );
    }

    #[tokio::test]
    async fn outcomes_round_trip_through_sqlite() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        for (outcome, word) in OUTCOMES {
            let (stored, read): (String, RunOutcome) = sqlx::query_as("SELECT ?1, ?1")
                .bind(outcome)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!((stored.as_str(), read), (word, outcome));
        }
        let unknown: Result<RunOutcome, _> = sqlx::query_scalar("SELECT 'exploded'")
            .fetch_one(&pool)
            .await;
        assert!(
            unknown.is_err(),
            "an unknown word must not read as some outcome"
        );
    }
}

/// Calls made to one AWS API during a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCalls {
    /// API name, `cloudwatch:GetMetricData`.
    pub api: String,
    /// Requests made.
    pub calls: i64,
    /// Billed units (metrics requested, for GetMetricData).
    pub units: i64,
}

/// An error met during a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunError {
    /// When.
    pub at: i64,
    /// The API that failed, when one did.
    pub api: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// A run with the calls it made and the errors it met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunHistory {
    /// The run.
    #[serde(flatten)]
    pub run: SyncRun,
    /// Calls per API, by API.
    pub calls: Vec<ApiCalls>,
    /// Errors, oldest first.
    pub errors: Vec<RunError>,
}

impl Store {
    /// The most recent runs, newest first, with their calls and errors: three queries however
    /// many runs there are (the runs, then the calls and the errors of all of them at once).
    pub async fn sync_history(&self, limit: i64) -> StoreResult<Vec<RunHistory>> {
        let runs = self.list_sync_runs(limit).await?;
        self.with_calls_and_errors(runs).await
    }

    /// Attaches calls and errors to runs with two queries (one per table, for all runs).
    pub async fn with_calls_and_errors(&self, runs: Vec<SyncRun>) -> StoreResult<Vec<RunHistory>> {
        // The ids as one JSON array: one bind however many runs, read back with json_each.
        let ids = serde_json::to_string(&runs.iter().map(|r| r.id).collect::<Vec<_>>())
            .expect("a list of integers serializes");
        let (calls, errors) = futures::try_join!(
            sqlx::query_as::<_, (i64, String, i64, i64)>(
                "SELECT run_id, api, calls, units FROM sync_api_calls
                 WHERE run_id IN (SELECT value FROM json_each(?1)) ORDER BY run_id, api",
            )
            .bind(&ids)
            .fetch_all(&self.pool),
            sqlx::query_as::<_, (i64, i64, Option<String>, String)>(
                "SELECT run_id, at, api, message FROM sync_errors
                 WHERE run_id IN (SELECT value FROM json_each(?1)) ORDER BY run_id, rowid",
            )
            .bind(&ids)
            .fetch_all(&self.pool),
        )?;
        Ok(runs
            .into_iter()
            .map(|run| RunHistory {
                calls: calls
                    .iter()
                    .filter(|c| c.0 == run.id)
                    .map(|(_, api, calls, units)| ApiCalls {
                        api: api.clone(),
                        calls: *calls,
                        units: *units,
                    })
                    .collect(),
                errors: errors
                    .iter()
                    .filter(|e| e.0 == run.id)
                    .map(|(_, at, api, message)| RunError {
                        at: *at,
                        api: api.clone(),
                        message: message.clone(),
                    })
                    .collect(),
                run,
            })
            .collect())
    }
}

#[cfg(test)]
mod history_tests {
    use super::*;

    /// Runs with some calls and errors each; run `i` has `i % 3` APIs and `i % 2` errors.
    async fn store_with_runs(n: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        for i in 0..n {
            let id = store
                .start_sync_run(RunTrigger::Cli, 1_000 + i * 60)
                .await
                .unwrap();
            for api in ["ecs:ListServices", "cloudwatch:GetMetricData"]
                .iter()
                .take((i % 3) as usize)
            {
                store
                    .record_api_calls(id, api, i as u64 + 1, 7)
                    .await
                    .unwrap();
            }
            if i % 2 == 1 {
                store
                    .record_sync_error(id, 1_010 + i * 60, None, &format!("failed {i}"))
                    .await
                    .unwrap();
            }
        }
        (dir, store)
    }

    #[tokio::test]
    async fn the_batched_history_matches_reading_each_run() {
        let (_dir, store) = store_with_runs(60).await;
        let history = store.sync_history(50).await.unwrap();
        assert_eq!(history.len(), 50);
        assert_eq!(history[0].run.started_at, 1_000 + 59 * 60, "newest first");
        for h in &history {
            let calls: Vec<(String, i64, i64)> = h
                .calls
                .iter()
                .map(|c| (c.api.clone(), c.calls, c.units))
                .collect();
            assert_eq!(calls, store.sync_api_calls(h.run.id).await.unwrap());
            let errors: Vec<(i64, Option<String>, String)> = h
                .errors
                .iter()
                .map(|e| (e.at, e.api.clone(), e.message.clone()))
                .collect();
            assert_eq!(errors, store.sync_errors(h.run.id).await.unwrap());
        }
        assert!(history
            .iter()
            .any(|h| h.calls.len() == 2 && h.errors.len() == 1));
    }

    #[tokio::test]
    async fn no_runs_reads_no_calls() {
        let (_dir, store) = store_with_runs(0).await;
        assert!(store.sync_history(50).await.unwrap().is_empty());
        assert!(store
            .with_calls_and_errors(Vec::new())
            .await
            .unwrap()
            .is_empty());
    }
}

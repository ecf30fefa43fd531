//! The Sync page's report: the last runs with their calls and errors, and whether a sync can start.

use serde::Serialize;

use super::{csv_usd, Table, Tables};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sync_runs::{RunHistory, RunOutcome};

/// Runs the page lists.
pub const RUNS_SHOWN: i64 = 50;

/// Why the last sync started from this server did not run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartFailure {
    /// When it was asked for.
    pub at: i64,
    /// Why it did not run.
    pub message: String,
}

/// The Sync page's data.
#[derive(Debug, Clone, Serialize)]
pub struct SyncHistory {
    /// Newest first.
    pub runs: Vec<RunHistory>,
    /// Whether this server can start a sync.
    pub can_sync: bool,
    /// Whether one is running now.
    pub running: bool,
    /// Report time.
    pub now: i64,
    /// Why the last sync started from this server did not run.
    pub last_error: Option<StartFailure>,
}

/// Reads the last [`RUNS_SHOWN`] runs (three queries) and the sync trigger's state.
pub async fn build(state: &AppState, now: i64) -> Result<SyncHistory, AppError> {
    let runs = state.store.sync_history(RUNS_SHOWN).await?;
    let running = state.sync.as_ref().is_some_and(|s| s.is_running())
        || runs.iter().any(|r| r.run.outcome == RunOutcome::Running);
    Ok(SyncHistory {
        runs,
        can_sync: state.sync.is_some(),
        running,
        now,
        last_error: state
            .sync
            .as_ref()
            .and_then(|s| s.last_error())
            .map(|(at, message)| StartFailure { at, message }),
    })
}

impl Tables for SyncHistory {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let run = &r.run;
                let calls = r.calls.iter().map(|c| format!("{} x{}", c.api, c.calls));
                let errors = r.errors.iter().map(|e| e.message.as_str());
                vec![
                    run.id.to_string(),
                    run.started_at.to_string(),
                    run.finished_at.map(|f| f.to_string()).unwrap_or_default(),
                    run.trigger.to_string(),
                    run.outcome.to_string(),
                    run.datapoints_written.to_string(),
                    run.rows_written.to_string(),
                    calls.collect::<Vec<_>>().join("; "),
                    csv_usd(run.api_cost_usd),
                    run.summary.clone().unwrap_or_default(),
                    errors.collect::<Vec<_>>().join("; "),
                ]
            })
            .collect();
        let header = vec![
            "id",
            "started_at",
            "finished_at",
            "trigger",
            "outcome",
            "datapoints_written",
            "rows_written",
            "aws_calls",
            "api_cost_usd",
            "summary",
            "errors",
        ];
        vec![("runs", Table { header, rows })]
    }
}

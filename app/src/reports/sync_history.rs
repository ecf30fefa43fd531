//! The Sync page's report: the last runs with their calls and errors, and whether a sync can start.

use serde::Serialize;

use super::{csv_usd, Table, Tables};
use crate::analysis::spend::api_cost::{
    project, ApiCostProjection, RunSpend, COST_EXPLORER_REQUEST_USD,
};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sync_runs::{RunHistory, RunOutcome, RunTrigger};

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
    /// The schedule's monthly API cost from the last syncs (hourly as an example when syncs
    /// run by hand), with the interval it assumes.
    pub api_cost: Option<(i64, ApiCostProjection)>,
    /// Whether `api_cost` prices the configured schedule (else the hourly example).
    pub scheduled: bool,
    /// Hours a Cost Explorer fetch stays fresh.
    pub cost_refresh_hours: i64,
}

/// Syncs the projection is priced from.
const PRICED_RUNS: usize = 10;

/// What each of the last finished syncs from AWS spent, Cost Explorer apart.
fn run_spend(runs: &[RunHistory]) -> Vec<RunSpend> {
    runs.iter()
        .filter(|r| r.run.trigger != RunTrigger::Demo && r.run.outcome != RunOutcome::Running)
        .take(PRICED_RUNS)
        .map(|r| {
            let ce_calls: i64 = r
                .calls
                .iter()
                .filter(|c| c.api.starts_with("ce:"))
                .map(|c| c.calls)
                .sum();
            let ce = ce_calls as f64 * COST_EXPLORER_REQUEST_USD;
            RunSpend {
                other_usd: (r.run.api_cost_usd - ce).max(0.0),
                cost_explorer_usd: ce,
            }
        })
        .collect()
}

/// Reads the last [`RUNS_SHOWN`] runs (three queries) and the sync trigger's state.
pub async fn build(state: &AppState, now: i64) -> Result<SyncHistory, AppError> {
    let runs = state.store.sync_history(RUNS_SHOWN).await?;
    let running = state.sync.as_ref().is_some_and(|s| s.is_running())
        || runs.iter().any(|r| r.run.outcome == RunOutcome::Running);
    let schedule = state.settings.schedule;
    let every = schedule.every_secs.unwrap_or(3600);
    let api_cost =
        project(&run_spend(&runs), every, schedule.cost_refresh_secs).map(|p| (every, p));
    Ok(SyncHistory {
        api_cost,
        scheduled: schedule.every_secs.is_some(),
        cost_refresh_hours: schedule.cost_refresh_secs / 3600,
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

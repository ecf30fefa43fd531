//! One sync in progress: what every phase shares (options, call log, report) and the bookkeeping
//! around phases: whether to run one, recording how it went, and closing the run in the store.

use std::time::Instant;

use app::store::services::ServiceRecord;
use app::store::sync_runs::{RunOutcome, RunTotals};
use app::store::Store;

use super::{Phase, PhaseReport, Reporter, SyncError, SyncOptions, SyncReport};
use crate::aws::{AwsError, CallLog};

/// One sync in progress.
pub(super) struct Sync<'a> {
    pub(super) store: &'a Store,
    pub(super) opts: &'a SyncOptions,
    pub(super) log: CallLog,
    pub(super) run_id: i64,
    pub(super) now: i64,
    pub(super) report: SyncReport,
    pub(super) reporter: &'a dyn Reporter,
    /// Set once an error means nothing more can be read (credentials, connectivity).
    fatal: bool,
}

impl<'a> Sync<'a> {
    /// A sync recorded as run `run_id`, as of `now`.
    pub(super) fn new(
        store: &'a Store,
        opts: &'a SyncOptions,
        log: CallLog,
        run_id: i64,
        now: i64,
        reporter: &'a dyn Reporter,
    ) -> Self {
        Self {
            store,
            opts,
            log,
            run_id,
            now,
            report: SyncReport {
                run_id,
                ..Default::default()
            },
            reporter,
            fatal: false,
        }
    }
}

impl Sync<'_> {
    /// Whether `phase` runs: not skipped, and nothing fatal happened before.
    pub(super) fn wants(&self, phase: Phase) -> bool {
        !self.fatal && !self.opts.skip.contains(&phase) && !self.stopping()
    }

    /// Whether the sync was asked to stop (it then ends at the next transaction boundary).
    pub(super) fn stopping(&self) -> bool {
        self.opts.stop.is_requested()
    }

    /// Tells the reporter `phase` began for `scope` (a region, or `account`).
    pub(super) fn begin(&self, phase: Phase, scope: &str) -> Instant {
        self.reporter.phase_started(phase, scope);
        Instant::now()
    }

    /// Records a phase's outcome; an AWS error is logged and the sync goes on unless it is fatal.
    pub(super) async fn close(
        &mut self,
        phase: Phase,
        started: Instant,
        result: Result<String, AwsError>,
    ) -> Result<(), SyncError> {
        let seconds = started.elapsed().as_secs_f64();
        let summary = match result {
            Ok(summary) => summary,
            Err(e) => {
                self.fatal |= e.is_fatal();
                self.record_error(&e).await?;
                "failed (see errors)".into()
            }
        };
        let report = PhaseReport {
            phase,
            seconds,
            summary,
        };
        self.reporter.phase_done(&report);
        self.report.phases.push(report);
        Ok(())
    }

    /// Records an error the sync carries on past.
    pub(super) async fn record_error(&mut self, e: &AwsError) -> Result<(), SyncError> {
        let message = e.to_string();
        tracing::warn!(api = e.api(), "{message}");
        self.store
            .record_sync_error(self.run_id, self.now, Some(e.api()), &message)
            .await?;
        self.report.errors.push(message);
        Ok(())
    }

    /// The stored services of `region`, with their ids (when inventory did not run).
    pub(super) async fn stored_services(
        &self,
        region: &str,
    ) -> Result<Vec<(i64, ServiceRecord)>, SyncError> {
        Ok(self
            .store
            .list_services()
            .await?
            .into_iter()
            .filter(|s| s.service.region == region)
            .map(|s| (s.id, s.service))
            .collect())
    }

    /// Writes the calls made and the run's totals to the store.
    pub(super) async fn finish(mut self) -> Result<SyncReport, SyncError> {
        for (api, n, units) in self.log.snapshot() {
            self.store
                .record_api_calls(self.run_id, api, n, units)
                .await?;
        }
        let outcome = if self.stopping() && !self.fatal {
            RunOutcome::Interrupted
        } else {
            outcome(self.fatal, self.report.errors.is_empty())
        };
        self.report.outcome = outcome;
        self.report.calls = self.log.snapshot();
        self.report.cost_usd = self.log.cost_usd();
        let total_calls: u64 = self.report.calls.iter().map(|c| c.1).sum();
        let stopped = if outcome == RunOutcome::Interrupted {
            "stopped when the server shut down: "
        } else {
            ""
        };
        self.report.retries = self.log.retries().tally();
        let mut summary = format!(
            "{stopped}{} datapoints, {} rows, {total_calls} AWS calls (about {}), {} errors",
            self.report.datapoints_written,
            self.report.rows_written,
            app::format::usd_small(self.report.cost_usd),
            self.report.errors.len()
        );
        if let Some(retries) = self.report.retries.summary() {
            summary = format!("{summary}; {retries}");
        }
        self.store
            .finish_sync_run(
                self.run_id,
                &RunTotals {
                    outcome,
                    datapoints_written: self.report.datapoints_written as i64,
                    rows_written: self.report.rows_written as i64,
                    api_cost_usd: self.report.cost_usd,
                    summary: Some(summary),
                },
                chrono::Utc::now().timestamp().max(self.now),
            )
            .await?;
        Ok(self.report)
    }
}

impl Sync<'_> {
    /// Records the run as failed after `error` stopped it (a store write failed), so it does not
    /// stay "running" until the next sync. Best effort: the store may be what failed, and then
    /// the next sync marks the run interrupted instead.
    pub(super) async fn abandon(&self, error: &SyncError) {
        let summary = format!(
            "stopped by an error after {} datapoints and {} rows: {error}",
            self.report.datapoints_written, self.report.rows_written
        );
        let totals = RunTotals {
            outcome: RunOutcome::Failed,
            datapoints_written: self.report.datapoints_written as i64,
            rows_written: self.report.rows_written as i64,
            api_cost_usd: self.log.cost_usd(),
            summary: Some(summary),
        };
        let at = chrono::Utc::now().timestamp().max(self.now);
        if let Err(e) = self.store.finish_sync_run(self.run_id, &totals, at).await {
            tracing::warn!(run = self.run_id, "could not record the failed sync: {e}");
        }
    }
}

/// The run's outcome: failed after a fatal error, else ok without errors, else partial.
fn outcome(fatal: bool, no_errors: bool) -> RunOutcome {
    if fatal {
        RunOutcome::Failed
    } else if no_errors {
        RunOutcome::Ok
    } else {
        RunOutcome::Partial
    }
}

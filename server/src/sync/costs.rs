//! The cost phases: daily costs per grouping since the last stored day (less the days Cost
//! Explorer may still restate), and the forecast for the rest of the month. The window is
//! [`cost_start`], pure.

use app::domain::calendar::{day_start, month_start, next_month_start, prev_month_start, DAY};

use super::run::Sync;
use super::SyncError;
use crate::aws::calls::Api;
use crate::aws::{AwsClients, AwsError};
use crate::collectors::costs;

/// Months before the current one that a first sync reads: with the current month, 14 months,
/// Cost Explorer's default history.
pub const HISTORY_MONTHS_BEFORE: u32 = 13;

/// The first day of cost history as of `now`: the start of the month 13 months before `now`'s.
pub fn cost_history_start(now: i64) -> i64 {
    (0..HISTORY_MONTHS_BEFORE).fold(month_start(now), |m, _| prev_month_start(m))
}

/// Where one grouping's cost fetch starts: the whole history on its first sync; later,
/// `restate_days` before the last day stored (or today, if a stored day is later), never before
/// the history's start.
pub fn cost_start(last_stored_day: Option<i64>, now: i64, restate_days: u32) -> i64 {
    let first_sync_from = cost_history_start(now);
    match last_stored_day {
        Some(last) => {
            (last.min(day_start(now)) - i64::from(restate_days) * DAY).max(first_sync_from)
        }
        None => first_sync_from,
    }
}

/// Why Cost Explorer is skipped this sync (its last fetch, at `last_fetch`, is younger than
/// `refresh_secs`), or None when it is due, forced, or never fetched.
pub fn cost_fetch_fresh(
    last_fetch: Option<i64>,
    now: i64,
    refresh_secs: i64,
    force: bool,
) -> Option<String> {
    let last = last_fetch?;
    let age = now - last;
    (!force && age >= 0 && age < refresh_secs).then(|| {
        format!(
            "skipped: Cost Explorer answered {} h ago, fresh for {} h ([aws] cost_refresh_hours; sync --force-costs or \"Sync now\" asks again)",
            age / 3600,
            refresh_secs / 3600
        )
    })
}

impl Sync<'_> {
    /// Why Cost Explorer is skipped this sync, if it is (see [`cost_fetch_fresh`]).
    pub(super) async fn costs_fresh(&self) -> Result<Option<String>, SyncError> {
        if self.opts.force_costs || self.opts.cost_refresh_secs <= 0 {
            return Ok(None);
        }
        let last = self
            .store
            .last_cost_fetch(Api::CostExplorerGetCostAndUsage.name())
            .await?;
        Ok(cost_fetch_fresh(
            last,
            self.now,
            self.opts.cost_refresh_secs,
            self.opts.force_costs,
        ))
    }

    /// Fetches and stores each grouping's daily costs up to the end of today.
    pub(super) async fn cost_rows(
        &mut self,
        clients: &AwsClients,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let end = day_start(self.now) + DAY;
        let mut rows = 0;
        let mut result = Ok(());
        for q in costs::queries(&self.opts.cost_tags) {
            let last = self.store.last_cost_day_for(&q.scope, &q.group_by).await?;
            let start = cost_start(last, self.now, self.opts.restate_days);
            match costs::fetch(&clients.costexplorer, &q, start, end, &self.log).await {
                Ok(records) => rows += self.store.upsert_costs(&records, self.now).await?,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.report.rows_written += rows;
        let requests = self.log.calls(Api::CostExplorerGetCostAndUsage.name());
        Ok(
            result
                .map(|_| format!("{rows} cost rows written, {requests} GetCostAndUsage requests")),
        )
    }

    /// Fetches and stores the forecast from today to the end of the month.
    pub(super) async fn forecast(
        &mut self,
        clients: &AwsClients,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let fetched = costs::fetch_forecast(
            &clients.costexplorer,
            day_start(self.now),
            next_month_start(self.now),
            self.now,
            &self.log,
        )
        .await;
        Ok(match fetched {
            Ok(Some(f)) => {
                self.store.upsert_forecast(&f).await?;
                Ok(format!(
                    "{} expected for the rest of the month",
                    app::format::usd(f.mean)
                ))
            }
            Ok(None) => Ok("last day of the month: nothing to forecast".into()),
            Err(e) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_784_400; // 2026-11-27 13:00 UTC
    const OCT_1_2025: i64 = 1_759_276_800;
    const NOV_22_2026: i64 = 1_795_305_600;
    const NOV_27_2026: i64 = 1_795_737_600;

    #[test]
    fn cost_explorer_is_asked_again_only_when_stale_or_forced() {
        let eight_h = 8 * 3600;
        assert_eq!(
            cost_fetch_fresh(None, NOW, eight_h, false),
            None,
            "never fetched"
        );
        let why = cost_fetch_fresh(Some(NOW - 3 * 3600), NOW, eight_h, false).unwrap();
        assert!(
            why.contains("3 h ago") && why.contains("fresh for 8 h"),
            "{why}"
        );
        assert_eq!(
            cost_fetch_fresh(Some(NOW - eight_h), NOW, eight_h, false),
            None,
            "stale"
        );
        assert_eq!(
            cost_fetch_fresh(Some(NOW - 60), NOW, eight_h, true),
            None,
            "forced"
        );
        assert_eq!(
            cost_fetch_fresh(Some(NOW - 60), NOW, 0, false),
            None,
            "0 h: always"
        );
    }

    #[test]
    fn history_is_this_month_and_the_thirteen_before() {
        assert_eq!(cost_history_start(NOW), OCT_1_2025);
        // Across a year boundary: 2026-01-15 -> 2024-12-01.
        assert_eq!(cost_history_start(1_768_435_200), 1_733_011_200);
    }

    #[test]
    fn a_first_sync_reads_the_whole_history() {
        assert_eq!(cost_start(None, NOW, 3), OCT_1_2025);
    }

    #[test]
    fn a_later_sync_rereads_the_restated_days() {
        // Last stored day 2026-11-25, 3 days restated: from 2026-11-22.
        assert_eq!(cost_start(Some(NOV_22_2026 + 3 * DAY), NOW, 3), NOV_22_2026);
    }

    #[test]
    fn a_stored_day_after_today_counts_as_today() {
        // Cost Explorer can hold tomorrow's row; restating counts back from today, 2026-11-27.
        assert_eq!(cost_start(Some(NOV_27_2026 + 2 * DAY), NOW, 5), NOV_22_2026);
    }

    #[test]
    fn an_old_last_day_is_clamped_to_the_history() {
        assert_eq!(cost_start(Some(OCT_1_2025 - 90 * DAY), NOW, 3), OCT_1_2025);
    }
}

//! The alarm phases: definitions and states (upserted), then history items (only new ones kept).

use app::domain::calendar::DAY;

use super::run::Sync;
use super::SyncError;
use crate::aws::{AwsClients, AwsError};
use crate::collectors;

/// Where an incremental history read starts: a day before the newest item held, because history
/// items can land late; everything (None) when none is held.
pub fn history_since(newest_held: Option<i64>) -> Option<i64> {
    newest_held.map(|ts| ts - DAY)
}

impl Sync<'_> {
    /// Reads and stores every alarm of the region.
    pub(super) async fn alarms(
        &mut self,
        clients: &AwsClients,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let alarms = match collectors::alarms::fetch_alarms(clients, &self.log).await {
            Ok(alarms) => alarms,
            Err(e) => return Ok(Err(e)),
        };
        for a in &alarms {
            self.store.upsert_alarm(a, self.now).await?;
        }
        self.report.rows_written += alarms.len() as u64;
        Ok(Ok(format!("{} alarms", alarms.len())))
    }

    /// Reads the region's alarm history since shortly before the newest item held.
    pub(super) async fn alarm_history(
        &mut self,
        clients: &AwsClients,
    ) -> Result<Result<String, AwsError>, SyncError> {
        let region = &clients.region;
        let since = history_since(self.store.last_alarm_history_time(region).await?);
        let fetched =
            collectors::alarms::fetch_history(&clients.cloudwatch, region, since, &self.log).await;
        let items = match fetched {
            Ok(items) => items,
            Err(e) => return Ok(Err(e)),
        };
        let added = self.store.insert_alarm_history(&items).await?;
        self.report.rows_written += added;
        Ok(Ok(format!("{} items read, {added} new", items.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_reread_from_a_day_before_the_newest_item() {
        assert_eq!(history_since(None), None);
        // 2026-11-27 13:00 UTC -> 2026-11-26 13:00 UTC.
        assert_eq!(history_since(Some(1_795_784_400)), Some(1_795_698_000));
    }
}

//! Syncs started by the server: the "Sync now" button and `serve --sync-every`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::store::sync_runs::RunTrigger;
use app::store::Store;
use app::SyncTrigger;

use crate::sync::{self, SyncOptions};

/// Runs syncs in the background, one at a time.
pub struct BackgroundSync {
    store: Store,
    db: PathBuf,
    options: SyncOptions,
    running: Arc<AtomicBool>,
    last_error: Arc<Mutex<Option<(i64, String)>>>,
}

impl BackgroundSync {
    /// A trigger syncing `store` (file `db`) with `options`.
    pub fn new(store: Store, db: PathBuf, options: SyncOptions) -> Self {
        Self {
            store,
            db,
            options,
            running: Arc::new(AtomicBool::new(false)),
            last_error: Arc::default(),
        }
    }

    /// Starts a sync recorded with `trigger` unless one is running.
    pub fn start_as(&self, trigger: RunTrigger) -> Result<(), String> {
        if self.options.stop.is_requested() {
            return Err("the server is shutting down".into());
        }
        if self.running.swap(true, Ordering::SeqCst) {
            return Err("a sync is already running".into());
        }
        let (store, db, running, last_error) = (
            self.store.clone(),
            self.db.clone(),
            self.running.clone(),
            self.last_error.clone(),
        );
        let options = SyncOptions {
            trigger,
            force_costs: trigger == RunTrigger::Button,
            ..self.options.clone()
        };
        tokio::spawn(async move {
            let now = chrono::Utc::now().timestamp();
            let failure = match sync::run(&store, &db, &options, now).await {
                Ok(r) => {
                    tracing::info!(run = r.run_id, outcome = %r.outcome, datapoints = r.datapoints_written, "sync finished");
                    None
                }
                Err(e) => {
                    tracing::warn!("sync did not run: {e}");
                    Some((now, e.to_string()))
                }
            };
            *last_error.lock().expect("sync error lock") = failure;
            running.store(false, Ordering::SeqCst);
        });
        Ok(())
    }
}

impl BackgroundSync {
    /// Asks a running sync to stop at its next transaction boundary and waits until it has
    /// recorded itself as interrupted; no new sync starts afterwards.
    pub async fn stop(&self) {
        self.options.stop.request();
        if self.running.load(Ordering::SeqCst) {
            tracing::info!("waiting for the running sync to stop at its next commit");
        }
        while self.running.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl SyncTrigger for BackgroundSync {
    fn start(&self) -> Result<(), String> {
        self.start_as(RunTrigger::Button)
    }

    fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    fn last_error(&self) -> Option<(i64, String)> {
        self.last_error.lock().expect("sync error lock").clone()
    }
}

/// Starts a sync every `every`, skipping a turn while one is still running.
pub fn schedule(trigger: Arc<BackgroundSync>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            if let Err(e) = trigger.start_as(RunTrigger::Schedule) {
                tracing::info!("scheduled sync skipped: {e}");
            }
        }
    })
}

/// Parses `90s`, `15m`, `1h`, `1d` (at least a minute).
pub fn parse_every(s: &str) -> Result<Duration, String> {
    let err = || format!("'{s}' is not a duration like 30m, 1h or 1d");
    let (num, unit) = s.trim().split_at(
        s.trim()
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(err)?,
    );
    let n: u64 = num.parse().map_err(|_| err())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    let secs = n
        .checked_mul(unit_secs)
        .filter(|s| *s <= 366 * 86_400)
        .ok_or_else(|| format!("'{s}' is too long: sync at least once a year"))?;
    if secs < 60 {
        return Err(format!("'{s}' is too often: sync at most once a minute"));
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_every("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_every("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_every("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_every("10s").unwrap_err().contains("too often"));
        assert!(parse_every("hourly").is_err());
        assert!(parse_every("5w").is_err());
        assert!(parse_every("400d").unwrap_err().contains("too long"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, failure_persistence: None, ..Default::default() })]

        /// Catches the overflow `99999999999999999d` caused (a panic) before the checked multiply.
        #[test]
        fn any_text_is_a_duration_or_a_reason(s in "\\PC{0,12}|[0-9]{1,22}[smhdw]?") {
            match parse_every(&s) {
                Ok(d) => proptest::prop_assert!(d.as_secs() >= 60),
                Err(reason) => proptest::prop_assert!(reason.contains(s.trim()) || reason.contains(&s)),
            }
        }
    }
}

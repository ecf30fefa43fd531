//! The application state handed to every page through Leptos context.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::reports::cache::EvidenceCache;
use crate::settings::Settings;
use crate::store::Store;

/// Starts syncs from AWS on behalf of a page (the "Sync now" button). The server provides the
/// real one; tests provide their own.
pub trait SyncTrigger: Send + Sync {
    /// Starts a sync in the background; Err with a message when one cannot start now.
    fn start(&self) -> Result<(), String>;
    /// Whether a sync started here is running.
    fn is_running(&self) -> bool;
    /// Why the last sync started here could not run (no credentials, another sync running), with
    /// when; None after a sync that ran.
    fn last_error(&self) -> Option<(i64, String)> {
        None
    }
}

/// Everything a page or server function needs: the store, the clock, the settings, and what
/// starts a sync.
#[derive(Clone)]
pub struct AppState {
    /// The SQLite store.
    pub store: Store,
    /// Where pages read "now" from.
    pub clock: SharedClock,
    /// Prices and analysis settings.
    pub settings: Arc<Settings>,
    /// Starts syncs; None where syncing is not possible.
    pub sync: Option<Arc<dyn SyncTrigger>>,
    /// Recommendations shared by requests.
    pub recommendations: Arc<EvidenceCache>,
    /// The Alarms page's store reads (breach shares, state changes), shared by requests.
    pub alarm_reads: Arc<crate::reports::alarms::AlarmsCache>,
    /// The Scaling page's series reads, shared by requests.
    pub whatif_history: Arc<crate::reports::whatif::HistoryCache>,
    /// The Costs page's task counts of every service, shared by requests.
    pub cost_fleet: Arc<crate::reports::costs::FleetCache>,
    /// The Costs page's data per query, shared by requests.
    pub cost_pages: Arc<crate::reports::costs::PageCache>,
    /// The Costs page's change decompositions per query, shared by requests.
    pub cost_explains: Arc<crate::reports::costs::explain::ExplainCache>,
    /// The Service page's chart reads, shared by requests.
    pub service_charts: Arc<crate::reports::service::ChartCache>,
    /// The alarm pages built last, shared by requests.
    pub alarm_pages: Arc<crate::reports::backtest::AlarmPageCache>,
    /// The Overview's store reads, shared by requests.
    pub overview_reads: Arc<crate::reports::overview::OverviewCache>,
}

impl AppState {
    /// Builds the state (without a sync trigger: see [`AppState::with_sync`]).
    pub fn new(store: Store, clock: SharedClock, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            sync: None,
            recommendations: Arc::default(),
            alarm_reads: Arc::default(),
            whatif_history: Arc::default(),
            cost_fleet: Arc::default(),
            cost_pages: Arc::default(),
            cost_explains: Arc::default(),
            service_charts: Arc::default(),
            alarm_pages: Arc::default(),
            overview_reads: Arc::default(),
        }
    }

    /// Adds what starts syncs.
    pub fn with_sync(mut self, sync: Arc<dyn SyncTrigger>) -> Self {
        self.sync = Some(sync);
        self
    }
}

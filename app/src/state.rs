//! The application state handed to every page through Leptos context.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::settings::Settings;
use crate::store::Store;

/// Everything a page or server function needs: the store, the clock and the settings.
#[derive(Clone)]
pub struct AppState {
    /// The SQLite store.
    pub store: Store,
    /// Where pages read "now" from.
    pub clock: SharedClock,
    /// Prices and analysis settings.
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, clock: SharedClock, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
        }
    }
}

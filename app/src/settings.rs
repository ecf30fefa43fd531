//! Analysis settings the pages and the CLI share: prices, sizing rules, tiers.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::analysis::recommend::{default_tiers, SizingRules, Tier};
use crate::analysis::spend::anomaly::AnomalyRules;
use crate::domain::fargate::PriceTable;

/// Settings shared by pages and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Fargate rates and Spot discount.
    pub prices: PriceTable,
    /// How services are sized.
    pub rules: SizingRules,
    /// The team's named tiers, smallest first.
    pub tiers: Vec<Tier>,
    /// Monthly budgets by cost group (an AWS service name, a tag value, or `total`).
    #[serde(default)]
    pub budgets: BTreeMap<String, f64>,
    /// How cost anomalies are found.
    #[serde(default)]
    pub anomalies: AnomalyRules,
    /// How often this server syncs, for pricing the schedule on the Sync page.
    #[serde(default)]
    pub schedule: SyncSchedule,
}

/// The background sync schedule (`serve --sync-every`) and Cost Explorer's refresh interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSchedule {
    /// Seconds between syncs; None when syncs only run by hand.
    pub every_secs: Option<i64>,
    /// Seconds a Cost Explorer fetch stays fresh (`[aws] cost_refresh_hours`).
    pub cost_refresh_secs: i64,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        Self {
            every_secs: None,
            cost_refresh_secs: 8 * 3600,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prices: PriceTable::default(),
            rules: SizingRules::default(),
            tiers: default_tiers(),
            budgets: BTreeMap::new(),
            anomalies: AnomalyRules::default(),
            schedule: SyncSchedule::default(),
        }
    }
}

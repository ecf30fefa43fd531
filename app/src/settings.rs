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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prices: PriceTable::default(),
            rules: SizingRules::default(),
            tiers: default_tiers(),
            budgets: BTreeMap::new(),
            anomalies: AnomalyRules::default(),
        }
    }
}

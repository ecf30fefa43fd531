//! Analysis settings the pages and the CLI share: prices, sizing rules, tiers.

use serde::{Deserialize, Serialize};

use crate::analysis::recommend::{default_tiers, SizingRules, Tier};
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prices: PriceTable::default(),
            rules: SizingRules::default(),
            tiers: default_tiers(),
        }
    }
}

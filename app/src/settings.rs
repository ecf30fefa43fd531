//! Analysis settings the pages use (prices now; tiers and sizing rules as they arrive).

use serde::{Deserialize, Serialize};

use crate::domain::fargate::PriceTable;

/// Settings shared by pages and the CLI.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// Fargate rates and Spot discount.
    pub prices: PriceTable,
}

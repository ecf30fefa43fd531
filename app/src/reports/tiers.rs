//! The Tiers report: the team's tier table against Fargate list prices, and which services sit
//! in each.

use serde::Serialize;

use super::recommendations::{self, ServiceRecommendation};
use super::{csv_usd, Table, Tables};
use crate::analysis::recommend::tier_for;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};
use crate::error::AppError;
use crate::format;
use crate::state::AppState;
use crate::store::services::Removed;

/// A service placed in a tier, priced from its own architecture's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierService {
    /// Service name.
    pub name: String,
    /// `512 / 1024`.
    pub size: String,
    /// The price table used: `x86` or `ARM`.
    pub table: &'static str,
    /// On-demand list price of one task of this size for a month, from `table`.
    pub per_task_month: f64,
}

/// One tier row.
#[derive(Debug, Clone, Serialize)]
pub struct TierRow {
    /// Tier name.
    pub name: String,
    /// `1024 / 2048`.
    pub size: String,
    /// List price of one task for a month (x86, on demand).
    pub per_task_month: f64,
    /// The same on the ARM table.
    pub per_task_month_arm: f64,
    /// Two tasks (x86).
    pub two_tasks: f64,
    /// The team's planned figure for two tasks.
    pub planned_two_tasks: Option<f64>,
    /// Services on a size in this tier now.
    pub services_now: Vec<TierService>,
    /// Services whose recommended size is in this tier.
    pub services_recommended: Vec<TierService>,
}

/// The Tiers page's data.
#[derive(Debug, Clone, Serialize)]
pub struct TiersData {
    /// Tiers, smallest first.
    pub rows: Vec<TierRow>,
    /// Services larger than every tier now.
    pub above_now: Vec<TierService>,
    /// Services whose recommended size is above every tier.
    pub above_recommended: Vec<TierService>,
    /// The rates, for the note naming the tables.
    pub prices: PriceTable,
}

/// The name of the price table an architecture is priced from.
pub fn price_table_name(arch: Architecture) -> &'static str {
    match arch {
        Architecture::X86_64 => "x86",
        Architecture::Arm64 => "ARM",
    }
}

/// The services whose size (`pick`) falls in `tier` (None: above every tier), each priced by
/// its own architecture.
fn services_in(
    recs: &[ServiceRecommendation],
    state_tiers: &[crate::analysis::recommend::Tier],
    prices: &PriceTable,
    pick: impl Fn(&ServiceRecommendation) -> Option<TaskSize>,
    tier: Option<&str>,
) -> Vec<TierService> {
    recs.iter()
        .filter_map(|r| pick(r).map(|size| (r, size)))
        .filter(|(_, size)| tier_for(state_tiers, *size).map(|t| t.name.as_str()) == tier)
        .map(|(r, size)| TierService {
            name: r.service.clone(),
            size: format::size(size.cpu, size.memory_mib),
            table: price_table_name(r.architecture),
            per_task_month: prices.monthly(size, r.architecture),
        })
        .collect()
}

/// Prices every tier and lists the services in each (recommendations from the shared cache).
pub async fn build(state: &AppState, now: i64) -> Result<TiersData, AppError> {
    let s = &state.settings;
    let evidence = state.recommendations.get(&state.store, s, now).await?;
    let recs: Vec<ServiceRecommendation> =
        // Services deleted in AWS sit in no tier any more.
        recommendations::listed(&evidence, Removed::Hide)
            .map(|e| e.recommendation.clone())
            .collect();
    let now_size = |r: &ServiceRecommendation| Some(r.rec.current.size());
    let rec_size = |r: &ServiceRecommendation| r.rec.recommended.as_ref().map(|x| x.size());
    let in_tier = |pick: &dyn Fn(&ServiceRecommendation) -> Option<TaskSize>,
                   tier: Option<&str>| {
        services_in(&recs, &s.tiers, &s.prices, pick, tier)
    };
    let mut tiers = s.tiers.clone();
    tiers.sort_by_key(|t| (t.cpu, t.memory_mib));
    let rows = tiers
        .iter()
        .map(|t| {
            let monthly = s.prices.monthly(t.size(), Architecture::X86_64);
            TierRow {
                name: t.name.clone(),
                size: format::size(t.cpu, t.memory_mib),
                per_task_month: monthly,
                per_task_month_arm: s.prices.monthly(t.size(), Architecture::Arm64),
                two_tasks: 2.0 * monthly,
                planned_two_tasks: t.planned_monthly_two_tasks,
                services_now: in_tier(&now_size, Some(&t.name)),
                services_recommended: in_tier(&rec_size, Some(&t.name)),
            }
        })
        .collect();
    Ok(TiersData {
        rows,
        above_now: in_tier(&now_size, None),
        above_recommended: in_tier(&rec_size, None),
        prices: s.prices,
    })
}

impl TierRow {
    /// List price over the planned figure for two tasks, when there is a planned figure.
    pub fn list_over_planned(&self) -> Option<f64> {
        self.planned_two_tasks
            .filter(|p| *p > 0.0)
            .map(|p| self.two_tasks / p)
    }
}

/// Name of the row for services above every tier.
const ABOVE: &str = "above every tier";

impl Tables for TiersData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let opt_usd = |v: Option<f64>| v.map(csv_usd).unwrap_or_default();
        let mut tiers: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.size.clone(),
                    csv_usd(r.per_task_month),
                    csv_usd(r.per_task_month_arm),
                    csv_usd(r.two_tasks),
                    opt_usd(r.planned_two_tasks),
                    r.list_over_planned()
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_default(),
                    r.services_now.len().to_string(),
                    r.services_recommended.len().to_string(),
                ]
            })
            .collect();
        let mut above = vec![String::new(); 9];
        above[0] = ABOVE.into();
        above[7] = self.above_now.len().to_string();
        above[8] = self.above_recommended.len().to_string();
        tiers.push(above);
        let header = vec![
            "tier",
            "size",
            "per_task_month_x86_usd",
            "per_task_month_arm_usd",
            "two_tasks_x86_usd",
            "planned_two_tasks_usd",
            "list_over_planned",
            "services_now",
            "services_recommended",
        ];
        let mut members = Vec::new();
        let groups = self
            .rows
            .iter()
            .map(|r| (r.name.as_str(), &r.services_now, &r.services_recommended))
            .chain([(ABOVE, &self.above_now, &self.above_recommended)]);
        for (tier, now, recommended) in groups {
            for (when, list) in [("now", now), ("recommended", recommended)] {
                members.extend(list.iter().map(|s| {
                    vec![
                        tier.to_string(),
                        when.to_string(),
                        s.name.clone(),
                        s.size.clone(),
                        s.table.to_string(),
                        csv_usd(s.per_task_month),
                    ]
                }));
            }
        }
        let member_header = vec![
            "tier",
            "when",
            "service",
            "size",
            "price_table",
            "per_task_month_usd",
        ];
        vec![
            (
                "tiers",
                Table {
                    header,
                    rows: tiers,
                },
            ),
            (
                "services",
                Table {
                    header: member_header,
                    rows: members,
                },
            ),
        ]
    }
}

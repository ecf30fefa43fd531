//! Tier recommendations: size each service on its real use, pick the cheapest Fargate size that
//! fits, name the tier it falls in, and price the change.
//!
//! The types live here; [`sizing`] computes the numbers, [`cost`] prices them and [`explain`] puts
//! them in words (the reason and the risks); [`aliases`] keeps the deprecated JSON names.

use serde::{Deserialize, Serialize};

use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, TaskSize};

pub mod aliases;
pub mod cost;
pub mod explain;
mod round;
pub mod sizing;
#[cfg(test)]
mod tests;

pub use cost::{monthly_cost, split_change, spot_pct};
pub use sizing::{autoscaled_count, cheapest_fit, pinned_minutes, recommend};

/// The sizing method's numbers (all configurable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SizingRules {
    /// Days of history to size on.
    pub lookback_days: u32,
    /// Fewer hours of data than this: `not-enough-data`.
    pub min_hours: f64,
    /// Percentile of per-minute busiest-task CPU to size on.
    pub cpu_percentile: f64,
    /// Utilization the sized CPU should run at (0.70 = 70%).
    pub cpu_target_utilization: f64,
    /// Headroom over the maximum memory (0.15 = 15%).
    pub memory_buffer: f64,
}

impl Default for SizingRules {
    fn default() -> Self {
        Self {
            lookback_days: 14,
            min_hours: 24.0,
            cpu_percentile: 95.0,
            cpu_target_utilization: 0.70,
            memory_buffer: 0.15,
        }
    }
}

/// A named task size from a team's planning table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Name, e.g. `Prod-Small`.
    pub name: String,
    /// CPU units.
    pub cpu: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// What the team's table says two tasks cost a month, if it says.
    #[serde(default)]
    pub planned_monthly_two_tasks: Option<f64>,
}

impl Tier {
    /// The tier's task size.
    pub fn size(&self) -> TaskSize {
        TaskSize::new(self.cpu, self.memory_mib)
    }
}

/// The seed's tier table, with its (about 2x low) planned prices.
pub fn default_tiers() -> Vec<Tier> {
    [
        ("Dev", 512, 1024, 17.52),
        ("Prod-Small", 1024, 2048, 35.04),
        ("Prod-Med", 2048, 4096, 70.08),
        ("Prod-Large", 4096, 8192, 140.16),
    ]
    .into_iter()
    .map(|(name, cpu, memory_mib, planned)| Tier {
        name: name.into(),
        cpu,
        memory_mib,
        planned_monthly_two_tasks: Some(planned),
    })
    .collect()
}

/// The smallest tier that holds `size`, if any.
pub fn tier_for(tiers: &[Tier], size: TaskSize) -> Option<&Tier> {
    tiers
        .iter()
        .filter(|t| t.cpu >= size.cpu && t.memory_mib >= size.memory_mib)
        .min_by_key(|t| (t.cpu, t.memory_mib))
}

/// Autoscaling that changes the task count when the task size changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Autoscaling {
    /// Scalable target minimum.
    pub min: f64,
    /// Scalable target maximum.
    pub max: f64,
    /// Target tracking on average CPU.
    pub tracks_cpu: bool,
    /// Target tracking on average memory.
    pub tracks_memory: bool,
}

/// What we know of a service apart from its usage.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFacts {
    /// Current task size.
    pub size: TaskSize,
    /// Architecture (sets prices and sizes).
    pub arch: Architecture,
    /// Capacity provider strategy.
    pub strategy: Vec<StrategyItem>,
    /// Target tracking on CPU or memory, if any.
    pub autoscaling: Option<Autoscaling>,
}

/// Per-minute usage over the window, in the units CloudWatch reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// CPUUtilization Maximum (busiest task), percent of the task's CPU.
    pub cpu_max_pct: Vec<f64>,
    /// MemoryUtilization Maximum, percent of the task's memory.
    pub mem_max_pct: Vec<f64>,
    /// Running task count per minute.
    pub tasks: Vec<f64>,
    /// Seconds between datapoints.
    pub period: i64,
}

/// What a recommendation concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// A cheaper size fits: the size part of the change (see [`MonthlyCost`]) is a saving.
    OverProvisioned,
    /// The use needs a dearer size: the size part of the change is an increase.
    UnderProvisioned,
    /// The current size is the cheapest that fits, or the fitting size costs the same (the same
    /// capacity in a different shape).
    RightSized,
    /// Too little history to say.
    NotEnoughData,
}

impl Finding {
    /// The label users read.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OverProvisioned => "over-provisioned",
            Self::UnderProvisioned => "under-provisioned",
            Self::RightSized => "right-sized",
            Self::NotEnoughData => "not-enough-data",
        }
    }
}

/// A size with the tier it falls in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeChoice {
    /// CPU units.
    pub cpu: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// Smallest configured tier holding it.
    pub tier: Option<String>,
}

impl SizeChoice {
    fn new(size: TaskSize, tiers: &[Tier]) -> Self {
        Self {
            cpu: size.cpu,
            memory_mib: size.memory_mib,
            tier: tier_for(tiers, size).map(|t| t.name.clone()),
        }
    }

    /// As a task size.
    pub fn size(&self) -> TaskSize {
        TaskSize::new(self.cpu, self.memory_mib)
    }
}

/// Use in absolute units.
///
/// The JSON also carries `cpu_p95_vcpu`, the deprecated name of `cpu_sized_percentile_vcpu` (it
/// held the configured percentile, not always p95): serialized alongside until the next release,
/// then dropped (see [`aliases`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UsageSummary {
    /// Busiest-task CPU at the configured sizing percentile (`cpu_percentile`), vCPU.
    #[serde(default, serialize_with = "round::vcpu")]
    pub cpu_sized_percentile_vcpu: f64,
    /// Which percentile `cpu_sized_percentile_vcpu` is (95 = p95): [`SizingRules::cpu_percentile`].
    #[serde(default = "aliases::default_percentile")]
    pub cpu_percentile: f64,
    /// Peak busiest-task CPU, vCPU.
    #[serde(serialize_with = "round::vcpu")]
    pub cpu_max_vcpu: f64,
    /// Peak busiest-task memory, MiB.
    #[serde(serialize_with = "round::mib")]
    pub memory_max_mib: f64,
    /// Hours of CPU data in the window.
    #[serde(serialize_with = "round::one_decimal")]
    pub hours_of_data: f64,
    /// Mean running tasks.
    #[serde(serialize_with = "round::tasks")]
    pub mean_tasks: f64,
    /// Minutes the busiest task sat at its CPU limit (CPUUtilization >= [`PINNED_CPU_PCT`]):
    /// demand above the limit is throttled and never shows in the metric.
    #[serde(default, serialize_with = "round::one_decimal")]
    pub cpu_pinned_minutes: f64,
}

/// Monthly cost now and after, with the change split by its cause.
///
/// `size_change + capacity_provider_change == recommended - current` (all in dollars a month):
/// - `size_change` is the price difference at the same capacity-provider shares as now: the
///   recommended size and task count priced with today's on-demand/Spot fractions, minus today's
///   cost. It is what the resize itself saves or adds.
/// - `capacity_provider_change` is the rest: with a `base` in the strategy, a different task
///   count puts a different share of tasks on Spot, which changes the price without any change
///   in capacity.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MonthlyCost {
    /// At the current size and mean task count.
    #[serde(serialize_with = "round::usd")]
    pub current: f64,
    /// At the recommended size and its task count.
    #[serde(serialize_with = "round::usd_opt")]
    pub recommended: Option<f64>,
    /// The part of `recommended - current` due to the size, at today's Spot share.
    #[serde(default, serialize_with = "round::usd_opt")]
    pub size_change: Option<f64>,
    /// The part of `recommended - current` due to the Spot share moving with the task count.
    #[serde(default, serialize_with = "round::usd_opt")]
    pub capacity_provider_change: Option<f64>,
}

impl MonthlyCost {
    /// `recommended - current` (0 without a recommendation).
    pub fn net_change(&self) -> f64 {
        self.recommended.map_or(0.0, |r| r - self.current)
    }
}

/// Task counts now and after resizing.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskCounts {
    /// Mean running tasks over the window.
    #[serde(serialize_with = "round::tasks")]
    pub current: f64,
    /// The count priced for the recommended size.
    #[serde(serialize_with = "round::tasks_opt")]
    pub recommended: Option<f64>,
    /// Percent of tasks on Fargate Spot now.
    #[serde(default, serialize_with = "round::one_decimal")]
    pub spot_pct_current: f64,
    /// Percent of tasks on Fargate Spot at the recommended count.
    #[serde(default, serialize_with = "round::one_decimal_opt")]
    pub spot_pct_recommended: Option<f64>,
}

/// Utilization on the recommended size.
///
/// The JSON also carries `cpu_p95_pct`, the deprecated name of `cpu_sized_percentile_pct`:
/// serialized alongside until the next release, then dropped (see [`aliases`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Projection {
    /// CPU at the sizing percentile ([`UsageSummary::cpu_percentile`]), percent of the new size.
    #[serde(default, serialize_with = "round::one_decimal")]
    pub cpu_sized_percentile_pct: f64,
    /// Peak memory, percent of the new size.
    #[serde(serialize_with = "round::one_decimal")]
    pub memory_max_pct: f64,
}

/// The sized demand before snapping to a Fargate size.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Sized {
    /// vCPU needed.
    #[serde(serialize_with = "round::vcpu")]
    pub cpu_vcpu: f64,
    /// MiB needed.
    #[serde(serialize_with = "round::mib")]
    pub memory_mib: f64,
}

/// One service's recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The conclusion.
    pub finding: Finding,
    /// Size now.
    pub current: SizeChoice,
    /// Cheapest size that fits (None without enough data).
    pub recommended: Option<SizeChoice>,
    /// Use in absolute units.
    pub usage: UsageSummary,
    /// Demand after percentile, target and buffer.
    pub sized: Option<Sized>,
    /// Cost per month.
    pub monthly_cost_usd: MonthlyCost,
    /// Task counts priced.
    pub tasks: TaskCounts,
    /// Utilization on the recommended size.
    pub projected: Option<Projection>,
    /// The arithmetic in words.
    pub reason: String,
    /// What could go wrong.
    pub risks: Vec<String>,
}

impl Recommendation {
    /// Monthly dollars the resize itself saves (negative when it costs more): minus the size part
    /// of the change, so a Spot-share side effect is never counted as a saving.
    pub fn savings(&self) -> f64 {
        -self.monthly_cost_usd.size_change.unwrap_or(0.0)
    }
}

/// Busiest-task CPUUtilization at or above this percent counts as pinned at the CPU limit
/// (ECS reports a throttled task at about 100%; the margin absorbs rounding in the metric).
pub const PINNED_CPU_PCT: f64 = 99.5;

/// Monthly changes smaller than this (half a cent) count as no change.
pub const NEGLIGIBLE_USD: f64 = 0.005;

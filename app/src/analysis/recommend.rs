//! Tier recommendations: size each service on its real use, pick the cheapest Fargate size that
//! fits, name the tier it falls in, and price the change (DESIGN.md, "Recommendations").

use serde::{Deserialize, Serialize};

use super::percentile::percentile;
use crate::domain::capacity::{split_tasks, StrategyItem};
use crate::domain::fargate::{valid_sizes, Architecture, PriceTable, TaskSize, HOURS_PER_MONTH};

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
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct UsageSummary {
    /// The sizing percentile (p95 by default) of busiest-task CPU, vCPU.
    #[serde(serialize_with = "round::vcpu")]
    pub cpu_p95_vcpu: f64,
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
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Projection {
    /// Sizing-percentile CPU, percent of the new size.
    #[serde(serialize_with = "round::one_decimal")]
    pub cpu_p95_pct: f64,
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

/// Percent of `tasks` a strategy puts on Fargate Spot (0 for no tasks).
pub fn spot_pct(strategy: &[StrategyItem], tasks: f64) -> f64 {
    let split = split_tasks(strategy, tasks);
    let total = split.spot + split.on_demand;
    if total > 0.0 {
        split.spot / total * 100.0
    } else {
        0.0
    }
}

/// Monthly cost of `tasks` of `size` with a fixed fraction `spot_fraction` of them on Spot.
fn monthly_cost_at_share(
    size: TaskSize,
    arch: Architecture,
    tasks: f64,
    spot_fraction: f64,
    prices: &PriceTable,
) -> f64 {
    tasks
        * ((1.0 - spot_fraction) * prices.hourly(size, arch)
            + spot_fraction * prices.spot_hourly(size, arch))
        * HOURS_PER_MONTH
}

/// Splits `cost_new - cost_now` into (size part, capacity-provider part); see [`MonthlyCost`].
/// Today's Spot share is taken at today's mean count (at the new count when nothing runs now).
pub fn split_change(
    facts: &ServiceFacts,
    mean_tasks: f64,
    new: TaskSize,
    tasks_new: f64,
    prices: &PriceTable,
) -> (f64, f64) {
    let cost_now = monthly_cost(facts.size, facts.arch, &facts.strategy, mean_tasks, prices);
    let cost_new = monthly_cost(new, facts.arch, &facts.strategy, tasks_new, prices);
    let share_tasks = if mean_tasks > 0.0 {
        mean_tasks
    } else {
        tasks_new
    };
    let spot_fraction = spot_pct(&facts.strategy, share_tasks) / 100.0;
    let size_change =
        monthly_cost_at_share(new, facts.arch, tasks_new, spot_fraction, prices) - cost_now;
    (size_change, cost_new - cost_now - size_change)
}

/// Minutes of `cpu_max_pct` at or above [`PINNED_CPU_PCT`].
pub fn pinned_minutes(cpu_max_pct: &[f64], period: i64) -> f64 {
    cpu_max_pct.iter().filter(|p| **p >= PINNED_CPU_PCT).count() as f64 * period as f64 / 60.0
}

/// Rounding for the JSON edge: money to cents, vCPU to 3 decimals, MiB and percents to 1.
mod round {
    use serde::Serializer;

    fn to(digits: i32, v: f64) -> f64 {
        let scale = 10f64.powi(digits);
        // `+ 0.0` turns a rounded -0.0 into 0.0.
        (v * scale).round() / scale + 0.0
    }

    fn opt<S: Serializer>(digits: i32, v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&to(digits, *v)),
            None => s.serialize_none(),
        }
    }

    /// Dollars to cents.
    pub fn usd<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(2, *v))
    }

    /// Optional dollars to cents.
    pub fn usd_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        opt(2, v, s)
    }

    /// vCPU to 3 decimals (a thousandth of a vCPU is about one CPU unit).
    pub fn vcpu<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(3, *v))
    }

    /// MiB to 1 decimal.
    pub fn mib<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(1, *v))
    }

    /// Percents, hours and minutes to 1 decimal.
    pub fn one_decimal<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(1, *v))
    }

    /// Optional percents to 1 decimal.
    pub fn one_decimal_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        opt(1, v, s)
    }

    /// Mean task counts to 2 decimals.
    pub fn tasks<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(2, *v))
    }

    /// Optional task counts to 2 decimals.
    pub fn tasks_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        opt(2, v, s)
    }
}

/// Monthly cost of `tasks` (mean count) of `size`, split by the capacity provider strategy.
pub fn monthly_cost(
    size: TaskSize,
    arch: Architecture,
    strategy: &[StrategyItem],
    tasks: f64,
    prices: &PriceTable,
) -> f64 {
    let split = split_tasks(strategy, tasks);
    (split.on_demand * prices.hourly(size, arch) + split.spot * prices.spot_hourly(size, arch))
        * HOURS_PER_MONTH
}

/// The cheapest valid Fargate size with at least `cpu_units` and `memory_mib`; on equal price the
/// smaller CPU. None when nothing is that big.
pub fn cheapest_fit(
    cpu_units: f64,
    memory_mib: f64,
    arch: Architecture,
    prices: &PriceTable,
) -> Option<TaskSize> {
    valid_sizes()
        .filter(|s| {
            f64::from(s.cpu) >= cpu_units - 1e-9 && f64::from(s.memory_mib) >= memory_mib - 1e-9
        })
        .min_by(|a, b| {
            prices
                .hourly(*a, arch)
                .total_cmp(&prices.hourly(*b, arch))
                .then(a.cpu.cmp(&b.cpu))
        })
}

/// The task count target tracking would settle at on `new` size: the same total demand spread over
/// tasks of the new size, bounded by the scalable target. Unchanged without CPU/memory tracking.
pub fn autoscaled_count(
    mean_tasks: f64,
    current: TaskSize,
    new: TaskSize,
    scaling: Option<&Autoscaling>,
) -> f64 {
    let Some(s) = scaling.filter(|s| s.tracks_cpu || s.tracks_memory) else {
        return mean_tasks;
    };
    let cpu_ratio = f64::from(current.cpu) / f64::from(new.cpu);
    let mem_ratio = f64::from(current.memory_mib) / f64::from(new.memory_mib);
    // Scale-out wins when several policies disagree.
    let ratio = match (s.tracks_cpu, s.tracks_memory) {
        (true, true) => cpu_ratio.max(mem_ratio),
        (true, false) => cpu_ratio,
        _ => mem_ratio,
    };
    (mean_tasks * ratio).clamp(s.min, s.max.max(s.min))
}

/// Sizes one service on its usage.
pub fn recommend(
    facts: &ServiceFacts,
    usage: &Usage,
    rules: &SizingRules,
    tiers: &[Tier],
    prices: &PriceTable,
) -> Recommendation {
    let vcpu = facts.size.vcpu();
    let mem = f64::from(facts.size.memory_mib);
    let cpu_vcpu: Vec<f64> = usage.cpu_max_pct.iter().map(|p| p / 100.0 * vcpu).collect();
    let hours = usage.cpu_max_pct.len() as f64 * usage.period as f64 / 3600.0;
    let mean_tasks = if usage.tasks.is_empty() {
        0.0
    } else {
        usage.tasks.iter().sum::<f64>() / usage.tasks.len() as f64
    };
    let summary = UsageSummary {
        cpu_p95_vcpu: percentile(&cpu_vcpu, rules.cpu_percentile).unwrap_or(0.0),
        cpu_max_vcpu: cpu_vcpu.iter().copied().fold(0.0, f64::max),
        memory_max_mib: usage
            .mem_max_pct
            .iter()
            .map(|p| p / 100.0 * mem)
            .fold(0.0, f64::max),
        hours_of_data: hours,
        mean_tasks,
        cpu_pinned_minutes: pinned_minutes(&usage.cpu_max_pct, usage.period),
    };
    let current = SizeChoice::new(facts.size, tiers);
    let cost_now = monthly_cost(facts.size, facts.arch, &facts.strategy, mean_tasks, prices);
    let pct = rules.cpu_percentile;

    if hours < rules.min_hours || usage.mem_max_pct.is_empty() {
        return Recommendation {
            finding: Finding::NotEnoughData,
            current,
            recommended: None,
            usage: summary,
            sized: None,
            monthly_cost_usd: MonthlyCost {
                current: cost_now,
                ..MonthlyCost::default()
            },
            tasks: TaskCounts {
                current: mean_tasks,
                spot_pct_current: spot_pct(&facts.strategy, mean_tasks),
                ..TaskCounts::default()
            },
            projected: None,
            reason: format!(
                "only {hours:.1} h of CPU and memory data; at least {:.0} h are needed to size",
                rules.min_hours
            ),
            risks: Vec::new(),
        };
    }

    let sized = Sized {
        cpu_vcpu: summary.cpu_p95_vcpu / rules.cpu_target_utilization,
        memory_mib: summary.memory_max_mib * (1.0 + rules.memory_buffer),
    };
    let mut risks = Vec::new();
    let new = cheapest_fit(
        sized.cpu_vcpu * 1024.0,
        sized.memory_mib,
        facts.arch,
        prices,
    )
    .unwrap_or_else(|| {
        risks.push("the use is larger than any Fargate size: the largest is shown".into());
        valid_sizes().last().expect("the size table is not empty")
    });
    let tasks_new = autoscaled_count(mean_tasks, facts.size, new, facts.autoscaling.as_ref());
    let cost_new = monthly_cost(new, facts.arch, &facts.strategy, tasks_new, prices);
    let (size_change, provider_change) = split_change(facts, mean_tasks, new, tasks_new, prices);
    let finding = finding_for(
        facts,
        new,
        size_change,
        mean_tasks + tasks_new > 0.0,
        prices,
    );
    let per_task_load = if tasks_new > 0.0 {
        mean_tasks / tasks_new
    } else {
        1.0
    };
    let projected = Projection {
        cpu_p95_pct: summary.cpu_p95_vcpu * per_task_load / new.vcpu() * 100.0,
        memory_max_pct: summary.memory_max_mib / f64::from(new.memory_mib) * 100.0,
    };

    let mut reason = format!(
        "p{pct:.0} CPU {:.2} vCPU / {:.2} = {:.2} vCPU -> {}; max memory {:.0} MiB x {:.2} = {:.0} MiB -> {} MiB",
        summary.cpu_p95_vcpu,
        rules.cpu_target_utilization,
        sized.cpu_vcpu,
        new.cpu,
        summary.memory_max_mib,
        1.0 + rules.memory_buffer,
        sized.memory_mib,
        new.memory_mib
    );
    if f64::from(
        valid_sizes()
            .filter(|v| v.cpu == new.cpu)
            .map(|v| v.memory_mib)
            .min()
            .unwrap_or(0),
    ) > sized.memory_mib
    {
        reason.push_str(&format!(
            " (the smallest memory a {} CPU task can have)",
            new.cpu
        ));
    }
    if let Some(s) = facts
        .autoscaling
        .as_ref()
        .filter(|s| (s.tracks_cpu || s.tracks_memory) && new != facts.size)
    {
        let on = match (s.tracks_cpu, s.tracks_memory) {
            (true, true) => "CPU and memory",
            (true, false) => "CPU",
            _ => "memory",
        };
        reason.push_str(&format!(
            "; autoscales on {on}: the same demand needs {mean_tasks:.1} -> {tasks_new:.1} tasks (bounds {:.0}-{:.0}), priced at that count",
            s.min, s.max
        ));
    }

    let spot_now = spot_pct(&facts.strategy, mean_tasks);
    let spot_after = spot_pct(&facts.strategy, tasks_new);
    if new != facts.size && finding == Finding::RightSized {
        reason.push_str(&format!(
            "; {tasks_new:.1} x {} costs the same as {mean_tasks:.1} x {} at today's Spot share: the same capacity at the same list price, so right-sized in cost terms",
            format_size(new),
            format_size(facts.size)
        ));
    }
    reason.push_str(&cost_split_text(
        size_change,
        provider_change,
        spot_now,
        spot_after,
    ));

    if summary.cpu_pinned_minutes > 0.0 {
        risks.push(format!(
            "the busiest task sat at its CPU limit ({:.2} vCPU) for {:.0} minutes (CPUUtilization >= {PINNED_CPU_PCT}%): demand above the limit is invisible, so the sized {:.2} vCPU is a lower bound",
            vcpu, summary.cpu_pinned_minutes, sized.cpu_vcpu
        ));
    }
    if projected.cpu_p95_pct > 85.0 {
        risks.push(format!(
            "p{pct:.0} CPU would run at {:.0}% of the new size",
            projected.cpu_p95_pct
        ));
    }
    if let Some(s) = &facts.autoscaling {
        if tasks_new >= s.max && (s.tracks_cpu || s.tracks_memory) {
            risks.push("the task count would sit at its maximum: no room to scale out".into());
        }
    }
    if let Some(text) = spot_risk(spot_now, spot_after) {
        risks.push(text);
    }
    let window_hours = f64::from(rules.lookback_days) * 24.0;
    if hours < window_hours * 0.9 {
        risks.push(format!(
            "only {hours:.0} of {window_hours:.0} hours have data: the window may miss peaks"
        ));
    }

    Recommendation {
        finding,
        current,
        recommended: Some(SizeChoice::new(new, tiers)),
        usage: summary,
        sized: Some(sized),
        monthly_cost_usd: MonthlyCost {
            current: cost_now,
            recommended: Some(cost_new),
            size_change: Some(size_change),
            capacity_provider_change: Some(provider_change),
        },
        tasks: TaskCounts {
            current: mean_tasks,
            recommended: Some(tasks_new),
            spot_pct_current: spot_now,
            spot_pct_recommended: Some(spot_after),
        },
        projected: Some(projected),
        reason,
        risks,
    }
}

/// The finding follows the size part of the change: a cheaper fleet at today's Spot share is
/// over-provisioned, a dearer one under-provisioned; a different shape at the same price is
/// right-sized in cost terms. Without tasks (nothing to price) the per-task price decides.
fn finding_for(
    facts: &ServiceFacts,
    new: TaskSize,
    size_change: f64,
    has_tasks: bool,
    prices: &PriceTable,
) -> Finding {
    let change = if has_tasks {
        size_change
    } else {
        prices.monthly(new, facts.arch) - prices.monthly(facts.size, facts.arch)
    };
    if new == facts.size || change.abs() < NEGLIGIBLE_USD {
        Finding::RightSized
    } else if change < 0.0 {
        Finding::OverProvisioned
    } else {
        Finding::UnderProvisioned
    }
}

/// `1024/2048`.
fn format_size(size: TaskSize) -> String {
    format!("{}/{}", size.cpu, size.memory_mib)
}

/// The reason's sentence on where the monthly change comes from.
fn cost_split_text(
    size_change: f64,
    provider_change: f64,
    spot_now: f64,
    spot_after: f64,
) -> String {
    let net = size_change + provider_change;
    if provider_change.abs() < NEGLIGIBLE_USD {
        return format!(
            "; monthly change {}, all from the size",
            crate::format::usd_signed(net)
        );
    }
    format!(
        "; monthly change {}: {} from the size (priced at today's {spot_now:.0}% on Spot), {} from the capacity provider mix (the new task count puts {spot_after:.0}% on Spot instead of {spot_now:.0}%)",
        crate::format::usd_signed(net),
        crate::format::usd_signed(size_change),
        crate::format::usd_signed(provider_change)
    )
}

/// The Spot risk, saying whether the share is today's or after the change.
fn spot_risk(spot_now: f64, spot_after: f64) -> Option<String> {
    if spot_now.max(spot_after) < 1.0 {
        return None;
    }
    let share = if (spot_now - spot_after).abs() < 0.5 {
        format!("{spot_now:.0}% of tasks run on Fargate Spot now and after the change")
    } else {
        format!(
            "{spot_now:.0}% of tasks run on Fargate Spot now, {spot_after:.0}% after the change"
        )
    };
    Some(format!(
        "{share}; Spot tasks can be stopped with 2 minutes' warning"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(cpu: u32, mem: u32) -> ServiceFacts {
        ServiceFacts {
            size: TaskSize::new(cpu, mem),
            arch: Architecture::X86_64,
            strategy: Vec::new(),
            autoscaling: None,
        }
    }

    fn flat_usage(cpu_pct: f64, mem_pct: f64, tasks: f64, minutes: usize) -> Usage {
        Usage {
            cpu_max_pct: vec![cpu_pct; minutes],
            mem_max_pct: vec![mem_pct; minutes],
            tasks: vec![tasks; minutes],
            period: 60,
        }
    }

    #[test]
    fn sizing_follows_the_issue_example() {
        // A 1024/2048 task: 19% busiest-task CPU = 0.19 vCPU; 29.83% of 2048 MiB = 611 MiB.
        let usage = flat_usage(19.0, 611.0 / 2048.0 * 100.0, 2.0, 48 * 60);
        let r = recommend(
            &facts(1024, 2048),
            &usage,
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(
            r.recommended.as_ref().unwrap().size(),
            TaskSize::new(512, 1024)
        );
        assert_eq!(r.finding, Finding::OverProvisioned);
        assert_eq!(r.current.tier.as_deref(), Some("Prod-Small"));
        assert_eq!(r.recommended.as_ref().unwrap().tier.as_deref(), Some("Dev"));
        let s = r.sized.unwrap();
        assert!((s.cpu_vcpu - 0.19 / 0.7).abs() < 1e-9);
        assert!((s.memory_mib - 611.0 * 1.15).abs() < 1e-6);
        assert!(r.reason.starts_with("p95 CPU 0.19 vCPU / 0.70 = 0.27 vCPU -> 512; max memory 611 MiB x 1.15 = 703 MiB -> 1024 MiB"), "{}", r.reason);
        // Two on-demand tasks: $72.08 now, $36.04 after.
        assert!((r.monthly_cost_usd.current - 72.08).abs() < 0.01);
        assert!((r.monthly_cost_usd.recommended.unwrap() - 36.04).abs() < 0.01);
        assert!((r.savings() - 36.04).abs() < 0.01);
        // No Spot: the whole change is the size's.
        assert!((r.monthly_cost_usd.size_change.unwrap() + 36.04).abs() < 0.01);
        assert!(r.monthly_cost_usd.capacity_provider_change.unwrap().abs() < 1e-9);
        assert!(
            r.reason
                .ends_with("monthly change -$36.04, all from the size"),
            "{}",
            r.reason
        );
    }

    /// FARGATE base 2, then FARGATE and FARGATE_SPOT weighted 1:1; autoscaling on CPU.
    fn worker_like(cpu: u32, mem: u32) -> ServiceFacts {
        let item = |provider: &str, base| StrategyItem {
            provider: provider.into(),
            base,
            weight: 1,
        };
        ServiceFacts {
            strategy: vec![item("FARGATE", 2), item("FARGATE_SPOT", 0)],
            autoscaling: Some(Autoscaling {
                min: 1.0,
                max: 10.0,
                tracks_cpu: true,
                tracks_memory: false,
            }),
            ..facts(cpu, mem)
        }
    }

    #[test]
    fn the_same_capacity_at_the_same_price_is_right_sized_and_the_spot_effect_is_split_out() {
        // 3 x 1024/4096 at 20% CPU (0.2 vCPU / 0.7 -> 512) and 40% memory (1638.4 MiB x 1.15 =
        // 1884 -> 2048): 512/2048, half the size, so CPU tracking runs 6 tasks.
        let r = recommend(
            &worker_like(1024, 4096),
            &flat_usage(20.0, 40.0, 3.0, 48 * 60),
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(
            r.recommended.as_ref().unwrap().size(),
            TaskSize::new(512, 2048)
        );
        assert!((r.tasks.recommended.unwrap() - 6.0).abs() < 1e-9);
        // 1024/4096 is $0.05826 an hour. Now 3 tasks: 2 base + 0.5 on demand, 0.5 on Spot
        // (1/6): 0.05826 x (2.5 + 0.5 x 0.3) x 730 = $112.70.
        let cost = r.monthly_cost_usd;
        assert!((cost.current - 112.704).abs() < 0.001, "{cost:?}");
        // After: 6 x $0.02913: 2 base + 2 on demand, 2 on Spot (1/3): 0.02913 x 4.6 x 730 = $97.82.
        assert!(
            (cost.recommended.unwrap() - 97.819).abs() < 0.001,
            "{cost:?}"
        );
        // At today's 1/6 on Spot, 6 half-size tasks cost what 3 full ones do: no size change; the
        // whole -$14.89 is the Spot mix.
        assert!(cost.size_change.unwrap().abs() < 1e-9, "{cost:?}");
        assert!((cost.capacity_provider_change.unwrap() + 14.885).abs() < 0.001);
        assert_eq!(r.finding, Finding::RightSized);
        assert!(r.savings().abs() < 1e-9);
        assert!(
            r.reason
                .contains("6.0 x 512/2048 costs the same as 3.0 x 1024/4096"),
            "{}",
            r.reason
        );
        assert!(
            r.reason.contains("right-sized in cost terms"),
            "{}",
            r.reason
        );
        assert!(
            r.reason.contains("monthly change -$14.89: $0.00 from the size (priced at today's 17% on Spot), -$14.89 from the capacity provider mix (the new task count puts 33% on Spot instead of 17%)"),
            "{}",
            r.reason
        );
        assert!((r.tasks.spot_pct_current - 100.0 / 6.0).abs() < 1e-9);
        assert!((r.tasks.spot_pct_recommended.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert!(
            r.risks.iter().any(|x| x.starts_with(
                "17% of tasks run on Fargate Spot now, 33% after the change; Spot tasks can be stopped"
            )),
            "{:?}",
            r.risks
        );
    }

    #[test]
    fn a_cheaper_size_saves_only_its_size_part() {
        // 3 x 1024/4096 at 20% CPU and 20% memory (819 MiB x 1.15 = 942 -> 1024): 512/1024, 6 tasks.
        let r = recommend(
            &worker_like(1024, 4096),
            &flat_usage(20.0, 20.0, 3.0, 48 * 60),
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(
            r.recommended.as_ref().unwrap().size(),
            TaskSize::new(512, 1024)
        );
        let cost = r.monthly_cost_usd;
        // 512/1024 is $0.024685 an hour. At today's share: 6 x 0.024685 x (5/6 + 1/6 x 0.3) x 730
        // = $95.51, against $112.70 now: -$17.20 from the size.
        assert!(
            (cost.size_change.unwrap() + 17.1977).abs() < 0.001,
            "{cost:?}"
        );
        // At 6 tasks' own share: 0.024685 x 4.6 x 730 = $82.89; the other -$12.61 is the Spot mix.
        assert!(
            (cost.recommended.unwrap() - 82.8922).abs() < 0.001,
            "{cost:?}"
        );
        assert!((cost.capacity_provider_change.unwrap() + 12.6140).abs() < 0.001);
        assert_eq!(r.finding, Finding::OverProvisioned);
        assert!((r.savings() - 17.1977).abs() < 0.001);
        let sum = cost.size_change.unwrap() + cost.capacity_provider_change.unwrap();
        assert!((sum - cost.net_change()).abs() < 1e-9);
    }

    #[test]
    fn minutes_at_the_cpu_limit_are_counted_and_warned_about() {
        // 2 days of minutes: 30 at 100%, 10 at 99.6% (pinned), 5 at 99.4% (not), the rest 40%.
        let mut cpu = vec![100.0; 30];
        cpu.extend([99.6; 10]);
        cpu.extend([99.4; 5]);
        cpu.resize(48 * 60, 40.0);
        let usage = Usage {
            mem_max_pct: vec![50.0; cpu.len()],
            tasks: vec![2.0; cpu.len()],
            cpu_max_pct: cpu,
            period: 60,
        };
        let r = recommend(
            &facts(512, 1024),
            &usage,
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(r.usage.cpu_pinned_minutes, 40.0);
        assert!(
            r.risks.iter().any(|x| x.starts_with(
                "the busiest task sat at its CPU limit (0.50 vCPU) for 40 minutes (CPUUtilization >= 99.5%): demand above the limit is invisible, so the sized"
            ) && x.ends_with("vCPU is a lower bound")),
            "{:?}",
            r.risks
        );
        // Five-minute data: each pinned datapoint is five minutes.
        assert_eq!(pinned_minutes(&[100.0, 99.5, 12.0], 300), 10.0);
        let calm = recommend(
            &facts(512, 1024),
            &flat_usage(40.0, 50.0, 2.0, 48 * 60),
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(calm.usage.cpu_pinned_minutes, 0.0);
        assert!(!calm.risks.iter().any(|x| x.contains("CPU limit")));
    }

    #[test]
    fn json_rounds_money_to_cents_vcpu_to_thousandths_and_mib_to_tenths() {
        let summary = UsageSummary {
            cpu_p95_vcpu: 0.14797624999999998,
            cpu_max_vcpu: 0.5,
            memory_max_mib: 611.3749,
            hours_of_data: 335.98333,
            mean_tasks: 2.987654,
            cpu_pinned_minutes: 0.0,
        };
        let v = serde_json::to_value(summary).unwrap();
        assert_eq!(v["cpu_p95_vcpu"], 0.148);
        assert_eq!(v["memory_max_mib"], 611.4);
        assert_eq!(v["hours_of_data"], 336.0);
        assert_eq!(v["mean_tasks"], 2.99);
        let cost = MonthlyCost {
            current: 112.70397,
            recommended: Some(97.81854),
            size_change: Some(-1e-12),
            capacity_provider_change: None,
        };
        let v = serde_json::to_value(cost).unwrap();
        assert_eq!(v["current"], 112.7);
        assert_eq!(v["recommended"], 97.82);
        assert_eq!(v["size_change"], 0.0);
        assert!(v["capacity_provider_change"].is_null());
        let p = serde_json::to_value(Projection {
            cpu_p95_pct: 52.857142,
            memory_max_pct: 68.04,
        })
        .unwrap();
        assert_eq!(p["cpu_p95_pct"], 52.9);
        assert_eq!(p["memory_max_pct"], 68.0);
    }

    #[test]
    fn cheapest_fit_prefers_price_then_smaller_cpu() {
        let p = PriceTable::default();
        // 0.1 vCPU, 1500 MiB: 256/2048 is cheaper than 512/2048.
        assert_eq!(
            cheapest_fit(102.4, 1500.0, Architecture::X86_64, &p),
            Some(TaskSize::new(256, 2048))
        );
        // 2100 MiB needs 512/3072 (256 tops out at 2048).
        assert_eq!(
            cheapest_fit(100.0, 2100.0, Architecture::X86_64, &p),
            Some(TaskSize::new(512, 3072))
        );
        // Exactly on a boundary fits.
        assert_eq!(
            cheapest_fit(1024.0, 2048.0, Architecture::X86_64, &p),
            Some(TaskSize::new(1024, 2048))
        );
        assert_eq!(cheapest_fit(20_000.0, 1.0, Architecture::X86_64, &p), None);
    }

    #[test]
    fn tiers_are_the_smallest_that_hold_the_size() {
        let t = default_tiers();
        assert_eq!(tier_for(&t, TaskSize::new(256, 512)).unwrap().name, "Dev");
        assert_eq!(
            tier_for(&t, TaskSize::new(512, 2048)).unwrap().name,
            "Prod-Small"
        );
        assert_eq!(
            tier_for(&t, TaskSize::new(4096, 8192)).unwrap().name,
            "Prod-Large"
        );
        assert!(tier_for(&t, TaskSize::new(4096, 16384)).is_none());
    }

    #[test]
    fn capacity_provider_split_prices_spot_at_the_discount() {
        let strategy = vec![
            StrategyItem {
                provider: "FARGATE".into(),
                base: 2,
                weight: 60,
            },
            StrategyItem {
                provider: "FARGATE_SPOT".into(),
                base: 0,
                weight: 40,
            },
        ];
        let p = PriceTable::default();
        let size = TaskSize::new(512, 1024);
        let hourly = p.hourly(size, Architecture::X86_64);
        // 12 tasks: 8 on demand, 4 on Spot at 30% of the price.
        let expect = (8.0 * hourly + 4.0 * hourly * 0.3) * 730.0;
        assert!(
            (monthly_cost(size, Architecture::X86_64, &strategy, 12.0, &p) - expect).abs() < 1e-9
        );
    }

    #[test]
    fn autoscaled_count_keeps_total_demand_within_bounds() {
        let s = Autoscaling {
            min: 2.0,
            max: 10.0,
            tracks_cpu: true,
            tracks_memory: false,
        };
        let cur = TaskSize::new(1024, 2048);
        assert!(
            (autoscaled_count(3.0, cur, TaskSize::new(512, 1024), Some(&s)) - 6.0).abs() < 1e-9
        );
        assert!(
            (autoscaled_count(3.0, cur, TaskSize::new(2048, 4096), Some(&s)) - 2.0).abs() < 1e-9,
            "bounded by min"
        );
        assert!(
            (autoscaled_count(8.0, cur, TaskSize::new(512, 1024), Some(&s)) - 10.0).abs() < 1e-9,
            "bounded by max"
        );
        assert!((autoscaled_count(3.0, cur, TaskSize::new(512, 1024), None) - 3.0).abs() < 1e-9);
        let both = Autoscaling {
            tracks_memory: true,
            ..s
        };
        // CPU halves (x2 tasks), memory stays: scale-out wins.
        assert!(
            (autoscaled_count(3.0, cur, TaskSize::new(512, 2048), Some(&both)) - 6.0).abs() < 1e-9
        );
    }

    #[test]
    fn an_autoscaled_service_is_priced_at_its_new_count() {
        let mut f = facts(1024, 2048);
        f.autoscaling = Some(Autoscaling {
            min: 1.0,
            max: 10.0,
            tracks_cpu: true,
            tracks_memory: false,
        });
        let usage = flat_usage(20.0, 30.0, 4.0, 48 * 60);
        let r = recommend(
            &f,
            &usage,
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        let new = r.recommended.as_ref().unwrap().size();
        assert_eq!(new, TaskSize::new(512, 1024));
        assert!((r.tasks.recommended.unwrap() - 8.0).abs() < 1e-9);
        assert!(r.reason.contains("autoscales on CPU"), "{}", r.reason);
        // Same total capacity, so the same cost: halving the size doubles the count.
        assert!(
            (r.monthly_cost_usd.recommended.unwrap() - r.monthly_cost_usd.current).abs() < 0.01
        );
    }

    #[test]
    fn under_a_day_of_data_gives_no_size() {
        let r = recommend(
            &facts(512, 1024),
            &flat_usage(50.0, 50.0, 2.0, 23 * 60),
            &SizingRules::default(),
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(r.finding, Finding::NotEnoughData);
        assert!(r.recommended.is_none());
        assert!(r.reason.contains("23.0 h"), "{}", r.reason);
    }

    #[test]
    fn busy_service_is_under_provisioned_and_a_fitting_one_right_sized() {
        let rules = SizingRules::default();
        let r = recommend(
            &facts(256, 512),
            &flat_usage(95.0, 90.0, 2.0, 1440),
            &rules,
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(r.finding, Finding::UnderProvisioned);
        // 0.2375 vCPU / 0.7 = 0.339 -> 512; 460.8 MiB x 1.15 = 530 -> 1024.
        assert_eq!(r.recommended.unwrap().size(), TaskSize::new(512, 1024));
        let r = recommend(
            &facts(256, 512),
            &flat_usage(50.0, 60.0, 2.0, 1440),
            &rules,
            &default_tiers(),
            &PriceTable::default(),
        );
        assert_eq!(r.finding, Finding::RightSized);
    }

    proptest! {
        #[test]
        fn any_usage_gives_a_valid_pair_covering_the_sized_demand(
            cpu in proptest::collection::vec(0.0f64..100.0, 1440..1500),
            mem in proptest::collection::vec(0.0f64..100.0, 1440..1500),
            size_idx in 0usize..20,
        ) {
            let size = valid_sizes().nth(size_idx * 3).unwrap();
            let usage = Usage { tasks: vec![2.0; cpu.len()], cpu_max_pct: cpu, mem_max_pct: mem, period: 60 };
            let f = ServiceFacts { size, arch: Architecture::X86_64, strategy: Vec::new(), autoscaling: None };
            let r = recommend(&f, &usage, &SizingRules::default(), &default_tiers(), &PriceTable::default());
            let new = r.recommended.unwrap().size();
            let sized = r.sized.unwrap();
            prop_assert!(new.is_valid_fargate());
            prop_assert!(f64::from(new.cpu) >= sized.cpu_vcpu * 1024.0 - 1e-6);
            prop_assert!(f64::from(new.memory_mib) >= sized.memory_mib - 1e-6);
        }

        #[test]
        fn more_usage_never_gives_a_smaller_size(
            cpu in proptest::collection::vec(0.0f64..80.0, 1440..1460),
            mem in proptest::collection::vec(0.0f64..80.0, 1440..1460),
            extra in 1.0f64..1.25,
        ) {
            let f = facts(1024, 4096);
            let rules = SizingRules::default();
            let base = Usage { tasks: vec![2.0; cpu.len()], cpu_max_pct: cpu.clone(), mem_max_pct: mem.clone(), period: 60 };
            let more = Usage {
                tasks: vec![2.0; cpu.len()],
                cpu_max_pct: cpu.iter().map(|v| v * extra).collect(),
                mem_max_pct: mem.iter().map(|v| v * extra).collect(),
                period: 60,
            };
            let a = recommend(&f, &base, &rules, &default_tiers(), &PriceTable::default()).recommended.unwrap().size();
            let b = recommend(&f, &more, &rules, &default_tiers(), &PriceTable::default()).recommended.unwrap().size();
            prop_assert!(b.cpu >= a.cpu || b.memory_mib >= a.memory_mib, "{:?} then {:?}", a, b);
            let p = PriceTable::default();
            prop_assert!(p.hourly(b, Architecture::X86_64) >= p.hourly(a, Architecture::X86_64) - 1e-12);
        }
    }
}

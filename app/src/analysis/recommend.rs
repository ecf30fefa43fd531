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
    /// A cheaper size fits.
    OverProvisioned,
    /// The use needs a dearer size.
    UnderProvisioned,
    /// The current size is the cheapest that fits.
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
    pub cpu_p95_vcpu: f64,
    /// Peak busiest-task CPU, vCPU.
    pub cpu_max_vcpu: f64,
    /// Peak busiest-task memory, MiB.
    pub memory_max_mib: f64,
    /// Hours of CPU data in the window.
    pub hours_of_data: f64,
    /// Mean running tasks.
    pub mean_tasks: f64,
}

/// Monthly cost now and after.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MonthlyCost {
    /// At the current size and mean task count.
    pub current: f64,
    /// At the recommended size and its task count.
    pub recommended: Option<f64>,
}

/// Task counts now and after resizing.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskCounts {
    /// Mean running tasks over the window.
    pub current: f64,
    /// The count priced for the recommended size.
    pub recommended: Option<f64>,
}

/// Utilization on the recommended size.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Projection {
    /// Sizing-percentile CPU, percent of the new size.
    pub cpu_p95_pct: f64,
    /// Peak memory, percent of the new size.
    pub memory_max_pct: f64,
}

/// The sized demand before snapping to a Fargate size.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Sized {
    /// vCPU needed.
    pub cpu_vcpu: f64,
    /// MiB needed.
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
    /// Monthly dollars saved (negative when the recommendation costs more).
    pub fn savings(&self) -> f64 {
        self.monthly_cost_usd
            .recommended
            .map_or(0.0, |r| self.monthly_cost_usd.current - r)
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
                recommended: None,
            },
            tasks: TaskCounts {
                current: mean_tasks,
                recommended: None,
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
    let finding = if new == facts.size {
        Finding::RightSized
    } else if prices.hourly(new, facts.arch) < prices.hourly(facts.size, facts.arch) {
        Finding::OverProvisioned
    } else {
        Finding::UnderProvisioned
    };
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
    let spot = split_tasks(&facts.strategy, tasks_new.max(mean_tasks));
    let share = if spot.spot > 0.0 {
        spot.spot / (spot.spot + spot.on_demand) * 100.0
    } else {
        0.0
    };
    if share >= 1.0 {
        risks.push(format!(
            "{share:.0}% of tasks run on Fargate Spot and can be stopped with 2 minutes' warning"
        ));
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
        },
        tasks: TaskCounts {
            current: mean_tasks,
            recommended: Some(tasks_new),
        },
        projected: Some(projected),
        reason,
        risks,
    }
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

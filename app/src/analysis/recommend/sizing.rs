//! The numbers of a recommendation: use in absolute units, the sized demand, the cheapest Fargate
//! size that fits, its task count, its cost and the finding. [`super::explain`] puts them in words.

use super::cost::{monthly_cost, split_change, spot_pct};
use super::explain::{explain, not_enough_data, Explanation};
use super::{
    Autoscaling, Finding, MonthlyCost, Projection, Recommendation, ServiceFacts, SizeChoice, Sized,
    SizingRules, TaskCounts, Tier, Usage, UsageSummary, NEGLIGIBLE_USD, PINNED_CPU_PCT,
};
use crate::analysis::percentile::percentile;
use crate::domain::fargate::{valid_sizes, Architecture, PriceTable, TaskSize};

/// The numbers behind a recommendation with enough data, before they are put in words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    /// Demand after percentile, target and buffer.
    pub sized: Sized,
    /// The recommended size.
    pub new: TaskSize,
    /// The use is larger than any Fargate size, so `new` is the largest.
    pub beyond_largest: bool,
    /// Mean task count today.
    pub tasks_now: f64,
    /// The task count priced for `new`.
    pub tasks_new: f64,
    /// Monthly cost today.
    pub cost_now: f64,
    /// Monthly cost at `new` and `tasks_new`.
    pub cost_new: f64,
    /// The size part of the monthly change (see [`MonthlyCost`]).
    pub size_change: f64,
    /// The capacity-provider part of the monthly change.
    pub provider_change: f64,
    /// Percent of tasks on Spot today.
    pub spot_now: f64,
    /// Percent of tasks on Spot at `tasks_new`.
    pub spot_after: f64,
    /// The conclusion.
    pub finding: Finding,
    /// Utilization on `new`.
    pub projected: Projection,
}

/// Sizes one service on its usage: the numbers from [`size`], the words from [`explain`].
pub fn recommend(
    facts: &ServiceFacts,
    usage: &Usage,
    rules: &SizingRules,
    tiers: &[Tier],
    prices: &PriceTable,
) -> Recommendation {
    let summary = summarize(facts, usage, rules);
    let current = SizeChoice::new(facts.size, tiers);
    if summary.hours_of_data < rules.min_hours || usage.mem_max_pct.is_empty() {
        let mean_tasks = summary.mean_tasks;
        return Recommendation {
            finding: Finding::NotEnoughData,
            current,
            recommended: None,
            usage: summary,
            sized: None,
            monthly_cost_usd: MonthlyCost {
                current: monthly_cost(facts.size, facts.arch, &facts.strategy, mean_tasks, prices),
                ..MonthlyCost::default()
            },
            tasks: TaskCounts {
                current: mean_tasks,
                spot_pct_current: spot_pct(&facts.strategy, mean_tasks),
                ..TaskCounts::default()
            },
            projected: None,
            reason: not_enough_data(summary.hours_of_data, rules),
            risks: Vec::new(),
        };
    }
    let sizing = size(facts, &summary, rules, prices);
    let Explanation { reason, risks } = explain(facts, &summary, rules, &sizing);
    Recommendation {
        finding: sizing.finding,
        current,
        recommended: Some(SizeChoice::new(sizing.new, tiers)),
        usage: summary,
        sized: Some(sizing.sized),
        monthly_cost_usd: MonthlyCost {
            current: sizing.cost_now,
            recommended: Some(sizing.cost_new),
            size_change: Some(sizing.size_change),
            capacity_provider_change: Some(sizing.provider_change),
        },
        tasks: TaskCounts {
            current: sizing.tasks_now,
            recommended: Some(sizing.tasks_new),
            spot_pct_current: sizing.spot_now,
            spot_pct_recommended: Some(sizing.spot_after),
        },
        projected: Some(sizing.projected),
        reason,
        risks,
    }
}

/// Use over the window in absolute units (vCPU and MiB of the current size).
pub fn summarize(facts: &ServiceFacts, usage: &Usage, rules: &SizingRules) -> UsageSummary {
    let vcpu = facts.size.vcpu();
    let mem = f64::from(facts.size.memory_mib);
    let cpu_vcpu: Vec<f64> = usage.cpu_max_pct.iter().map(|p| p / 100.0 * vcpu).collect();
    let mean_tasks = if usage.tasks.is_empty() {
        0.0
    } else {
        usage.tasks.iter().sum::<f64>() / usage.tasks.len() as f64
    };
    UsageSummary {
        cpu_sized_percentile_vcpu: percentile(&cpu_vcpu, rules.cpu_percentile).unwrap_or(0.0),
        cpu_percentile: rules.cpu_percentile,
        cpu_max_vcpu: cpu_vcpu.iter().copied().fold(0.0, f64::max),
        memory_max_mib: usage
            .mem_max_pct
            .iter()
            .map(|p| p / 100.0 * mem)
            .fold(0.0, f64::max),
        hours_of_data: usage.cpu_max_pct.len() as f64 * usage.period as f64 / 3600.0,
        mean_tasks,
        cpu_pinned_minutes: pinned_minutes(&usage.cpu_max_pct, usage.period),
    }
}

/// The numbers of a recommendation: sized demand, the cheapest size that fits, its task count,
/// cost split, finding and projected utilization.
pub fn size(
    facts: &ServiceFacts,
    summary: &UsageSummary,
    rules: &SizingRules,
    prices: &PriceTable,
) -> Sizing {
    let tasks_now = summary.mean_tasks;
    let sized = Sized {
        cpu_vcpu: summary.cpu_sized_percentile_vcpu / rules.cpu_target_utilization,
        memory_mib: summary.memory_max_mib * (1.0 + rules.memory_buffer),
    };
    let fit = cheapest_fit(
        sized.cpu_vcpu * 1024.0,
        sized.memory_mib,
        facts.arch,
        prices,
    );
    let new = fit.unwrap_or_else(|| valid_sizes().last().expect("the size table is not empty"));
    let tasks_new = autoscaled_count(tasks_now, facts.size, new, facts.autoscaling.as_ref());
    let (size_change, provider_change) = split_change(facts, tasks_now, new, tasks_new, prices);
    let per_task_load = if tasks_new > 0.0 {
        tasks_now / tasks_new
    } else {
        1.0
    };
    Sizing {
        sized,
        new,
        beyond_largest: fit.is_none(),
        tasks_now,
        tasks_new,
        cost_now: monthly_cost(facts.size, facts.arch, &facts.strategy, tasks_now, prices),
        cost_new: monthly_cost(new, facts.arch, &facts.strategy, tasks_new, prices),
        size_change,
        provider_change,
        spot_now: spot_pct(&facts.strategy, tasks_now),
        spot_after: spot_pct(&facts.strategy, tasks_new),
        finding: finding_for(facts, new, size_change, tasks_now + tasks_new > 0.0, prices),
        projected: Projection {
            cpu_sized_percentile_pct: summary.cpu_sized_percentile_vcpu * per_task_load
                / new.vcpu()
                * 100.0,
            memory_max_pct: summary.memory_max_mib / f64::from(new.memory_mib) * 100.0,
        },
    }
}

/// Minutes of `cpu_max_pct` at or above [`PINNED_CPU_PCT`].
pub fn pinned_minutes(cpu_max_pct: &[f64], period: i64) -> f64 {
    cpu_max_pct.iter().filter(|p| **p >= PINNED_CPU_PCT).count() as f64 * period as f64 / 60.0
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

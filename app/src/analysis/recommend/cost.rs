//! What a size costs a month, and how a change splits into its size and Spot-mix parts.

use crate::domain::capacity::{split_tasks, StrategyItem};
use crate::domain::fargate::{Architecture, PriceTable, TaskSize, HOURS_PER_MONTH};

use super::ServiceFacts;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::seed_strategy;

    #[test]
    fn capacity_provider_split_prices_spot_at_the_discount() {
        let strategy = seed_strategy();
        let p = PriceTable::default();
        let size = TaskSize::new(512, 1024);
        let hourly = p.hourly(size, Architecture::X86_64);
        // 12 tasks: 8 on demand, 4 on Spot at 30% of the price.
        let expect = (8.0 * hourly + 4.0 * hourly * 0.3) * 730.0;
        assert!(
            (monthly_cost(size, Architecture::X86_64, &strategy, 12.0, &p) - expect).abs() < 1e-9
        );
    }
}

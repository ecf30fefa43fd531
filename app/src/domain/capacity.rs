//! How a capacity provider strategy splits tasks between FARGATE and FARGATE_SPOT.

use serde::{Deserialize, Serialize};

/// One item of a service's capacity provider strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyItem {
    /// `FARGATE` or `FARGATE_SPOT` (other names are treated as on-demand).
    pub provider: String,
    /// Tasks placed on this provider first.
    pub base: u32,
    /// Share of the tasks beyond the bases.
    pub weight: u32,
}

impl StrategyItem {
    /// Whether this provider is Spot capacity.
    pub fn is_spot(&self) -> bool {
        self.provider.eq_ignore_ascii_case("FARGATE_SPOT")
    }
}

/// A number of tasks split into on-demand and Spot (fractional for mean counts).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskSplit {
    /// Tasks on FARGATE (on-demand).
    pub on_demand: f64,
    /// Tasks on FARGATE_SPOT.
    pub spot: f64,
}

/// Splits `tasks` by a strategy: bases are filled first, the rest shared by weight.
/// An empty strategy (plain launch type) puts everything on demand.
pub fn split_tasks(strategy: &[StrategyItem], tasks: f64) -> TaskSplit {
    let mut split = TaskSplit::default();
    let mut left = tasks.max(0.0);
    for item in strategy {
        let placed = left.min(f64::from(item.base));
        add(&mut split, item, placed);
        left -= placed;
    }
    let total_weight: u32 = strategy.iter().map(|i| i.weight).sum();
    if total_weight == 0 {
        split.on_demand += left;
        return split;
    }
    for item in strategy {
        add(
            &mut split,
            item,
            left * f64::from(item.weight) / f64::from(total_weight),
        );
    }
    split
}

fn add(split: &mut TaskSplit, item: &StrategyItem, n: f64) {
    if item.is_spot() {
        split.spot += n;
    } else {
        split.on_demand += n;
    }
}

/// The seed deployment's capacity provider strategy: base 2 on FARGATE, then 60/40
/// FARGATE/FARGATE_SPOT.
pub fn seed_strategy() -> Vec<StrategyItem> {
    vec![
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_md_example_twelve_tasks() {
        let s = split_tasks(&seed_strategy(), 12.0);
        assert!((s.on_demand - 8.0).abs() < 1e-9);
        assert!((s.spot - 4.0).abs() < 1e-9);
    }

    #[test]
    fn base_is_filled_first() {
        let s = split_tasks(&seed_strategy(), 1.5);
        assert_eq!(
            s,
            TaskSplit {
                on_demand: 1.5,
                spot: 0.0
            }
        );
    }

    #[test]
    fn no_strategy_is_all_on_demand() {
        assert_eq!(
            split_tasks(&[], 3.0),
            TaskSplit {
                on_demand: 3.0,
                spot: 0.0
            }
        );
    }
}

//! Fargate Spot: on-demand against Spot hours and dollars from the billed usage types, what the
//! Spot hours saved against on-demand list price, and what other capacity provider strategies
//! would cost on the task counts that actually ran.

use serde::{Deserialize, Serialize};

use super::task_hours::TaskHours;
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize, HOURS_PER_MONTH};
use crate::store::costs::UsageTotal;

/// What a Fargate usage type bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FargateUsage {
    /// Billed on Fargate Spot.
    pub spot: bool,
    /// ARM (Graviton) rates.
    pub arm: bool,
    /// vCPU-hours (else GB-hours).
    pub vcpu: bool,
}

/// Reads a usage type such as `USE1-SpotUsage-Fargate-ARM-vCPU-Hours:perCPU`; None for anything
/// that is not Fargate vCPU or memory (ephemeral storage, other services).
pub fn classify(usage_type: &str) -> Option<FargateUsage> {
    if !usage_type.contains("Fargate") || usage_type.contains("Ephemeral") {
        return None;
    }
    let vcpu = usage_type.contains("vCPU-Hours");
    if !vcpu && !usage_type.contains("GB-Hours") {
        return None;
    }
    Some(FargateUsage {
        spot: usage_type.contains("SpotUsage"),
        arm: usage_type.contains("ARM"),
        vcpu,
    })
}

/// On-demand against Spot over a period, from usage types.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SpotSummary {
    /// vCPU-hours on demand.
    pub on_demand_vcpu_hours: f64,
    /// GB-hours on demand.
    pub on_demand_gb_hours: f64,
    /// Dollars on demand.
    pub on_demand_usd: f64,
    /// vCPU-hours on Spot.
    pub spot_vcpu_hours: f64,
    /// GB-hours on Spot.
    pub spot_gb_hours: f64,
    /// Dollars on Spot.
    pub spot_usd: f64,
    /// What the Spot hours would have cost at on-demand list price.
    pub spot_at_on_demand_usd: f64,
    /// `spot_at_on_demand_usd - spot_usd`.
    pub realized_savings_usd: f64,
}

/// Sums Fargate usage types into on-demand and Spot, pricing Spot hours at on-demand list price.
pub fn spot_summary(rows: &[UsageTotal], prices: &PriceTable) -> SpotSummary {
    let mut s = SpotSummary::default();
    for r in rows {
        let Some(kind) = classify(&r.key) else {
            continue;
        };
        let rates = prices.rates(if kind.arm {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        });
        match (kind.spot, kind.vcpu) {
            (false, true) => s.on_demand_vcpu_hours += r.quantity,
            (false, false) => s.on_demand_gb_hours += r.quantity,
            (true, true) => s.spot_vcpu_hours += r.quantity,
            (true, false) => s.spot_gb_hours += r.quantity,
        }
        if kind.spot {
            s.spot_usd += r.cost;
            let rate = if kind.vcpu {
                rates.vcpu_hour
            } else {
                rates.gb_hour
            };
            s.spot_at_on_demand_usd += r.quantity * rate;
        } else {
            s.on_demand_usd += r.cost;
        }
    }
    s.realized_savings_usd = s.spot_at_on_demand_usd - s.spot_usd;
    s
}

/// A strategy with `base` tasks on FARGATE, the rest split `on_demand_weight`:`spot_weight`.
pub fn strategy(on_demand_weight: u32, spot_weight: u32, base: u32) -> Vec<StrategyItem> {
    vec![
        StrategyItem {
            provider: "FARGATE".into(),
            base,
            weight: on_demand_weight,
        },
        StrategyItem {
            provider: "FARGATE_SPOT".into(),
            base: 0,
            weight: spot_weight,
        },
    ]
}

/// A strategy in words: `FARGATE 60 / FARGATE_SPOT 40, base 2`.
pub fn strategy_label(items: &[StrategyItem]) -> String {
    let any_spot = items
        .iter()
        .any(|i| i.is_spot() && (i.weight > 0 || i.base > 0));
    if !any_spot {
        return "FARGATE only (no Spot)".into();
    }
    let weights = items
        .iter()
        .map(|i| format!("{} {}", i.provider, i.weight))
        .collect::<Vec<_>>()
        .join(" / ");
    let base: u32 = items.iter().map(|i| i.base).sum();
    if base > 0 {
        format!("{weights}, base {base}")
    } else {
        weights
    }
}

/// One service's actual running hours and what it runs as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceUsage {
    /// Service name.
    pub name: String,
    /// Task size.
    pub size: TaskSize,
    /// CPU architecture.
    pub arch: Architecture,
    /// Its strategy today.
    pub strategy: Vec<StrategyItem>,
    /// Hours at each task count.
    pub hours: TaskHours,
}

/// One strategy priced on the actual task counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixRow {
    /// The strategy in words (`current` for each service's own).
    pub label: String,
    /// Monthly cost (730 h) at the actual counts.
    pub monthly_usd: f64,
    /// Against each service's current strategy.
    pub change_usd: f64,
    /// Share of task-hours on Spot, percent.
    pub spot_pct: f64,
}

/// Monthly cost of a service's hours under `strategy` and the Spot task-hours, or None without
/// hours.
fn monthly(
    u: &ServiceUsage,
    strategy: &[StrategyItem],
    prices: &PriceTable,
) -> Option<(f64, f64, f64)> {
    let hours = u.hours.hours();
    if hours <= 0.0 {
        return None;
    }
    let split = u.hours.split(strategy);
    let cost = split.on_demand * prices.hourly(u.size, u.arch)
        + split.spot * prices.spot_hourly(u.size, u.arch);
    let scale = HOURS_PER_MONTH / hours;
    Some((
        cost * scale,
        split.spot * scale,
        (split.on_demand + split.spot) * scale,
    ))
}

/// Prices each strategy (applied to every service) on the actual task counts, the current
/// strategies first.
pub fn mix_what_if(
    services: &[ServiceUsage],
    strategies: &[Vec<StrategyItem>],
    prices: &PriceTable,
) -> Vec<MixRow> {
    let price_all = |pick: &dyn Fn(&ServiceUsage) -> Vec<StrategyItem>| {
        services
            .iter()
            .filter_map(|u| monthly(u, &pick(u), prices))
            .fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    };
    let row = |label: String, (cost, spot, all): (f64, f64, f64), current: f64| MixRow {
        label,
        monthly_usd: cost,
        change_usd: cost - current,
        spot_pct: if all > 0.0 { spot / all * 100.0 } else { 0.0 },
    };
    let current = price_all(&|u| u.strategy.clone());
    let mut rows = vec![row("current".into(), current, current.0)];
    for s in strategies {
        rows.push(row(strategy_label(s), price_all(&|_| s.clone()), current.0));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::seed_strategy;
    use crate::domain::fargate::Rates;

    fn prices() -> PriceTable {
        let r = Rates {
            vcpu_hour: 1.0,
            gb_hour: 0.1,
        };
        PriceTable {
            x86: r,
            arm: r,
            spot_discount: 0.5,
        }
    }

    fn usage(key: &str, cost: f64, quantity: f64) -> UsageTotal {
        UsageTotal {
            key: key.into(),
            cost,
            quantity,
        }
    }

    #[test]
    fn realized_savings_price_spot_hours_at_on_demand() {
        let rows = [
            usage("USE1-Fargate-vCPU-Hours:perCPU", 10.0, 10.0),
            usage("USE1-Fargate-GB-Hours", 2.0, 20.0),
            usage("USE1-SpotUsage-Fargate-vCPU-Hours:perCPU", 3.0, 6.0),
            usage("USE1-SpotUsage-Fargate-GB-Hours", 0.6, 12.0),
            usage("USE1-Fargate-EphemeralStorage-GB-Hours", 1.0, 100.0),
        ];
        let s = spot_summary(&rows, &prices());
        assert_eq!((s.on_demand_vcpu_hours, s.on_demand_gb_hours), (10.0, 20.0));
        assert_eq!((s.spot_vcpu_hours, s.spot_gb_hours), (6.0, 12.0));
        // 6 vCPU-h x $1 + 12 GB-h x $0.10 = $7.20 on demand; paid $3.60: saved $3.60.
        assert!((s.spot_at_on_demand_usd - 7.2).abs() < 1e-9);
        assert!((s.realized_savings_usd - 3.6).abs() < 1e-9, "{s:?}");
        assert_eq!(s.on_demand_usd, 12.0, "ephemeral storage is not compute");
    }

    #[test]
    fn mix_what_if_on_actual_counts() {
        // One hour at 2 tasks, one at 12, of 1024/2048 ($1.20 an hour on demand, $0.60 on Spot).
        let u = ServiceUsage {
            name: "server".into(),
            size: TaskSize::new(1024, 2048),
            arch: Architecture::X86_64,
            strategy: seed_strategy(),
            hours: TaskHours {
                by_count: vec![(2.0, 1.0), (12.0, 1.0)],
            },
        };
        let rows = mix_what_if(&[u], &[strategy(20, 80, 0)], &prices());
        // Current (base 2, 60/40): 2 + 8 = 10 on-demand and 4 Spot task-hours = $14.40 in 2 h,
        // x 365 = $5,256 a month.
        assert!((rows[0].monthly_usd - 5256.0).abs() < 1e-6, "{rows:?}");
        // 20/80 without base: 0.4 + 2.4 = 2.8 on demand, 1.6 + 9.6 = 11.2 Spot = $10.08 in 2 h.
        assert!((rows[1].monthly_usd - 3679.2).abs() < 1e-6, "{rows:?}");
        assert!((rows[1].change_usd - (3679.2 - 5256.0)).abs() < 1e-6);
        assert!((rows[1].spot_pct - 80.0).abs() < 1e-9);
        assert_eq!(rows[1].label, "FARGATE 20 / FARGATE_SPOT 80");
    }
}

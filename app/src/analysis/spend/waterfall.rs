//! Why ECS/Fargate spend changed between two periods: the billed change split into volume
//! (task-hours), size (price of one task-hour on demand), capacity-provider mix (share on Spot)
//! and "price and other" (what the modelled parts leave: rate changes, credits, savings plans,
//! untagged spend). The parts always add up to the billed change.
//!
//! Modelled cost = H x u x f, with H task-hours, u the on-demand list price of one task-hour of
//! the size, and f = 1 - spot share x Spot discount. The change is taken in that order (volume at
//! the old size and mix, size at the new volume and old mix, mix at the new volume and size), so
//! the three modelled parts add up to the modelled change exactly.

use serde::{Deserialize, Serialize};

use crate::domain::fargate::{Architecture, PriceTable, TaskSize};

/// What one service ran in one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServicePeriod {
    /// Task-hours on demand.
    pub on_demand_task_hours: f64,
    /// Task-hours on Spot.
    pub spot_task_hours: f64,
    /// Task size.
    pub size: TaskSize,
    /// CPU architecture.
    pub arch: Architecture,
    /// Billed dollars (0 when the account has no per-service tag).
    pub billed: f64,
}

impl ServicePeriod {
    /// All task-hours.
    pub fn task_hours(&self) -> f64 {
        self.on_demand_task_hours + self.spot_task_hours
    }

    /// Share of task-hours on Spot (0 without any).
    pub fn spot_share(&self) -> f64 {
        let h = self.task_hours();
        if h > 0.0 {
            self.spot_task_hours / h
        } else {
            0.0
        }
    }

    /// The cost of these task-hours at list price with Spot at the discount.
    pub fn modeled(&self, prices: &PriceTable) -> f64 {
        self.on_demand_task_hours * prices.hourly(self.size, self.arch)
            + self.spot_task_hours * prices.spot_hourly(self.size, self.arch)
    }
}

/// A billed change split into its causes; `volume + size + mix + price_and_other == change`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ChangeParts {
    /// Billed before.
    pub before_usd: f64,
    /// Billed after.
    pub after_usd: f64,
    /// `after - before`.
    pub change_usd: f64,
    /// From more or fewer task-hours.
    pub volume_usd: f64,
    /// From a different task size (price of a task-hour).
    pub size_usd: f64,
    /// From a different share of task-hours on Spot.
    pub mix_usd: f64,
    /// The rest: rate changes, credits, savings plans, spend the model does not cover.
    pub price_and_other_usd: f64,
}

impl ChangeParts {
    /// The modelled parts only, with the rest left to price and other.
    fn add(&mut self, other: &ChangeParts) {
        self.volume_usd += other.volume_usd;
        self.size_usd += other.size_usd;
        self.mix_usd += other.mix_usd;
    }
}

/// Splits one service's change between `before` and `after`.
pub fn decompose(
    before: &ServicePeriod,
    after: &ServicePeriod,
    prices: &PriceTable,
) -> ChangeParts {
    let (h0, h1) = (before.task_hours(), after.task_hours());
    let u0 = prices.hourly(before.size, before.arch);
    let u1 = prices.hourly(after.size, after.arch);
    let f0 = 1.0 - before.spot_share() * prices.spot_discount;
    let f1 = 1.0 - after.spot_share() * prices.spot_discount;
    let volume = (h1 - h0) * u0 * f0;
    let size = h1 * (u1 - u0) * f0;
    let mix = h1 * u1 * (f1 - f0);
    let change = after.billed - before.billed;
    ChangeParts {
        before_usd: before.billed,
        after_usd: after.billed,
        change_usd: change,
        volume_usd: volume,
        size_usd: size,
        mix_usd: mix,
        price_and_other_usd: change - (volume + size + mix),
    }
}

/// The total over services against the billed total (which may hold untagged spend): the
/// services' modelled parts summed, and the residual against the billed change.
pub fn total(services: &[ChangeParts], billed_before: f64, billed_after: f64) -> ChangeParts {
    let mut t = ChangeParts {
        before_usd: billed_before,
        after_usd: billed_after,
        change_usd: billed_after - billed_before,
        ..ChangeParts::default()
    };
    for s in services {
        t.add(s);
    }
    t.price_and_other_usd = t.change_usd - (t.volume_usd + t.size_usd + t.mix_usd);
    t
}

/// The part that moved spend most, by size: `volume`, `size`, `mix` or `price and other`.
pub fn main_cause(p: &ChangeParts) -> &'static str {
    [
        (p.volume_usd, "volume"),
        (p.size_usd, "size"),
        (p.mix_usd, "Spot mix"),
        (p.price_and_other_usd, "price and other"),
    ]
    .into_iter()
    .max_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))
    .map(|(_, n)| n)
    .unwrap_or("volume")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fargate::Rates;

    /// Round prices so the parts can be worked out by hand: 1024/2048 costs $1.20 an hour on
    /// demand (1 vCPU x $1 + 2 GB x $0.10), 2048/4096 $2.40; Spot at half price.
    fn prices() -> PriceTable {
        PriceTable {
            x86: Rates {
                vcpu_hour: 1.0,
                gb_hour: 0.1,
            },
            arm: Rates {
                vcpu_hour: 1.0,
                gb_hour: 0.1,
            },
            spot_discount: 0.5,
        }
    }

    fn period(od: f64, spot: f64, cpu: u32, billed: f64) -> ServicePeriod {
        ServicePeriod {
            on_demand_task_hours: od,
            spot_task_hours: spot,
            size: TaskSize::new(cpu, cpu * 2),
            arch: Architecture::X86_64,
            billed,
        }
    }

    #[test]
    fn volume_size_mix_and_price_by_hand() {
        // Before: 100 task-hours of 1024/2048, all on demand: $120 modelled, $125 billed.
        // After: 200 task-hours of 2048/4096, half on Spot: 100 x 2.40 + 100 x 1.20 = $360
        // modelled, $350 billed.
        let before = period(100.0, 0.0, 1024, 125.0);
        let after = period(100.0, 100.0, 2048, 350.0);
        let p = decompose(&before, &after, &prices());
        // volume: (200 - 100) x 1.20 x 1 = 120; size: 200 x (2.40 - 1.20) x 1 = 240;
        // mix: 200 x 2.40 x (0.75 - 1) = -120; price and other: 225 - 240 = -15.
        assert!((p.volume_usd - 120.0).abs() < 1e-9, "{p:?}");
        assert!((p.size_usd - 240.0).abs() < 1e-9, "{p:?}");
        assert!((p.mix_usd + 120.0).abs() < 1e-9, "{p:?}");
        assert!((p.price_and_other_usd + 15.0).abs() < 1e-9, "{p:?}");
        assert_eq!(p.change_usd, 225.0);
        let sum = p.volume_usd + p.size_usd + p.mix_usd + p.price_and_other_usd;
        assert!((sum - p.change_usd).abs() < 1e-9);
        assert!((after.modeled(&prices()) - 360.0).abs() < 1e-9);
        assert_eq!(main_cause(&p), "size");
    }

    #[test]
    fn the_total_keeps_untagged_spend_in_price_and_other() {
        let a = decompose(
            &period(10.0, 0.0, 1024, 12.0),
            &period(20.0, 0.0, 1024, 24.0),
            &prices(),
        );
        // Billed ECS went from 20 to 40: 8 and 16 of it untagged.
        let t = total(&[a], 20.0, 40.0);
        assert!((t.volume_usd - 12.0).abs() < 1e-9);
        assert!((t.price_and_other_usd - 8.0).abs() < 1e-9, "{t:?}");
        let sum = t.volume_usd + t.size_usd + t.mix_usd + t.price_and_other_usd;
        assert!((sum - 20.0).abs() < 1e-9);
    }
}

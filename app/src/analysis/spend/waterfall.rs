//! Why ECS/Fargate spend changed between two periods: the billed change split into volume
//! (task-hours), size (price of one task-hour on demand), capacity-provider mix (share on Spot)
//! and "price and other" (what the modelled parts leave: rate changes, credits, savings plans,
//! untagged spend). The parts always add up to the billed change.
//!
//! Modelled cost = H x u x f, with H task-hours, u the mean on-demand list price of a task-hour
//! over the period (each task-hour at the size in force when it ran, so a deployment that changes
//! the size moves u), and f = 1 - (Spot's share of the list dollars) x Spot discount. The change
//! is taken in that order (volume at the old price and mix, size at the new volume and old mix,
//! mix at the new volume and size), so the three modelled parts add up to the modelled change
//! exactly.

use serde::{Deserialize, Serialize};

use super::task_hours::PricedHours;
use crate::domain::fargate::PriceTable;

/// What one service ran in one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServicePeriod {
    /// Task-hours by capacity provider, priced at the sizes in force.
    pub hours: PricedHours,
    /// Billed dollars (0 when the account has no per-service tag).
    pub billed: f64,
}

impl ServicePeriod {
    /// All task-hours.
    pub fn task_hours(&self) -> f64 {
        self.hours.on_demand_task_hours + self.hours.spot_task_hours
    }

    /// Share of task-hours on Spot (0 without any).
    pub fn spot_share(&self) -> f64 {
        let h = self.task_hours();
        if h > 0.0 {
            self.hours.spot_task_hours / h
        } else {
            0.0
        }
    }

    /// The task-hours at on-demand list price.
    fn list_usd(&self) -> f64 {
        self.hours.on_demand_list_usd + self.hours.spot_list_usd
    }

    /// The cost of these task-hours at list price with Spot at the discount.
    pub fn modeled(&self, prices: &PriceTable) -> f64 {
        self.hours.on_demand_list_usd + self.hours.spot_list_usd * (1.0 - prices.spot_discount)
    }

    /// `(u, f)`: the mean list price of a task-hour and the Spot factor; None without hours.
    fn price_and_mix(&self, spot_discount: f64) -> Option<(f64, f64)> {
        let (h, list) = (self.task_hours(), self.list_usd());
        if h <= 0.0 {
            return None;
        }
        let spot_share = if list > 0.0 {
            self.hours.spot_list_usd / list
        } else {
            self.spot_share()
        };
        Some((list / h, 1.0 - spot_share * spot_discount))
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
    let d = prices.spot_discount;
    // A period without task-hours takes the other's price and mix: a service that started or
    // stopped is all volume.
    let (p0, p1) = (before.price_and_mix(d), after.price_and_mix(d));
    let (u0, f0) = p0.or(p1).unwrap_or((0.0, 1.0));
    let (u1, f1) = p1.unwrap_or((u0, f0));
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
    use crate::domain::fargate::{Architecture, Rates, TaskSize};

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

    /// `od` and `spot` task-hours of one size (`cpu`, twice as many MiB).
    fn period(od: f64, spot: f64, cpu: u32, billed: f64) -> ServicePeriod {
        let unit = prices().hourly(TaskSize::new(cpu, cpu * 2), Architecture::X86_64);
        ServicePeriod {
            hours: PricedHours {
                on_demand_task_hours: od,
                spot_task_hours: spot,
                on_demand_list_usd: od * unit,
                spot_list_usd: spot * unit,
            },
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
    fn a_size_change_within_the_period_is_the_size_part() {
        // Before: 100 task-hours of 1024/2048 on demand ($1.20 an hour): $120 billed.
        // After: the same 100 task-hours, 50 before and 50 after a deployment to 2048/4096
        // ($2.40): 50 x 1.20 + 50 x 2.40 = $180 billed.
        let before = period(100.0, 0.0, 1024, 120.0);
        let after = ServicePeriod {
            hours: PricedHours {
                on_demand_task_hours: 100.0,
                spot_task_hours: 0.0,
                on_demand_list_usd: 50.0 * 1.2 + 50.0 * 2.4,
                spot_list_usd: 0.0,
            },
            billed: 180.0,
        };
        let p = decompose(&before, &after, &prices());
        // volume: (100 - 100) x 1.20 = 0; size: 100 x (1.80 - 1.20) = 60; mix 0; price 0.
        assert!(p.volume_usd.abs() < 1e-9, "{p:?}");
        assert!((p.size_usd - 60.0).abs() < 1e-9, "{p:?}");
        assert!(p.mix_usd.abs() < 1e-9, "{p:?}");
        assert!(p.price_and_other_usd.abs() < 1e-9, "{p:?}");
        let sum = p.volume_usd + p.size_usd + p.mix_usd + p.price_and_other_usd;
        assert!((sum - p.change_usd).abs() < 1e-12);
    }

    #[test]
    fn a_service_that_started_is_all_volume() {
        let none = period(0.0, 0.0, 1024, 0.0);
        let after = period(50.0, 50.0, 1024, 90.0);
        let p = decompose(&none, &after, &prices());
        // 50 x 1.20 + 50 x 0.60 = 90, all of it volume.
        assert!((p.volume_usd - 90.0).abs() < 1e-9, "{p:?}");
        assert!(p.size_usd.abs() < 1e-9 && p.mix_usd.abs() < 1e-9, "{p:?}");
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

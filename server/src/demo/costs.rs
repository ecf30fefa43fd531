//! Fourteen months of daily Cost Explorer rows, Fargate lines priced from simulated task-hours.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use app::domain::calendar::DAY;
use app::domain::fargate::{Architecture, PriceTable};
use app::store::costs::{CostRecord, ACCOUNT, BY_SERVICE, BY_USAGE_TYPE, UNBLENDED};

use super::fleet::Profile;
use super::simulate::Trace;

/// Cost Explorer's name for ECS.
pub const ECS: &str = "Amazon Elastic Container Service";
/// The tag Cost Explorer groups ECS spend by, per service.
pub const SERVICE_TAG: &str = "TAG:aws:ecs:serviceName";

/// The account's other AWS services: (name, dollars a day today, relative noise).
const OTHERS: [(&str, f64, f64); 8] = [
    ("Amazon Relational Database Service", 3.42, 0.02),
    ("Amazon ElastiCache", 0.82, 0.01),
    ("Amazon Elastic Load Balancing", 0.71, 0.08),
    ("AmazonCloudWatch", 0.46, 0.10),
    ("Amazon Simple Storage Service", 0.21, 0.05),
    ("Amazon Simple Email Service", 0.06, 0.40),
    ("AWS Secrets Manager", 0.053, 0.0),
    ("AWS Data Transfer", 0.38, 0.15),
];

/// Every cost row for the days covered by the traces' daily usage, `[first day, end)`.
pub fn costs(
    fleet: &[Profile],
    traces: &[Trace],
    prices: &PriceTable,
    seed: u64,
    end: i64,
) -> Vec<CostRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc057);
    let days: Vec<i64> = traces
        .first()
        .map(|t| t.days.iter().map(|d| d.day).collect())
        .unwrap_or_default();
    let estimated_from = end - 3 * DAY;
    let mut rows = Vec::new();
    for (di, &day) in days.iter().enumerate() {
        let hours_today = ((end - day) as f64 / 3600.0).min(24.0);
        let estimated = day + DAY > estimated_from;
        let row =
            |scope: &str, group_by: &str, key: &str, metric: &str, amount: f64, unit: &str| {
                CostRecord {
                    granularity: "DAILY".into(),
                    period_start: day,
                    period_end: day + DAY,
                    scope: scope.into(),
                    group_by: group_by.into(),
                    group_key: key.into(),
                    metric: metric.into(),
                    amount: (amount * 1e6).round() / 1e6,
                    unit: unit.into(),
                    estimated,
                }
            };

        let mut usage: std::collections::BTreeMap<String, (f64, f64, &str)> = Default::default();
        let mut ecs_total = 0.0;
        for (p, t) in fleet.iter().zip(traces) {
            let Some(d) = t.days.get(di) else { continue };
            let rates = prices.rates(p.arch);
            let arm = if p.arch == Architecture::Arm64 {
                "ARM-"
            } else {
                ""
            };
            let mut service_cost = 0.0;
            for (spot, (vcpu_h, gb_h)) in [
                (false, d.on_demand_vcpu_gb_hours),
                (true, d.spot_vcpu_gb_hours),
            ] {
                let factor = if spot {
                    1.0 - prices.spot_discount
                } else {
                    1.0
                };
                let (vcpu_cost, gb_cost) = (
                    vcpu_h * rates.vcpu_hour * factor,
                    gb_h * rates.gb_hour * factor,
                );
                let prefix = if spot {
                    "USE1-SpotUsage-Fargate-"
                } else {
                    "USE1-Fargate-"
                };
                for (kind, qty, cost, unit) in [
                    ("vCPU-Hours:perCPU", vcpu_h, vcpu_cost, "Hrs"),
                    ("GB-Hours", gb_h, gb_cost, "GB-Hours"),
                ] {
                    if qty > 0.0 {
                        let e = usage
                            .entry(format!("{prefix}{arm}{kind}"))
                            .or_insert((0.0, 0.0, unit));
                        e.0 += cost;
                        e.1 += qty;
                    }
                }
                service_cost += vcpu_cost + gb_cost;
            }
            ecs_total += service_cost;
            rows.push(row(
                ECS,
                SERVICE_TAG,
                &format!("aws:ecs:serviceName${}", p.name),
                UNBLENDED,
                service_cost,
                "USD",
            ));
        }
        for (usage_type, (cost, qty, unit)) in usage {
            rows.push(row(ECS, BY_USAGE_TYPE, &usage_type, UNBLENDED, cost, "USD"));
            rows.push(row(
                ECS,
                BY_USAGE_TYPE,
                &usage_type,
                "UsageQuantity",
                qty,
                unit,
            ));
        }
        rows.push(row(ACCOUNT, BY_SERVICE, ECS, UNBLENDED, ecs_total, "USD"));

        let age_years = (end - day) as f64 / (365.0 * DAY as f64);
        let growth = (1.0 - 0.25 * age_years).max(0.5);
        for (name, per_day, noise) in OTHERS {
            let jitter = 1.0 + noise * (rng.gen::<f64>() * 2.0 - 1.0);
            rows.push(row(
                ACCOUNT,
                BY_SERVICE,
                name,
                UNBLENDED,
                per_day * growth * jitter * hours_today / 24.0,
                "USD",
            ));
        }
    }
    rows
}

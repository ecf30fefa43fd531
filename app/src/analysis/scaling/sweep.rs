//! Many replays side by side: one setting varied over a grid, each point's cost against its risk,
//! with the current setting and the recommended one marked.

use serde::{Deserialize, Serialize};

use super::demand::Demand;
use super::policy::{Metric, Policy};
use super::simulate::{simulate, AlarmLine, Fleet};
use crate::domain::fargate::PriceTable;

/// Which setting a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepKind {
    /// The CPU target, 40% to 90% in steps of 5.
    TargetCpu,
    /// The memory target, 40% to 90% in steps of 5.
    TargetMemory,
    /// The maximum task count.
    MaxTasks,
}

impl SweepKind {
    /// Parses `target-cpu`, `target-memory` or `max-tasks`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "target-cpu" => Ok(Self::TargetCpu),
            "target-memory" => Ok(Self::TargetMemory),
            "max-tasks" | "max" => Ok(Self::MaxTasks),
            other => Err(format!(
                "'sweep={other}' is not target-cpu, target-memory or max-tasks"
            )),
        }
    }

    /// The name it is parsed from.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TargetCpu => "target-cpu",
            Self::TargetMemory => "target-memory",
            Self::MaxTasks => "max-tasks",
        }
    }

    /// What the swept value is, for axes and headers.
    pub fn label(self) -> &'static str {
        match self {
            Self::TargetCpu => "CPU target %",
            Self::TargetMemory => "memory target %",
            Self::MaxTasks => "max tasks",
        }
    }

    /// The base policy's value of this setting (None for a target no policy tracks).
    pub fn current(self, p: &Policy) -> Option<f64> {
        match self {
            Self::TargetCpu => p.target(Metric::Cpu),
            Self::TargetMemory => p.target(Metric::Memory),
            Self::MaxTasks => Some(f64::from(p.max)),
        }
    }

    /// The grid: targets 40..=90 by 5, or max tasks from the minimum to twice today's maximum
    /// (at most 16 points); the current value is always on it.
    pub fn grid(self, p: &Policy) -> Vec<f64> {
        let mut values: Vec<f64> = match self {
            Self::TargetCpu | Self::TargetMemory => (8..=18).map(|k| f64::from(k * 5)).collect(),
            Self::MaxTasks => {
                let lo = p.min.max(1);
                let hi = (p.max * 2).max(lo + 4);
                let stride = ((hi - lo) / 15).max(1);
                (lo..=hi).step_by(stride as usize).map(f64::from).collect()
            }
        };
        if let Some(c) = self.current(p) {
            if !values.iter().any(|v| (v - c).abs() < 1e-9) {
                values.push(c);
                values.sort_by(f64::total_cmp);
            }
        }
        values
    }

    /// `p` with this setting at `value`.
    pub fn apply(self, p: &Policy, value: f64) -> Policy {
        let mut p = p.clone();
        match self {
            Self::TargetCpu => p.set_target(Metric::Cpu, value),
            Self::TargetMemory => p.set_target(Metric::Memory, value),
            Self::MaxTasks => p.max = (value.round().max(1.0) as u32).max(p.min),
        }
        p
    }
}

/// One setting's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The swept setting's value.
    pub value: f64,
    /// Task-hours.
    pub task_hours: f64,
    /// Monthly cost, USD.
    pub monthly_cost_usd: f64,
    /// Minutes above any of the service's alarm thresholds.
    pub minutes_over_alarm: usize,
    /// Minutes at the maximum task count.
    pub minutes_at_max: usize,
    /// Scale events.
    pub scale_events: usize,
    /// Whether this is the setting now.
    pub current: bool,
    /// Whether this is the recommended one: the cheapest whose minutes over the alarms are no
    /// more than the current setting's.
    pub recommended: bool,
}

/// Replays `demand` once per grid value of `kind`, everything else as in `base`.
pub fn sweep(
    demand: &Demand,
    base: &Policy,
    fleet: &Fleet,
    initial: f64,
    alarms: &[AlarmLine],
    prices: &PriceTable,
    kind: SweepKind,
) -> Vec<SweepPoint> {
    let current = kind.current(base);
    let mut points: Vec<SweepPoint> = kind
        .grid(base)
        .into_iter()
        .map(|value| {
            let run = simulate(
                demand,
                &kind.apply(base, value),
                fleet,
                initial,
                alarms,
                prices,
            );
            let t = run.totals;
            SweepPoint {
                value,
                task_hours: t.task_hours,
                monthly_cost_usd: t.monthly_cost_usd,
                minutes_over_alarm: t.minutes_over_alarm,
                minutes_at_max: t.minutes_at_max,
                scale_events: t.scale_events,
                current: current.is_some_and(|c| (c - value).abs() < 1e-9),
                recommended: false,
            }
        })
        .collect();
    mark_recommended(&mut points);
    points
}

/// Marks the cheapest point no riskier than the current one (with no current, the cheapest of
/// the least risky).
fn mark_recommended(points: &mut [SweepPoint]) {
    let budget = points
        .iter()
        .find(|p| p.current)
        .map(|p| p.minutes_over_alarm)
        .or_else(|| points.iter().map(|p| p.minutes_over_alarm).min());
    let Some(budget) = budget else {
        return;
    };
    let best = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.minutes_over_alarm <= budget)
        .min_by(|a, b| {
            a.1.monthly_cost_usd
                .total_cmp(&b.1.monthly_cost_usd)
                .then(a.1.minutes_over_alarm.cmp(&b.1.minutes_over_alarm))
        })
        .map(|(i, _)| i);
    if let Some(i) = best {
        points[i].recommended = true;
    }
}

/// The target that leaves each task the same spare capacity in absolute units after a size
/// change: `100 - (100 - target) x old / new`, kept within 5..95%. (The fleet's spare capacity
/// is the same at any size for one target; a burst on one task is what the size changes.)
pub fn same_headroom_target(target: f64, old_units: f64, new_units: f64) -> f64 {
    if new_units <= 0.0 {
        return target;
    }
    (100.0 - (100.0 - target) * old_units / new_units).clamp(5.0, 95.0)
}

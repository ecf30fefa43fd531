//! Step scaling as Application Auto Scaling runs it: a CloudWatch alarm on the service's average
//! CPU or memory utilization (its own threshold, period, M of N and missing-data treatment,
//! evaluated with the alarm replay's rules) invokes the policy once a minute while it is in
//! ALARM; the policy picks the step whose interval (relative to the threshold) holds the
//! breaching value and adjusts the capacity by it, honouring its cooldown.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::policy::Metric;
use crate::analysis::alarms::replay::{decide, AlarmState, Comparison, ReplayRule, Slot};

/// How a step's adjustment changes the capacity (Application Auto Scaling's `AdjustmentType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdjustmentType {
    /// Add the adjustment (negative removes).
    ChangeInCapacity,
    /// Add the adjustment as a percent of the current capacity.
    PercentChangeInCapacity,
    /// Set the capacity to the adjustment.
    ExactCapacity,
}

impl AdjustmentType {
    /// Parses AWS's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ChangeInCapacity" => Some(Self::ChangeInCapacity),
            "PercentChangeInCapacity" => Some(Self::PercentChangeInCapacity),
            "ExactCapacity" => Some(Self::ExactCapacity),
            _ => None,
        }
    }
}

/// One step: applies while `value - threshold` lies in `[lower, upper)` for an alarm that breaches
/// above its threshold, `(lower, upper]` for one that breaches below it (as AWS documents); a
/// missing bound is infinite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepAdjustment {
    /// Lower bound of the interval, relative to the threshold.
    pub lower: Option<f64>,
    /// Upper bound of the interval, relative to the threshold.
    pub upper: Option<f64>,
    /// The scaling adjustment.
    pub adjustment: i64,
}

impl StepAdjustment {
    /// Whether the breach `diff` (value minus threshold) falls in this step's interval, for an
    /// alarm breaching `below` its threshold or above it.
    fn holds(&self, diff: f64, below: bool) -> bool {
        if below {
            self.lower.is_none_or(|l| diff > l) && self.upper.is_none_or(|u| diff <= u)
        } else {
            self.lower.is_none_or(|l| diff >= l) && self.upper.is_none_or(|u| diff < u)
        }
    }
}

/// A step scaling policy with the alarm that invokes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPolicy {
    /// Policy name.
    pub name: String,
    /// The alarm whose actions name the policy.
    pub alarm: String,
    /// The utilization the alarm watches.
    pub metric: Metric,
    /// The alarm's threshold, comparison, M of N and missing-data treatment.
    pub rule: ReplayRule,
    /// The alarm's period in minutes.
    pub period_minutes: u32,
    /// The alarm's statistic over the period: `Average`, `Maximum` or `Minimum`.
    pub statistic: String,
    /// How adjustments apply.
    pub adjustment_type: AdjustmentType,
    /// The steps.
    pub steps: Vec<StepAdjustment>,
    /// With percent adjustments: the fewest tasks a non-zero adjustment changes.
    pub min_adjustment_magnitude: Option<i64>,
    /// Seconds: after a scale-out, the capacity it added counts toward the next one; after any
    /// scaling, no scale-in from this policy.
    pub cooldown_s: i64,
}

impl StepPolicy {
    /// The step for a breaching `value`, if one covers it.
    pub fn step_for(&self, value: f64) -> Option<&StepAdjustment> {
        let diff = value - self.rule.threshold;
        let below = matches!(
            self.rule.comparison,
            Comparison::LessThan | Comparison::LessThanOrEqual
        );
        self.steps.iter().find(|s| s.holds(diff, below))
    }

    /// The capacity this policy asks for from `capacity` when `step` applies (before bounds).
    pub fn adjusted(&self, capacity: u32, step: &StepAdjustment) -> i64 {
        let c = i64::from(capacity);
        match self.adjustment_type {
            AdjustmentType::ChangeInCapacity => c + step.adjustment,
            AdjustmentType::ExactCapacity => step.adjustment,
            AdjustmentType::PercentChangeInCapacity => {
                let change = percent_change(c, step.adjustment);
                let least = self.min_adjustment_magnitude.unwrap_or(0).max(0);
                let change = if change == 0 && step.adjustment == 0 {
                    0
                } else if change.abs() < least {
                    least * step.adjustment.signum()
                } else {
                    change
                };
                c + change
            }
        }
    }

    /// The policy in a line: `cpu-out on api-cpu-high (CPU > 75, 2 of 3 x 5 min), 2 steps`.
    pub fn describe(&self) -> String {
        let r = &self.rule;
        format!(
            "step policy {} on {} ({} {} {}, {} of {} x {} min), {} step{}",
            self.name,
            self.alarm,
            self.metric.label(),
            r.comparison.symbol(),
            r.threshold,
            r.datapoints_to_alarm,
            r.evaluation_periods,
            self.period_minutes,
            self.steps.len(),
            if self.steps.len() == 1 { "" } else { "s" }
        )
    }

    /// Each step in words, as (the metric's interval, the adjustment): `("CPU 80 to under 90",
    /// "+2 tasks")`; the bounds are absolute (threshold plus the step's relative bounds), open
    /// or closed as AWS applies them.
    pub fn describe_steps(&self) -> Vec<(String, String)> {
        let below = matches!(
            self.rule.comparison,
            Comparison::LessThan | Comparison::LessThanOrEqual
        );
        let t = self.rule.threshold;
        let at = |relative: f64| format_value(t + relative);
        self.steps
            .iter()
            .map(|s| {
                let interval = match (s.lower, s.upper, below) {
                    (None, None, _) => "any breach".to_string(),
                    (Some(l), None, false) => format!("{} and above", at(l)),
                    (Some(l), None, true) => format!("above {}", at(l)),
                    (None, Some(u), false) => format!("under {}", at(u)),
                    (None, Some(u), true) => format!("{} and below", at(u)),
                    (Some(l), Some(u), false) => format!("{} to under {}", at(l), at(u)),
                    (Some(l), Some(u), true) => format!("above {} to {}", at(l), at(u)),
                };
                (
                    format!("{} {interval}", self.metric.label()),
                    self.describe_adjustment(s.adjustment),
                )
            })
            .collect()
    }

    /// One step's adjustment in words: `+2 tasks`, `-50% of the tasks (at least 1)`, `set to 4 tasks`.
    fn describe_adjustment(&self, adjustment: i64) -> String {
        let tasks = |n: i64| if n.abs() == 1 { "task" } else { "tasks" };
        match self.adjustment_type {
            AdjustmentType::ChangeInCapacity => {
                format!("{adjustment:+} {}", tasks(adjustment))
            }
            AdjustmentType::ExactCapacity => format!("set to {adjustment} {}", tasks(adjustment)),
            AdjustmentType::PercentChangeInCapacity => {
                let least = self
                    .min_adjustment_magnitude
                    .filter(|m| *m > 0)
                    .map(|m| format!(" (at least {m} {})", tasks(m)))
                    .unwrap_or_default();
                format!("{adjustment:+}% of the tasks{least}")
            }
        }
    }

    /// Why this policy cannot be replayed, if it cannot.
    pub fn problem(&self) -> Option<String> {
        let r = &self.rule;
        if self.period_minutes == 0 {
            return Some(format!(
                "step policy {}: its alarm's period is under a minute",
                self.name
            ));
        }
        if r.evaluation_periods == 0
            || r.datapoints_to_alarm == 0
            || r.datapoints_to_alarm > r.evaluation_periods
            || !r.threshold.is_finite()
        {
            return Some(format!(
                "step policy {}: its alarm's rule is not valid",
                self.name
            ));
        }
        if self.steps.is_empty() {
            return Some(format!("step policy {} has no step adjustments", self.name));
        }
        if self.cooldown_s < 0 {
            return Some("cooldowns cannot be negative".into());
        }
        None
    }
}

/// A threshold as people write it: `80`, `12.5`.
fn format_value(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

/// AWS's rounding of a percent change: above 1 rounds down, between 0 and 1 becomes 1, between
/// -1 and 0 becomes -1, below -1 rounds up (toward zero).
fn percent_change(capacity: i64, percent: i64) -> i64 {
    let raw = capacity as f64 * percent as f64 / 100.0;
    if raw == 0.0 {
        0
    } else if raw > 0.0 && raw < 1.0 {
        1
    } else if raw < 0.0 && raw > -1.0 {
        -1
    } else {
        raw.trunc() as i64
    }
}

/// The alarm of one step policy as the replay runs it, minute by minute.
#[derive(Debug, Clone)]
pub struct StepAlarm {
    /// The alarm's state now.
    pub state: AlarmState,
    /// The value of the last period evaluated (None: it had no data).
    pub last_value: Option<f64>,
    slots: VecDeque<Slot>,
    minutes: Vec<f64>,
}

impl StepAlarm {
    /// A new alarm, in INSUFFICIENT_DATA as CloudWatch creates one.
    pub fn new() -> Self {
        Self {
            state: AlarmState::InsufficientData,
            last_value: None,
            slots: VecDeque::new(),
            minutes: Vec::new(),
        }
    }

    /// Adds minute `i`'s utilization; at the end of each period evaluates the alarm on it.
    pub fn push(&mut self, policy: &StepPolicy, i: usize, value: f64) {
        self.minutes.push(value);
        let period = policy.period_minutes.max(1) as usize;
        if !(i + 1).is_multiple_of(period) {
            return;
        }
        let value = aggregate(&self.minutes, &policy.statistic);
        self.minutes.clear();
        let rule = &policy.rule;
        self.slots
            .push_back(Slot::of(value, rule.comparison, rule.threshold));
        while self.slots.len() > rule.evaluation_range() {
            self.slots.pop_front();
        }
        self.slots.make_contiguous();
        self.state = decide(rule, self.slots.as_slices().0, self.state);
        self.last_value = value;
    }

    /// The capacity the policy asks for this minute, while its alarm is in ALARM: from `capacity`
    /// (the capacity before a scale-out still in cooldown, else the desired count).
    pub fn proposal(&self, policy: &StepPolicy, capacity: u32) -> Option<i64> {
        if self.state != AlarmState::Alarm {
            return None;
        }
        let step = policy.step_for(self.last_value?)?;
        Some(policy.adjusted(capacity, step))
    }
}

impl Default for StepAlarm {
    fn default() -> Self {
        Self::new()
    }
}

/// A period's statistic from its minutes (NaN minutes have no data).
fn aggregate(minutes: &[f64], statistic: &str) -> Option<f64> {
    let with_data = minutes.iter().copied().filter(|v| v.is_finite());
    let n = with_data.clone().count();
    if n == 0 {
        return None;
    }
    Some(match statistic {
        "Maximum" => with_data.fold(f64::NEG_INFINITY, f64::max),
        "Minimum" => with_data.fold(f64::INFINITY, f64::min),
        _ => with_data.sum::<f64>() / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::alarms::replay::TreatMissing;

    fn policy(kind: AdjustmentType, comparison: Comparison, threshold: f64) -> StepPolicy {
        StepPolicy {
            name: "step".into(),
            alarm: "alarm".into(),
            metric: Metric::Cpu,
            rule: ReplayRule {
                threshold,
                comparison,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                treat_missing: TreatMissing::Missing,
            },
            period_minutes: 1,
            statistic: "Average".into(),
            adjustment_type: kind,
            steps: Vec::new(),
            min_adjustment_magnitude: None,
            cooldown_s: 0,
        }
    }

    fn step(lower: Option<f64>, upper: Option<f64>, adjustment: i64) -> StepAdjustment {
        StepAdjustment {
            lower,
            upper,
            adjustment,
        }
    }

    #[test]
    fn steps_are_described_with_absolute_bounds_open_or_closed_as_aws_applies_them() {
        let mut out = policy(
            AdjustmentType::ChangeInCapacity,
            Comparison::GreaterThan,
            70.0,
        );
        out.steps = vec![step(Some(0.0), Some(12.5), 1), step(Some(12.5), None, 3)];
        assert_eq!(
            out.describe_steps(),
            vec![
                ("CPU 70 to under 82.5".to_string(), "+1 task".to_string()),
                ("CPU 82.5 and above".to_string(), "+3 tasks".to_string()),
            ]
        );
        let mut scale_in = policy(
            AdjustmentType::PercentChangeInCapacity,
            Comparison::LessThan,
            20.0,
        );
        scale_in.min_adjustment_magnitude = Some(2);
        scale_in.steps = vec![
            step(Some(-10.0), Some(0.0), -25),
            step(None, Some(-10.0), -50),
        ];
        assert_eq!(
            scale_in.describe_steps(),
            vec![
                (
                    "CPU above 10 to 20".to_string(),
                    "-25% of the tasks (at least 2 tasks)".to_string()
                ),
                (
                    "CPU 10 and below".to_string(),
                    "-50% of the tasks (at least 2 tasks)".to_string()
                ),
            ]
        );
        let mut exact = policy(AdjustmentType::ExactCapacity, Comparison::GreaterThan, 90.0);
        exact.steps = vec![step(None, None, 6)];
        assert_eq!(
            exact.describe_steps(),
            vec![("CPU any breach".to_string(), "set to 6 tasks".to_string())]
        );
    }

    #[test]
    fn intervals_are_relative_to_the_threshold_with_aws_bounds() {
        let mut p = policy(
            AdjustmentType::ChangeInCapacity,
            Comparison::GreaterThan,
            70.0,
        );
        p.steps = vec![step(Some(0.0), Some(10.0), 1), step(Some(10.0), None, 3)];
        // Above the threshold the lower bound is inclusive, the upper exclusive.
        assert_eq!(p.step_for(70.0).map(|s| s.adjustment), Some(1));
        assert_eq!(p.step_for(79.9).map(|s| s.adjustment), Some(1));
        assert_eq!(p.step_for(80.0).map(|s| s.adjustment), Some(3));
        assert_eq!(p.step_for(69.0), None);
        // Below it, the lower bound is exclusive and the upper inclusive.
        let mut low = policy(AdjustmentType::ChangeInCapacity, Comparison::LessThan, 20.0);
        low.steps = vec![
            step(Some(-10.0), Some(0.0), -1),
            step(None, Some(-10.0), -2),
        ];
        assert_eq!(low.step_for(15.0).map(|s| s.adjustment), Some(-1));
        assert_eq!(low.step_for(10.0).map(|s| s.adjustment), Some(-2));
        assert_eq!(low.step_for(20.0).map(|s| s.adjustment), Some(-1));
    }

    #[test]
    fn each_adjustment_type_as_aws_rounds_it() {
        let change = policy(
            AdjustmentType::ChangeInCapacity,
            Comparison::GreaterThan,
            0.0,
        );
        assert_eq!(change.adjusted(4, &step(None, None, 2)), 6);
        assert_eq!(change.adjusted(4, &step(None, None, -3)), 1);
        let exact = policy(AdjustmentType::ExactCapacity, Comparison::GreaterThan, 0.0);
        assert_eq!(exact.adjusted(4, &step(None, None, 9)), 9);
        let mut pct = policy(
            AdjustmentType::PercentChangeInCapacity,
            Comparison::GreaterThan,
            0.0,
        );
        // 25% of 4 = 1; 10% of 2 = 0.2 -> 1; 150% of 10 = 15; 17% of 10 = 1.7 -> 1.
        assert_eq!(pct.adjusted(4, &step(None, None, 25)), 5);
        assert_eq!(pct.adjusted(2, &step(None, None, 10)), 3);
        assert_eq!(pct.adjusted(10, &step(None, None, 150)), 25);
        assert_eq!(pct.adjusted(10, &step(None, None, 17)), 11);
        // -33% of 10 = -3.3 -> -3; -10% of 2 = -0.2 -> -1.
        assert_eq!(pct.adjusted(10, &step(None, None, -33)), 7);
        assert_eq!(pct.adjusted(2, &step(None, None, -10)), 1);
        // MinAdjustmentMagnitude 2: AWS's example, 25% of 4 tasks adds 2, not 1.
        pct.min_adjustment_magnitude = Some(2);
        assert_eq!(pct.adjusted(4, &step(None, None, 25)), 6);
        assert_eq!(pct.adjusted(10, &step(None, None, -10)), 8);
        assert_eq!(pct.adjusted(10, &step(None, None, 30)), 13);
    }

    #[test]
    fn the_alarm_is_evaluated_at_each_period_end_on_its_statistic() {
        let mut p = policy(
            AdjustmentType::ChangeInCapacity,
            Comparison::GreaterThan,
            70.0,
        );
        p.period_minutes = 3;
        p.steps = vec![step(Some(0.0), None, 1)];
        let mut a = StepAlarm::new();
        // Minutes 60, 90, 75: the average 75 breaches; at the end of the period, not before.
        a.push(&p, 0, 60.0);
        a.push(&p, 1, 90.0);
        assert_eq!(a.state, AlarmState::InsufficientData);
        a.push(&p, 2, 75.0);
        assert_eq!(a.state, AlarmState::Alarm);
        assert_eq!(a.last_value, Some(75.0));
        assert_eq!(a.proposal(&p, 4), Some(5));
        // The Minimum of 60, 71 and a minute without data is 60: within, so OK.
        p.statistic = "Minimum".into();
        for (i, v) in [(3, 60.0), (4, 71.0), (5, f64::NAN)] {
            a.push(&p, i, v);
        }
        assert_eq!(a.state, AlarmState::Ok);
        assert_eq!(a.proposal(&p, 4), None);
    }
}

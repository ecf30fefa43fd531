//! CloudWatch alarm evaluation: M of N breaching datapoints moves an alarm to ALARM, fewer moves
//! it back to OK (DOMAIN.md, "Alarm semantics for backtesting").

use serde::{Deserialize, Serialize};

pub use crate::domain::alarms::AlarmState;

/// How a datapoint is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// `GreaterThanThreshold`.
    GreaterThan,
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqual,
    /// `LessThanThreshold`.
    LessThan,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqual,
}

impl Comparison {
    /// Parses CloudWatch's spelling (anomaly-band operators are not threshold comparisons).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "GreaterThanThreshold" => Self::GreaterThan,
            "GreaterThanOrEqualToThreshold" => Self::GreaterThanOrEqual,
            "LessThanThreshold" => Self::LessThan,
            "LessThanOrEqualToThreshold" => Self::LessThanOrEqual,
            _ => return None,
        })
    }

    /// CloudWatch's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GreaterThan => "GreaterThanThreshold",
            Self::GreaterThanOrEqual => "GreaterThanOrEqualToThreshold",
            Self::LessThan => "LessThanThreshold",
            Self::LessThanOrEqual => "LessThanOrEqualToThreshold",
        }
    }

    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterThan => value > threshold,
            Self::GreaterThanOrEqual => value >= threshold,
            Self::LessThan => value < threshold,
            Self::LessThanOrEqual => value <= threshold,
        }
    }

    /// The symbol people read: `>`, `>=`, `<`, `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::GreaterThan => ">",
            Self::GreaterThanOrEqual => ">=",
            Self::LessThan => "<",
            Self::LessThanOrEqual => "<=",
        }
    }
}

/// The part of an alarm definition that decides its state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlarmRule {
    /// Threshold.
    pub threshold: f64,
    /// Comparison.
    pub comparison: Comparison,
    /// N: datapoints looked at.
    pub evaluation_periods: usize,
    /// M: breaching datapoints needed to alarm.
    pub datapoints_to_alarm: usize,
}

/// A state change found by evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Time of the datapoint that completed the decision.
    pub ts: i64,
    /// State before.
    pub from: AlarmState,
    /// State after.
    pub to: AlarmState,
    /// The evaluated datapoints, newest first (as CloudWatch reports `recentDatapoints`).
    pub recent: Vec<f64>,
    /// How many of them breached.
    pub breaching: usize,
}

/// Replays period values (time-sorted, one per period) through the rule, starting in `initial`,
/// and returns every state change. Periods without data are skipped (TreatMissingData `ignore`).
pub fn evaluate(rule: &AlarmRule, values: &[(i64, f64)], initial: AlarmState) -> Vec<Transition> {
    let n = rule.evaluation_periods.max(1);
    let m = rule.datapoints_to_alarm.clamp(1, n);
    let mut state = initial;
    let mut out = Vec::new();
    for end in n..=values.len() {
        let window = &values[end - n..end];
        let breaching = window
            .iter()
            .filter(|(_, v)| rule.comparison.breaches(*v, rule.threshold))
            .count();
        let next = if breaching >= m {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        if next != state {
            out.push(Transition {
                ts: window[n - 1].0,
                from: state,
                to: next,
                recent: window.iter().rev().map(|(_, v)| *v).collect(),
                breaching,
            });
            state = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(m: usize, n: usize) -> AlarmRule {
        AlarmRule {
            threshold: 10.0,
            comparison: Comparison::GreaterThan,
            evaluation_periods: n,
            datapoints_to_alarm: m,
        }
    }

    fn series(vals: &[f64]) -> Vec<(i64, f64)> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| (i as i64 * 60, *v))
            .collect()
    }

    #[test]
    fn two_of_three_alarms_then_recovers() {
        let t = evaluate(
            &rule(2, 3),
            &series(&[1.0, 11.0, 2.0, 12.0, 1.0, 1.0]),
            AlarmState::Ok,
        );
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].to, t[0].ts, t[0].breaching),
            (AlarmState::Alarm, 180, 2)
        );
        assert_eq!(t[0].recent, vec![12.0, 2.0, 11.0]);
        // [2, 12, 1]: only one of three breaches, so it recovers at the sixth minute's end.
        assert_eq!((t[1].to, t[1].ts), (AlarmState::Ok, 240));
    }

    #[test]
    fn threshold_itself_does_not_breach_greater_than() {
        assert!(evaluate(&rule(1, 1), &series(&[10.0, 10.0]), AlarmState::Ok).is_empty());
        assert!(Comparison::GreaterThanOrEqual.breaches(10.0, 10.0));
        assert!(Comparison::LessThan.breaches(0.0, 1.0));
    }

    #[test]
    fn insufficient_data_resolves_on_first_full_window() {
        let t = evaluate(
            &rule(1, 2),
            &series(&[1.0, 1.0]),
            AlarmState::InsufficientData,
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].to, AlarmState::Ok);
    }
}

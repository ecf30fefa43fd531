//! Alarm analysis: replaying an alarm on stored history with CloudWatch's semantics, its
//! episodes and their figures, how faithfully a replay reproduces the recorded history, the
//! threshold sweep and the noise report. Pure: period values and history in, answers out.

pub mod episodes;
pub mod noise;
pub mod periods;
pub mod replay;
pub mod sweep;

use serde::Serialize;

use episodes::{episodes, stats, Episode, EpisodeStats};
use replay::{replay, AlarmState, Comparison, PeriodValues, ReplayRule, StateChange, TreatMissing};

/// What a backtest replays: the rule plus the statistic and period it is evaluated on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestSettings {
    /// Threshold.
    pub threshold: f64,
    /// CloudWatch's comparison operator spelling.
    pub comparison: String,
    /// Statistic (`Average`, `Sum`, `p99`, ...).
    pub statistic: String,
    /// Period in seconds.
    pub period: i64,
    /// M.
    pub datapoints_to_alarm: usize,
    /// N.
    pub evaluation_periods: usize,
    /// TreatMissingData spelling.
    pub treat_missing_data: String,
}

impl BacktestSettings {
    /// The replay rule, or what is wrong with the settings.
    pub fn rule(&self) -> Result<ReplayRule, String> {
        let comparison = Comparison::parse(&self.comparison).ok_or_else(|| {
            format!(
                "comparison '{}' is not one of GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold",
                self.comparison
            )
        })?;
        let treat_missing = TreatMissing::parse(&self.treat_missing_data).ok_or_else(|| {
            format!(
                "treat-missing '{}' is not one of missing, ignore, breaching, notBreaching",
                self.treat_missing_data
            )
        })?;
        if !self.threshold.is_finite() {
            return Err("the threshold must be a number".into());
        }
        if self.evaluation_periods == 0 || self.datapoints_to_alarm == 0 {
            return Err("datapoints to alarm and evaluation periods must be at least 1".into());
        }
        if self.datapoints_to_alarm > self.evaluation_periods {
            return Err(format!(
                "datapoints to alarm ({}) cannot exceed evaluation periods ({})",
                self.datapoints_to_alarm, self.evaluation_periods
            ));
        }
        if self.period <= 0 {
            return Err("the period must be a positive number of seconds".into());
        }
        // CloudWatch: evaluation periods x period may not exceed one day.
        if self.period * self.evaluation_periods as i64 > 86_400 {
            return Err(format!(
                "evaluation periods x period ({} x {} s) exceeds one day, which CloudWatch does not allow",
                self.evaluation_periods, self.period
            ));
        }
        Ok(ReplayRule {
            threshold: self.threshold,
            comparison,
            evaluation_periods: self.evaluation_periods,
            datapoints_to_alarm: self.datapoints_to_alarm,
            treat_missing,
        })
    }
}

/// A replay's outcome over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replayed {
    /// Every state change, from INSUFFICIENT_DATA at the first period.
    pub changes: Vec<StateChange>,
    /// Episodes.
    pub episodes: Vec<Episode>,
    /// Their figures over the range.
    pub stats: EpisodeStats,
}

/// Replays `rule` over `periods` (starting in INSUFFICIENT_DATA, as a new alarm does) and sums
/// the episodes up over `[from, to)`.
pub fn run(rule: &ReplayRule, periods: &PeriodValues, from: i64, to: i64) -> Replayed {
    let changes = replay(rule, periods, AlarmState::InsufficientData);
    let eps = episodes(&changes, AlarmState::InsufficientData, periods.start);
    let stats = stats(&eps, &changes, from, to);
    Replayed {
        changes,
        episodes: eps,
        stats,
    }
}

/// Share of periods with data whose value breaches (0..1; None without data).
pub fn breach_share(rule: &ReplayRule, periods: &PeriodValues) -> Option<f64> {
    let (mut with_data, mut breaching) = (0usize, 0usize);
    for v in periods.values.iter().flatten() {
        with_data += 1;
        if rule.comparison.breaches(*v, rule.threshold) {
            breaching += 1;
        }
    }
    (with_data > 0).then(|| breaching as f64 / with_data as f64)
}

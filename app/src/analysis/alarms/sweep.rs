//! Threshold sweep: the alarm replayed at many thresholds, and the threshold to suggest.

use serde::Serialize;

use super::episodes::{episodes, stats, Episode};
use super::replay::{replay_slots, AlarmState, Comparison, PeriodValues, ReplayRule, Slot};

/// What the suggestion must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepGoal {
    /// Thresholds tried.
    pub steps: usize,
    /// Most episodes per week the suggestion may have.
    pub target_per_week: f64,
    /// Real episodes longer than this (minutes) must still be caught.
    pub real_minutes: f64,
}

impl Default for SweepGoal {
    fn default() -> Self {
        Self {
            steps: 50,
            target_per_week: 1.0,
            real_minutes: 15.0,
        }
    }
}

/// The replay at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Threshold tried.
    pub threshold: f64,
    /// Episodes in the range.
    pub episodes: usize,
    /// Episodes per week.
    pub per_week: f64,
    /// Minutes in ALARM.
    pub minutes_in_alarm: f64,
    /// Real long episodes this threshold would not have caught.
    pub missed_real: usize,
}

/// The sweep and its suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// One point per threshold, ascending.
    pub points: Vec<SweepPoint>,
    /// The goal used.
    pub goal: SweepGoal,
    /// Real episodes longer than the goal's minutes (the ones a threshold must keep catching).
    pub real_episodes: usize,
    /// Suggested threshold, if one meets the goal.
    pub suggested: Option<f64>,
    /// Why, in plain words.
    pub reasoning: String,
}

/// `steps` thresholds spread evenly over the values' useful side, plus `current`, ascending: from
/// the median to the largest value for "greater" comparisons, from the smallest to the median for
/// "less" ones (a threshold on the wrong side of the median breaches most of the time).
pub fn thresholds(
    periods: &PeriodValues,
    current: f64,
    steps: usize,
    comparison: Comparison,
) -> Vec<f64> {
    let mut values: Vec<f64> = periods
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    let (lo, hi) = match (values.first(), values.last()) {
        (Some(&min), Some(&max)) => {
            let median = values[values.len() / 2];
            match comparison {
                Comparison::GreaterThan | Comparison::GreaterThanOrEqual => (median, max),
                Comparison::LessThan | Comparison::LessThanOrEqual => (min, median),
            }
        }
        _ => (current, current),
    };
    let (lo, hi) = (lo.min(current), hi.max(current));
    let steps = steps.max(2);
    let mut out: Vec<f64> = (0..steps)
        .map(|i| lo + (hi - lo) * i as f64 / (steps - 1) as f64)
        .collect();
    out.push(current);
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// Replays `rule` at each threshold over `[from, to)` and picks the threshold closest to the
/// current one that meets `goal`, given the `real` episodes (the recorded ones, or the
/// replay's own when nothing was recorded).
pub fn sweep(
    rule: &ReplayRule,
    periods: &PeriodValues,
    candidates: &[f64],
    real: &[Episode],
    goal: SweepGoal,
    from: i64,
    to: i64,
) -> Sweep {
    let long_real: Vec<&Episode> = real
        .iter()
        .filter(|e| e.seconds(to) as f64 / 60.0 > goal.real_minutes)
        .collect();
    let mut slots = vec![Slot::Missing; periods.values.len()];
    let points: Vec<SweepPoint> = candidates
        .iter()
        .map(|&threshold| {
            let r = ReplayRule { threshold, ..*rule };
            for (s, v) in slots.iter_mut().zip(&periods.values) {
                *s = Slot::of(*v, r.comparison, threshold);
            }
            let changes = replay_slots(&r, &slots, periods, AlarmState::InsufficientData);
            let eps = episodes(&changes, AlarmState::InsufficientData, periods.start);
            let st = stats(&eps, &changes, from, to);
            let missed_real = long_real
                .iter()
                .filter(|real| {
                    !eps.iter()
                        .any(|e| e.overlaps(real.start, real.end.unwrap_or(to)))
                })
                .count();
            SweepPoint {
                threshold,
                episodes: st.episodes,
                per_week: st.per_week,
                minutes_in_alarm: st.minutes_in_alarm,
                missed_real,
            }
        })
        .collect();
    let (suggested, reasoning) = suggest(rule, &points, long_real.len(), goal);
    Sweep {
        points,
        goal,
        real_episodes: long_real.len(),
        suggested,
        reasoning,
    }
}

fn suggest(
    rule: &ReplayRule,
    points: &[SweepPoint],
    real: usize,
    goal: SweepGoal,
) -> (Option<f64>, String) {
    let current = rule.threshold;
    let quiet = |p: &&SweepPoint| p.per_week <= goal.target_per_week;
    let catches = |p: &&SweepPoint| p.missed_real == 0;
    let best = points.iter().filter(quiet).filter(catches).min_by(|a, b| {
        (a.threshold - current)
            .abs()
            .total_cmp(&(b.threshold - current).abs())
    });
    let real_words = match real {
        0 => format!(
            "there were no real episodes longer than {:.0} minutes to keep catching",
            goal.real_minutes
        ),
        1 => format!(
            "it still catches the 1 real episode longer than {:.0} minutes",
            goal.real_minutes
        ),
        n => format!(
            "it still catches all {n} real episodes longer than {:.0} minutes",
            goal.real_minutes
        ),
    };
    if let Some(p) = best {
        let now = points.iter().find(|p| p.threshold == current);
        let before = now
            .map(|c| format!(" (the current {} has {:.1})", fmt(current), c.per_week))
            .unwrap_or_default();
        let text = if p.threshold == current {
            format!(
                "Keep {}: it fires {:.1} times a week, at or under the target of {:.1}, and {real_words}.",
                fmt(current),
                p.per_week,
                goal.target_per_week
            )
        } else {
            format!(
                "{} {} is the closest threshold to the current {} that fires at most {:.1} times a week: {:.1} episodes a week{before}, and {real_words}.",
                direction(rule.comparison, p.threshold, current),
                fmt(p.threshold),
                fmt(current),
                goal.target_per_week,
                p.per_week
            )
        };
        return (Some(p.threshold), text);
    }
    let quiet_ones: Vec<&SweepPoint> = points.iter().filter(quiet).collect();
    let text = if quiet_ones.is_empty() {
        let quietest = points
            .iter()
            .min_by(|a, b| a.per_week.total_cmp(&b.per_week));
        match quietest {
            Some(q) => format!(
                "No threshold tried fires at most {:.1} times a week: the quietest, {}, still fires {:.1} times a week. Try more datapoints to alarm (M of N) or a longer period.",
                goal.target_per_week,
                fmt(q.threshold),
                q.per_week
            ),
            None => "There is no data to sweep.".into(),
        }
    } else {
        let fewest_missed = quiet_ones.iter().map(|p| p.missed_real).min().unwrap_or(0);
        format!(
            "No threshold meets both goals: every threshold quiet enough (at most {:.1} episodes a week) misses at least {fewest_missed} of the {real} real episodes longer than {:.0} minutes. The alarm's noise and its real incidents overlap in value; M of N or a longer period may separate them.",
            goal.target_per_week, goal.real_minutes
        )
    };
    (None, text)
}

fn direction(comparison: Comparison, new: f64, current: f64) -> &'static str {
    let raises = new > current;
    match (comparison, raises) {
        (Comparison::GreaterThan | Comparison::GreaterThanOrEqual, true) => "Raising it to",
        (Comparison::LessThan | Comparison::LessThanOrEqual, false) => "Lowering it to",
        (_, true) => "Raising it to (more sensitive)",
        (_, false) => "Lowering it to (more sensitive)",
    }
}

/// A threshold as people read it: up to 3 decimals, no trailing zeros.
pub fn fmt(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::alarms::replay::TreatMissing;

    const DAY: i64 = 86_400;

    /// A week of 5-minute values at 5, with a 1-period spike to 20 every day (noise) and one
    /// 30-minute stretch at 50 (a real incident) on day 3.
    fn week() -> PeriodValues {
        let n = (7 * DAY / 300) as usize;
        let mut values = vec![Some(5.0); n];
        for day in 0..7 {
            values[day * 288 + 100] = Some(20.0);
        }
        for v in &mut values[3 * 288 + 200..3 * 288 + 206] {
            *v = Some(50.0);
        }
        PeriodValues {
            start: 0,
            period: 300,
            values,
        }
    }

    fn rule(threshold: f64) -> ReplayRule {
        ReplayRule {
            threshold,
            comparison: Comparison::GreaterThan,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            treat_missing: TreatMissing::Missing,
        }
    }

    #[test]
    fn suggests_the_closest_quiet_threshold_that_still_catches_the_incident() {
        let p = week();
        let real = [Episode {
            start: 3 * DAY + 200 * 300,
            end: Some(3 * DAY + 206 * 300),
        }];
        let candidates = [10.0, 15.0, 25.0, 40.0, 60.0];
        let s = sweep(
            &rule(10.0),
            &p,
            &candidates,
            &real,
            SweepGoal::default(),
            0,
            7 * DAY,
        );
        let per_week: Vec<usize> = s.points.iter().map(|p| p.episodes).collect();
        // 10 and 15 catch the 7 spikes and the incident; 25 and 40 only the incident; 60 nothing.
        assert_eq!(per_week, vec![8, 8, 1, 1, 0]);
        assert_eq!(s.points[4].missed_real, 1);
        assert_eq!(s.suggested, Some(25.0));
        assert!(
            s.reasoning.starts_with("Raising it to 25"),
            "{}",
            s.reasoning
        );
    }

    #[test]
    fn says_why_when_nothing_meets_both_goals() {
        let p = week();
        let real = [Episode {
            start: 3 * DAY + 200 * 300,
            end: Some(3 * DAY + 206 * 300),
        }];
        let goal = SweepGoal {
            target_per_week: 0.5,
            ..SweepGoal::default()
        };
        let s = sweep(
            &rule(10.0),
            &p,
            &[10.0, 25.0, 60.0],
            &real,
            goal,
            0,
            7 * DAY,
        );
        assert_eq!(s.suggested, None);
        assert!(
            s.reasoning.contains("No threshold meets both goals"),
            "{}",
            s.reasoning
        );
    }

    #[test]
    fn thresholds_cover_the_useful_side_of_the_data_and_include_the_current() {
        // The week's median is 5 (the normal level), its maximum 50.
        let t = thresholds(&week(), 12.34, 5, Comparison::GreaterThan);
        assert_eq!(t.first(), Some(&5.0));
        assert_eq!(t.last(), Some(&50.0));
        assert!(t.contains(&12.34));
        assert_eq!(t.len(), 6);
        let low = thresholds(&week(), 1.0, 3, Comparison::LessThan);
        assert_eq!(low, vec![1.0, 3.0, 5.0]);
    }
}

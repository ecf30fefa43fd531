//! Replaying an alarm over period values with CloudWatch's documented semantics: M of N over
//! consecutive periods, the four TreatMissingData modes, the evaluation range and the
//! "premature alarm" rule (CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing
//! data" and "Avoiding premature transitions to alarm state").

use serde::{Deserialize, Serialize};

pub use crate::analysis::alarm_eval::{AlarmState, Comparison};

/// How periods without a datapoint count (CloudWatch's `TreatMissingData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TreatMissing {
    /// `missing` (the default): all missing in the evaluation range -> INSUFFICIENT_DATA.
    #[default]
    Missing,
    /// `ignore`: the current state is kept when missing data would decide it.
    Ignore,
    /// `breaching`: missing points filled in as breaching.
    Breaching,
    /// `notBreaching`: missing points filled in as within the threshold.
    NotBreaching,
}

impl TreatMissing {
    /// Parses CloudWatch's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "missing" => Self::Missing,
            "ignore" => Self::Ignore,
            "breaching" => Self::Breaching,
            "notBreaching" => Self::NotBreaching,
            _ => return None,
        })
    }

    /// CloudWatch's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Ignore => "ignore",
            Self::Breaching => "breaching",
            Self::NotBreaching => "notBreaching",
        }
    }
}

/// Everything that decides an alarm's state from its period values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReplayRule {
    /// Threshold.
    pub threshold: f64,
    /// Comparison.
    pub comparison: Comparison,
    /// N: periods evaluated.
    pub evaluation_periods: usize,
    /// M: breaching datapoints needed to alarm.
    pub datapoints_to_alarm: usize,
    /// TreatMissingData.
    pub treat_missing: TreatMissing,
}

impl ReplayRule {
    /// How many recent periods an evaluation looks at when some are missing. AWS publishes no
    /// formula; its only worked example uses 5 for 3 evaluation periods, so N + 2.
    pub fn evaluation_range(&self) -> usize {
        self.n() + 2
    }

    fn n(&self) -> usize {
        self.evaluation_periods.max(1)
    }

    fn m(&self) -> usize {
        self.datapoints_to_alarm.clamp(1, self.n())
    }
}

/// One period's value compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Beyond the threshold.
    Breaching,
    /// Within the threshold.
    Within,
    /// No datapoint.
    Missing,
}

impl Slot {
    /// Classifies a period value (None or non-finite is missing).
    pub fn of(value: Option<f64>, comparison: Comparison, threshold: f64) -> Self {
        match value {
            Some(v) if v.is_finite() => {
                if comparison.breaches(v, threshold) {
                    Self::Breaching
                } else {
                    Self::Within
                }
            }
            _ => Self::Missing,
        }
    }
}

/// The state one evaluation decides from its evaluation range (`slots`, oldest first; slots
/// before the data began are simply absent) while the alarm is in `current`.
pub fn decide(rule: &ReplayRule, slots: &[Slot], current: AlarmState) -> AlarmState {
    let (n, m) = (rule.n(), rule.m());
    let real = slots.iter().filter(|s| **s != Slot::Missing).count();
    if real >= n {
        // Enough real points: the N most recent of them decide; missing-data treatment unused.
        let breaching = slots
            .iter()
            .rev()
            .filter(|s| **s != Slot::Missing)
            .take(n)
            .filter(|s| **s == Slot::Breaching)
            .count();
        return if breaching >= m {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
    }
    // Fewer real points than N: every real one counts, and the rest are filled in as the
    // treatment says (as few as possible: exactly N - real).
    let filled = n - real;
    let real_breaching = slots.iter().filter(|s| **s == Slot::Breaching).count();
    let filled_breaching = if rule.treat_missing == TreatMissing::Breaching {
        filled
    } else {
        0
    };
    if real_breaching + filled_breaching >= m {
        return AlarmState::Alarm;
    }
    let premature = premature_alarm(rule, slots, filled);
    if rule.treat_missing == TreatMissing::Ignore && (real == 0 || premature) {
        return current;
    }
    if premature {
        return AlarmState::Alarm;
    }
    if real == 0 && rule.treat_missing == TreatMissing::Missing {
        return AlarmState::InsufficientData;
    }
    AlarmState::Ok
}

/// The premature-alarm rule: with intermittent data, the alarm goes to ALARM when the oldest
/// breaching point among the last N periods is at least M periods old and nothing evaluated
/// (no real point in the range, no filled-in point) is within the threshold.
fn premature_alarm(rule: &ReplayRule, slots: &[Slot], filled: usize) -> bool {
    let any_within = slots.contains(&Slot::Within)
        || (filled > 0 && rule.treat_missing == TreatMissing::NotBreaching);
    if any_within {
        return false;
    }
    let window = &slots[slots.len().saturating_sub(rule.n())..];
    // Age in periods of the oldest breaching point: 1 is the newest slot. Slots before the data
    // began are missing, so the age counts from the newest slot whatever the window's length.
    match window.iter().position(|s| *s == Slot::Breaching) {
        Some(i) => window.len() - i >= rule.m(),
        None => false,
    }
}

/// A state change found by the replay (or read from recorded history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateChange {
    /// When: the end of the period whose evaluation decided it (epoch seconds).
    pub ts: i64,
    /// State before.
    pub from: AlarmState,
    /// State after.
    pub to: AlarmState,
}

/// Period values on a regular grid: `values[i]` is the statistic of `[start + i*period, +period)`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PeriodValues {
    /// Start of the first period (epoch seconds, a multiple of `period`).
    pub start: i64,
    /// Period in seconds.
    pub period: i64,
    /// One value per period, None where the period has no data.
    pub values: Vec<Option<f64>>,
}

impl PeriodValues {
    /// End (exclusive) of the last period.
    pub fn end(&self) -> i64 {
        self.start + self.period * self.values.len() as i64
    }

    /// Start of period `i`.
    pub fn period_start(&self, i: usize) -> i64 {
        self.start + self.period * i as i64
    }
}

/// Replays `rule` over every period from `initial`, evaluating once at the end of each period,
/// and returns every state change.
pub fn replay(rule: &ReplayRule, periods: &PeriodValues, initial: AlarmState) -> Vec<StateChange> {
    let slots: Vec<Slot> = periods
        .values
        .iter()
        .map(|v| Slot::of(*v, rule.comparison, rule.threshold))
        .collect();
    replay_slots(rule, &slots, periods, initial)
}

/// [`replay`] on slots already classified (the sweep classifies once per threshold).
pub fn replay_slots(
    rule: &ReplayRule,
    slots: &[Slot],
    periods: &PeriodValues,
    initial: AlarmState,
) -> Vec<StateChange> {
    let (range, n, m) = (rule.evaluation_range(), rule.n(), rule.m());
    let mut state = initial;
    let mut out = Vec::new();
    // Kept as the window slides: missing slots in the evaluation range, and breaching slots
    // among its newest N. A range with no missing slot and at least N slots is decided by its
    // newest N alone (the first case of `decide`), so most periods take no scan of the range.
    let (mut missing, mut breaching) = (0usize, 0usize);
    for k in 0..slots.len() {
        missing += usize::from(slots[k] == Slot::Missing);
        if k >= range {
            missing -= usize::from(slots[k - range] == Slot::Missing);
        }
        breaching += usize::from(slots[k] == Slot::Breaching);
        if k >= n {
            breaching -= usize::from(slots[k - n] == Slot::Breaching);
        }
        let next = if missing == 0 && (k + 1).min(range) >= n {
            if breaching >= m {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            }
        } else {
            decide(rule, &slots[(k + 1).saturating_sub(range)..=k], state)
        };
        if next != state {
            out.push(StateChange {
                ts: periods.period_start(k) + periods.period,
                from: state,
                to: next,
            });
            state = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::{Alarm, InsufficientData as Insufficient, Ok as OkState};

    /// Reads the documentation's notation: `0` within, `X` breaching, `-` missing, oldest first.
    fn slots(s: &str) -> Vec<Slot> {
        s.split_whitespace()
            .map(|c| match c {
                "0" => Slot::Within,
                "X" => Slot::Breaching,
                "-" => Slot::Missing,
                other => panic!("bad slot {other}"),
            })
            .collect()
    }

    fn rule(m: usize, n: usize, treat: TreatMissing) -> ReplayRule {
        ReplayRule {
            threshold: 10.0,
            comparison: Comparison::GreaterThan,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing: treat,
        }
    }

    /// One documented row: the state under missing, ignore, breaching, notBreaching. `None`
    /// for ignore means "retain current state": checked from both OK and ALARM.
    fn check_row(m: usize, n: usize, data: &str, expected: [Option<AlarmState>; 4]) {
        use TreatMissing::*;
        for (treat, want) in [Missing, Ignore, Breaching, NotBreaching]
            .into_iter()
            .zip(expected)
        {
            let r = rule(m, n, treat);
            for current in [OkState, Alarm] {
                let got = decide(&r, &slots(data), current);
                let want = want.unwrap_or(current);
                assert_eq!(
                    got, want,
                    "{m} of {n}, '{data}', {treat:?}, from {current:?}"
                );
            }
        }
    }

    #[test]
    fn documented_table_three_of_three() {
        let s = Some;
        check_row(
            3,
            3,
            "0 - X - X",
            [s(OkState), s(OkState), s(OkState), s(OkState)],
        );
        check_row(
            3,
            3,
            "0 - - - -",
            [s(OkState), s(OkState), s(OkState), s(OkState)],
        );
        check_row(
            3,
            3,
            "- - - - -",
            [s(Insufficient), None, s(Alarm), s(OkState)],
        );
        check_row(3, 3, "0 X X - X", [s(Alarm), s(Alarm), s(Alarm), s(Alarm)]);
        check_row(3, 3, "- - X - -", [s(Alarm), None, s(Alarm), s(OkState)]);
    }

    #[test]
    fn documented_table_two_of_three() {
        let s = Some;
        check_row(2, 3, "0 - X - X", [s(Alarm), s(Alarm), s(Alarm), s(Alarm)]);
        check_row(2, 3, "0 0 X 0 X", [s(Alarm), s(Alarm), s(Alarm), s(Alarm)]);
        check_row(
            2,
            3,
            "0 - X - -",
            [s(OkState), s(OkState), s(Alarm), s(OkState)],
        );
        check_row(
            2,
            3,
            "- - - - 0",
            [s(OkState), s(OkState), s(Alarm), s(OkState)],
        );
        check_row(2, 3, "- - - X -", [s(Alarm), None, s(Alarm), s(OkState)]);
    }

    #[test]
    fn premature_rule_waits_for_a_breach_m_periods_old() {
        // The documentation's own counter-examples: a fresh breach does not alarm yet.
        let r = rule(3, 3, TreatMissing::Missing);
        assert_eq!(decide(&r, &slots("- - - - X"), OkState), OkState);
        assert_eq!(decide(&r, &slots("- - - X -"), OkState), OkState);
        assert_eq!(decide(&r, &slots("- - - X 0"), OkState), OkState);
    }

    #[test]
    fn every_comparison_at_and_around_the_threshold() {
        use Comparison::*;
        let cases = [
            (GreaterThan, [false, false, true]),
            (GreaterThanOrEqual, [false, true, true]),
            (LessThan, [true, false, false]),
            (LessThanOrEqual, [true, true, false]),
        ];
        for (comparison, want) in cases {
            for (value, breaches) in [9.0, 10.0, 11.0].into_iter().zip(want) {
                let slot = Slot::of(Some(value), comparison, 10.0);
                assert_eq!(slot == Slot::Breaching, breaches, "{comparison:?} {value}");
                let r = ReplayRule {
                    comparison,
                    ..rule(1, 1, TreatMissing::Missing)
                };
                let state = decide(&r, &[slot], Insufficient);
                assert_eq!(state == Alarm, breaches, "{comparison:?} {value}");
            }
        }
    }

    fn periods(values: &[Option<f64>]) -> PeriodValues {
        PeriodValues {
            start: 600,
            period: 60,
            values: values.to_vec(),
        }
    }

    #[test]
    fn replay_two_of_three_enters_and_leaves_alarm_at_period_ends() {
        let v = |x: f64| Some(x);
        let p = periods(&[v(1.0), v(11.0), v(2.0), v(12.0), v(1.0), v(1.0)]);
        let changes = replay(&rule(2, 3, TreatMissing::Missing), &p, Insufficient);
        // First evaluation (one real point, within): OK at the end of the first period.
        // [11, 2, 12] is 2 of 3 at the end of the 4th period (840); [2, 12, 1] is 1 of 3 at the
        // end of the 5th (900).
        let got: Vec<(i64, AlarmState)> = changes.iter().map(|c| (c.ts, c.to)).collect();
        assert_eq!(got, vec![(660, OkState), (840, Alarm), (900, OkState)]);
        assert_eq!(changes[1].from, OkState);
    }

    #[test]
    fn replay_of_a_silent_metric_per_treatment() {
        let p = periods(&[Some(1.0), None, None, None, None, None, None, None]);
        let end_state = |treat| {
            replay(&rule(1, 1, treat), &p, Insufficient)
                .last()
                .map(|c| (c.ts, c.to))
        };
        // 1 of 1, range 3: while the one real point is in the range it decides (OK); the 4th
        // evaluation (period ending 840) has only missing points, and the treatment decides.
        assert_eq!(end_state(TreatMissing::Missing), Some((840, Insufficient)));
        assert_eq!(end_state(TreatMissing::Breaching), Some((840, Alarm)));
        assert_eq!(end_state(TreatMissing::NotBreaching), Some((660, OkState)));
        assert_eq!(end_state(TreatMissing::Ignore), Some((660, OkState)));
    }

    /// [`replay_slots`] as it was before its sliding counts: every range through [`decide`].
    fn replay_by_decide(
        rule: &ReplayRule,
        slots: &[Slot],
        periods: &PeriodValues,
    ) -> Vec<StateChange> {
        let mut state = Insufficient;
        let mut out = Vec::new();
        for k in 0..slots.len() {
            let window = &slots[(k + 1).saturating_sub(rule.evaluation_range())..=k];
            let next = decide(rule, window, state);
            if next != state {
                out.push(StateChange {
                    ts: periods.period_start(k) + periods.period,
                    from: state,
                    to: next,
                });
                state = next;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn sliding_counts_change_no_state(
            codes in proptest::collection::vec(0u8..6, 0..300),
            n in 1usize..7,
            m in 1usize..7,
            treat in 0usize..4,
        ) {
            // Missing slots rarer than the others, as in real data, so both paths run.
            let slots: Vec<Slot> = codes
                .iter()
                .map(|c| match c {
                    0 | 1 => Slot::Breaching,
                    2..=4 => Slot::Within,
                    _ => Slot::Missing,
                })
                .collect();
            let treats = [
                TreatMissing::Missing,
                TreatMissing::Ignore,
                TreatMissing::Breaching,
                TreatMissing::NotBreaching,
            ];
            let r = rule(m.min(n), n, treats[treat]);
            let p = PeriodValues { start: 0, period: 60, values: vec![None; slots.len()] };
            proptest::prop_assert_eq!(
                replay_slots(&r, &slots, &p, Insufficient),
                replay_by_decide(&r, &slots, &p)
            );
        }
    }

    #[test]
    fn treat_missing_spellings_round_trip() {
        for t in [
            TreatMissing::Missing,
            TreatMissing::Ignore,
            TreatMissing::Breaching,
            TreatMissing::NotBreaching,
        ] {
            assert_eq!(TreatMissing::parse(t.as_str()), Some(t));
        }
        assert_eq!(TreatMissing::parse("Breaching"), None);
    }
}

//! Episodes (spans in ALARM) from state changes, and the figures people judge an alarm by:
//! how often it fires, for how long, how much of it is flapping.

use serde::Serialize;

use super::replay::{AlarmState, StateChange};

/// Episodes shorter than this count as flaps (the definition, New Relic's measure:
/// strictly shorter, so an alarm whose period is 5 minutes or more never has one; the noise
/// report catches those by their single-period episodes, see [`share_lasting_at_most`]).
pub const FLAP_SECONDS: i64 = 5 * 60;

const WEEK: f64 = 7.0 * 86_400.0;
const DAY: f64 = 86_400.0;

/// One stay in ALARM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// When it entered ALARM (or the range's start if it was already in ALARM).
    pub start: i64,
    /// When it left ALARM; None while still in ALARM at the end of the data.
    pub end: Option<i64>,
}

impl Episode {
    /// Seconds in ALARM, counting an open episode up to `until`.
    pub fn seconds(&self, until: i64) -> i64 {
        (self.end.unwrap_or(until) - self.start).max(0)
    }

    /// Whether it overlaps `[from, to)`.
    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.start < to && self.end.is_none_or(|e| e > from)
    }
}

/// The episodes in time-sorted `changes`, starting from `state_before` (the state before the
/// first change).
pub fn episodes(changes: &[StateChange], state_before: AlarmState, from: i64) -> Vec<Episode> {
    let mut out = Vec::new();
    let mut open = (state_before == AlarmState::Alarm).then_some(from);
    for c in changes {
        match (open, c.to == AlarmState::Alarm) {
            (None, true) => open = Some(c.ts),
            (Some(start), false) => {
                out.push(Episode {
                    start,
                    end: Some(c.ts),
                });
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push(Episode { start, end: None });
    }
    out
}

/// An alarm's record over a range.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct EpisodeStats {
    /// Episodes that overlap the range.
    pub episodes: usize,
    /// Minutes in ALARM inside the range.
    pub minutes_in_alarm: f64,
    /// Median episode length in minutes (None without episodes).
    pub median_minutes: Option<f64>,
    /// Longest episode in minutes.
    pub longest_minutes: Option<f64>,
    /// Mean time to recover: mean length of the episodes that ended, in minutes.
    pub mttr_minutes: Option<f64>,
    /// Share of ended episodes shorter than 5 minutes (0..1).
    pub flap_share: Option<f64>,
    /// Episodes per week of range.
    pub per_week: f64,
    /// State changes per day of range.
    pub transitions_per_day: f64,
    /// Time of the last state change in the range.
    pub last_change: Option<i64>,
}

/// Figures for `episodes` and `changes` over `[from, to)`; open episodes count up to `to`.
pub fn stats(episodes: &[Episode], changes: &[StateChange], from: i64, to: i64) -> EpisodeStats {
    let span = (to - from).max(1) as f64;
    let inside: Vec<&Episode> = episodes.iter().filter(|e| e.overlaps(from, to)).collect();
    let minutes_in_alarm = inside
        .iter()
        .map(|e| (e.end.unwrap_or(to).min(to) - e.start.max(from)).max(0) as f64 / 60.0)
        .sum::<f64>()
        + 0.0; // an empty float sum is -0.0, which prints as "-0"
    let mut lengths: Vec<f64> = inside.iter().map(|e| e.seconds(to) as f64 / 60.0).collect();
    lengths.sort_by(f64::total_cmp);
    let ended = ended_seconds(&inside, to);
    let in_range = changes.iter().filter(|c| c.ts >= from && c.ts < to);
    EpisodeStats {
        episodes: inside.len(),
        minutes_in_alarm,
        median_minutes: median(&lengths),
        longest_minutes: lengths.last().copied(),
        mttr_minutes: (!ended.is_empty())
            .then(|| ended.iter().sum::<i64>() as f64 / 60.0 / ended.len() as f64),
        flap_share: share_of(&ended, |s| s < FLAP_SECONDS),
        per_week: inside.len() as f64 / (span / WEEK),
        transitions_per_day: in_range.clone().count() as f64 / (span / DAY),
        last_change: in_range.map(|c| c.ts).max(),
    }
}

/// Lengths in seconds of the episodes that ended.
fn ended_seconds(inside: &[&Episode], to: i64) -> Vec<i64> {
    inside
        .iter()
        .filter(|e| e.end.is_some())
        .map(|e| e.seconds(to))
        .collect()
}

/// Share of `lengths` for which `counts` holds (None when there are none).
fn share_of(lengths: &[i64], counts: impl Fn(i64) -> bool) -> Option<f64> {
    (!lengths.is_empty())
        .then(|| lengths.iter().filter(|s| counts(**s)).count() as f64 / lengths.len() as f64)
}

/// Share of the ended episodes overlapping `[from, to)` that lasted `seconds` or less (0..1;
/// None without ended episodes). With one period as `seconds`: the episodes that cleared at
/// the first evaluation they could, which is what flapping looks like on an alarm whose
/// period is too long for [`FLAP_SECONDS`] to see.
pub fn share_lasting_at_most(
    episodes: &[Episode],
    from: i64,
    to: i64,
    seconds: i64,
) -> Option<f64> {
    let inside: Vec<&Episode> = episodes.iter().filter(|e| e.overlaps(from, to)).collect();
    share_of(&ended_seconds(&inside, to), |s| s <= seconds)
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Seconds spent in each state over `[from, to)`: (OK, ALARM, INSUFFICIENT_DATA).
pub fn time_in_states(
    changes: &[StateChange],
    state_before: AlarmState,
    from: i64,
    to: i64,
) -> (i64, i64, i64) {
    let mut totals = (0, 0, 0);
    let mut state = state_before;
    let mut at = from;
    let mut add = |state: AlarmState, secs: i64| match state {
        AlarmState::Ok => totals.0 += secs,
        AlarmState::Alarm => totals.1 += secs,
        AlarmState::InsufficientData => totals.2 += secs,
    };
    for c in changes.iter().filter(|c| c.ts < to) {
        if c.ts > at {
            add(state, c.ts - at);
            at = c.ts;
        }
        state = c.to;
    }
    if to > at {
        add(state, to - at);
    }
    totals
}

/// How well a replay reproduces recorded history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRate {
    /// Recorded state changes compared.
    pub recorded: usize,
    /// Of those, how many the replay made to the same state within the tolerance.
    pub matched: usize,
    /// Replayed changes with no recorded counterpart.
    pub extra: usize,
    /// matched / recorded (None when nothing was recorded).
    pub rate: Option<f64>,
    /// Tolerance in seconds (one period).
    pub tolerance_seconds: i64,
    /// The first few recorded changes not reproduced (time, new state), for the page.
    pub missed: Vec<(i64, AlarmState)>,
}

/// Pairs recorded changes with replayed ones (same new state, at most `tolerance` apart, each
/// used once, in time order).
pub fn match_rate(recorded: &[StateChange], replayed: &[StateChange], tolerance: i64) -> MatchRate {
    let mut used = vec![false; replayed.len()];
    let mut lo = 0;
    let mut matched = 0;
    let mut missed = Vec::new();
    for r in recorded {
        while lo < replayed.len() && replayed[lo].ts < r.ts - tolerance {
            lo += 1;
        }
        let hit = (lo..replayed.len())
            .take_while(|&i| replayed[i].ts <= r.ts + tolerance)
            .find(|&i| !used[i] && replayed[i].to == r.to);
        match hit {
            Some(i) => {
                used[i] = true;
                matched += 1;
            }
            None if missed.len() < 10 => missed.push((r.ts, r.to)),
            None => {}
        }
    }
    MatchRate {
        recorded: recorded.len(),
        matched,
        extra: replayed.len() - matched,
        rate: (!recorded.is_empty()).then(|| matched as f64 / recorded.len() as f64),
        tolerance_seconds: tolerance,
        missed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::*;

    fn ch(ts: i64, from: AlarmState, to: AlarmState) -> StateChange {
        StateChange { ts, from, to }
    }

    #[test]
    fn episodes_open_and_close_and_stay_open_at_the_end() {
        let changes = [
            ch(100, InsufficientData, Ok),
            ch(1000, Ok, Alarm),
            ch(1120, Alarm, Ok),
            ch(5000, Ok, Alarm),
            ch(5600, Alarm, InsufficientData),
            ch(9000, InsufficientData, Alarm),
        ];
        let e = episodes(&changes, InsufficientData, 0);
        assert_eq!(
            e,
            vec![
                Episode {
                    start: 1000,
                    end: Some(1120)
                },
                Episode {
                    start: 5000,
                    end: Some(5600)
                },
                Episode {
                    start: 9000,
                    end: None
                },
            ]
        );
        // Range [0, 9600): 2 + 10 + 10 minutes in ALARM; ended episodes 2 and 10 minutes.
        let s = stats(&e, &changes, 0, 9600);
        assert_eq!(s.episodes, 3);
        assert_eq!(s.minutes_in_alarm, 22.0);
        assert_eq!(s.median_minutes, Some(10.0));
        assert_eq!(s.longest_minutes, Some(10.0));
        assert_eq!(s.mttr_minutes, Some(6.0));
        assert_eq!(s.flap_share, Some(0.5));
        assert_eq!(s.last_change, Some(9000));
        assert!((s.transitions_per_day - 6.0 / (9600.0 / 86_400.0)).abs() < 1e-9);
    }

    #[test]
    fn an_alarm_already_firing_counts_from_the_range_start() {
        let e = episodes(&[ch(600, Alarm, Ok)], Alarm, 0);
        assert_eq!(
            e,
            vec![Episode {
                start: 0,
                end: Some(600)
            }]
        );
        assert_eq!(
            time_in_states(&[ch(600, Alarm, Ok)], Alarm, 0, 1000),
            (400, 600, 0)
        );
    }

    #[test]
    fn match_rate_pairs_each_change_once_within_a_period() {
        let recorded = [
            ch(1045, Ok, Alarm),
            ch(2045, Alarm, Ok),
            ch(9000, Ok, Alarm),
        ];
        let replayed = [
            ch(1000, Ok, Alarm),
            ch(2000, Alarm, Ok),
            ch(4000, Ok, Alarm),
        ];
        let m = match_rate(&recorded, &replayed, 300);
        assert_eq!((m.recorded, m.matched, m.extra), (3, 2, 1));
        assert_eq!(m.missed, vec![(9000, Alarm)]);
        // Same time, wrong state: not a match.
        let m = match_rate(&[ch(1000, Ok, Ok)], &replayed, 300);
        assert_eq!(m.matched, 0);
    }
}

#[cfg(test)]
mod flap_tests {
    use super::*;
    use AlarmState::*;

    fn ch(ts: i64, from: AlarmState, to: AlarmState) -> StateChange {
        StateChange { ts, from, to }
    }

    #[test]
    fn only_episodes_strictly_shorter_than_five_minutes_are_flaps() {
        // Ended episodes of 240 s, 299 s, 300 s and 360 s: two are shorter than 5 minutes.
        let changes = [
            ch(0, Ok, Alarm),
            ch(240, Alarm, Ok),
            ch(1000, Ok, Alarm),
            ch(1299, Alarm, Ok),
            ch(2000, Ok, Alarm),
            ch(2300, Alarm, Ok),
            ch(3000, Ok, Alarm),
            ch(3360, Alarm, Ok),
        ];
        let e = episodes(&changes, Ok, 0);
        assert_eq!(stats(&e, &changes, 0, 4000).flap_share, Some(0.5));
        assert_eq!(stats(&[], &[], 0, 1000).minutes_in_alarm.to_string(), "0");
    }

    #[test]
    fn a_five_minute_alarm_has_no_flaps_but_its_single_period_episodes_are_counted() {
        // A 300 s alarm: episodes of one period (300 s), one period, and three (900 s).
        let changes = [
            ch(0, Ok, Alarm),
            ch(300, Alarm, Ok),
            ch(1200, Ok, Alarm),
            ch(1500, Alarm, Ok),
            ch(3000, Ok, Alarm),
            ch(3900, Alarm, Ok),
            ch(5000, Ok, Alarm),
        ];
        let e = episodes(&changes, Ok, 0);
        assert_eq!(stats(&e, &changes, 0, 6000).flap_share, Some(0.0));
        // The open episode at the end is not counted: 2 of the 3 ended ones.
        let share = share_lasting_at_most(&e, 0, 6000, 300).unwrap();
        assert!((share - 2.0 / 3.0).abs() < 1e-12, "{share}");
        // Only the episodes overlapping the range count: [1000, 4000) holds the second and third.
        assert_eq!(share_lasting_at_most(&e, 1000, 4000, 300), Some(0.5));
        assert_eq!(share_lasting_at_most(&[], 0, 6000, 300), None);
    }
}

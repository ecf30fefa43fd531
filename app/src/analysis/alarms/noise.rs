//! The noise report: alarms that cost attention without earning it, each with the number that
//! put it on the list.

use serde::Serialize;

use super::episodes::EpisodeStats;
use super::replay::AlarmState;

/// Flap share at or above which (with at least [`FLAP_MIN_EPISODES`] episodes) an alarm flaps.
pub const FLAP_SHARE: f64 = 0.3;
/// Fewest ended episodes before a flap share means anything.
pub const FLAP_MIN_EPISODES: usize = 3;
/// Minutes in ALARM beyond which an alarm is stuck.
pub const STUCK_MINUTES: f64 = 24.0 * 60.0;
/// Share of the range in INSUFFICIENT_DATA beyond which an alarm is mostly blind.
pub const INSUFFICIENT_SHARE: f64 = 0.5;
/// Share of minutes breaching beyond which the threshold sits inside normal behaviour.
pub const BREACH_SHARE: f64 = 0.05;

/// What the report knows about one alarm over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseInput {
    /// Alarm name.
    pub name: String,
    /// Its episodes over the range.
    pub stats: EpisodeStats,
    /// State now and since when.
    pub state: AlarmState,
    /// When the current state began.
    pub state_since: Option<i64>,
    /// Whether actions are enabled and at least one action is set.
    pub has_actions: bool,
    /// Share of the range spent in INSUFFICIENT_DATA (0..1).
    pub insufficient_share: f64,
    /// Share of the range's minutes whose value breaches the threshold (None: not known, e.g.
    /// composite or metric not stored).
    pub breach_share: Option<f64>,
    /// For an alarm whose period is 5 minutes or more (none of its episodes can be shorter than
    /// 5 minutes, so its flap share is 0): the period and the share of its ended episodes that
    /// lasted that single period, the shortest an episode can be.
    pub single_period: Option<(i64, f64)>,
}

/// Why an alarm is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseKind {
    /// Many short episodes.
    Flaps,
    /// Never entered ALARM in the range.
    NeverFired,
    /// In ALARM for more than a day at a stretch.
    StuckInAlarm,
    /// Nothing happens when it fires.
    NoActions,
    /// Mostly INSUFFICIENT_DATA.
    MostlyInsufficientData,
    /// Breached more than 5% of the minutes.
    ThresholdInsideNormal,
}

impl NoiseKind {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Flaps => "Flaps",
            Self::NeverFired => "Never fired",
            Self::StuckInAlarm => "Stuck in ALARM",
            Self::NoActions => "No actions",
            Self::MostlyInsufficientData => "Mostly INSUFFICIENT_DATA",
            Self::ThresholdInsideNormal => "Threshold inside normal behaviour",
        }
    }
}

/// One entry of the noise report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseFinding {
    /// Alarm name.
    pub alarm: String,
    /// Which finding.
    pub kind: NoiseKind,
    /// The number behind it (a share 0..1, minutes, or a count, per kind).
    pub value: f64,
    /// The number in words.
    pub evidence: String,
}

/// Every finding for every alarm, in the order given then by kind.
pub fn findings(alarms: &[NoiseInput], now: i64) -> Vec<NoiseFinding> {
    let mut out = Vec::new();
    for a in alarms {
        let mut add = |kind, value, evidence: String| {
            out.push(NoiseFinding {
                alarm: a.name.clone(),
                kind,
                value,
                evidence,
            })
        };
        let s = &a.stats;
        if let Some((value, evidence)) = flapping(a) {
            add(NoiseKind::Flaps, value, evidence);
        }
        if s.episodes == 0 {
            add(NoiseKind::NeverFired, 0.0, "0 episodes in the range".into());
        }
        let current_alarm_minutes = match (a.state, a.state_since) {
            (AlarmState::Alarm, Some(since)) => (now - since) as f64 / 60.0,
            _ => 0.0,
        };
        let stuck = s.longest_minutes.unwrap_or(0.0).max(current_alarm_minutes);
        if stuck > STUCK_MINUTES {
            add(
                NoiseKind::StuckInAlarm,
                stuck,
                format!("in ALARM for {:.1} hours at a stretch", stuck / 60.0),
            );
        }
        if !a.has_actions {
            add(
                NoiseKind::NoActions,
                0.0,
                "no alarm actions set, or actions disabled".into(),
            );
        }
        if a.insufficient_share > INSUFFICIENT_SHARE {
            add(
                NoiseKind::MostlyInsufficientData,
                a.insufficient_share,
                format!(
                    "{:.0}% of the range in INSUFFICIENT_DATA",
                    a.insufficient_share * 100.0
                ),
            );
        }
        if let Some(share) = a.breach_share.filter(|s| *s > BREACH_SHARE) {
            add(
                NoiseKind::ThresholdInsideNormal,
                share,
                format!(
                    "the metric breached the threshold in {:.1}% of the minutes",
                    share * 100.0
                ),
            );
        }
    }
    out
}

/// Whether an alarm flaps, with the share that says so and its words: by its flap share, or
/// (its period being too long for that) by its single-period episodes.
fn flapping(a: &NoiseInput) -> Option<(f64, String)> {
    let s = &a.stats;
    if s.episodes < FLAP_MIN_EPISODES {
        return None;
    }
    let per_day = s.transitions_per_day;
    if let Some(share) = s.flap_share.filter(|x| *x >= FLAP_SHARE) {
        return Some((
            share,
            format!(
                "{:.0}% of {} episodes were shorter than 5 minutes ({per_day:.1} state changes a day)",
                share * 100.0,
                s.episodes,
            ),
        ));
    }
    let (period, share) = a.single_period.filter(|(_, x)| *x >= FLAP_SHARE)?;
    Some((
        share,
        format!(
            "{:.0}% of {} episodes lasted a single {}-minute period, the shortest this alarm can fire; its period is too long for episodes under 5 minutes ({per_day:.1} state changes a day)",
            share * 100.0,
            s.episodes,
            period / 60,
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str) -> NoiseInput {
        NoiseInput {
            name: name.into(),
            stats: EpisodeStats {
                episodes: 2,
                longest_minutes: Some(30.0),
                flap_share: Some(0.0),
                ..EpisodeStats::default()
            },
            state: AlarmState::Ok,
            state_since: Some(0),
            has_actions: true,
            insufficient_share: 0.0,
            breach_share: Some(0.01),
            single_period: None,
        }
    }

    #[test]
    fn a_healthy_alarm_is_not_listed() {
        assert!(findings(&[input("fine")], 1000).is_empty());
    }

    #[test]
    fn each_finding_carries_its_number() {
        let mut flappy = input("flappy");
        flappy.stats.episodes = 10;
        flappy.stats.flap_share = Some(0.6);
        let mut silent = input("silent");
        silent.stats = EpisodeStats::default();
        silent.has_actions = false;
        silent.insufficient_share = 0.8;
        let mut stuck = input("stuck");
        stuck.state = AlarmState::Alarm;
        stuck.state_since = Some(0);
        stuck.breach_share = Some(0.2);
        let f = findings(&[flappy, silent, stuck], 2 * 86_400);
        let got: Vec<(&str, NoiseKind, f64)> = f
            .iter()
            .map(|f| (f.alarm.as_str(), f.kind, f.value))
            .collect();
        assert_eq!(
            got,
            vec![
                ("flappy", NoiseKind::Flaps, 0.6),
                ("silent", NoiseKind::NeverFired, 0.0),
                ("silent", NoiseKind::NoActions, 0.0),
                ("silent", NoiseKind::MostlyInsufficientData, 0.8),
                ("stuck", NoiseKind::StuckInAlarm, 2880.0),
                ("stuck", NoiseKind::ThresholdInsideNormal, 0.2),
            ]
        );
        assert!(f[0]
            .evidence
            .starts_with("60% of 10 episodes were shorter than 5 minutes"));
    }

    #[test]
    fn a_five_minute_alarm_flaps_by_its_single_period_episodes() {
        let mut five = input("five-minute");
        five.stats.episodes = 17;
        five.single_period = Some((300, 15.0 / 17.0));
        let f = findings(&[five.clone()], 1000);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, NoiseKind::Flaps);
        assert_eq!(f[0].value, 15.0 / 17.0);
        assert!(
            f[0].evidence
                .starts_with("88% of 17 episodes lasted a single 5-minute period"),
            "{}",
            f[0].evidence
        );
        // Under the share, or too few episodes to judge: not listed.
        five.single_period = Some((300, 0.2));
        assert!(findings(&[five.clone()], 1000).is_empty());
        five.single_period = Some((300, 1.0));
        five.stats.episodes = 2;
        assert!(findings(&[five], 1000).is_empty());
    }
}

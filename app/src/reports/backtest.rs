//! The backtest of one alarm: its metric read from the store, rolled up to the period asked for,
//! replayed with the settings asked for (unset ones: the alarm's own) and with its own settings,
//! compared with the recorded history, and swept over thresholds. Shared by the alarm page,
//! `GET /api/alarms/{name}/backtest` and `spendwatch backtest`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::form::{self, FieldValue};
use super::{Table, Tables};
use crate::analysis::alarms::episodes::{episodes, stats, Episode, EpisodeStats, MatchRate};
use crate::analysis::alarms::periods::{
    average_from, empty_grid, overlay, plan, roll_up, CannotReplay, CombineWith, Plan,
    StoredSeriesInfo,
};
use crate::analysis::alarms::replay::{AlarmState, PeriodValues, StateChange};
use crate::analysis::alarms::sweep::{sweep, thresholds, Sweep, SweepGoal};
use crate::analysis::alarms::{run, BacktestSettings};
use crate::error::AppError;
use crate::store::alarms::AlarmRecord;
use crate::store::{Store, StoreResult};

/// The backtest's inputs as they arrive (query string or command line): every one optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct BacktestParams {
    /// Threshold.
    pub threshold: Option<String>,
    /// Comparison: CloudWatch's spelling or `>`, `>=`, `<`, `<=`.
    pub comparison: Option<String>,
    /// Statistic.
    pub statistic: Option<String>,
    /// Period in seconds.
    pub period: Option<String>,
    /// M.
    pub datapoints: Option<String>,
    /// N.
    pub evaluation_periods: Option<String>,
    /// TreatMissingData.
    pub treat_missing: Option<String>,
    /// Start: RFC 3339 or YYYY-MM-DD.
    pub from: Option<String>,
    /// End: RFC 3339 or YYYY-MM-DD (a date includes that day).
    pub to: Option<String>,
    /// Sweep goal: most episodes a week.
    pub target: Option<String>,
    /// Sweep goal: real episodes longer than this many minutes must be caught.
    pub real_minutes: Option<String>,
    /// `off` skips the threshold sweep.
    pub sweep: Option<String>,
}

/// The backtest's inputs, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestQuery {
    /// The settings to try.
    pub settings: BacktestSettings,
    /// Range start (None: the first stored point).
    pub from: Option<i64>,
    /// Range end, exclusive (None: after the last stored point).
    pub to: Option<i64>,
    /// Sweep goal, or None to skip the sweep.
    pub sweep: Option<SweepGoal>,
}

fn given(v: &Option<String>) -> Option<&str> {
    form::given(v.as_deref())
}

fn number<T: FieldValue>(name: &str, v: &Option<String>) -> Result<Option<T>, String> {
    form::number(name, v.as_deref())
}

/// Parses an instant: RFC 3339, or a date (its midnight UTC; with `end_of_day`, the next one).
pub fn parse_instant(name: &str, s: &str, end_of_day: bool) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| {
            let day = d
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp();
            if end_of_day {
                day + 86_400
            } else {
                day
            }
        })
        .map_err(|_| format!("'{name}={s}' is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// An epoch second as RFC 3339 (`2026-11-27T13:05:00Z`).
pub fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ts.to_string())
}

fn comparison_spelling(s: &str) -> String {
    match s {
        ">" | "gt" => "GreaterThanThreshold",
        ">=" | "ge" => "GreaterThanOrEqualToThreshold",
        "<" | "lt" => "LessThanThreshold",
        "<=" | "le" => "LessThanOrEqualToThreshold",
        other => other,
    }
    .to_string()
}

/// The settings an alarm runs with, or why it has none to replay.
pub fn own_settings(a: &AlarmRecord) -> Result<BacktestSettings, CannotReplay> {
    if a.alarm_type != "MetricAlarm" {
        return Err(CannotReplay::NotAMetricAlarm(
            "a composite alarm has no metric of its own: its state follows its rule over other alarms, so it is listed with its history but not backtested".into(),
        ));
    }
    let missing = |what: &str| {
        CannotReplay::NotAMetricAlarm(format!(
            "this alarm has no {what} (a metric-math alarm?): only single-metric alarms are replayed"
        ))
    };
    let evaluation_periods = a
        .evaluation_periods
        .ok_or_else(|| missing("evaluation periods"))?;
    Ok(BacktestSettings {
        threshold: a.threshold.ok_or_else(|| missing("threshold"))?,
        comparison: a
            .comparison_operator
            .clone()
            .ok_or_else(|| missing("comparison"))?,
        statistic: a
            .extended_statistic
            .clone()
            .or_else(|| a.statistic.clone())
            .ok_or_else(|| missing("statistic"))?,
        period: a.period.ok_or_else(|| missing("period"))?,
        datapoints_to_alarm: a.datapoints_to_alarm.unwrap_or(evaluation_periods).max(0) as usize,
        evaluation_periods: evaluation_periods.max(0) as usize,
        treat_missing_data: a
            .treat_missing_data
            .clone()
            .unwrap_or_else(|| "missing".into()),
    })
}

impl BacktestParams {
    /// Fills unset settings from `own` and checks everything; Err says what is wrong.
    pub fn parse(&self, own: Option<&BacktestSettings>) -> Result<BacktestQuery, String> {
        let need =
            |name: &str| format!("give '{name}': this alarm has no setting of its own for it");
        let threshold = match number::<f64>("threshold", &self.threshold)? {
            Some(t) => t,
            None => own.map(|o| o.threshold).ok_or_else(|| need("threshold"))?,
        };
        let comparison = match given(&self.comparison) {
            Some(c) => comparison_spelling(c),
            None => own
                .map(|o| o.comparison.clone())
                .ok_or_else(|| need("comparison"))?,
        };
        let statistic = match given(&self.statistic) {
            Some(s) => s.to_string(),
            None => own
                .map(|o| o.statistic.clone())
                .ok_or_else(|| need("statistic"))?,
        };
        let period = match number::<i64>("period", &self.period)? {
            Some(p) => p,
            None => own.map(|o| o.period).ok_or_else(|| need("period"))?,
        };
        let evaluation_periods =
            match number::<usize>("evaluation_periods", &self.evaluation_periods)? {
                Some(n) => n,
                None => own
                    .map(|o| o.evaluation_periods)
                    .ok_or_else(|| need("evaluation_periods"))?,
            };
        let datapoints_to_alarm = match number::<usize>("datapoints", &self.datapoints)? {
            Some(m) => m,
            // A new N without a new M: keep the alarm's M if it fits, else all N.
            None => own
                .map(|o| o.datapoints_to_alarm)
                .filter(|m| *m <= evaluation_periods)
                .unwrap_or(evaluation_periods),
        };
        let treat_missing_data = match given(&self.treat_missing) {
            Some(t) => t.to_string(),
            None => own
                .map(|o| o.treat_missing_data.clone())
                .unwrap_or_else(|| "missing".into()),
        };
        let settings = BacktestSettings {
            threshold,
            comparison,
            statistic,
            period,
            datapoints_to_alarm,
            evaluation_periods,
            treat_missing_data,
        };
        settings.rule()?;
        let from = given(&self.from)
            .map(|s| parse_instant("from", s, false))
            .transpose()?;
        let to = given(&self.to)
            .map(|s| parse_instant("to", s, true))
            .transpose()?;
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(format!(
                    "the range starts ({}) at or after it ends ({})",
                    rfc3339(f),
                    rfc3339(t)
                ));
            }
        }
        let sweep = match given(&self.sweep) {
            Some("off") => None,
            None | Some("on") => {
                let mut goal = SweepGoal::default();
                if let Some(t) = number::<f64>("target", &self.target)? {
                    if !(t >= 0.0 && t.is_finite()) {
                        return Err(format!("'target={t}' must be 0 or more episodes a week"));
                    }
                    goal.target_per_week = t;
                }
                if let Some(m) = number::<f64>("real_minutes", &self.real_minutes)? {
                    if !(m >= 0.0 && m.is_finite()) {
                        return Err(format!("'real_minutes={m}' must be 0 or more"));
                    }
                    goal.real_minutes = m;
                }
                Some(goal)
            }
            Some(other) => return Err(format!("'sweep={other}' is not on or off")),
        };
        Ok(BacktestQuery {
            settings,
            from,
            to,
            sweep,
        })
    }
}

/// One episode as the JSON gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpisodeOut {
    /// Entered ALARM (RFC 3339).
    pub start: String,
    /// Left ALARM (RFC 3339), null while still in ALARM at the end of the data.
    pub end: Option<String>,
    /// Minutes in ALARM (an open episode up to the end of the range).
    pub minutes: f64,
}

/// One column of the side-by-side table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    /// What the column is: `recorded`, `replay_own`, `replay_tried`.
    pub what: &'static str,
    /// Its label.
    pub label: String,
    /// The figures.
    pub stats: EpisodeStats,
}

/// What the alarm page's chart draws (not in the JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartData {
    /// The metric at the tried period.
    pub periods: PeriodValues,
    /// Recorded episodes.
    pub recorded: Vec<Episode>,
    /// Episodes of the tried settings.
    pub tried: Vec<Episode>,
}

/// A backtest's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    /// Alarm name.
    pub alarm: String,
    /// What was replayed.
    pub settings: BacktestSettings,
    /// The alarm's own settings (None for alarms that cannot be replayed).
    pub own_settings: Option<BacktestSettings>,
    /// Whether `settings` are the alarm's own.
    pub own: bool,
    /// Range start (RFC 3339).
    pub from: String,
    /// Range end, exclusive (RFC 3339).
    pub to: String,
    /// Episodes of the replay.
    pub episodes: Vec<EpisodeOut>,
    /// Minutes in ALARM in the replay.
    pub minutes_in_alarm: f64,
    /// Episodes in the replay.
    pub episode_count: usize,
    /// State changes of the replay.
    pub transitions: usize,
    /// Recorded transitions reproduced within one period (0..1), when the alarm's own settings
    /// were replayed.
    pub match_rate: Option<f64>,
    /// The own-settings replay against recorded history, whatever was tried.
    pub fidelity: Option<MatchRate>,
    /// The replay's figures.
    pub stats: EpisodeStats,
    /// Recorded history, own-settings replay and tried settings side by side.
    pub compared: Vec<Compared>,
    /// Threshold sweep and suggestion.
    pub sweep: Option<Sweep>,
    /// How stored series became period values.
    pub aggregation: Option<Plan>,
    /// Notes a reader should know (approximations).
    pub notes: Vec<String>,
    /// Why this alarm cannot be replayed (then nothing else is filled).
    pub cannot_replay: Option<String>,
    /// Chart input for the page.
    #[serde(skip)]
    pub chart: ChartData,
}

/// The stored series of an alarm's metric.
pub async fn metric_series(store: &Store, a: &AlarmRecord) -> StoreResult<Vec<StoredSeriesInfo>> {
    let (Some(ns), Some(metric)) = (&a.namespace, &a.metric_name) else {
        return Ok(Vec::new());
    };
    let dims = a.dimensions.as_deref().unwrap_or("{}");
    Ok(store
        .series_of_metric(ns, metric, dims)
        .await?
        .into_iter()
        .map(|s| StoredSeriesInfo {
            id: s.id,
            statistic: s.key.statistic,
            period: s.key.period,
        })
        .collect())
}

/// Reads what `plan` names over `[from, to)` (None: all stored) and rolls it up into `period`.
pub async fn load_periods(
    store: &Store,
    plan: &Plan,
    period: i64,
    from: Option<i64>,
    to: Option<i64>,
) -> StoreResult<PeriodValues> {
    let (lo, hi) = (from.unwrap_or(0), to.unwrap_or(i64::MAX / 2));
    let ids: Vec<i64> = match plan {
        Plan::Direct { series, .. } => series.clone(),
        Plan::AverageFromSumAndCount { pairs } => {
            pairs.iter().flat_map(|(s, c)| [*s, *c]).collect()
        }
    };
    let mut read = Vec::with_capacity(ids.len());
    for id in &ids {
        read.push((*id, store.read_points(*id, lo, hi).await?));
    }
    let first = read.iter().filter_map(|(_, p)| p.ts.first()).min().copied();
    let last = read.iter().filter_map(|(_, p)| p.ts.last()).max().copied();
    let (Some(first), Some(last)) = (from.or(first), to.or(last.map(|l| l + 1))) else {
        return Ok(PeriodValues {
            start: lo.div_euclid(period) * period,
            period,
            values: Vec::new(),
        });
    };
    let grid = empty_grid(first, last.max(first + 1), period);
    let points = |id: i64| &read.iter().find(|(i, _)| *i == id).expect("read above").1;
    let layers = match plan {
        Plan::Direct { series, combine } => series
            .iter()
            .map(|id| roll_up(points(*id), *combine, &grid))
            .collect(),
        Plan::AverageFromSumAndCount { pairs } => pairs
            .iter()
            .map(|(s, c)| {
                average_from(
                    &roll_up(points(*s), CombineWith::Sum, &grid),
                    &roll_up(points(*c), CombineWith::Sum, &grid),
                )
            })
            .collect(),
    };
    Ok(overlay(layers, &grid))
}

/// Recorded state changes of one alarm in `[from, to)`, with the state before the first.
pub async fn recorded_changes(
    store: &Store,
    alarm: &AlarmRecord,
    from: i64,
    to: i64,
) -> StoreResult<(Vec<StateChange>, AlarmState)> {
    let rows = store
        .alarm_state_changes(Some(&alarm.name), from, to)
        .await?;
    let (changes, before) = super::alarms::alarm_changes(alarm, &rows, from);
    Ok((changes, before))
}

fn episode_out(e: &Episode, to: i64) -> EpisodeOut {
    EpisodeOut {
        start: rfc3339(e.start),
        end: e.end.map(rfc3339),
        minutes: e.seconds(to) as f64 / 60.0,
    }
}

/// Runs a backtest of `alarm` (by name).
pub async fn build(
    store: &Store,
    name: &str,
    params: &BacktestParams,
) -> Result<BacktestReport, AppError> {
    let alarm = store
        .alarm_by_name(name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no alarm named '{name}' is stored")))?;
    build_for(store, &alarm, params).await
}

/// [`build`] for an alarm already read.
pub async fn build_for(
    store: &Store,
    alarm: &AlarmRecord,
    params: &BacktestParams,
) -> Result<BacktestReport, AppError> {
    let own = own_settings(alarm);
    if let Err(why @ CannotReplay::NotAMetricAlarm(_)) = &own {
        return Ok(not_replayable(alarm, why));
    }
    let query = params
        .parse(own.as_ref().ok())
        .map_err(AppError::bad_request)?;
    let mut report =
        BacktestReport::empty(alarm, query.settings.clone(), own.as_ref().ok().cloned());
    let stored = metric_series(store, alarm).await?;
    let s = &query.settings;
    let tried_plan = match plan(&stored, &s.statistic, s.period) {
        Ok(p) => p,
        // The alarm's own settings, or a percentile the store cannot hold: an answer, not an error.
        Err(why) if report.own || matches!(why, CannotReplay::PercentileNotStored { .. }) => {
            report.cannot_replay = Some(why.to_string());
            return Ok(report);
        }
        Err(why) => return Err(AppError::bad_request(why.to_string())),
    };
    let rule = s.rule().map_err(AppError::bad_request)?;
    let periods = load_periods(store, &tried_plan, s.period, query.from, query.to).await?;
    let from = query.from.unwrap_or(periods.start);
    let to = query.to.unwrap_or(periods.end());
    report.from = rfc3339(from);
    report.to = rfc3339(to);
    if periods.values.iter().all(Option::is_none) {
        report.cannot_replay = Some(format!(
            "no {} datapoints of this metric are stored between {} and {}",
            s.statistic,
            rfc3339(from),
            rfc3339(to)
        ));
        return Ok(report);
    }
    if let Plan::Direct {
        combine: CombineWith::MeanOfAverages,
        ..
    } = tried_plan
    {
        if s.period
            > stored
                .iter()
                .filter(|x| x.statistic == "Average")
                .map(|x| x.period)
                .min()
                .unwrap_or(0)
        {
            report.notes.push("Average over the period is the mean of the stored averages: the store holds no Sum and SampleCount of this metric to weight them, so periods with uneven sample counts are approximate.".into());
        }
    }
    let tried = run(&rule, &periods, from, to);
    let (recorded, before) =
        recorded_changes(store, alarm, periods.start, periods.end() + s.period).await?;
    let recorded_episodes = episodes(&recorded, before, from);
    report.compared.push(Compared {
        what: "recorded",
        label: "Recorded history".into(),
        stats: stats(&recorded_episodes, &recorded, from, to),
    });
    // The own-settings replay: the fidelity figure, and a column of the table.
    let own_run = match &own {
        Ok(o) if *o == query.settings => Some((tried.clone(), periods.clone())),
        Ok(o) => match (o.rule(), plan(&stored, &o.statistic, o.period)) {
            (Ok(r), Ok(p)) => {
                let pv = load_periods(store, &p, o.period, query.from, query.to).await?;
                Some((run(&r, &pv, from, to), pv))
            }
            _ => None,
        },
        Err(_) => None,
    };
    if let (Some((own_run, own_periods)), Ok(o)) = (&own_run, &own) {
        let fidelity = fidelity(&recorded, &own_run.changes, own_periods, o);
        if report.own {
            report.match_rate = fidelity.rate;
        }
        report.fidelity = Some(fidelity);
        report.compared.push(Compared {
            what: "replay_own",
            label: "Replay, current settings".into(),
            stats: own_run.stats,
        });
    }
    if !report.own {
        report.compared.push(Compared {
            what: "replay_tried",
            label: "Replay, tried settings".into(),
            stats: tried.stats,
        });
    }
    if let Some(goal) = query.sweep {
        // The real episodes: the recorded ones, or the own replay's when nothing was recorded.
        let real: &[Episode] = if recorded_episodes.is_empty() {
            own_run
                .as_ref()
                .map(|(r, _)| r.episodes.as_slice())
                .unwrap_or(&[])
        } else {
            &recorded_episodes
        };
        let candidates = thresholds(&periods, s.threshold, goal.steps, rule.comparison);
        report.sweep = Some(sweep(&rule, &periods, &candidates, real, goal, from, to));
    }
    report.episodes = tried.episodes.iter().map(|e| episode_out(e, to)).collect();
    report.minutes_in_alarm = tried.stats.minutes_in_alarm;
    report.episode_count = tried.episodes.len();
    report.transitions = tried.changes.len();
    report.stats = tried.stats;
    report.aggregation = Some(tried_plan);
    report.chart = ChartData {
        periods,
        recorded: recorded_episodes,
        tried: tried.episodes,
    };
    Ok(report)
}

/// The report of an alarm that has nothing to replay (composite, metric math).
fn not_replayable(alarm: &AlarmRecord, why: &CannotReplay) -> BacktestReport {
    let settings = BacktestSettings {
        threshold: alarm.threshold.unwrap_or(0.0),
        comparison: alarm.comparison_operator.clone().unwrap_or_default(),
        statistic: alarm.statistic.clone().unwrap_or_default(),
        period: alarm.period.unwrap_or(0),
        datapoints_to_alarm: 0,
        evaluation_periods: 0,
        treat_missing_data: alarm.treat_missing_data.clone().unwrap_or_default(),
    };
    BacktestReport {
        cannot_replay: Some(why.to_string()),
        ..BacktestReport::empty(alarm, settings, None)
    }
}

impl BacktestReport {
    /// A report of `alarm` replaying `settings` with nothing filled in yet (`own` tells whether
    /// they are the alarm's own settings, `own_settings`).
    fn empty(
        alarm: &AlarmRecord,
        settings: BacktestSettings,
        own_settings: Option<BacktestSettings>,
    ) -> Self {
        Self {
            alarm: alarm.name.clone(),
            own: own_settings.as_ref() == Some(&settings),
            settings,
            own_settings,
            from: String::new(),
            to: String::new(),
            episodes: Vec::new(),
            minutes_in_alarm: 0.0,
            episode_count: 0,
            transitions: 0,
            match_rate: None,
            fidelity: None,
            stats: EpisodeStats::default(),
            compared: Vec::new(),
            sweep: None,
            aggregation: None,
            notes: Vec::new(),
            cannot_replay: None,
            chart: ChartData::default(),
        }
    }
}

/// The own replay against the recorded changes, compared where the replay has warmed up (after
/// its first evaluation range) and up to the end of the data.
fn fidelity(
    recorded: &[StateChange],
    replayed: &[StateChange],
    periods: &PeriodValues,
    own: &BacktestSettings,
) -> MatchRate {
    let warm = periods.start + own.period * (own.evaluation_periods as i64 + 2);
    let end = periods.end() + own.period;
    let in_window = |c: &&StateChange| c.ts >= warm && c.ts <= end;
    let rec: Vec<StateChange> = recorded.iter().filter(in_window).copied().collect();
    let rep: Vec<StateChange> = replayed.iter().filter(in_window).copied().collect();
    crate::analysis::alarms::episodes::match_rate(&rec, &rep, own.period)
}

impl Tables for BacktestReport {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let episodes = Table {
            header: vec!["start", "end", "minutes"],
            rows: self
                .episodes
                .iter()
                .map(|e| {
                    vec![
                        e.start.clone(),
                        e.end.clone().unwrap_or_default(),
                        format!("{:.1}", e.minutes),
                    ]
                })
                .collect(),
        };
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
        let compared = Table {
            header: vec![
                "what",
                "episodes",
                "minutes_in_alarm",
                "flap_share",
                "episodes_per_week",
            ],
            rows: self
                .compared
                .iter()
                .map(|c| {
                    vec![
                        c.what.to_string(),
                        c.stats.episodes.to_string(),
                        format!("{:.1}", c.stats.minutes_in_alarm),
                        opt(c.stats.flap_share),
                        format!("{:.3}", c.stats.per_week),
                    ]
                })
                .collect(),
        };
        let sweep = Table {
            header: vec![
                "threshold",
                "episodes",
                "episodes_per_week",
                "minutes_in_alarm",
                "missed_real_episodes",
            ],
            rows: self
                .sweep
                .iter()
                .flat_map(|s| &s.points)
                .map(|p| {
                    vec![
                        p.threshold.to_string(),
                        p.episodes.to_string(),
                        format!("{:.3}", p.per_week),
                        format!("{:.1}", p.minutes_in_alarm),
                        p.missed_real.to_string(),
                    ]
                })
                .collect(),
        };
        vec![
            ("episodes", episodes),
            ("compared", compared),
            ("sweep", sweep),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> BacktestSettings {
        BacktestSettings {
            threshold: 10.0,
            comparison: "GreaterThanThreshold".into(),
            statistic: "Sum".into(),
            period: 300,
            datapoints_to_alarm: 1,
            evaluation_periods: 1,
            treat_missing_data: "missing".into(),
        }
    }

    #[test]
    fn unset_params_take_the_alarms_own_settings() {
        let q = BacktestParams::default().parse(Some(&own())).unwrap();
        assert_eq!(q.settings, own());
        assert_eq!((q.from, q.to), (None, None));
        let q = BacktestParams {
            threshold: Some("25".into()),
            comparison: Some(">=".into()),
            evaluation_periods: Some("3".into()),
            datapoints: Some("2".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-02T12:00:00Z".into()),
            ..BacktestParams::default()
        }
        .parse(Some(&own()))
        .unwrap();
        assert_eq!(q.settings.threshold, 25.0);
        assert_eq!(q.settings.comparison, "GreaterThanOrEqualToThreshold");
        assert_eq!(
            (
                q.settings.datapoints_to_alarm,
                q.settings.evaluation_periods
            ),
            (2, 3)
        );
        assert_eq!(q.from, Some(1_793_491_200));
        assert_eq!(q.to, Some(1_793_491_200 + 86_400 + 12 * 3600));
    }

    #[test]
    fn bad_params_say_what_is_wrong() {
        let err = |p: BacktestParams| p.parse(Some(&own())).unwrap_err();
        let e = err(BacktestParams {
            threshold: Some("ten".into()),
            ..Default::default()
        });
        assert_eq!(e, "'threshold=ten' is not a valid number");
        let e = err(BacktestParams {
            datapoints: Some("4".into()),
            evaluation_periods: Some("3".into()),
            ..Default::default()
        });
        assert!(e.contains("cannot exceed evaluation periods"), "{e}");
        let e = err(BacktestParams {
            treat_missing: Some("zero".into()),
            ..Default::default()
        });
        assert!(
            e.contains("not one of missing, ignore, breaching, notBreaching"),
            "{e}"
        );
        let e = err(BacktestParams {
            from: Some("yesterday".into()),
            ..Default::default()
        });
        assert!(e.contains("'from=yesterday' is not a date"), "{e}");
        let e = err(BacktestParams {
            comparison: Some("=".into()),
            ..Default::default()
        });
        assert!(e.contains("comparison '=' is not one of"), "{e}");
        let e = err(BacktestParams {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        });
        // A date `to` includes its day, so 11-02 .. 11-01 is empty.
        assert!(e.contains("at or after it ends"), "{e}");
    }

    #[test]
    fn composite_alarms_are_not_replayed() {
        let composite = AlarmRecord {
            alarm_type: "CompositeAlarm".into(),
            alarm_rule: Some("ALARM(a) OR ALARM(b)".into()),
            ..AlarmRecord::default()
        };
        assert!(matches!(
            own_settings(&composite),
            Err(CannotReplay::NotAMetricAlarm(_))
        ));
    }
}

/// The alarm page's data: the alarm, its backtest, its latest history and threshold changes.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmPageData {
    /// The alarm.
    pub alarm: AlarmRecord,
    /// The backtest (own settings unless the form says otherwise).
    pub backtest: BacktestReport,
    /// The latest history items.
    pub history: Vec<super::alarm_history::HistoryRow>,
    /// Threshold changes from configuration updates: (time, text).
    pub threshold_changes: Vec<(i64, String)>,
    /// Statistics stored for the alarm's metric, for the form.
    pub statistics: Vec<String>,
}

/// The threshold a configuration-update item set, when its HistoryData says.
pub fn threshold_set(history_data: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(history_data).ok()?;
    ["updatedAlarm", "createdAlarm"]
        .iter()
        .find_map(|k| v.get(k)?.get("threshold")?.as_f64())
}

/// The alarm pages built last, per data version, alarm name and form values: a year of a
/// one-minute metric read, rolled up, replayed and swept is most of that page's time, and the data
/// only changes when a sync or demo load finishes. Four pages at most (each holds its chart's
/// periods: up to 525,600 values for a year at 60 s, about 8 MB).
pub type AlarmPageCache = super::cache::VersionedMap<(String, BacktestParams), AlarmPageData, 4>;

/// [`alarm_page`] through the shared cache.
pub async fn alarm_page_cached(
    state: &crate::state::AppState,
    name: &str,
    params: &BacktestParams,
) -> Result<std::sync::Arc<AlarmPageData>, AppError> {
    state
        .alarm_pages
        .get_or_compute(&state.store, (name.to_string(), params.clone()), || {
            alarm_page(&state.store, name, params)
        })
        .await
}

/// Builds the alarm page.
pub async fn alarm_page(
    store: &Store,
    name: &str,
    params: &BacktestParams,
) -> Result<AlarmPageData, AppError> {
    let alarm = store
        .alarm_by_name(name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no alarm named '{name}' is stored")))?;
    let backtest = build_for(store, &alarm, params).await?;
    let filter = crate::store::alarms::HistoryFilter {
        alarm: Some(alarm.name.clone()),
        ..Default::default()
    };
    let history = store
        .alarm_history_page(&filter, None, 20)
        .await?
        .into_iter()
        .map(super::alarm_history::history_row)
        .collect();
    let threshold_changes = store
        .alarm_configuration_updates(&alarm.name, i64::MIN, i64::MAX)
        .await?
        .into_iter()
        .map(|i| {
            let text = match threshold_set(&i.record.history_data) {
                Some(t) => format!(
                    "threshold set to {}",
                    crate::analysis::alarms::sweep::fmt(t)
                ),
                None => i.record.summary.clone(),
            };
            (i.record.ts, text)
        })
        .collect();
    let mut statistics: Vec<String> = metric_series(store, &alarm)
        .await?
        .into_iter()
        .map(|s| s.statistic)
        .collect();
    statistics.sort();
    statistics.dedup();
    Ok(AlarmPageData {
        alarm,
        backtest,
        history,
        threshold_changes,
        statistics,
    })
}

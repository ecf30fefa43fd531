//! The Alarms report: every alarm with its settings and its record over a range (episodes, time
//! in ALARM, flapping), the state timeline and the noise report. Shared by `/alarms`,
//! `GET /api/alarms` and `spendwatch alarms`.

use std::borrow::Borrow;
use std::collections::HashMap;

use serde::Serialize;

use super::backtest::{load_periods, metric_series, own_settings};
use super::cache::VersionedMap;
use super::{Table, Tables};
use crate::analysis::alarms::breach_share;
use crate::analysis::alarms::episodes::{
    episodes, share_lasting_at_most, stats, time_in_states, EpisodeStats, FLAP_SECONDS,
};
use crate::analysis::alarms::noise::{findings, NoiseFinding, NoiseInput};
use crate::analysis::alarms::periods::plan;
use crate::analysis::alarms::replay::{AlarmState, StateChange};
use crate::domain::range::DateRange;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::alarms::{AlarmRecord, RecordedChange};
use crate::store::{Store, StoreResult};

/// Columns the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmSort {
    /// Name.
    Name,
    /// State now.
    State,
    /// Service.
    Service,
    /// Metric.
    Metric,
    /// Threshold.
    Threshold,
    /// Episodes.
    Episodes,
    /// Time in ALARM.
    TimeInAlarm,
    /// Median episode.
    Median,
    /// Longest episode.
    Longest,
    /// MTTR.
    Mttr,
    /// Flap share.
    Flap,
    /// Transitions per day.
    Transitions,
    /// Last change.
    LastChange,
}

const SORTS: [(AlarmSort, &str); 13] = [
    (AlarmSort::Name, "name"),
    (AlarmSort::State, "state"),
    (AlarmSort::Service, "service"),
    (AlarmSort::Metric, "metric"),
    (AlarmSort::Threshold, "threshold"),
    (AlarmSort::Episodes, "episodes"),
    (AlarmSort::TimeInAlarm, "time_in_alarm"),
    (AlarmSort::Median, "median"),
    (AlarmSort::Longest, "longest"),
    (AlarmSort::Mttr, "mttr"),
    (AlarmSort::Flap, "flap"),
    (AlarmSort::Transitions, "transitions"),
    (AlarmSort::LastChange, "last_change"),
];

impl AlarmSort {
    /// The `sort` query value.
    pub fn as_str(self) -> &'static str {
        SORTS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or("name")
    }

    fn parse(s: &str) -> Option<Self> {
        SORTS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }
}

/// What the Alarms report is asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmsQuery {
    /// Range.
    pub range: DateRange,
    /// Only alarms in this state now.
    pub state: Option<AlarmState>,
    /// Only alarms of this service (its name).
    pub service: Option<String>,
    /// Only alarms whose name or description holds this text (case-insensitive).
    pub text: Option<String>,
    /// Sort column.
    pub sort: AlarmSort,
    /// Descending?
    pub descending: bool,
}

/// The raw query values of the Alarms page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AlarmsParams {
    /// Range preset.
    pub range: Option<String>,
    /// Custom range start.
    pub from: Option<String>,
    /// Custom range end.
    pub to: Option<String>,
    /// State filter.
    pub state: Option<String>,
    /// Service filter.
    pub service: Option<String>,
    /// Text filter.
    pub q: Option<String>,
    /// Sort column.
    pub sort: Option<String>,
    /// asc or desc.
    pub order: Option<String>,
}

/// Parses a state as CloudWatch spells it.
pub fn parse_state(name: &str, s: &str) -> Result<AlarmState, String> {
    match s {
        "OK" => Ok(AlarmState::Ok),
        "ALARM" => Ok(AlarmState::Alarm),
        "INSUFFICIENT_DATA" => Ok(AlarmState::InsufficientData),
        other => Err(format!(
            "'{name}={other}' is not OK, ALARM or INSUFFICIENT_DATA"
        )),
    }
}

impl AlarmsParams {
    /// Checks the values; Err says which is wrong.
    pub fn parse(&self, now: i64, default_days: u32) -> Result<AlarmsQuery, String> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let range = DateRange::parse(
            self.range.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            now,
            default_days,
        )?;
        let state = given(&self.state)
            .map(|s| parse_state("state", &s))
            .transpose()?;
        let sort = match given(&self.sort) {
            None => AlarmSort::Name,
            Some(s) => AlarmSort::parse(&s).ok_or_else(|| {
                format!(
                    "'sort={s}' is not one of {}",
                    SORTS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
                )
            })?,
        };
        let descending = match given(&self.order).as_deref() {
            None => !matches!(
                sort,
                AlarmSort::Name | AlarmSort::Service | AlarmSort::Metric
            ),
            Some("desc") => true,
            Some("asc") => false,
            Some(o) => return Err(format!("'order={o}' is not asc or desc")),
        };
        Ok(AlarmsQuery {
            range,
            state,
            service: given(&self.service),
            text: given(&self.q),
            sort,
            descending,
        })
    }
}

/// The service an alarm watches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRef {
    /// Cluster.
    pub cluster: String,
    /// Service name.
    pub name: String,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmRow {
    /// The alarm as stored.
    pub alarm: AlarmRecord,
    /// The service it watches, when known.
    pub service: Option<ServiceRef>,
    /// Its record over the range.
    pub stats: EpisodeStats,
    /// Seconds in OK, ALARM and INSUFFICIENT_DATA over the range.
    pub seconds_ok: i64,
    /// Seconds in ALARM.
    pub seconds_alarm: i64,
    /// Seconds in INSUFFICIENT_DATA.
    pub seconds_insufficient: i64,
    /// Share of the range's periods whose value breached the threshold.
    pub breach_share: Option<f64>,
    /// Whether its backtest can run (metric alarms on a stored statistic), or why not.
    pub replayable: Result<(), String>,
    /// The state spans over the range, for the timeline: (start, end, state).
    #[serde(skip)]
    pub spans: Vec<(i64, i64, AlarmState)>,
    /// For an alarm whose period is 5 minutes or more: that period and the share of its ended
    /// episodes that lasted one period (what the noise report judges its flapping by).
    #[serde(skip)]
    pub single_period: Option<(i64, f64)>,
}

/// The Alarms page's data.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmsData {
    /// The query answered.
    pub query: AlarmsQuery,
    /// Rows, filtered and sorted.
    pub rows: Vec<AlarmRow>,
    /// Alarms stored before filtering.
    pub total: usize,
    /// Services with alarms, for the filter.
    pub services: Vec<String>,
    /// The noise report over the range, for the alarms shown.
    pub noise: Vec<NoiseFinding>,
    /// Report time.
    pub now: i64,
}

/// What the report reads from the store for a range: every alarm's breach share and every
/// recorded state change from the range's first hour on. Both are slow (every alarm's metric;
/// up to 100,000 history items) and change only with the data, so they are read once per data
/// version and range (in whole hours) and shared by requests, which cut them to the second.
#[derive(Debug, Default)]
pub struct RangeReads {
    /// Breach share by alarm name.
    breach: HashMap<String, Option<f64>>,
    /// Each alarm's state changes, oldest first.
    changes: HashMap<String, Vec<RecordedChange>>,
    /// The service each metric belongs to (every stored series read: the same for any range).
    owners: HashMap<(String, String, String), ServiceRef>,
}

/// The Alarms report's reads, keyed by the range's first and last hour: the last four ranges
/// asked for (a year's breach shares take a third of a second to read, so two ranges asked in
/// turn must not push each other out; each holds only history items and one figure per alarm).
pub type AlarmsCache = VersionedMap<(i64, i64), RangeReads, 4>;

/// Reads what the report needs for `[from, to)`: changes from `from`'s hour on, so any request
/// whose range starts in that hour can take its part.
async fn range_reads(
    store: &Store,
    alarms: &[AlarmRecord],
    from: i64,
    to: i64,
) -> StoreResult<RangeReads> {
    Ok(RangeReads {
        breach: breach_shares(store, alarms, from, to).await?,
        changes: by_alarm(
            store
                .alarm_state_changes(None, from.div_euclid(3600) * 3600, i64::MAX)
                .await?,
        ),
        owners: services_of(store).await?,
    })
}

/// Changes grouped by alarm, each alarm's in time order.
fn by_alarm(changes: Vec<RecordedChange>) -> HashMap<String, Vec<RecordedChange>> {
    let mut out: HashMap<String, Vec<RecordedChange>> = HashMap::new();
    for c in changes {
        match out.get_mut(c.alarm.as_str()) {
            Some(list) => list.push(c),
            None => {
                out.insert(c.alarm.clone(), vec![c]);
            }
        }
    }
    out
}

/// Every alarm's breach share over `[from, to)`.
async fn breach_shares(
    store: &Store,
    alarms: &[AlarmRecord],
    from: i64,
    to: i64,
) -> StoreResult<HashMap<String, Option<f64>>> {
    let mut shares = HashMap::new();
    for a in alarms {
        shares.insert(
            a.name.clone(),
            alarm_breach_share(store, a, from, to).await?,
        );
    }
    Ok(shares)
}

async fn alarm_breach_share(
    store: &Store,
    a: &AlarmRecord,
    from: i64,
    to: i64,
) -> StoreResult<Option<f64>> {
    let Ok(own) = own_settings(a) else {
        return Ok(None);
    };
    let Ok(rule) = own.rule() else {
        return Ok(None);
    };
    let stored = metric_series(store, a).await?;
    let Ok(p) = plan(&stored, &own.statistic, own.period) else {
        return Ok(None);
    };
    let periods = load_periods(store, &p, own.period, Some(from), Some(to)).await?;
    Ok(breach_share(&rule, &periods))
}

/// Which service each alarm's metric belongs to, by the stored series of that metric.
async fn services_of(store: &Store) -> StoreResult<HashMap<(String, String, String), ServiceRef>> {
    let services: HashMap<i64, ServiceRef> = store
        .list_services_with(crate::store::services::Removed::Show)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.id,
                ServiceRef {
                    cluster: s.service.cluster,
                    name: s.service.name,
                },
            )
        })
        .collect();
    Ok(store
        .list_series(None)
        .await?
        .into_iter()
        .filter_map(|s| {
            let svc = services.get(&s.service_id?)?.clone();
            Some(((s.key.namespace, s.key.metric_name, s.key.dimensions), svc))
        })
        .collect())
}

/// The state changes of one alarm, with the state before the first, from compact reads.
pub fn alarm_changes<R: Borrow<RecordedChange>>(
    alarm: &AlarmRecord,
    rows: &[R],
    from: i64,
) -> (Vec<StateChange>, AlarmState) {
    let before = rows
        .first()
        .map(|r| r.borrow().from.unwrap_or(AlarmState::InsufficientData))
        .unwrap_or(if alarm.state_updated_at.is_some_and(|t| t <= from) {
            alarm.state_value
        } else {
            AlarmState::InsufficientData
        });
    let mut state = before;
    let changes = rows
        .iter()
        .map(|r| {
            let r = r.borrow();
            let c = StateChange {
                ts: r.ts,
                from: r.from.unwrap_or(state),
                to: r.to,
            };
            state = r.to;
            c
        })
        .collect();
    (changes, before)
}

fn spans(
    changes: &[StateChange],
    before: AlarmState,
    from: i64,
    to: i64,
) -> Vec<(i64, i64, AlarmState)> {
    let mut out = Vec::new();
    let (mut at, mut state) = (from, before);
    for c in changes {
        if c.ts > at {
            out.push((at, c.ts, state));
        }
        at = at.max(c.ts);
        state = c.to;
    }
    if to > at {
        out.push((at, to, state));
    }
    out
}

fn has_actions(a: &AlarmRecord) -> bool {
    let listed = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
            .is_some_and(|l| !l.is_empty())
    };
    a.actions_enabled && (listed(&a.alarm_actions) || listed(&a.ok_actions))
}

/// Builds the report.
pub async fn build(state: &AppState, query: AlarmsQuery, now: i64) -> Result<AlarmsData, AppError> {
    let store = &state.store;
    let (from, to) = (
        query.range.from,
        query.range.to.min(now.max(query.range.from + 1)),
    );
    let alarms = store.list_alarms(None).await?;
    let reads = state
        .alarm_reads
        .get_or_compute(store, (from.div_euclid(3600), to.div_euclid(3600)), || {
            range_reads(store, &alarms, from, to)
        })
        .await?;
    let in_range = |name: &str| -> &[RecordedChange] {
        let all = reads.changes.get(name).map(Vec::as_slice).unwrap_or(&[]);
        &all[all.partition_point(|c| c.ts < from)..all.partition_point(|c| c.ts < to)]
    };
    let (breach, owners) = (&reads.breach, &reads.owners);
    let total = alarms.len();
    let mut rows: Vec<AlarmRow> = alarms
        .into_iter()
        .map(|a| {
            let (ch, before) = alarm_changes(&a, in_range(&a.name), from);
            let eps = episodes(&ch, before, from);
            let st = stats(&eps, &ch, from, to);
            let (ok, alarm, insufficient) = time_in_states(&ch, before, from, to);
            let service = match (&a.namespace, &a.metric_name, &a.dimensions) {
                (Some(ns), Some(m), Some(d)) => {
                    owners.get(&(ns.clone(), m.clone(), d.clone())).cloned()
                }
                _ => None,
            };
            let single_period = a
                .period
                .filter(|p| *p >= FLAP_SECONDS)
                .and_then(|p| share_lasting_at_most(&eps, from, to, p).map(|share| (p, share)));
            AlarmRow {
                service,
                stats: st,
                single_period,
                seconds_ok: ok,
                seconds_alarm: alarm,
                seconds_insufficient: insufficient,
                breach_share: breach.get(&a.name).copied().flatten(),
                replayable: own_settings(&a).map(|_| ()).map_err(|e| e.to_string()),
                spans: spans(&ch, before, from, to),
                alarm: a,
            }
        })
        .collect();
    let noise = findings(
        &rows
            .iter()
            .map(|r| NoiseInput {
                name: r.alarm.name.clone(),
                stats: r.stats,
                state: r.alarm.state_value,
                state_since: r.alarm.state_updated_at,
                has_actions: has_actions(&r.alarm),
                insufficient_share: r.seconds_insufficient as f64 / (to - from).max(1) as f64,
                breach_share: r.breach_share,
                single_period: r.single_period,
            })
            .collect::<Vec<_>>(),
        now,
    );
    let mut services: Vec<String> = rows
        .iter()
        .filter_map(|r| r.service.as_ref().map(|s| s.name.clone()))
        .collect();
    services.sort();
    services.dedup();
    rows.retain(|r| {
        query.state.is_none_or(|s| r.alarm.state_value == s)
            && query
                .service
                .as_ref()
                .is_none_or(|s| r.service.as_ref().is_some_and(|x| &x.name == s))
            && query.text.as_ref().is_none_or(|t| {
                let t = t.to_lowercase();
                r.alarm.name.to_lowercase().contains(&t)
                    || r.alarm
                        .description
                        .as_deref()
                        .unwrap_or("")
                        .to_lowercase()
                        .contains(&t)
            })
    });
    // The noise report covers the alarms shown.
    let noise = noise
        .into_iter()
        .filter(|n| rows.iter().any(|r| r.alarm.name == n.alarm))
        .collect();
    sort_rows(&mut rows, query.sort, query.descending);
    Ok(AlarmsData {
        query,
        rows,
        total,
        services,
        noise,
        now,
    })
}

fn sort_rows(rows: &mut [AlarmRow], key: AlarmSort, descending: bool) {
    let num = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    let state_rank = |s: AlarmState| match s {
        AlarmState::Alarm => 2,
        AlarmState::InsufficientData => 1,
        AlarmState::Ok => 0,
    };
    rows.sort_by(|a, b| {
        let ord = match key {
            AlarmSort::Name => a.alarm.name.cmp(&b.alarm.name),
            AlarmSort::State => {
                state_rank(a.alarm.state_value).cmp(&state_rank(b.alarm.state_value))
            }
            AlarmSort::Service => a
                .service
                .as_ref()
                .map(|s| &s.name)
                .cmp(&b.service.as_ref().map(|s| &s.name)),
            AlarmSort::Metric => a.alarm.metric_name.cmp(&b.alarm.metric_name),
            AlarmSort::Threshold => num(a.alarm.threshold).total_cmp(&num(b.alarm.threshold)),
            AlarmSort::Episodes => a.stats.episodes.cmp(&b.stats.episodes),
            AlarmSort::TimeInAlarm => a
                .stats
                .minutes_in_alarm
                .total_cmp(&b.stats.minutes_in_alarm),
            AlarmSort::Median => {
                num(a.stats.median_minutes).total_cmp(&num(b.stats.median_minutes))
            }
            AlarmSort::Longest => {
                num(a.stats.longest_minutes).total_cmp(&num(b.stats.longest_minutes))
            }
            AlarmSort::Mttr => num(a.stats.mttr_minutes).total_cmp(&num(b.stats.mttr_minutes)),
            AlarmSort::Flap => num(a.stats.flap_share).total_cmp(&num(b.stats.flap_share)),
            AlarmSort::Transitions => a
                .stats
                .transitions_per_day
                .total_cmp(&b.stats.transitions_per_day),
            AlarmSort::LastChange => a.stats.last_change.cmp(&b.stats.last_change),
        };
        let ord = if descending { ord.reverse() } else { ord };
        ord.then_with(|| a.alarm.name.cmp(&b.alarm.name))
    });
}

/// Minutes as people read them: `45 min`, `3.5 h`, `2.1 d`.
pub fn minutes_text(m: f64) -> String {
    if m < 90.0 {
        format!("{m:.0} min")
    } else if m < 48.0 * 60.0 {
        format!("{:.1} h", m / 60.0)
    } else {
        format!("{:.1} d", m / 1440.0)
    }
}

impl Tables for AlarmsData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let alarms = Table {
            header: vec![
                "name",
                "type",
                "state",
                "state_since",
                "cluster",
                "service",
                "namespace",
                "metric",
                "statistic",
                "period",
                "comparison",
                "threshold",
                "datapoints_to_alarm",
                "evaluation_periods",
                "treat_missing_data",
                "actions_enabled",
                "episodes",
                "minutes_in_alarm",
                "median_episode_minutes",
                "longest_episode_minutes",
                "mttr_minutes",
                "flap_share",
                "transitions_per_day",
                "last_change",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let a = &r.alarm;
                    vec![
                        a.name.clone(),
                        a.alarm_type.clone(),
                        a.state_value.as_str().into(),
                        a.state_updated_at
                            .map(super::backtest::rfc3339)
                            .unwrap_or_default(),
                        r.service
                            .as_ref()
                            .map(|x| x.cluster.clone())
                            .unwrap_or_default(),
                        r.service
                            .as_ref()
                            .map(|x| x.name.clone())
                            .unwrap_or_default(),
                        s(&a.namespace),
                        s(&a.metric_name),
                        a.extended_statistic
                            .clone()
                            .or_else(|| a.statistic.clone())
                            .unwrap_or_default(),
                        a.period.map(|p| p.to_string()).unwrap_or_default(),
                        s(&a.comparison_operator),
                        a.threshold.map(|t| t.to_string()).unwrap_or_default(),
                        a.datapoints_to_alarm
                            .or(a.evaluation_periods)
                            .map(|m| m.to_string())
                            .unwrap_or_default(),
                        a.evaluation_periods
                            .map(|n| n.to_string())
                            .unwrap_or_default(),
                        s(&a.treat_missing_data),
                        a.actions_enabled.to_string(),
                        r.stats.episodes.to_string(),
                        format!("{:.1}", r.stats.minutes_in_alarm),
                        opt(r.stats.median_minutes),
                        opt(r.stats.longest_minutes),
                        opt(r.stats.mttr_minutes),
                        opt(r.stats.flap_share),
                        format!("{:.3}", r.stats.transitions_per_day),
                        r.stats
                            .last_change
                            .map(super::backtest::rfc3339)
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        };
        let noise = Table {
            header: vec!["alarm", "finding", "value", "evidence"],
            rows: self
                .noise
                .iter()
                .map(|n| {
                    vec![
                        n.alarm.clone(),
                        n.kind.label().into(),
                        format!("{:.3}", n.value),
                        n.evidence.clone(),
                    ]
                })
                .collect(),
        };
        vec![("alarms", alarms), ("noise", noise)]
    }
}

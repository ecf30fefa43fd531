//! The seed's seven alarms, with a history found by replaying them on the simulated metrics
//! with the very replay the backtest uses (CloudWatch's semantics), so replaying an alarm's own
//! settings on the stored demo reproduces its recorded history.

use app::analysis::alarms::periods::{empty_grid, roll_up, CombineWith};
use app::analysis::alarms::replay::{
    replay, AlarmState, Comparison, PeriodValues, ReplayRule, StateChange, TreatMissing,
};
use app::format;
use app::store::alarms::{AlarmHistoryRecord, AlarmRecord, HistoryItemType};
use app::store::canonical_dimensions;
use app::store::metrics::SeriesPoints;
use app::store::Store;

use super::fleet::{Profile, CLUSTER, LOAD_BALANCER, REGION};
use super::simulate::{Minute, Trace};

/// One alarm of the seed's table.
struct Def {
    name: &'static str,
    description: &'static str,
    service: usize,
    namespace: &'static str,
    metric: &'static str,
    /// How the stored 1-minute values of `stat_name` roll up into the period.
    combine: CombineWith,
    stat_name: &'static str,
    period: i64,
    rule: ReplayRule,
    alb: bool,
    value: fn(&Minute) -> f64,
}

fn defs() -> Vec<Def> {
    let rule = |threshold, comparison, n, m| ReplayRule {
        threshold,
        comparison,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        treat_missing: TreatMissing::Missing,
    };
    use Comparison::*;
    vec![
        Def {
            name: "server-cpu-high",
            description: "Prevent performance degradation",
            service: 0,
            namespace: "AWS/ECS",
            metric: "CPUUtilization",
            combine: CombineWith::MeanOfAverages,
            stat_name: "Average",
            period: 300,
            rule: rule(85.0, GreaterThan, 2, 2),
            alb: false,
            value: |m| m.cpu_avg,
        },
        Def {
            name: "server-memory-high",
            description: "Prevent OOM kills",
            service: 0,
            namespace: "AWS/ECS",
            metric: "MemoryUtilization",
            combine: CombineWith::MeanOfAverages,
            stat_name: "Average",
            period: 300,
            rule: rule(90.0, GreaterThan, 2, 2),
            alb: false,
            value: |m| m.mem_avg,
        },
        Def {
            name: "server-task-count-low",
            description: "Detect service failures",
            service: 0,
            namespace: "ECS/ContainerInsights",
            metric: "RunningTaskCount",
            combine: CombineWith::MeanOfAverages,
            stat_name: "Average",
            period: 60,
            rule: rule(2.0, LessThan, 2, 2),
            alb: false,
            value: |m| f64::from(m.tasks),
        },
        Def {
            name: "client-cpu-high",
            description: "Client performance",
            service: 1,
            namespace: "AWS/ECS",
            metric: "CPUUtilization",
            combine: CombineWith::MeanOfAverages,
            stat_name: "Average",
            period: 300,
            rule: rule(85.0, GreaterThan, 2, 2),
            alb: false,
            value: |m| m.cpu_avg,
        },
        Def {
            name: "alb-5xx-errors",
            description: "Backend errors",
            service: 0,
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_Target_5XX_Count",
            combine: CombineWith::Sum,
            stat_name: "Sum",
            period: 300,
            rule: rule(10.0, GreaterThan, 1, 1),
            alb: true,
            value: |m| m.errors_5xx,
        },
        Def {
            name: "server-target-unhealthy",
            description: "Critical availability",
            service: 0,
            namespace: "AWS/ApplicationELB",
            metric: "HealthyHostCount",
            combine: CombineWith::Min,
            stat_name: "Minimum",
            period: 60,
            rule: rule(1.0, LessThan, 2, 2),
            alb: true,
            value: |m| m.healthy,
        },
        Def {
            name: "client-target-unhealthy",
            description: "Frontend availability",
            service: 1,
            namespace: "AWS/ApplicationELB",
            metric: "HealthyHostCount",
            combine: CombineWith::Min,
            stat_name: "Minimum",
            period: 60,
            rule: rule(1.0, LessThan, 2, 2),
            alb: true,
            value: |m| m.healthy,
        },
    ]
}

/// Alarms and their history for the services present (the seed's alarms watch services 0 and 1).
pub fn alarms(
    fleet: &[Profile],
    traces: &[Trace],
    end: i64,
) -> (Vec<AlarmRecord>, Vec<AlarmHistoryRecord>) {
    let mut records = Vec::new();
    let mut history = Vec::new();
    for def in defs().into_iter().filter(|d| d.service < traces.len()) {
        let profile = &fleet[def.service];
        let trace = &traces[def.service];
        let created = trace.metrics_start;
        let minutes = SeriesPoints::from_pairs(
            trace
                .minutes
                .iter()
                .enumerate()
                .map(|(i, m)| (trace.metrics_start + 60 * i as i64, (def.value)(m)))
                .filter(|(_, v)| v.is_finite())
                .collect(),
        );
        let data_end = trace.metrics_start + 60 * trace.minutes.len() as i64;
        let grid = empty_grid(trace.metrics_start, data_end, def.period);
        let periods = roll_up(&minutes, def.combine, &grid);
        let transitions = replay(&def.rule, &periods, AlarmState::InsufficientData);
        let dimensions = if def.alb {
            canonical_dimensions([
                ("LoadBalancer", LOAD_BALANCER),
                ("TargetGroup", profile.target_group.as_str()),
            ])
        } else {
            canonical_dimensions([
                ("ClusterName", CLUSTER),
                ("ServiceName", profile.name.as_str()),
            ])
        };
        history.push(AlarmHistoryRecord {
            region: REGION.into(),
            alarm_name: def.name.into(),
            ts: created,
            item_type: HistoryItemType::ConfigurationUpdate,
            summary: format!("Alarm \"{}\" created", def.name),
            history_data: serde_json::json!({
                "version": "1.0", "type": "Create",
                "createdAlarm": { "alarmName": def.name, "metricName": def.metric, "namespace": def.namespace,
                    "threshold": def.rule.threshold, "comparisonOperator": def.rule.comparison.as_str(),
                    "evaluationPeriods": def.rule.evaluation_periods, "period": def.period, "statistic": def.stat_name }
            })
            .to_string(),
            ..AlarmHistoryRecord::default()
        });
        // The current state is the last transition's: (when, state, reason, reason data).
        let mut last: Option<(i64, AlarmState, String, serde_json::Value)> = None;
        for tr in transitions {
            // CloudWatch decides once the period is over, a little after.
            let at = tr.ts + 45;
            let (reason, data) = reason(&def, &periods, &tr, at);
            history.push(AlarmHistoryRecord {
                region: REGION.into(),
                alarm_name: def.name.into(),
                ts: at,
                item_type: HistoryItemType::StateUpdate,
                summary: format!("Alarm updated from {} to {}", tr.from.as_str(), tr.to.as_str()),
                old_state: Some(tr.from.as_str().into()),
                new_state: Some(tr.to.as_str().into()),
                reason: Some(reason.clone()),
                history_data: serde_json::json!({
                    "version": "1.0",
                    "oldState": { "stateValue": tr.from.as_str() },
                    "newState": { "stateValue": tr.to.as_str(), "stateReason": reason, "stateReasonData": data }
                })
                .to_string(),
            });
            last = Some((at, tr.to, reason, data));
        }
        let (state, reason_text, reason_data, updated) = match last {
            Some((at, to, reason, data)) => (to, reason, Some(data.to_string()), at),
            None => (
                AlarmState::InsufficientData,
                "Unchecked: Initial alarm creation".to_string(),
                None,
                created,
            ),
        };
        records.push(AlarmRecord {
            region: REGION.into(),
            name: def.name.into(),
            arn: Some(format!(
                "arn:aws:cloudwatch:{REGION}:123456789012:alarm:{}",
                def.name
            )),
            alarm_type: "MetricAlarm".into(),
            description: Some(def.description.into()),
            namespace: Some(def.namespace.into()),
            metric_name: Some(def.metric.into()),
            dimensions: Some(dimensions),
            statistic: Some(def.stat_name.into()),
            period: Some(def.period),
            evaluation_periods: Some(def.rule.evaluation_periods as i64),
            datapoints_to_alarm: Some(def.rule.datapoints_to_alarm as i64),
            threshold: Some(def.rule.threshold),
            comparison_operator: Some(def.rule.comparison.as_str().into()),
            treat_missing_data: Some("missing".into()),
            actions_enabled: true,
            alarm_actions: Some("[]".into()),
            ok_actions: Some("[]".into()),
            insufficient_data_actions: Some("[]".into()),
            state_value: state,
            state_reason: Some(reason_text),
            state_reason_data: reason_data,
            state_updated_at: Some(updated.min(end)),
            configuration_updated_at: Some(created),
            ..AlarmRecord::default()
        });
    }
    (records, history)
}

/// The last N period values up to the period whose end is `tr.ts`, newest first, with their
/// period starts, and how many breach.
fn recent(def: &Def, periods: &PeriodValues, tr: &StateChange) -> (Vec<(i64, f64)>, usize) {
    let last = ((tr.ts - periods.start) / periods.period - 1).max(0) as usize;
    let n = def.rule.evaluation_periods;
    let recent: Vec<(i64, f64)> = (last.saturating_sub(n - 1)..=last)
        .rev()
        .filter_map(|i| {
            Some((
                periods.period_start(i),
                periods.values.get(i).copied().flatten()?,
            ))
        })
        .collect();
    let breaching = recent
        .iter()
        .filter(|(_, v)| def.rule.comparison.breaches(*v, def.rule.threshold))
        .count();
    (recent, breaching)
}

/// CloudWatch's reason text and stateReasonData for a transition.
fn reason(
    def: &Def,
    periods: &PeriodValues,
    tr: &StateChange,
    at: i64,
) -> (String, serde_json::Value) {
    let n = def.rule.evaluation_periods;
    let (recent, breaching) = recent(def, periods, tr);
    let points: Vec<String> = recent
        .iter()
        .map(|(ts, v)| format!("{v:.1} ({})", format::datetime(*ts)))
        .collect();
    let verb = match def.rule.comparison {
        Comparison::GreaterThan => "greater than",
        Comparison::GreaterThanOrEqual => "greater than or equal to",
        Comparison::LessThan => "less than",
        Comparison::LessThanOrEqual => "less than or equal to",
    };
    let text = if tr.to == AlarmState::Alarm {
        format!(
            "Threshold Crossed: {} out of the last {n} datapoints [{}] were {verb} the threshold ({:.1}) (minimum {} datapoints for OK -> ALARM transition).",
            breaching, points.join(", "), def.rule.threshold, def.rule.datapoints_to_alarm
        )
    } else if tr.to == AlarmState::InsufficientData {
        format!("Insufficient Data: {n} datapoints were unknown.")
    } else {
        format!(
            "Threshold Crossed: {} out of the last {n} datapoints [{}] were not {verb} the threshold ({:.1}) (minimum 1 datapoint for ALARM -> OK transition).",
            recent.len() - breaching, points.join(", "), def.rule.threshold
        )
    };
    let data = serde_json::json!({
        "version": "1.0",
        "queryDate": format::datetime(at),
        "startDate": format::datetime(tr.ts - def.period * n as i64),
        "statistic": def.stat_name,
        "period": def.period,
        "recentDatapoints": recent.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        "threshold": def.rule.threshold,
        "evaluatedDatapoints": recent.iter().map(|(ts, v)| serde_json::json!({
            "timestamp": format::datetime(*ts), "value": v
        })).collect::<Vec<_>>()
    });
    (text, data)
}

/// Adds `items` synthetic history items for benchmarks: composite alarms (listed, never
/// replayed, so the seed alarms' replay still matches) that change state every few minutes over
/// `[start, end)`. Returns how many items were added.
pub async fn bulk_history(
    store: &Store,
    items: usize,
    start: i64,
    end: i64,
) -> anyhow::Result<u64> {
    const ALARMS: usize = 20;
    let per_alarm = items.div_ceil(ALARMS).max(1);
    let step = ((end - start) / per_alarm as i64).max(1);
    let mut added = 0;
    for a in 0..ALARMS {
        let name = format!("bench-composite-{a:02}");
        store
            .upsert_alarm(
                &AlarmRecord {
                    region: REGION.into(),
                    name: name.clone(),
                    alarm_type: "CompositeAlarm".into(),
                    description: Some("Synthetic alarm for benchmarks".into()),
                    alarm_rule: Some(
                        "ALARM(\"alb-5xx-errors\") OR ALARM(\"server-cpu-high\")".into(),
                    ),
                    actions_enabled: a % 2 == 0,
                    alarm_actions: Some("[]".into()),
                    state_value: AlarmState::Ok,
                    state_updated_at: Some(end - step),
                    ..AlarmRecord::default()
                },
                end,
            )
            .await?;
        let history: Vec<AlarmHistoryRecord> = (0..per_alarm
            .min(items.saturating_sub(a * per_alarm)))
            .map(|i| {
                let ts = start + i as i64 * step + a as i64;
                let (old, new) = if i % 2 == 0 {
                    ("OK", "ALARM")
                } else {
                    ("ALARM", "OK")
                };
                AlarmHistoryRecord {
                    region: REGION.into(),
                    alarm_name: name.clone(),
                    ts,
                    item_type: HistoryItemType::StateUpdate,
                    summary: format!("Alarm updated from {old} to {new}"),
                    old_state: Some(old.into()),
                    new_state: Some(new.into()),
                    reason: Some(format!("Composite rule evaluated to {new}")),
                    history_data: String::new(),
                }
            })
            .collect();
        for chunk in history.chunks(5000) {
            added += store.insert_alarm_history(chunk).await?;
        }
    }
    Ok(added)
}

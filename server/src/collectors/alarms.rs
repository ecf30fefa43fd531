//! CloudWatch alarms (metric and composite, every page) and their history (every item type).

use aws_sdk_cloudwatch::types::{
    AlarmHistoryItem, AlarmType, CompositeAlarm, HistoryItemType as AwsItemType, MetricAlarm,
    StateValue,
};
use aws_smithy_types::DateTime;

use app::store::alarms::{AlarmHistoryRecord, AlarmRecord, AlarmState, HistoryItemType};
use app::store::canonical_dimensions;

use crate::aws::{classify, epoch, AwsClients, AwsError, CallLog};

/// Reads every metric and composite alarm in the region.
pub async fn fetch_alarms(
    clients: &AwsClients,
    log: &CallLog,
) -> Result<Vec<AlarmRecord>, AwsError> {
    let mut out = Vec::new();
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        log.record("cloudwatch:DescribeAlarms", 0);
        let page = page.map_err(|e| classify("cloudwatch:DescribeAlarms", e))?;
        out.extend(
            page.metric_alarms()
                .iter()
                .map(|a| metric_alarm(&clients.region, a)),
        );
        out.extend(
            page.composite_alarms()
                .iter()
                .map(|a| composite_alarm(&clients.region, a)),
        );
    }
    Ok(out)
}

/// Reads alarm history items newer than `since` (all when None), every type and page.
pub async fn fetch_history(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    since: Option<i64>,
    log: &CallLog,
) -> Result<Vec<AlarmHistoryRecord>, AwsError> {
    let mut request = client
        .describe_alarm_history()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .max_records(100);
    if let Some(since) = since {
        request = request.start_date(DateTime::from_secs(since));
    }
    let mut out = Vec::new();
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        log.record("cloudwatch:DescribeAlarmHistory", 0);
        let page = page.map_err(|e| classify("cloudwatch:DescribeAlarmHistory", e))?;
        out.extend(
            page.alarm_history_items()
                .iter()
                .map(|i| history_item(region, i)),
        );
    }
    Ok(out)
}

fn json_list(items: &[String]) -> Option<String> {
    Some(serde_json::to_string(items).expect("strings serialize"))
}

/// Converts a DescribeAlarms metric alarm.
pub fn metric_alarm(region: &str, a: &MetricAlarm) -> AlarmRecord {
    let dims: Vec<(&str, &str)> = a
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
        .collect();
    let metrics = (!a.metrics().is_empty()).then(|| {
        let queries: Vec<serde_json::Value> = a
            .metrics()
            .iter()
            .map(|q| {
                serde_json::json!({
                    "id": q.id(), "expression": q.expression(), "label": q.label(), "return_data": q.return_data(),
                    "metric": q.metric_stat().and_then(|s| s.metric()).map(|m| serde_json::json!({
                        "namespace": m.namespace(), "metric_name": m.metric_name(),
                        "dimensions": m.dimensions().iter().map(|d| (d.name(), d.value())).collect::<Vec<_>>(),
                    })),
                    "stat": q.metric_stat().and_then(|s| s.stat()),
                    "period": q.metric_stat().and_then(|s| s.period()).or(q.period()),
                })
            })
            .collect();
        serde_json::Value::Array(queries).to_string()
    });
    AlarmRecord {
        region: region.to_string(),
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().map(str::to_string),
        alarm_type: "MetricAlarm".into(),
        description: a.alarm_description().map(str::to_string),
        namespace: a.namespace().map(str::to_string),
        metric_name: a.metric_name().map(str::to_string),
        dimensions: (!dims.is_empty() || a.metric_name().is_some())
            .then(|| canonical_dimensions(dims)),
        statistic: a.statistic().map(|s| s.as_str().to_string()),
        extended_statistic: a.extended_statistic().map(str::to_string),
        period: a.period().map(i64::from),
        evaluation_periods: a.evaluation_periods().map(i64::from),
        datapoints_to_alarm: a.datapoints_to_alarm().map(i64::from),
        threshold: a.threshold(),
        comparison_operator: a.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: a.treat_missing_data().map(str::to_string),
        metrics,
        alarm_rule: None,
        actions_enabled: a.actions_enabled().unwrap_or(true),
        alarm_actions: json_list(a.alarm_actions()),
        ok_actions: json_list(a.ok_actions()),
        insufficient_data_actions: json_list(a.insufficient_data_actions()),
        state_value: alarm_state(a.state_value()),
        state_reason: a.state_reason().map(str::to_string),
        state_reason_data: a.state_reason_data().map(str::to_string),
        state_updated_at: a.state_updated_timestamp().map(epoch),
        configuration_updated_at: a.alarm_configuration_updated_timestamp().map(epoch),
    }
}

/// Converts a DescribeAlarms composite alarm.
pub fn composite_alarm(region: &str, a: &CompositeAlarm) -> AlarmRecord {
    AlarmRecord {
        region: region.to_string(),
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().map(str::to_string),
        alarm_type: "CompositeAlarm".into(),
        description: a.alarm_description().map(str::to_string),
        alarm_rule: a.alarm_rule().map(str::to_string),
        actions_enabled: a.actions_enabled().unwrap_or(true),
        alarm_actions: json_list(a.alarm_actions()),
        ok_actions: json_list(a.ok_actions()),
        insufficient_data_actions: json_list(a.insufficient_data_actions()),
        state_value: alarm_state(a.state_value()),
        state_reason: a.state_reason().map(str::to_string),
        state_reason_data: a.state_reason_data().map(str::to_string),
        state_updated_at: a.state_updated_timestamp().map(epoch),
        configuration_updated_at: a.alarm_configuration_updated_timestamp().map(epoch),
        ..AlarmRecord::default()
    }
}

/// An alarm's state as CloudWatch reports it; a missing or unknown one reads as not enough data.
fn alarm_state(value: Option<&StateValue>) -> AlarmState {
    match value {
        Some(StateValue::Ok) => AlarmState::Ok,
        Some(StateValue::Alarm) => AlarmState::Alarm,
        _ => AlarmState::InsufficientData,
    }
}

/// A history item's type; one this version does not know is kept as AWS spelled it.
fn item_type(value: Option<&AwsItemType>) -> HistoryItemType {
    match value {
        Some(AwsItemType::StateUpdate) => HistoryItemType::StateUpdate,
        Some(AwsItemType::ConfigurationUpdate) => HistoryItemType::ConfigurationUpdate,
        Some(AwsItemType::Action) => HistoryItemType::Action,
        Some(other) => HistoryItemType::Other(other.as_str().to_string()),
        None => HistoryItemType::Other("Unknown".into()),
    }
}

/// Converts a history item, reading old/new state and reason out of its HistoryData when it is a
/// state update. Unknown item types are kept as AWS spelled them.
pub fn history_item(region: &str, i: &AlarmHistoryItem) -> AlarmHistoryRecord {
    let data = i.history_data().unwrap_or_default().to_string();
    let item_type = item_type(i.history_item_type());
    let parsed = parse_history_data(&data);
    AlarmHistoryRecord {
        region: region.to_string(),
        alarm_name: i.alarm_name().unwrap_or_default().to_string(),
        ts: i.timestamp().map(epoch).unwrap_or(0),
        item_type,
        summary: i.history_summary().unwrap_or_default().to_string(),
        old_state: parsed.old_state,
        new_state: parsed.new_state,
        reason: parsed.reason,
        history_data: data,
    }
}

/// What a StateUpdate's HistoryData says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedHistory {
    /// oldState.stateValue.
    pub old_state: Option<String>,
    /// newState.stateValue.
    pub new_state: Option<String>,
    /// newState.stateReason.
    pub reason: Option<String>,
    /// newState.stateReasonData.evaluatedDatapoints values, or recentDatapoints.
    pub evaluated: Vec<f64>,
}

/// Parses HistoryData JSON; anything unparseable gives an empty result (the raw text is kept).
pub fn parse_history_data(data: &str) -> ParsedHistory {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(data) else {
        return ParsedHistory::default();
    };
    let text = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let reason_data = v.pointer("/newState/stateReasonData");
    let evaluated = reason_data
        .and_then(|d| d.get("evaluatedDatapoints"))
        .and_then(|e| e.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("value").and_then(|x| x.as_f64()))
                .collect::<Vec<_>>()
        })
        .filter(|a| !a.is_empty())
        .or_else(|| {
            reason_data
                .and_then(|d| d.get("recentDatapoints"))
                .and_then(|r| r.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        })
        .unwrap_or_default();
    ParsedHistory {
        old_state: text("/oldState/stateValue"),
        new_state: text("/newState/stateValue"),
        reason: text("/newState/stateReason"),
        evaluated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape DOMAIN.md gives for a StateUpdate's HistoryData.
    const STATE_UPDATE: &str = r#"{"version":"1.0","oldState":{"stateValue":"OK","stateReason":"Threshold Crossed: no datapoints were received"},"newState":{"stateValue":"ALARM","stateReason":"Threshold Crossed: 1 datapoint [40.2 (27/11/26 14:20:00)] was greater than the threshold (30.0).","stateReasonData":{"version":"1.0","queryDate":"2026-11-27T14:25:02.000+0000","startDate":"2026-11-27T14:20:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[38.9,40.2],"threshold":30.0,"evaluatedDatapoints":[{"timestamp":"2026-11-27T14:20:00.000+0000","sampleCount":5.0,"value":40.2}]}}}"#;

    #[test]
    fn parses_a_state_update() {
        let p = parse_history_data(STATE_UPDATE);
        assert_eq!(p.old_state.as_deref(), Some("OK"));
        assert_eq!(p.new_state.as_deref(), Some("ALARM"));
        assert!(p
            .reason
            .unwrap()
            .starts_with("Threshold Crossed: 1 datapoint"));
        assert_eq!(p.evaluated, vec![40.2]);
    }

    #[test]
    fn converts_metric_and_composite_alarms() {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
        let metric = MetricAlarm::builder()
            .alarm_name("server-cpu-high")
            .namespace("AWS/ECS")
            .metric_name("CPUUtilization")
            .dimensions(
                Dimension::builder()
                    .name("ServiceName")
                    .value("web")
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name("ClusterName")
                    .value("prod")
                    .build(),
            )
            .statistic(Statistic::Average)
            .period(300)
            .evaluation_periods(2)
            .datapoints_to_alarm(2)
            .threshold(85.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .treat_missing_data("breaching")
            .alarm_actions("arn:aws:sns:us-east-1:1:ops")
            .state_value(StateValue::Alarm)
            .state_updated_timestamp(DateTime::from_secs(1_795_000_000))
            .build();
        let r = metric_alarm("us-east-1", &metric);
        assert_eq!(
            r.dimensions.as_deref(),
            Some(r#"{"ClusterName":"prod","ServiceName":"web"}"#),
            "canonical order"
        );
        assert_eq!(
            (r.statistic.as_deref(), r.period, r.threshold),
            (Some("Average"), Some(300), Some(85.0))
        );
        assert_eq!(
            r.comparison_operator.as_deref(),
            Some("GreaterThanThreshold")
        );
        assert_eq!(
            r.alarm_actions.as_deref(),
            Some(r#"["arn:aws:sns:us-east-1:1:ops"]"#)
        );
        assert_eq!(
            (r.state_value.as_str(), r.state_updated_at),
            ("ALARM", Some(1_795_000_000))
        );

        let composite = CompositeAlarm::builder()
            .alarm_name("service-down")
            .alarm_rule("ALARM(server-target-unhealthy) AND ALARM(server-task-count-low)")
            .state_value(StateValue::Ok)
            .build();
        let c = composite_alarm("us-east-1", &composite);
        assert_eq!(c.alarm_type, "CompositeAlarm");
        assert_eq!(
            c.alarm_rule.as_deref(),
            Some("ALARM(server-target-unhealthy) AND ALARM(server-task-count-low)")
        );
        assert_eq!(
            (c.state_value.as_str(), c.metric_name.as_deref()),
            ("OK", None)
        );
    }

    #[test]
    fn tolerates_other_shapes() {
        assert_eq!(parse_history_data("not json"), ParsedHistory::default());
        let p = parse_history_data(r#"{"version":"1.0","type":"Update","updatedAlarm":{}}"#);
        assert_eq!(p, ParsedHistory::default());
        let p = parse_history_data(
            r#"{"newState":{"stateValue":"OK","stateReasonData":{"recentDatapoints":[1.0,2.5]}}}"#,
        );
        assert_eq!(p.evaluated, vec![1.0, 2.5]);
    }
}

//! The calls moto cannot answer (DescribeAlarmHistory, GetCostForecast) and AWS's error answers,
//! through the real SDK with canned responses shaped like AWS's documented ones.

use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
use aws_sdk_cloudwatch::types::{AlarmHistoryItem, HistoryItemType};
use aws_sdk_costexplorer::operation::get_cost_forecast::GetCostForecastOutput;
use aws_sdk_costexplorer::types::{DateInterval, ForecastResult, MetricValue};
use aws_smithy_mocks::{mock, mock_client};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::DateTime;

use server::aws::{classify, AwsError, CallLog};
use server::collectors::{alarms, costs};

const STATE_UPDATE: &str = r#"{"version":"1.0","oldState":{"stateValue":"OK","stateReason":"Threshold Crossed: 1 datapoint [12.0 (27/11/26 14:15:00)] was not greater than the threshold (30.0)."},"newState":{"stateValue":"ALARM","stateReason":"Threshold Crossed: 1 datapoint [40.2 (27/11/26 14:20:00)] was greater than the threshold (30.0).","stateReasonData":{"version":"1.0","queryDate":"2026-11-27T14:25:02.000+0000","startDate":"2026-11-27T14:20:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[40.2],"threshold":30.0,"evaluatedDatapoints":[{"timestamp":"2026-11-27T14:20:00.000+0000","sampleCount":5.0,"value":40.2}]}}}"#;

fn item(
    name: &str,
    secs: i64,
    kind: HistoryItemType,
    summary: &str,
    data: &str,
) -> AlarmHistoryItem {
    AlarmHistoryItem::builder()
        .alarm_name(name)
        .timestamp(DateTime::from_secs(secs))
        .history_item_type(kind)
        .history_summary(summary)
        .history_data(data)
        .build()
}

#[tokio::test]
async fn alarm_history_reads_every_page_and_every_type_and_is_stored_once() {
    let pages = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
        .sequence()
        .output(|| {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(item(
                    "web-cpu-high",
                    1_795_000_000,
                    HistoryItemType::StateUpdate,
                    "Alarm updated from OK to ALARM",
                    STATE_UPDATE,
                ))
                .alarm_history_items(item(
                    "web-cpu-high",
                    1_794_990_000,
                    HistoryItemType::ConfigurationUpdate,
                    "Alarm \"web-cpu-high\" created",
                    r#"{"type":"Create"}"#,
                ))
                .next_token("page-2")
                .build()
        })
        .output(|| {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(item(
                    "web-cpu-high",
                    1_795_000_100,
                    HistoryItemType::Action,
                    "Successfully executed action arn:aws:sns:us-east-1:1:ops",
                    "{}",
                ))
                .alarm_history_items(item(
                    "web-cpu-high",
                    1_795_000_200,
                    HistoryItemType::from("AlarmContributorStateUpdate"),
                    "Contributor updated",
                    "{}",
                ))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_cloudwatch, [&pages]);
    let log = CallLog::default();
    let items = alarms::fetch_history(&client, "us-east-1", None, &log)
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(
        log.calls("cloudwatch:DescribeAlarmHistory"),
        2,
        "NextToken followed"
    );
    let update = &items[0];
    assert_eq!(
        (update.old_state.as_deref(), update.new_state.as_deref()),
        (Some("OK"), Some("ALARM"))
    );
    assert!(update.reason.as_deref().unwrap().contains("40.2"));
    assert_eq!(
        items[3].item_type,
        app::store::alarms::HistoryItemType::Other("AlarmContributorStateUpdate".into()),
        "unknown types are kept"
    );

    let dir = tempfile::tempdir().unwrap();
    let store = app::store::Store::open(&dir.path().join("h.db"))
        .await
        .unwrap();
    assert_eq!(store.insert_alarm_history(&items).await.unwrap(), 4);
    assert_eq!(
        store.insert_alarm_history(&items).await.unwrap(),
        0,
        "syncing the same history twice stores it once"
    );
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn alarm_history_parses_awsquery_xml() {
    let body = format!(
        r#"<DescribeAlarmHistoryResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <DescribeAlarmHistoryResult>
    <AlarmHistoryItems>
      <member>
        <Timestamp>2026-11-27T14:25:02.123Z</Timestamp>
        <HistoryItemType>StateUpdate</HistoryItemType>
        <AlarmName>alb-5xx-errors</AlarmName>
        <AlarmType>MetricAlarm</AlarmType>
        <HistoryData>{}</HistoryData>
        <HistorySummary>Alarm updated from OK to ALARM</HistorySummary>
      </member>
    </AlarmHistoryItems>
  </DescribeAlarmHistoryResult>
  <ResponseMetadata><RequestId>2d4a3f4c-0000-4d8e-9f3a-000000000000</RequestId></ResponseMetadata>
</DescribeAlarmHistoryResponse>"#,
        xml_escape(STATE_UPDATE)
    );
    let rule =
        mock!(aws_sdk_cloudwatch::Client::describe_alarm_history).then_http_response(move || {
            HttpResponse::new(
                StatusCode::try_from(200).unwrap(),
                SdkBody::from(body.clone()),
            )
        });
    let client = mock_client!(aws_sdk_cloudwatch, [&rule]);
    let items = alarms::fetch_history(
        &client,
        "us-east-1",
        Some(1_795_000_000),
        &CallLog::default(),
    )
    .await
    .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].alarm_name, "alb-5xx-errors");
    assert_eq!(
        items[0].ts,
        chrono::DateTime::parse_from_rfc3339("2026-11-27T14:25:02Z")
            .unwrap()
            .timestamp()
    );
    assert_eq!(items[0].new_state.as_deref(), Some("ALARM"));
    assert_eq!(
        items[0].history_data, STATE_UPDATE,
        "the raw HistoryData is kept"
    );
}

#[tokio::test]
async fn cost_forecast_for_the_rest_of_the_month() {
    let rule = mock!(aws_sdk_costexplorer::Client::get_cost_forecast)
        .match_requests(|r| {
            r.time_period().map(|p| (p.start(), p.end())) == Some(("2026-11-27", "2026-12-01"))
        })
        .then_output(|| {
            GetCostForecastOutput::builder()
                .total(MetricValue::builder().amount("42.5").unit("USD").build())
                .forecast_results_by_time(
                    ForecastResult::builder()
                        .time_period(
                            DateInterval::builder()
                                .start("2026-11-27")
                                .end("2026-12-01")
                                .build()
                                .unwrap(),
                        )
                        .mean_value("42.5")
                        .prediction_interval_lower_bound("38.1")
                        .prediction_interval_upper_bound("47.9")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_costexplorer, [&rule]);
    let day = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    };
    let log = CallLog::default();
    let f = costs::fetch_forecast(&client, day("2026-11-27"), day("2026-12-01"), 0, &log)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((f.mean, f.lower, f.upper), (42.5, Some(38.1), Some(47.9)));
    assert_eq!(log.cost_usd(), 0.01, "one Cost Explorer request");
    assert_eq!(rule.num_calls(), 1);
    // Past the month's end there is nothing to forecast, and no request is made.
    assert!(
        costs::fetch_forecast(&client, day("2026-12-01"), day("2026-12-01"), 0, &log)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_names_the_action_to_add() {
    let rule = mock!(aws_sdk_ecs::Client::list_clusters).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ro is not authorized to perform: ecs:ListClusters"}"#),
        )
    });
    let client = mock_client!(aws_sdk_ecs, [&rule]);
    let err = client.list_clusters().send().await.unwrap_err();
    let e = classify("ecs:ListClusters", err);
    assert!(matches!(e, AwsError::Denied { .. }), "{e:?}");
    assert!(!e.is_fatal(), "the sync carries on");
    let msg = e.to_string();
    assert!(
        msg.contains("\"ecs:ListClusters\"") && msg.contains("IAM policy"),
        "{msg}"
    );
}

#[tokio::test]
async fn expired_credentials_stop_the_sync_with_one_message() {
    let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
    let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(move || {
        HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body))
    });
    let client = mock_client!(aws_sdk_sts, [&rule]);
    let e = classify(
        "sts:GetCallerIdentity",
        client.get_caller_identity().send().await.unwrap_err(),
    );
    assert!(e.is_fatal(), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("ExpiredToken") && msg.contains("aws sso login"),
        "{msg}"
    );
}

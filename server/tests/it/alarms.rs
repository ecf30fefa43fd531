//! Alarms: the backtest reproduces the demo's recorded history, the pages and their endpoints.

use axum::http::StatusCode;

use app::reports::backtest::{self, BacktestParams};

use crate::helpers::{small_spec, spawn_app};

#[tokio::test]
async fn replaying_each_demo_alarms_own_settings_reproduces_its_history() {
    let app = spawn_app(Some(small_spec())).await;
    let alarms = app.store.list_alarms(None).await.unwrap();
    let metric_alarms: Vec<_> = alarms
        .iter()
        .filter(|a| a.alarm_type == "MetricAlarm")
        .collect();
    assert_eq!(metric_alarms.len(), 7);
    let mut transitions = 0;
    for a in metric_alarms {
        let report = backtest::build(&app.store, &a.name, &BacktestParams::default())
            .await
            .unwrap();
        assert_eq!(report.cannot_replay, None, "{}", a.name);
        assert!(report.own, "{}", a.name);
        let fidelity = report.fidelity.as_ref().unwrap();
        assert_eq!(
            (fidelity.matched, fidelity.extra),
            (fidelity.recorded, 0),
            "{}: {fidelity:?}",
            a.name
        );
        transitions += fidelity.recorded;
        if fidelity.recorded > 0 {
            assert_eq!(report.match_rate, Some(1.0), "{}", a.name);
        }
        // State for state: every recorded episode is a replayed episode.
        let recorded = &report.compared[0].stats;
        assert_eq!(recorded.episodes, report.stats.episodes, "{}", a.name);
    }
    assert!(
        transitions >= 10,
        "the demo's alarms change state ({transitions})"
    );
}

#[tokio::test]
async fn backtest_json_holds_the_documented_fields() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, body) = app
        .get("/api/alarms/alb-5xx-errors/backtest?threshold=40&evaluation_periods=3&datapoints=2")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    for field in [
        "alarm",
        "settings",
        "episodes",
        "minutes_in_alarm",
        "episode_count",
    ] {
        assert!(v.get(field).is_some(), "{field} missing from {body}");
    }
    assert_eq!(v["settings"]["threshold"], 40.0);
    assert_eq!(v["settings"]["evaluation_periods"], 3);
    assert!(v["match_rate"].is_null(), "not the alarm's own settings");
    let own: serde_json::Value =
        serde_json::from_str(&app.get("/api/alarms/alb-5xx-errors/backtest").await.1).unwrap();
    assert_eq!(own["match_rate"], 1.0);
    let first = &own["episodes"][0];
    assert!(first["start"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn bad_backtest_queries_are_400_with_the_reason() {
    let app = spawn_app(Some(small_spec())).await;
    for (query, reason) in [
        ("threshold=abc", "'threshold=abc' is not a valid number"),
        ("period=90", "not a multiple of the stored resolution"),
        ("statistic=p99", "cannot be replayed"),
        ("treat_missing=zero", "not one of missing, ignore"),
        (
            "datapoints=5&evaluation_periods=2",
            "cannot exceed evaluation periods",
        ),
    ] {
        let (status, body) = app
            .get(&format!("/api/alarms/server-cpu-high/backtest?{query}"))
            .await;
        if reason.contains("replayed") {
            // Replays that cannot run are an answer, not an error: the JSON says why.
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                v["cannot_replay"].as_str().unwrap().contains(reason),
                "{query}: {body}"
            );
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(body.contains(reason), "{query}: {body}");
        }
    }
    let (status, _) = app.get("/api/alarms/no-such-alarm/backtest").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

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

#[tokio::test]
async fn alarms_page_lists_alarms_with_their_record_timeline_and_noise() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get("/alarms?range=14d").await;
    assert_eq!(status, StatusCode::OK);
    for name in [
        "alb-5xx-errors",
        "server-cpu-high",
        "client-target-unhealthy",
    ] {
        assert!(html.contains(name), "{name}");
    }
    assert!(html.contains(r#"id="alarm-timeline""#) && html.contains("<svg"));
    let noise = &html[html.find(r#"id="noise""#).unwrap()..];
    assert!(noise.contains("Flaps"), "alb-5xx-errors flaps in the demo");
    // The same numbers as the JSON.
    let (_, json) = app.get("/api/alarms?range=14d").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let alb = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["alarm"]["name"] == "alb-5xx-errors")
        .unwrap();
    assert!(alb["stats"]["episodes"].as_u64().unwrap() >= 5);
    // Filters and sort are GET parameters.
    let (_, filtered) = app
        .get("/alarms?range=14d&q=cpu&sort=episodes&order=desc")
        .await;
    assert!(filtered.contains("server-cpu-high") && !filtered.contains(">alb-5xx-errors<"));
    let (_, csv) = app.get("/api/alarms?format=csv").await;
    assert!(csv.starts_with("name,type,state"));
}

#[tokio::test]
async fn alarm_page_shows_the_match_rate_chart_and_suggestion() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get("/alarms/alb-5xx-errors").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let fidelity = &html[html.find(r#"id="match-rate""#).unwrap()..];
    assert!(fidelity[..400].contains("(100%)"), "{}", &fidelity[..400]);
    assert!(html.contains(r#"id="metric-chart""#) && html.contains(r#"id="sweep-chart""#));
    assert!(html.contains(r#"id="suggestion""#));
    // Dimensions read as a line each, not as the JSON they are stored as.
    let facts = &html[html.find(r#"id="alarm-facts""#).unwrap()..];
    let facts = &facts[..facts.find("</dl>").unwrap()];
    assert!(facts.contains("<li>LoadBalancer: app/"), "{facts}");
    assert!(
        !facts.contains("{&quot;") && !facts.contains("{\""),
        "{facts}"
    );
    // A tried threshold adds its column to the side-by-side table.
    let (status, html) = app
        .get("/alarms/alb-5xx-errors?threshold=30&datapoints=2&evaluation_periods=3")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Replay, tried settings"));
    let (status, html) = app.get("/alarms/alb-5xx-errors?threshold=lots").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("&#x27;threshold=lots&#x27; is not a valid number")
            || html.contains("'threshold=lots' is not a valid number"),
        "{html}"
    );
    let (status, _) = app.get("/alarms/no-such-alarm").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_alarm_list_and_history_queries_are_400_with_the_reason() {
    let app = spawn_app(Some(small_spec())).await;
    for (path, reason) in [
        ("/alarms?state=red", "is not OK, ALARM or INSUFFICIENT_DATA"),
        ("/alarms?sort=colour", "is not one of name"),
        ("/alarms?range=3d", "is not one of 7d"),
        ("/alarms/history?before=yesterday", "is not a page cursor"),
        ("/alarms/history?type=Nope", "is not one of StateUpdate"),
        ("/api/alarms/history?export=some", "is not page or all"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(body.contains(reason), "{path}: {body}");
    }
}

#[tokio::test]
async fn keyset_pages_never_skip_or_repeat_while_items_arrive() {
    use app::store::alarms::{AlarmHistoryRecord, HistoryFilter, HistoryItemType};
    let app = spawn_app(Some(small_spec())).await;
    let item = |ts: i64, n: usize| AlarmHistoryRecord {
        region: "us-east-1".into(),
        alarm_name: "alb-5xx-errors".into(),
        ts,
        item_type: HistoryItemType::Action,
        summary: format!("arrival {n}"),
        history_data: String::new(),
        ..AlarmHistoryRecord::default()
    };
    let before: Vec<i64> = app
        .store
        .alarm_history_page(&HistoryFilter::default(), None, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let newest = app.store.alarm_history_reach().await.unwrap().1.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut arrivals = 0;
    loop {
        let page = app
            .store
            .alarm_history_page(&HistoryFilter::default(), cursor, 7)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        seen.extend(page.iter().map(|i| i.id));
        let last = page.last().unwrap();
        cursor = Some((last.record.ts, last.id));
        // New items arrive between pages, at the newest time and at the same time as the cursor.
        arrivals += 1;
        app.store
            .insert_alarm_history(&[
                item(newest + arrivals, arrivals as usize),
                item(last.record.ts, 1000 + arrivals as usize),
            ])
            .await
            .unwrap();
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no item repeated");
    let mut expected = before.clone();
    expected.sort();
    assert_eq!(
        unique, expected,
        "every item stored before the walk seen exactly once"
    );
    // Through the page: the next link carries the cursor.
    let (_, html) = app.get("/alarms/history?limit=5").await;
    assert!(html.contains(r#"id="next-page""#) && html.contains("before="));
}

#[tokio::test]
async fn names_and_reasons_with_markup_are_inert_in_html_and_svg() {
    use app::store::alarms::{AlarmHistoryRecord, AlarmRecord, HistoryItemType};
    let app = spawn_app(Some(small_spec())).await;
    let evil = r#"<img src=x onerror="alert('x')">&ünï"#;
    app.store
        .upsert_alarm(
            &AlarmRecord {
                region: "us-east-1".into(),
                name: evil.into(),
                alarm_type: "CompositeAlarm".into(),
                description: Some("<b>bold</b>".into()),
                alarm_rule: Some(r#"ALARM("a") OR ALARM('b')"#.into()),
                state_value: app::store::alarms::AlarmState::Alarm,
                state_updated_at: Some(crate::helpers::test_end() - 3600),
                ..AlarmRecord::default()
            },
            crate::helpers::test_end(),
        )
        .await
        .unwrap();
    app.store
        .insert_alarm_history(&[AlarmHistoryRecord {
            region: "us-east-1".into(),
            alarm_name: evil.into(),
            ts: crate::helpers::test_end() - 3600,
            item_type: HistoryItemType::StateUpdate,
            summary: "Alarm updated from OK to ALARM".into(),
            old_state: Some("OK".into()),
            new_state: Some("ALARM".into()),
            reason: Some(r#"<script>alert("reason")</script>"#.into()),
            history_data: String::new(),
        }])
        .await
        .unwrap();
    for path in [
        "/alarms?range=7d".to_string(),
        "/alarms/history".to_string(),
        format!("/alarms/{}", app::pages::alarms::enc(evil)),
    ] {
        let (status, html) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<b>bold</b>"), "{path}");
        assert!(html.contains("ünï"), "{path}: non-ASCII kept");
    }
    let (_, html) = app.get("/alarms?range=7d").await;
    let svg = &html[html.find(r#"id="alarm-timeline""#).unwrap()..];
    assert!(svg.contains("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;ünï"));
    // Composite alarms say they are not backtested.
    let (_, page) = app
        .get(&format!("/alarms/{}", app::pages::alarms::enc(evil)))
        .await;
    assert!(page.contains("cannot be replayed") && page.contains("composite alarm"));
}

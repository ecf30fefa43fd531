//! The scaling what-if through the real router: calibration on the demo, bad values, the page.

use axum::http::StatusCode;
use serde_json::Value;

use server::demo::fleet::{fleet, CLUSTER};

use crate::helpers::{small_spec, spawn_app};

fn url(name: &str, query: &str) -> String {
    format!("/api/services/{CLUSTER}/{name}/whatif?range=14d&{query}")
}

#[tokio::test]
async fn replaying_the_demo_services_own_settings_tracks_their_task_count_within_ten_percent() {
    let app = spawn_app(Some(small_spec())).await;
    for profile in fleet(2, small_spec().seed) {
        let (status, body) = app.get(&url(&profile.name, "")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        let cal = &json["calibration"];
        let error = cal["task_hours_error_pct"].as_f64().unwrap();
        let diff = cal["mean_abs_task_diff"].as_f64().unwrap();
        let mean = json["actual"]["task_hours"].as_f64().unwrap()
            / (cal["minutes_compared"].as_f64().unwrap() / 60.0);
        println!(
            "{}: task-hours error {error:.2}%, mean |diff| {diff:.3} of {mean:.2} tasks",
            profile.name
        );
        assert!(
            error.abs() < 10.0,
            "{}: task-hours off by {error}%",
            profile.name
        );
        assert!(
            diff < 0.1 * mean,
            "{}: mean |diff| {diff} vs {mean} tasks",
            profile.name
        );
        for side in ["actual", "simulated"] {
            for field in [
                "task_hours",
                "monthly_cost_usd",
                "minutes_over_alarm",
                "minutes_at_max",
                "scale_events",
                "max_tasks",
            ] {
                assert!(json[side][field].is_number(), "{side}.{field} missing");
            }
        }
        assert_eq!(json["service"], profile.name.as_str());
        assert!(json["settings"].is_object());
    }
}

#[tokio::test]
async fn bad_values_and_unknown_services_are_a_400_with_the_reason() {
    let app = spawn_app(Some(small_spec())).await;
    let server = &fleet(2, small_spec().seed)[0].name;
    for (query, reason) in [
        ("min=5&max=3", "below min"),
        ("target_cpu=0", "CPU target"),
        ("target_cpu=150", "CPU target"),
        ("max=abc", "'max=abc'"),
        ("sweep=everything", "'sweep=everything'"),
        ("cpu=300&memory=1024", "300"),
    ] {
        let (status, body) = app.get(&url(server, query)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.contains(reason), "{query}: {body}");
        let page = format!("/services/{CLUSTER}/{server}/scaling?{query}");
        let (status, html) = app.get(&page).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(html.contains(reason), "{page} does not say {reason}");
    }
    let (status, body) = app.get(&url("no-such-service", "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("no-such-service"), "{body}");
    let (status, _) = app
        .get(&format!("/services/{CLUSTER}/no-such-service/scaling"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_scaling_page_shows_the_replay_the_json_gives_with_a_sweep_and_is_linked() {
    let app = spawn_app(Some(small_spec())).await;
    let server = &fleet(2, small_spec().seed)[0].name;
    let query = "target_cpu=60&max=12&sweep=target-cpu";
    let (_, body) = app.get(&url(server, query)).await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert!(json.get("calibration").is_none(), "not the own settings");
    let points = json["sweep"]["points"].as_array().unwrap();
    assert_eq!(
        points.len(),
        11 + usize::from(points.iter().all(|p| p["value"] != 60.0))
    );
    assert_eq!(
        points.iter().filter(|p| p["recommended"] == true).count(),
        1
    );
    assert_eq!(points.iter().filter(|p| p["current"] == true).count(), 1);

    let page = format!("/services/{CLUSTER}/{server}/scaling?range=14d&{query}");
    let (status, html) = app.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    for money in ["actual", "simulated"] {
        let usd = app::format::usd(json[money]["monthly_cost_usd"].as_f64().unwrap());
        assert!(html.contains(&usd), "{money} monthly {usd} not on the page");
    }
    for id in [
        "comparison-table",
        "frontier-chart",
        "sweep-table",
        "tasks-chart",
        "calibration",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(html.contains("<title>"), "charts carry hover titles");
    assert!(html.contains("recommended"));

    let (_, service_page) = app.get(&format!("/services/{CLUSTER}/{server}")).await;
    assert!(service_page.contains(&format!("/services/{CLUSTER}/{server}/scaling")));
}

/// A report built through a state whose caches are empty: the reference a cached one must equal.
async fn fresh_report(
    app: &crate::helpers::TestApp,
    query: &str,
    now: i64,
) -> app::reports::whatif::WhatIfReport {
    let state = app::state::AppState::new(
        app.store.clone(),
        std::sync::Arc::new(app::clock::FixedClock(now)),
        app::settings::Settings::default(),
    );
    report_through(&state, query, now).await
}

/// The report for the demo's server service built through `state` (and its caches).
async fn report_through(
    state: &app::state::AppState,
    query: &str,
    now: i64,
) -> app::reports::whatif::WhatIfReport {
    let pairs: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    };
    let (q, range) = app::reports::whatif::parse_request(&get, now, 14).unwrap();
    let server = &fleet(2, small_spec().seed)[0].name;
    app::reports::whatif::build(state, Some(CLUSTER), server, q, range, now)
        .await
        .unwrap()
}

/// Everything a report shows: its JSON and its chart columns.
fn shown(r: &app::reports::whatif::WhatIfReport) -> (Value, String) {
    (serde_json::to_value(r).unwrap(), format!("{:?}", r.charts))
}

#[tokio::test]
async fn a_report_from_the_cached_baseline_and_replays_equals_a_fresh_one() {
    let app = spawn_app(Some(small_spec())).await;
    let end = crate::helpers::test_end();
    let state = app::state::AppState::new(
        app.store.clone(),
        std::sync::Arc::new(app::clock::FixedClock(end)),
        app::settings::Settings::default(),
    );
    // The own settings, other settings (a replay kept), a sweep, and back to each: the second
    // time every one comes from the cache. 10 and 40 seconds past the minute replay the same
    // minutes, so the second reuses the first's baseline with its own range and chart times.
    let asked = [
        ("range=14d", end + 10),
        ("range=14d&target_cpu=60&max=12", end + 10),
        ("range=14d&sweep=target-cpu&spot_pct=50", end + 10),
        ("range=14d", end + 40),
        ("range=14d&target_cpu=60&max=12", end + 40),
        ("range=7d&min=3", end + 40),
        ("range=custom&from=2026-11-20&to=2026-11-25", end),
    ];
    for (query, now) in asked.iter().chain(asked.iter()) {
        let cached = report_through(&state, query, *now).await;
        let fresh = fresh_report(&app, query, *now).await;
        assert_eq!(shown(&cached), shown(&fresh), "{query} at {now}");
    }
    // Only a few baselines are kept, however many ranges were asked for.
    for days in [7, 14, 30, 90] {
        for shift in [0, 120, 240] {
            report_through(&state, &format!("range={days}d"), end + shift).await;
        }
    }
    assert!(state.whatif_history.baselines_kept().await <= 4);
}

#[tokio::test]
async fn the_scaling_page_lists_each_step_of_a_stored_step_policy() {
    use app::store::alarms::AlarmRecord;
    use app::store::services::ScalingPolicy;
    let app = spawn_app(Some(small_spec())).await;
    let server = &fleet(2, small_spec().seed)[0].name;
    let end = crate::helpers::test_end();
    let mut svc = app
        .store
        .find_service(CLUSTER, server)
        .await
        .unwrap()
        .unwrap()
        .service;
    svc.policies.push(ScalingPolicy {
        name: "cpu-steps".into(),
        policy_type: "StepScaling".into(),
        metric: None,
        target_value: None,
        scale_in_cooldown: None,
        scale_out_cooldown: None,
        disable_scale_in: false,
        step_adjustments: Some(
            r#"{"adjustment_type":"ChangeInCapacity","cooldown":120,"steps":[{"lower":0.0,"upper":10.0,"adjustment":1},{"lower":10.0,"upper":null,"adjustment":3}]}"#.into(),
        ),
    });
    app.store.upsert_service(&svc, end).await.unwrap();
    let action = format!(
        r#"["arn:aws:autoscaling:{}:123456789012:scalingPolicy:1a2b:resource/ecs/service/{CLUSTER}/{server}:policyName/cpu-steps"]"#,
        svc.region
    );
    let alarm = AlarmRecord {
        region: svc.region.clone(),
        name: "steps-cpu-high".into(),
        alarm_type: "MetricAlarm".into(),
        namespace: Some("AWS/ECS".into()),
        metric_name: Some("CPUUtilization".into()),
        statistic: Some("Average".into()),
        period: Some(60),
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(3),
        threshold: Some(80.0),
        comparison_operator: Some("GreaterThanThreshold".into()),
        actions_enabled: true,
        alarm_actions: Some(action),
        ..AlarmRecord::default()
    };
    app.store.upsert_alarm(&alarm, end).await.unwrap();

    let (status, html) = app
        .get(&format!("/services/{CLUSTER}/{server}/scaling?range=14d"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"step-policies-table\""), "no step table");
    for shown in [
        "cpu-steps (120 s cooldown)",
        "CPU 80 to under 90",
        "+1 task",
        "CPU 90 and above",
        "+3 tasks",
    ] {
        assert!(html.contains(shown), "the page does not show {shown}");
    }
    // A service without step policies shows no such table.
    let client = &fleet(2, small_spec().seed)[1].name;
    let (_, html) = app
        .get(&format!("/services/{CLUSTER}/{client}/scaling?range=14d"))
        .await;
    assert!(!html.contains("step-policies-table"));
}

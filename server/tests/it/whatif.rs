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

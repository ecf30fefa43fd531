//! Pages rendered through the real router: the numbers a user reads are in the HTML.

use axum::http::StatusCode;

use app::analysis::spend::month_windows;
use app::format;
use app::store::costs::{ACCOUNT, BY_SERVICE};

use crate::helpers::{small_spec, spawn_app, test_end};

#[tokio::test]
async fn overview_shows_month_to_date_services_and_sync_time() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);

    let w = month_windows(test_end());
    let mtd = app.store.daily_spend_total(ACCOUNT, BY_SERVICE, w.this_month.0, w.this_month.1).await.unwrap();
    assert!(mtd > 50.0, "the demo has real spend this month: {mtd}");
    assert!(html.contains(&format!(">{}</p>", format::usd(mtd))), "month-to-date {} not in page", format::usd(mtd));
    let last = app.store.daily_spend_total(ACCOUNT, BY_SERVICE, w.last_month.0, w.last_month.1).await.unwrap();
    assert!(html.contains(&format::usd(last)), "last month's {} not in page", format::usd(last));

    assert!(html.contains("mangu-publishing-server-production"));
    assert!(html.contains("mangu-publishing-client-production"));
    assert!(html.contains("512 / 1024") && html.contains("256 / 512"));
    assert!(html.contains("2026-11-27 13:00 UTC, demo data"), "last sync shown");
    assert!(html.contains("<title>Overview · Spendwatch</title>"));
}

#[tokio::test]
async fn overview_lists_alarms_in_alarm_state() {
    let app = spawn_app(Some(small_spec())).await;
    let mut alarm = app.store.list_alarms(None).await.unwrap().remove(0);
    alarm.state_value = "ALARM".into();
    alarm.state_reason = Some("Threshold Crossed: a test reason".into());
    app.store.upsert_alarm(&alarm, test_end()).await.unwrap();
    let (_, html) = app.get("/").await;
    assert!(html.contains(&alarm.name));
    assert!(html.contains("Threshold Crossed: a test reason"));
    assert!(html.contains(r#"id="alarms-firing" class="kpi-value alarm">1<"#), "firing count shown");
}

#[tokio::test]
async fn empty_store_explains_how_to_get_data() {
    let app = spawn_app(None).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No data yet"));
    assert!(html.contains("spendwatch serve --demo"));
}

#[tokio::test]
async fn pages_not_built_yet_say_so() {
    let app = spawn_app(None).await;
    for (path, title) in [("/costs", "Costs"), ("/alarms", "Alarms"), ("/sync", "Sync")] {
        let (status, html) = app.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{path}");
        assert!(html.contains("Not built yet"), "{path}");
    }
}

#[tokio::test]
async fn unknown_urls_get_a_styled_404() {
    let app = spawn_app(None).await;
    let (status, html) = app.get("/no/such/page?x=1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("There is no page at /no/such/page."), "{html}");
    assert!(html.contains("/style.css"), "the 404 uses the site's layout");
}

#[tokio::test]
async fn stylesheet_and_icon_are_served() {
    let app = spawn_app(None).await;
    let (status, css) = app.get("/style.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains(".site-header"), "compiled SCSS is served");
    let (status, svg) = app.get("/favicon.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.starts_with("<svg"));
}

//! The Costs page, its JSON and CSV: the figures are the stored rows' sums, bad input is a 400
//! with the reason, and the decomposition adds up to the billed change.

use axum::http::StatusCode;

use app::format;
use app::reports::costs::query::ECS_SERVICE;
use app::store::costs::{ACCOUNT, BY_SERVICE};

use crate::helpers::{small_spec, spawn_app};

/// 2026-11-01 to 2026-11-28 (to exclusive): this month through the test's today.
const RANGE: &str = "from=2026-11-01&to=2026-11-28";

fn day(s: &str) -> i64 {
    app::reports::costs::query::parse_day("test", s).unwrap()
}

/// The markup right after the opening tag of the element with `id`.
fn inside<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let close = html[at..].find('>').unwrap();
    &html[at + close + 1..]
}

#[tokio::test]
async fn page_totals_equal_the_stored_rows() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get(&format!("/costs?{RANGE}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let rows = app
        .store
        .daily_costs(ACCOUNT, BY_SERVICE, day("2026-11-01"), day("2026-11-28"))
        .await
        .unwrap();
    let total: f64 = rows.iter().map(|r| r.amount).sum();
    assert!(total > 50.0, "the demo spends this month: {total}");
    let shown = format::usd(total);
    assert!(
        inside(&html, "range-total").starts_with(&format!("{shown}<")),
        "range total {shown}"
    );
    assert!(
        inside(&html, "groups-total").starts_with(&format!("{shown}<")),
        "table total {shown}"
    );
    let ecs: f64 = rows
        .iter()
        .filter(|r| r.key == ECS_SERVICE)
        .map(|r| r.amount)
        .sum();
    assert!(
        html.contains(&format!(">{}</td>", format::usd(ecs))),
        "ECS row {}",
        format::usd(ecs)
    );
    for id in ["daily-chart", "monthly-chart", "waterfall-chart"] {
        assert!(
            inside(&html, id).contains("<title>"),
            "{id} has hover titles"
        );
    }
}

#[tokio::test]
async fn every_grouping_renders_and_service_rows_link_to_their_page() {
    let app = spawn_app(Some(small_spec())).await;
    for g in ["service", "usage-type", "tag:aws:ecs:serviceName"] {
        let (status, html) = app.get(&format!("/costs?{RANGE}&group_by={g}")).await;
        assert_eq!(status, StatusCode::OK, "{g}: {html}");
    }
    let (_, html) = app
        .get(&format!("/costs?{RANGE}&group_by=tag:aws:ecs:serviceName"))
        .await;
    assert!(html.contains(
        r#"href="/services/mangu-publishing-cluster-production/mangu-publishing-server-production""#
    ));
}

#[tokio::test]
async fn json_has_the_documented_fields_and_the_stored_sums() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, body) = app
        .get(&format!(
            "/api/costs?{RANGE}&group_by=tag:aws:ecs:serviceName"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["from"], "2026-11-01");
    assert_eq!(v["to"], "2026-11-28");
    assert_eq!(v["group_by"], "tag:aws:ecs:serviceName");
    let tag_rows = app
        .store
        .daily_costs(
            ECS_SERVICE,
            "TAG:aws:ecs:serviceName",
            day("2026-11-01"),
            day("2026-11-28"),
        )
        .await
        .unwrap();
    let stored: f64 = tag_rows.iter().map(|r| r.amount).sum();
    assert!((v["total_usd"].as_f64().unwrap() - stored).abs() < 1e-6);
    let before = app
        .store
        .daily_costs(
            ECS_SERVICE,
            "TAG:aws:ecs:serviceName",
            day("2026-10-05"),
            day("2026-11-01"),
        )
        .await
        .unwrap();
    let before: f64 = before.iter().map(|r| r.amount).sum();
    assert!((v["previous_total_usd"].as_f64().unwrap() - before).abs() < 1e-6);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let sum: f64 = groups
        .iter()
        .map(|g| g["total_usd"].as_f64().unwrap())
        .sum();
    assert!((sum - stored).abs() < 1e-6);
    assert!(groups
        .iter()
        .all(|g| g["key"].is_string() && g["previous_usd"].is_number()));
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 27);
    assert_eq!(days[0]["date"], "2026-11-01");
    assert!(v.get("months").is_none());

    let (_, body) = app
        .get(&format!("/api/costs?{RANGE}&granularity=monthly"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["months"][0]["date"], "2026-11-01");
    assert!(v.get("days").is_none());

    let (status, csv) = app
        .get(&format!("/api/costs?{RANGE}&format=csv&table=groups"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.starts_with("key,group,total_usd,previous_usd,change_usd,change_pct\r\n"),
        "{csv}"
    );
}

#[tokio::test]
async fn bad_dates_and_unknown_groups_are_400s_with_the_reason() {
    let app = spawn_app(Some(small_spec())).await;
    for (uri, reason) in [
        ("/costs?from=2026-13-01", "'from=2026-13-01' is not a date"),
        ("/costs?from=2026-11-05&to=2026-11-01", "must be after"),
        ("/costs?group_by=region", "'group_by=region'"),
        (
            "/costs?group_by=tag:team",
            "no costs are stored grouped by 'tag:team'",
        ),
        ("/api/costs?granularity=hourly", "'granularity=hourly'"),
        ("/api/costs?group_by=tag:team", "tag:aws:ecs:serviceName"),
        ("/api/costs/explain?to=soon", "'to=soon'"),
        ("/costs?mix_od=lots", "'mix_od=lots'"),
    ] {
        let (status, body) = app.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            body.contains(&reason.replace('\'', "&#x27;")) || body.contains(reason),
            "{uri}: {body}"
        );
    }
}

#[tokio::test]
async fn explain_parts_add_up_to_the_billed_change_and_the_model_reconciles() {
    let app = spawn_app(Some(small_spec())).await;
    // The small demo holds 14 days of task counts: compare its last week with the one before.
    let (status, body) = app
        .get("/api/costs/explain?from=2026-11-20&to=2026-11-27")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let t = &v["total"];
    let part = |k: &str| t[k].as_f64().unwrap();
    let sum = part("volume_usd") + part("size_usd") + part("mix_usd") + part("price_and_other_usd");
    assert!((sum - part("change_usd")).abs() < 1e-9, "{t}");
    let billed = app
        .store
        .daily_costs(ACCOUNT, BY_SERVICE, day("2026-11-20"), day("2026-11-27"))
        .await
        .unwrap()
        .iter()
        .filter(|r| r.key == ECS_SERVICE)
        .map(|r| r.amount)
        .sum::<f64>();
    assert!((part("after_usd") - billed).abs() < 1e-6);
    assert!(part("volume_usd") != 0.0, "task counts were read");
    assert_eq!(v["services"].as_array().unwrap().len(), 2);

    let (_, body) = app.get(&format!("/api/costs?{RANGE}")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let recon = v["reconciliation"].as_array().unwrap();
    assert!(!recon.is_empty());
    for r in recon {
        let pct = r["difference_pct"].as_f64().unwrap();
        assert!(
            pct.abs() < 1.0,
            "the demo's modelled and billed agree within 1%: {r}"
        );
    }
    // The page lists each month's total and the newest month per service; the JSON keeps all.
    let newest = recon
        .iter()
        .filter_map(|r| r["month"].as_str())
        .max()
        .unwrap();
    let listed = recon
        .iter()
        .filter(|r| r["service"] == "all" || r["month"] == newest)
        .count();
    let (_, html) = app.get(&format!("/costs?{RANGE}")).await;
    let section = &html[html.find(r#"id="reconciliation""#).unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert_eq!(section.matches("<tr").count() - 1, listed, "{section}");
    // The note on the rows left out is there only when some are.
    assert_eq!(
        section.contains(&format!("Per service for {newest} only")),
        listed < recon.len(),
        "{section}"
    );
}

#[tokio::test]
async fn the_demo_incident_is_an_anomaly_noting_the_alarm_and_the_tasks() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, body) = app
        .get(&format!(
            "/api/costs?{RANGE}&group_by=tag:aws:ecs:serviceName"
        ))
        .await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let anomalies = v["anomalies"].as_array().unwrap();
    // The small demo's incident (a burst of 5xx that scales the server out) is a costly day of
    // the server, annotated with the alarm that fired and the tasks it ran.
    let incident: Vec<_> = anomalies
        .iter()
        .filter(|a| {
            a["label"] == "mangu-publishing-server-production"
                && a["excess_usd"].as_f64().unwrap() > 0.0
                && a["notes"]
                    .to_string()
                    .contains("alarms went to ALARM: alb-5xx-errors")
        })
        .collect();
    assert!(!incident.is_empty(), "{anomalies:?}");
    let notes = incident[0]["notes"].to_string();
    assert!(notes.contains("tasks on average against"), "{notes}");
}

#[tokio::test]
async fn the_demo_resize_is_the_size_part_and_its_day_names_the_deployment() {
    // Enough days of task counts to hold the week around the client's resize (10:00 on the
    // 12th of last month: 512/1024 to 256/512).
    let spec = server::demo::DemoSpec {
        days: 60,
        ..small_spec()
    };
    let app = spawn_app(Some(spec)).await;
    let resized = server::demo::fleet::resized_at(spec.end);
    let resize_day = app::domain::calendar::day_start(resized);
    const DAY: i64 = 86_400;
    let (status, body) = app
        .get(&format!(
            "/api/costs/explain?from={}&to={}",
            format::date(resize_day + DAY),
            format::date(resize_day + 8 * DAY)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let client = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "mangu-publishing-client-production")
        .expect("the client changed");
    let p = &client["parts"];
    let part = |k: &str| p[k].as_f64().unwrap();
    // The week before ran mostly at the old size: the new size halves a task-hour's price.
    assert!(part("size_usd") < -1.0, "{client}");
    let sum = part("volume_usd") + part("size_usd") + part("mix_usd") + part("price_and_other_usd");
    assert!((sum - part("change_usd")).abs() < 1e-9, "{p}");
    // The demo bills exactly what the model prices, at the size in force each minute.
    assert!(part("price_and_other_usd").abs() < 0.01, "{p}");
    assert_eq!(client["before"]["size"], "512 / 1024 → 256 / 512");
    assert_eq!(client["after"]["size"], "256 / 512");

    let month = &format::date(resize_day)[..7];
    let (status, body) = app
        .get(&format!(
            "/api/costs?from={month}-01&to={}&group_by=tag:aws:ecs:serviceName",
            format::date(app::domain::calendar::next_month_start(resize_day))
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let day = v["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["date_text"] == format::date(resize_day) && a["label"].to_string().contains("client")
        })
        .unwrap_or_else(|| panic!("the resize day is an anomaly: {}", v["anomalies"]));
    assert!(
        day["notes"]
            .to_string()
            .contains("deployment of task definition mangu-publishing-client-production:"),
        "{day}"
    );
    assert!(
        day["notes"]
            .to_string()
            .contains("resizing tasks from 512 / 1024 to 256 / 512"),
        "{day}"
    );
}

#[tokio::test]
async fn the_overview_shows_the_costs_pages_budgets() {
    let mut settings = app::settings::Settings::default();
    settings.budgets.insert("total".into(), 300.0);
    settings.budgets.insert(ECS_SERVICE.into(), 100.0);
    let app = crate::helpers::spawn_app_with_settings(Some(small_spec()), None, settings).await;
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();
    let (_, costs) = app.get("/api/costs").await;
    let (status, overview) = app.get("/api/overview").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let (costs, overview) = (
        json(&costs)["budgets"].clone(),
        json(&overview)["budgets"].clone(),
    );
    assert_eq!(overview.as_array().map(Vec::len), Some(2), "{overview}");
    assert_eq!(overview, costs, "one builder, one answer");
    // This month's spend as stored, the same the budget says it has burnt.
    let w = app::analysis::spend::month_windows(crate::helpers::test_end());
    let spent = app
        .store
        .daily_spend_total(ACCOUNT, BY_SERVICE, w.this_month.0, w.this_month.1)
        .await
        .unwrap();
    let total = overview
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["group"] == "total")
        .unwrap();
    assert!(
        (total["spent_usd"].as_f64().unwrap() - spent).abs() < 1e-6,
        "{total}"
    );

    let (status, html) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    let card = inside(&html, "overview-budgets");
    let projected = format::usd(total["projected_usd"].as_f64().unwrap());
    assert!(
        card.contains(&projected),
        "projected {projected} on the Overview"
    );
    assert!(
        card.contains("would cross on")
            || card.contains("crossed on")
            || card.contains("not this month")
    );
    let (status, csv) = app.get("/api/overview?format=csv&table=budgets").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(csv.starts_with("group,budget_usd"), "{csv}");
}

#[tokio::test]
async fn the_services_pages_current_cost_is_this_pages_modeled_cost() {
    // The small demo's 14 days of task counts are exactly the Services page's sizing window
    // (14 days to the hour before now), and all fall inside these whole days.
    let app = spawn_app(Some(small_spec())).await;
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();
    let (_, services) = app.get("/api/services").await;
    let (status, explain) = app
        .get("/api/costs/explain?from=2026-11-13&to=2026-11-28")
        .await;
    assert_eq!(status, StatusCode::OK, "{explain}");
    let (services, explain) = (json(&services), json(&explain));
    let rows = services["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let mut modeled_total = 0.0;
    for row in rows {
        let name = row["service"].as_str().unwrap();
        let hours = row["usage"]["hours_of_data"].as_f64().unwrap();
        let modeled = explain["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == name)
            .unwrap()["after"]["modeled_usd"]
            .as_f64()
            .unwrap();
        // The Services page prices a month of 730 hours at the window's mean task count; the
        // Costs page prices every sample's tasks. With counts never under the strategy's base
        // (the demo's minimum is its base of 2) the two are the same money.
        let per_month = modeled / hours * 730.0;
        modeled_total += per_month;
        let current = row["monthly_cost_usd"]["current"].as_f64().unwrap();
        assert!(
            (per_month - current).abs() < 0.006,
            "{name}: Services {current} a month, Costs modelled {per_month}"
        );
    }
    let current_total = services["summary"]["current"].as_f64().unwrap();
    assert!(
        (modeled_total - current_total).abs() < 0.011,
        "Services total {current_total}, Costs modelled {modeled_total}"
    );
}

#[tokio::test]
async fn the_overview_sparkline_ends_with_yesterday_not_the_day_under_way() {
    // The demo ends at 13:00: today holds 13 hours of spend, which drawn beside whole days
    // reads as a plunge.
    let app = spawn_app(Some(small_spec())).await;
    let (status, body) = app.get("/api/overview").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let days = v["last_30_days"].as_array().unwrap();
    let today = app::domain::calendar::day_start(crate::helpers::test_end());
    let dates: Vec<i64> = days.iter().map(|d| d["date"].as_i64().unwrap()).collect();
    assert_eq!(dates.len(), 30, "{dates:?}");
    assert_eq!(*dates.last().unwrap(), today - app::domain::calendar::DAY);
    assert_eq!(dates[0], today - 30 * app::domain::calendar::DAY);
    // Each day is the stored whole-account spend of that day.
    let stored = app
        .store
        .daily_spend_total(ACCOUNT, BY_SERVICE, today - 30 * 86_400, today)
        .await
        .unwrap();
    let drawn: f64 = days.iter().map(|d| d["total_usd"].as_f64().unwrap()).sum();
    assert!((drawn - stored).abs() < 1e-6, "{drawn} against {stored}");
}

#[tokio::test]
async fn a_cached_page_is_the_page_computed_afresh() {
    // The first request computes, the second comes from the cache: the same figures, and the
    // same as a server that never saw the query.
    let app = spawn_app(Some(small_spec())).await;
    let uri = format!("/api/costs?{RANGE}&group_by=tag:aws:ecs:serviceName");
    let (_, first) = app.get(&uri).await;
    let (_, again) = app.get(&uri).await;
    let (_, other) = app.get(&format!("/api/costs?{RANGE}")).await;
    assert_eq!(first, again);
    assert_ne!(first, other);
    let fresh = spawn_app(Some(small_spec())).await;
    let (_, afresh) = fresh.get(&uri).await;
    assert_eq!(first, afresh);
}

#[tokio::test]
async fn the_page_is_rendered_once_per_data_and_anew_after_a_sync() {
    use app::store::costs::CostRecord;
    use app::store::sync_runs::{RunOutcome, RunTotals, RunTrigger};

    let app = spawn_app(Some(small_spec())).await;
    let uri = format!("/costs?{RANGE}");
    let (_, first) = app.get(&uri).await;
    let (_, again) = app.get(&uri).await;
    // The page's body is kept with its cached data: the same markup (only the script nonce, made
    // per response, differs).
    let body = |html: &str| {
        let main = inside(html, "range-total");
        main[..main.find("</main>").expect("the page ends its main")].to_string()
    };
    assert_eq!(body(&first), body(&again));
    let before = inside(&first, "range-total")
        .split('<')
        .next()
        .unwrap()
        .to_string();

    // New spend and a finished sync: the page shows the new total, not the kept markup.
    let now = crate::helpers::test_end();
    app.store
        .upsert_costs(
            &[CostRecord {
                granularity: "DAILY".into(),
                period_start: day("2026-11-10"),
                period_end: day("2026-11-11"),
                scope: ACCOUNT.into(),
                group_by: BY_SERVICE.into(),
                group_key: "Amazon Kinesis".into(),
                metric: "UnblendedCost".into(),
                amount: 1000.0,
                unit: "USD".into(),
                estimated: false,
            }],
            now,
        )
        .await
        .unwrap();
    let run = app
        .store
        .start_sync_run(RunTrigger::Cli, now - 60)
        .await
        .unwrap();
    let totals = RunTotals {
        outcome: RunOutcome::Ok,
        datapoints_written: 0,
        rows_written: 1,
        api_cost_usd: 0.0,
        summary: None,
    };
    app.store
        .finish_sync_run(run, &totals, now - 30)
        .await
        .unwrap();
    let (_, after) = app.get(&uri).await;
    let shown = inside(&after, "range-total").split('<').next().unwrap();
    let stored: f64 = app
        .store
        .daily_costs(ACCOUNT, BY_SERVICE, day("2026-11-01"), day("2026-11-28"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.amount)
        .sum();
    assert_eq!(shown, format::usd(stored));
    assert_ne!(shown, before, "the total moved by the new $1,000");
    assert!(after.contains("Amazon Kinesis"), "the new group is listed");
}

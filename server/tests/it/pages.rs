//! Pages rendered through the real router: the numbers a user reads are in the HTML.

use axum::http::StatusCode;

use app::analysis::spend::month_windows;
use app::format;
use app::store::alarms::AlarmState;
use app::store::costs::{ACCOUNT, BY_SERVICE};
use app::store::sync_runs::{RunOutcome, RunTrigger};

use crate::helpers::{small_spec, spawn_app, test_end, TestApp};

#[tokio::test]
async fn overview_shows_month_to_date_services_and_sync_time() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);

    let w = month_windows(test_end());
    let mtd = app
        .store
        .daily_spend_total(ACCOUNT, BY_SERVICE, w.this_month.0, w.this_month.1)
        .await
        .unwrap();
    assert!(mtd > 50.0, "the demo has real spend this month: {mtd}");
    assert!(
        html.contains(&format!(">{}</p>", format::usd(mtd))),
        "month-to-date {} not in page",
        format::usd(mtd)
    );
    let last = app
        .store
        .daily_spend_total(ACCOUNT, BY_SERVICE, w.last_month.0, w.last_month.1)
        .await
        .unwrap();
    assert!(
        html.contains(&format::usd(last)),
        "last month's {} not in page",
        format::usd(last)
    );

    assert!(html.contains("mangu-publishing-server-production"));
    assert!(html.contains("mangu-publishing-client-production"));
    assert!(html.contains("512 / 1024") && html.contains("256 / 512"));
    assert!(
        html.contains("2026-11-27 13:00 UTC, demo data"),
        "last sync shown"
    );
    assert!(html.contains("<title>Overview · Spendwatch</title>"));
}

#[tokio::test]
async fn overview_lists_alarms_in_alarm_state() {
    let app = spawn_app(Some(small_spec())).await;
    let mut alarm = app.store.list_alarms(None).await.unwrap().remove(0);
    alarm.state_value = AlarmState::Alarm;
    alarm.state_reason = Some("Threshold Crossed: a test reason".into());
    app.store.upsert_alarm(&alarm, test_end()).await.unwrap();
    let (_, html) = app.get("/").await;
    assert!(html.contains(&alarm.name));
    assert!(html.contains("Threshold Crossed: a test reason"));
    assert!(
        inside(&html, "alarms-firing").starts_with("1<"),
        "firing count shown"
    );
    assert!(
        html.contains(r#"id="alarms-firing" class="kpi-value alarm""#),
        "in alarm colours"
    );
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
async fn unknown_urls_get_a_styled_404() {
    let app = spawn_app(None).await;
    let (status, html) = app.get("/no/such/page?x=1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("There is no page at /no/such/page."),
        "{html}"
    );
    assert!(
        html.contains("/style.css"),
        "the 404 uses the site's layout"
    );
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

/// The markup right after the opening tag of the element with `id`.
fn inside<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let close = html[at..].find('>').unwrap();
    &html[at + close + 1..]
}

const SERVER: &str =
    "/services/mangu-publishing-cluster-production/mangu-publishing-server-production";

/// Five services over three days: the seed's two plus generated ones with Spot in their mix.
fn five_services() -> server::demo::DemoSpec {
    server::demo::DemoSpec {
        services: 5,
        days: 3,
        ..small_spec()
    }
}

#[tokio::test]
async fn services_page_shows_the_analysis_numbers() {
    let app = spawn_app(Some(five_services())).await;
    let settings = app::settings::Settings::default();
    let recs = app::reports::recommendations::for_all(
        &app.store,
        &settings,
        test_end(),
        app::store::services::Removed::Hide,
    )
    .await
    .unwrap();
    assert_eq!(recs.len(), 5);
    let (status, html) = app.get("/services").await;
    assert_eq!(status, StatusCode::OK);
    for r in &recs {
        assert!(html.contains(&r.service));
        assert!(
            html.contains(r.rec.finding.as_str()),
            "finding of {}",
            r.service
        );
        let cost = r.rec.monthly_cost_usd;
        assert!(
            html.contains(&format::usd(cost.current)),
            "cost now of {}",
            r.service
        );
        assert!(
            html.contains(&format::usd(cost.recommended.unwrap())),
            "cost after of {}",
            r.service
        );
        for part in [cost.size_change, cost.capacity_provider_change] {
            assert!(
                html.contains(&format::usd_signed(part.unwrap())),
                "change {part:?} of {}",
                r.service
            );
        }
    }
    // The headline is the analysis's sums: the net change of every recommendation, and the
    // size parts split into savings and increases with their counts.
    let net: f64 = recs
        .iter()
        .map(|r| r.rec.monthly_cost_usd.net_change())
        .sum();
    let size = |r: &app::reports::recommendations::ServiceRecommendation| {
        r.rec.monthly_cost_usd.size_change.unwrap()
    };
    let savings: Vec<f64> = recs.iter().map(size).filter(|s| *s <= -0.005).collect();
    let increases: Vec<f64> = recs.iter().map(size).filter(|s| *s >= 0.005).collect();
    let spot_mix: f64 = recs
        .iter()
        .map(|r| r.rec.monthly_cost_usd.capacity_provider_change.unwrap())
        .sum();
    let starts = |id: &str, text: String| {
        assert!(
            inside(&html, id).starts_with(&text),
            "{id} should start with {text}: {}",
            &inside(&html, id)[..80]
        )
    };
    starts("net-change", format!("{}<", format::usd_signed(net)));
    starts(
        "total-savings",
        format!("{}<", format::usd(-savings.iter().sum::<f64>())),
    );
    starts(
        "total-increases",
        format!("{}<", format::usd(increases.iter().sum::<f64>())),
    );
    starts(
        "provider-change",
        format!("{}<", format::usd_signed(spot_mix)),
    );
    let services = |n: usize| {
        if n == 1 {
            "1 service".to_string()
        } else {
            format!("{n} services")
        }
    };
    starts(
        "savings-count",
        format!(
            "a month, {} moving to a cheaper size<",
            services(savings.len())
        ),
    );
    starts(
        "increases-count",
        format!(
            "a month, {} needing a larger size<",
            services(increases.len())
        ),
    );
    assert!(
        spot_mix.abs() >= 0.005,
        "the five-service demo has a Spot side effect to show: {spot_mix}"
    );
    // The cost column says which task count it prices.
    assert!(
        html.contains("Monthly now, 14-day mean tasks"),
        "cost header"
    );
    assert!(html.contains("Change from size") && html.contains("Change from Spot mix"));
}

#[tokio::test]
async fn overview_cost_column_names_the_task_count_it_prices() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/").await;
    assert!(
        html.contains(r#"<th class="num">Monthly at today&#x27;s running tasks</th>"#)
            || html.contains(r#"<th class="num">Monthly at today's running tasks</th>"#),
        "overview cost header"
    );
}

#[tokio::test]
async fn services_page_sorts_by_query() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, asc) = app.get("/services?sort=service&order=asc").await;
    let (_, desc) = app.get("/services?sort=service&order=desc").await;
    let pos = |html: &str, name: &str| html.find(&format!(">{name}</a>")).unwrap();
    assert!(
        pos(&asc, "mangu-publishing-client-production")
            < pos(&asc, "mangu-publishing-server-production")
    );
    assert!(
        pos(&desc, "mangu-publishing-client-production")
            > pos(&desc, "mangu-publishing-server-production")
    );
    let (status, html) = app.get("/services?sort=price").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("&#x27;sort=price&#x27; is not one of")
            || html.contains("'sort=price' is not one of"),
        "{html}"
    );
}

#[tokio::test]
async fn service_page_shows_charts_and_the_recommendation() {
    let app = spawn_app(Some(small_spec())).await;
    let settings = app::settings::Settings::default();
    let services = app.store.list_services().await.unwrap();
    let server = services
        .iter()
        .find(|s| s.service.name.contains("server"))
        .unwrap();
    let rec = app::reports::recommendations::for_service(&app.store, &settings, server, test_end())
        .await
        .unwrap()
        .rec;
    let (status, html) = app.get(SERVER).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&rec.reason.replace("->", "-&gt;")) || html.contains(&rec.reason),
        "reasoning shown"
    );
    assert!(html.contains(&format::usd(rec.monthly_cost_usd.current)));
    // The demo's server reaches its 0.50 vCPU limit every day: the card warns, with the minutes.
    assert!(rec.usage.cpu_pinned_minutes > 0.0);
    assert!(
        inside(&html, "rec-cpu-pinned").contains(&format!(
            "used all 0.50 vCPU for {:.0} minutes",
            rec.usage.cpu_pinned_minutes
        )),
        "pinned warning on the card"
    );
    assert!(rec.risks.iter().any(|r| r.contains("lower bound")));
    for id in [
        "cpu-chart",
        "mem-chart",
        "cpu-cdf",
        "mem-cdf",
        "tasks-chart",
    ] {
        assert!(inside(&html, id).starts_with("<svg"), "{id} holds an SVG");
    }
    // Tier lines are labelled on the CPU chart.
    assert!(html.contains("Prod-Small"));
    assert!(
        html.contains("current · Dev 0.50"),
        "current size line labelled with its tier"
    );

    let (status, html90) = app.get(&format!("{SERVER}?range=90d")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html90.contains(r#"mangu-publishing-server-production?range=90d" class="chip active""#),
        "the picker marks 90 days"
    );
    let (status, _) = app
        .get(&format!(
            "{SERVER}?range=custom&from=2026-11-20&to=2026-11-21"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn labels_follow_the_configured_cpu_percentile() {
    let demo = spawn_app(Some(small_spec())).await;
    let mut settings = app::settings::Settings::default();
    settings.rules.cpu_percentile = 90.0;
    let state = app::AppState::new(
        demo.store.clone(),
        std::sync::Arc::new(app::clock::FixedClock(test_end())),
        settings,
    );
    let app = TestApp {
        router: server::startup::router(state),
        ..demo
    };
    let (status, html) = app.get(SERVER).await;
    assert_eq!(status, StatusCode::OK);
    let card = inside(&html, "recommendation");
    for label in ["p90 CPU", "busiest-task CPU p90"] {
        assert!(card.contains(label), "{label} on the card");
    }
    assert!(!html.contains("p95"), "no p95 label under p90 settings");
    let (_, services) = app.get("/services").await;
    assert!(services.contains("p90") && !services.contains("p95"));

    let (status, body) = app.get("/api/recommendations").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    for r in v.as_array().unwrap() {
        let usage = &r["usage"];
        assert_eq!(usage["cpu_percentile"], 90.0, "{r}");
        assert!(usage["cpu_sized_percentile_vcpu"].is_number(), "{r}");
        assert_eq!(usage["cpu_p95_vcpu"], usage["cpu_sized_percentile_vcpu"]);
        let projected = &r["projected"];
        assert!(projected["cpu_sized_percentile_pct"].is_number(), "{r}");
        assert_eq!(
            projected["cpu_p95_pct"],
            projected["cpu_sized_percentile_pct"]
        );
    }
}

#[tokio::test]
async fn service_page_rejects_bad_input() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, html) = app.get(&format!("{SERVER}?range=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("range=abc"), "{html}");
    let (status, html) = app
        .get(&format!(
            "{SERVER}?range=custom&from=2026-11-20&to=2026-11-01"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("starts"), "{html}");
    let (status, html) = app
        .get("/services/mangu-publishing-cluster-production/no-such-service")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("There is no service no-such-service"),
        "{html}"
    );
}

#[tokio::test]
async fn tiers_page_prices_tiers_and_flags_the_seed_table() {
    let app = spawn_app(Some(small_spec())).await;
    // Make the client an ARM64 service: it must be priced from the ARM table.
    let services = app.store.list_services().await.unwrap();
    let client = services
        .iter()
        .find(|s| s.service.name.contains("client"))
        .unwrap();
    let mut record = client.service.clone();
    record.architecture = app::domain::fargate::Architecture::Arm64;
    app.store.upsert_service(&record, test_end()).await.unwrap();

    let (status, html) = app.get("/tiers").await;
    assert_eq!(status, StatusCode::OK);
    // Dev: 512/1024 is $18.02 a task-month, $36.04 for two against the seed's $17.52: 2.06x.
    assert!(
        html.contains("$18.02") && html.contains("$36.04") && html.contains("$17.52"),
        "{html}"
    );
    assert!(html.contains("2.06x"));
    assert!(html.contains("Your planning table is off"));

    // Each tier lists its services, priced by their own architecture.
    let prices = app::domain::fargate::PriceTable::default();
    let settings = app::settings::Settings::default();
    let recs = app::reports::recommendations::for_all(
        &app.store,
        &settings,
        test_end(),
        app::store::services::Removed::Hide,
    )
    .await
    .unwrap();
    let table = inside(&html, "tier-services");
    for r in &recs {
        let size = r.rec.current.size();
        let tier = app::analysis::recommend::tier_for(&settings.tiers, size)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "Above every tier".into());
        let (label, arch) = if r.service.contains("client") {
            ("ARM", app::domain::fargate::Architecture::Arm64)
        } else {
            ("x86", app::domain::fargate::Architecture::X86_64)
        };
        let row = &table[table.find(&format!("<td>{tier}</td>")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(&r.service), "{} listed in {tier}", r.service);
        let priced = format!(
            "{} · {label} price {} a task-month",
            format::size(size.cpu, size.memory_mib),
            format::usd(prices.monthly(size, arch))
        );
        assert!(row.contains(&priced), "{priced} in {row}");
    }
    assert!(
        html.contains("Linux/ARM at $0.03238"),
        "the note names the price tables"
    );
}

#[tokio::test]
async fn recommendations_json_endpoint() {
    let app = spawn_app(Some(small_spec())).await;
    let (status, body) = app.get("/api/recommendations").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &v.as_array().unwrap()[0];
    for key in [
        "cluster",
        "service",
        "finding",
        "current",
        "recommended",
        "usage",
        "monthly_cost_usd",
        "reason",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    // The same rounding and cost split as `recommend --format json`.
    for r in v.as_array().unwrap() {
        let cost = &r["monthly_cost_usd"];
        for k in ["current", "size_change", "capacity_provider_change"] {
            let text = cost[k].to_string();
            assert!(
                cost[k].is_number() && text.split_once('.').is_none_or(|(_, d)| d.len() <= 2),
                "{k} = {text} in cents"
            );
        }
        let text = r["usage"]["cpu_sized_percentile_vcpu"].to_string();
        assert!(
            text.split_once('.').is_none_or(|(_, d)| d.len() <= 3),
            "vCPU {text}"
        );
    }
}

#[tokio::test]
async fn sync_page_lists_runs_and_its_button_starts_a_sync_without_javascript() {
    let fake = std::sync::Arc::new(crate::helpers::FakeSync::default());
    let app = crate::helpers::spawn_app_with(Some(small_spec()), Some(fake.clone())).await;
    let run = app
        .store
        .start_sync_run(RunTrigger::Cli, test_end() - 3600)
        .await
        .unwrap();
    app.store
        .record_api_calls(run, "cloudwatch:GetMetricData", 3, 1200)
        .await
        .unwrap();
    app.store
        .record_sync_error(
            run,
            test_end(),
            Some("ce:GetCostAndUsage"),
            "AWS denied ce:GetCostAndUsage (AccessDenied)",
        )
        .await
        .unwrap();
    app.store
        .finish_sync_run(
            run,
            &app::store::sync_runs::RunTotals {
                outcome: RunOutcome::Partial,
                datapoints_written: 42,
                rows_written: 7,
                api_cost_usd: 0.012,
                summary: None,
            },
            test_end() - 3500,
        )
        .await
        .unwrap();

    let (status, html) = app.get("/sync").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("cloudwatch:GetMetricData ×3"),
        "calls per API shown"
    );
    assert!(
        html.contains("AWS denied ce:GetCostAndUsage"),
        "errors shown"
    );
    assert!(
        html.contains(">partial<") && html.contains(">demo<"),
        "outcomes and triggers"
    );
    assert!(
        html.contains(r#"action="/api/sync_now""#),
        "a plain form posts to the server function"
    );

    // The JSON and CSV carry what the page shows.
    let (status, json) = app.get("/api/sync-runs").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let runs = json["runs"].as_array().unwrap();
    let first = runs.iter().find(|r| r["trigger"] == "cli").unwrap();
    assert_eq!(first["outcome"], "partial");
    assert_eq!(first["datapoints_written"], 42);
    assert_eq!(first["calls"][0]["api"], "cloudwatch:GetMetricData");
    assert_eq!(first["calls"][0]["calls"], 3);
    assert_eq!(
        first["errors"][0]["message"],
        "AWS denied ce:GetCostAndUsage (AccessDenied)"
    );
    assert_eq!(json["can_sync"], true);
    let (status, csv) = app.get("/api/sync-runs?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let row = csv.lines().find(|l| l.contains(",cli,")).unwrap();
    assert!(
        row.contains(",partial,42,7,cloudwatch:GetMetricData x3,0.01,"),
        "{row}"
    );
    let (status, _) = app.get("/api/sync-runs?format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let req = axum::http::Request::post("/api/sync_now")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml") // what a browser sends with a form
        .header("referer", "http://localhost/sync")
        .header("host", "localhost") // the same-origin check matches the Referer with it
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, location, _) = app.send(req).await;
    assert!(status.is_redirection(), "{status}");
    assert!(
        location
            .as_deref()
            .is_some_and(|l| l.starts_with("http://localhost/sync")),
        "back to the page: {location:?}"
    );
    assert_eq!(fake.started.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sync_page_without_aws_says_how_to_sync() {
    let app = spawn_app(None).await;
    let (status, html) = app.get("/sync").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No sync has run yet"));
    assert!(html.contains("spendwatch sync"));
    assert!(!html.contains("sync_now"));
}

#[tokio::test]
async fn sync_page_says_why_the_last_sync_did_not_run() {
    let fake = std::sync::Arc::new(crate::helpers::FakeSync {
        error: Some((test_end() - 120, "AWS rejected the credentials calling sts:GetCallerIdentity (no credentials were found)".into())),
        ..Default::default()
    });
    let app = crate::helpers::spawn_app_with(None, Some(fake)).await;
    let (status, html) = app.get("/sync").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("The sync started 2 min ago did not run"),
        "{html}"
    );
    assert!(html.contains("AWS rejected the credentials calling sts:GetCallerIdentity"));
}

const CLUSTER: &str = "mangu-publishing-cluster-production";
const CLIENT: &str = "mangu-publishing-client-production";

/// The small demo with its client service deleted in AWS: last seen three days before the end,
/// found gone two days before. Returns the app and the client's last-seen time.
async fn app_with_the_client_removed() -> (TestApp, i64) {
    let app = spawn_app(Some(small_spec())).await;
    let client = app
        .store
        .list_services()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.service.name == CLIENT)
        .unwrap();
    let last_seen = test_end() - 3 * 86_400;
    app.store
        .upsert_service(&client.service, last_seen)
        .await
        .unwrap();
    app.store
        .mark_removed(&[client.id], test_end() - 2 * 86_400)
        .await
        .unwrap();
    (app, last_seen)
}

#[tokio::test]
async fn overview_links_services_and_the_alarm_count() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/").await;
    for s in app.store.list_services().await.unwrap() {
        let href = format!(
            r#"href="/services/{}/{}">{}</a>"#,
            s.service.cluster, s.service.name, s.service.name
        );
        assert!(html.contains(&href), "{href} not in the services table");
    }
    let link = html
        .find(r#"href="/alarms?state=ALARM""#)
        .expect("the firing count links to the alarms in ALARM");
    assert!(
        html[link..].find(r#"id="alarms-firing""#).unwrap() < html[link..].find("</a>").unwrap(),
        "the count itself is inside the link"
    );
    let total = app.store.list_alarms(None).await.unwrap().len();
    assert!(
        inside(&html, "all-alarms").starts_with(&format!("of {total} alarms<")),
        "the alarm total links to every alarm"
    );
    assert!(html.contains(r#"href="/alarms" id="all-alarms""#));
}

#[tokio::test]
async fn overview_leaves_out_a_removed_service_until_asked() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/").await;
    assert!(html.contains(CLIENT));
    assert!(!html.contains("removed-toggle"), "nothing removed, no link");

    let (app, last_seen) = app_with_the_client_removed().await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(CLIENT), "the removed service is not listed");
    assert!(html.contains("mangu-publishing-server-production"));
    assert!(
        inside(&html, "removed-toggle").starts_with("1 service deleted in AWS not listed."),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/?removed=show">Show removed</a>"#));

    let (status, html) = app.get("/?removed=show").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(r#"href="/services/{CLUSTER}/{CLIENT}">"#)));
    assert!(
        html.contains(&format!(
            "removed from AWS; last seen {} (3 d ago)",
            format::datetime(last_seen)
        )),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/">Hide removed</a>"#));

    let (status, html) = app.get("/?removed=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("is not show or hide"), "{html}");
}

#[tokio::test]
async fn services_page_and_totals_leave_out_a_removed_service_until_asked() {
    let (app, last_seen) = app_with_the_client_removed().await;
    let settings = app::settings::Settings::default();
    let all = app::reports::recommendations::for_all(
        &app.store,
        &settings,
        test_end(),
        app::store::services::Removed::Show,
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 2);
    let total = |recs: &[&app::reports::recommendations::ServiceRecommendation]| {
        format::usd(recs.iter().map(|r| r.rec.monthly_cost_usd.current).sum())
    };
    let current: Vec<_> = all.iter().filter(|r| r.removed.is_none()).collect();
    assert_eq!(current.len(), 1);

    let (status, html) = app.get("/services").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&format!(">{CLIENT}</a>")), "not listed");
    assert!(
        inside(&html, "total-current").starts_with(&format!("{}<", total(&current))),
        "the total counts current services only"
    );
    assert!(
        html.contains(
            r#"href="/services?sort=savings&amp;order=desc&amp;removed=show">Show removed</a>"#
        ),
        "{html}"
    );

    let (status, html) = app.get("/services?removed=show").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(">{CLIENT}</a>")),
        "listed when asked"
    );
    assert!(html.contains(&format!(
        "removed from AWS; last seen {}",
        format::datetime(last_seen)
    )));
    let both: Vec<_> = all.iter().collect();
    assert!(inside(&html, "total-current").starts_with(&format!("{}<", total(&both))));
    assert!(
        html.contains("/services?sort=service&amp;order=asc&amp;removed=show"),
        "sorting keeps the removed services listed"
    );
    let (status, _) = app.get("/services?removed=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_removed_service_keeps_its_page_and_says_it_is_gone() {
    let (app, last_seen) = app_with_the_client_removed().await;
    let (status, html) = app.get(&format!("/services/{CLUSTER}/{CLIENT}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        inside(&html, "removed").contains(&format!(
            "removed from AWS; last seen {}",
            format::datetime(last_seen)
        )),
        "{html}"
    );
    assert!(
        inside(&html, "cpu-chart").starts_with("<svg"),
        "its history is drawn"
    );
    let (_, html) = app.get(SERVER).await;
    assert!(
        !html.contains(r#"id="removed""#),
        "a current service is not marked"
    );
}

#[tokio::test]
async fn recommendations_json_leaves_out_removed_services_unless_asked() {
    let (app, _) = app_with_the_client_removed().await;
    let names = |body: &str| -> Vec<(String, bool)> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["service"].as_str().unwrap().to_string(),
                    r.get("removed").is_some(),
                )
            })
            .collect()
    };
    let (status, body) = app.get("/api/recommendations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&body),
        [("mangu-publishing-server-production".to_string(), false)]
    );
    let (_, body) = app.get("/api/recommendations?removed=show").await;
    assert_eq!(
        names(&body),
        [
            (CLIENT.to_string(), true),
            ("mangu-publishing-server-production".to_string(), false)
        ]
    );
    let (status, body) = app.get("/api/recommendations?removed=yes").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("'removed=yes' is not show or hide"));
}

#[tokio::test]
async fn tiers_count_no_removed_service() {
    let (app, _) = app_with_the_client_removed().await;
    let state = app::AppState::new(
        app.store.clone(),
        std::sync::Arc::new(app::clock::FixedClock(test_end())),
        app::settings::Settings::default(),
    );
    let tiers = app::reports::tiers::build(&state, test_end())
        .await
        .unwrap();
    let now: usize = tiers
        .rows
        .iter()
        .map(|r| r.services_now.len())
        .sum::<usize>()
        + tiers.above_now.len();
    let recommended: usize = tiers
        .rows
        .iter()
        .map(|r| r.services_recommended.len())
        .sum::<usize>()
        + tiers.above_recommended.len();
    assert_eq!(
        (now, recommended),
        (1, 1),
        "only the current service counts"
    );
}

/// GETs a JSON endpoint and parses it.
async fn get_json(app: &TestApp, uri: &str) -> serde_json::Value {
    let (status, body) = app.get(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The cells of the CSV row whose first two cells are `a` and `b`.
fn csv_row<'a>(csv: &'a str, a: &str, b: &str) -> Vec<&'a str> {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|cells| cells[0] == a && cells[1] == b)
        .unwrap_or_else(|| panic!("no row {a},{b} in {csv}"))
}

#[tokio::test]
async fn services_json_and_csv_carry_the_numbers_the_page_shows() {
    let app = spawn_app(Some(five_services())).await;
    let (_, html) = app.get("/services?sort=cost&order=asc").await;
    let json = get_json(&app, "/api/services?sort=cost&order=asc").await;
    let (status, csv) = app
        .get("/api/services?sort=cost&order=asc&format=csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(csv.lines().count(), 6, "a header and a line per service");
    let mut last_pos = 0;
    for r in rows {
        let name = r["service"].as_str().unwrap();
        let pos = html.find(&format!(">{name}</a>")).unwrap();
        assert!(pos > last_pos, "the page and the JSON sort alike");
        last_pos = pos;
        let current = r["monthly_cost_usd"]["current"].as_f64().unwrap();
        assert!(html.contains(&format::usd(current)), "cost now of {name}");
        assert!(html.contains(r["finding"].as_str().unwrap()));
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let column = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let cells = csv_row(&csv, r["cluster"].as_str().unwrap(), name);
        assert_eq!(
            cells[column("monthly_cost_current_usd")],
            format!("{current:.2}"),
            "CSV cost now of {name}"
        );
        assert_eq!(cells[column("finding")], r["finding"].as_str().unwrap());
    }
    let net = json["summary"]["net_change"].as_f64().unwrap();
    assert!(
        inside(&html, "net-change").starts_with(&format::usd_signed(net)),
        "net change"
    );
    let (status, body) = app.get("/api/services?sort=price").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("'sort=price' is not one of"), "{body}");
}

#[tokio::test]
async fn tiers_json_and_csv_carry_the_numbers_the_page_shows() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/tiers").await;
    let json = get_json(&app, "/api/tiers").await;
    let (_, csv) = app.get("/api/tiers?format=csv").await;
    let rows = json["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let name = r["name"].as_str().unwrap();
        let monthly = r["per_task_month"].as_f64().unwrap();
        assert!(html.contains(&format!("<td>{name}</td>")));
        assert!(html.contains(&format::usd(monthly)), "{name} price");
        let cells = csv_row(&csv, name, r["size"].as_str().unwrap());
        assert_eq!(cells[2], format!("{monthly:.2}"));
        assert_eq!(
            cells[7],
            r["services_now"].as_array().unwrap().len().to_string()
        );
    }
    let (_, members) = app.get("/api/tiers?format=csv&table=services").await;
    let services = app.store.list_services().await.unwrap();
    for s in &services {
        let now = members
            .lines()
            .filter(|l| l.contains(&format!(",now,{},", s.service.name)))
            .count();
        assert_eq!(now, 1, "{} sits in one tier now", s.service.name);
    }
    let (status, body) = app.get("/api/tiers?format=csv&table=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not one of tiers, services"), "{body}");
}

#[tokio::test]
async fn overview_json_and_csv_carry_the_numbers_the_page_shows() {
    let app = spawn_app(Some(small_spec())).await;
    let (_, html) = app.get("/").await;
    let json = get_json(&app, "/api/overview").await;
    let mtd = json["spend"]["this_month"].as_f64().unwrap();
    assert!(mtd > 50.0, "the demo has spend this month: {mtd}");
    assert!(inside(&html, "mtd-spend").starts_with(&format::usd(mtd)));
    let last = json["spend"]["last_month"].as_f64().unwrap();
    assert!(inside(&html, "last-month-spend").starts_with(&format::usd(last)));
    let firing = json["firing"].as_array().unwrap().len();
    assert!(inside(&html, "alarms-firing")
        .trim_start()
        .starts_with(&firing.to_string()));

    let (_, csv) = app.get("/api/overview?format=csv").await;
    let services = json["services"].as_array().unwrap();
    assert_eq!(services.len(), 2);
    for s in services {
        let name = s["name"].as_str().unwrap();
        let cost = s["monthly_cost"].as_f64().unwrap();
        assert!(
            html.contains(&format::usd(cost)),
            "cost of {name} on the page"
        );
        let cells = csv_row(&csv, s["cluster"].as_str().unwrap(), name);
        assert_eq!(cells[7], format!("{cost:.2}"), "CSV cost of {name}");
    }
    let (_, spend) = app.get("/api/overview?format=csv&table=spend").await;
    let total: f64 = spend
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(
        (total - mtd).abs() < 0.01 * spend.lines().count() as f64,
        "{total} vs {mtd}"
    );
    let (status, body) = app.get("/api/overview?removed=yes").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("'removed=yes' is not show or hide"), "{body}");
}

#[tokio::test]
async fn find_service_looks_up_one_service_removed_or_not() {
    let (app, _) = app_with_the_client_removed().await;
    for s in app
        .store
        .list_services_with(app::store::services::Removed::Show)
        .await
        .unwrap()
    {
        let found = app
            .store
            .find_service(&s.service.cluster, &s.service.name)
            .await
            .unwrap();
        assert_eq!(found.as_ref(), Some(&s), "{}", s.service.name);
    }
    let none = app
        .store
        .find_service("mangu-publishing-cluster-production", "no-such-service")
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn service_json_and_csv_carry_the_numbers_the_page_shows() {
    let app = spawn_app(Some(small_spec())).await;
    let api = SERVER.replace("/services/", "/api/services/");
    let (_, html) = app.get(&format!("{SERVER}?range=7d")).await;
    let json = get_json(&app, &format!("{api}?range=7d")).await;
    let current = json["rec"]["monthly_cost_usd"]["current"].as_f64().unwrap();
    assert!(inside(&html, "rec-cost-now").starts_with(&format::usd(current)));
    assert!(html.contains(json["rec"]["finding"].as_str().unwrap()));
    // The size lines (tier lines far above the use may fall outside the chart).
    let lines = json["cpu_lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["kind"] == "current"));
    for line in lines.iter().filter(|l| l["kind"] != "tier") {
        let label = line["label"].as_str().unwrap();
        assert!(html.contains(label), "CPU line {label} drawn");
    }
    let bands = json["cpu"]["bands"].as_array().unwrap();
    assert!(bands.len() > 100, "7 days of columns: {}", bands.len());
    let (status, csv) = app
        .get(&format!("{api}?range=7d&format=csv&table=cpu"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.lines().count(), bands.len() + 1);
    let first: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(first[0], bands[0]["ts"].to_string());
    let max = first[2].parse::<f64>().unwrap();
    assert!(
        (max - bands[0]["max"].as_f64().unwrap()).abs() < 1e-9,
        "{max}"
    );

    let (status, body) = app.get(&format!("{api}?range=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("range=abc"), "{body}");
    let (status, body) = app
        .get("/api/services/mangu-publishing-cluster-production/no-such-service")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("There is no service no-such-service"),
        "{body}"
    );
}

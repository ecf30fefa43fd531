//! `spendwatch sync` against moto: the real SDK, the real binary, a real SQLite file.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StateValue};
use aws_smithy_types::DateTime;

use app::store::alarms::AlarmState;
use app::store::sync_runs::RunOutcome;
use app::store::Store;

use crate::helpers::kill_after_points;
use crate::moto::Moto;

const CLUSTER: &str = "prod";
const LB: &str = "app/prod-alb/50dc6c495c0c9188";
const TG: &str = "targetgroup/web-tg/73e2d6bc24d8a067";
const TG_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067";

fn now_minute() -> i64 {
    let now = chrono::Utc::now().timestamp();
    now - now.rem_euclid(60)
}

/// A value for minute `i` of metric `k`: distinct, so a mixed-up series would show.
fn value(k: usize, t: i64) -> f64 {
    ((t / 60) % 97) as f64 + k as f64 * 100.0 + 0.25
}

/// The ECS metrics seeded per service: (namespace, name).
const SEEDED: [(&str, &str); 4] = [
    ("AWS/ECS", "CPUUtilization"),
    ("AWS/ECS", "MemoryUtilization"),
    ("ECS/ContainerInsights", "RunningTaskCount"),
    ("AWS/ApplicationELB", "RequestCount"),
];

/// Creates services, scaling, alarms and cost results in moto; puts one datapoint a minute for
/// each seeded metric over `[from, to)`.
async fn seed(moto: &Moto, services: &[&str], from: i64, to: i64) {
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let aas = aws_sdk_applicationautoscaling::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    ecs.create_cluster()
        .cluster_name(CLUSTER)
        .send()
        .await
        .unwrap();
    for (i, name) in services.iter().enumerate() {
        use aws_sdk_ecs::types::*;
        ecs.register_task_definition()
            .family(*name)
            .cpu("512")
            .memory("1024")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::X8664)
                    .operating_system_family(OsFamily::Linux)
                    .build(),
            )
            .container_definitions(
                ContainerDefinition::builder()
                    .name(*name)
                    .image("nginx")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut create = ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(*name)
            .task_definition(format!("{name}:1"))
            .desired_count(2);
        if i == 0 {
            create = create.load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(TG_ARN)
                    .container_name(*name)
                    .container_port(80)
                    .build(),
            );
        }
        create.send().await.unwrap();
        // moto ignores the strategy on create (a moto quirk): set it with an update, as AWS allows.
        ecs.update_service()
            .cluster(CLUSTER)
            .service(*name)
            .desired_count(2)
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE")
                    .base(2)
                    .weight(60)
                    .build()
                    .unwrap(),
            )
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .weight(40)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        use aws_sdk_applicationautoscaling::types::*;
        let rid = format!("service/{CLUSTER}/{name}");
        aas.register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&rid)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(2)
            .max_capacity(10)
            .send()
            .await
            .unwrap();
        aas.put_scaling_policy()
            .policy_name(format!("{name}-cpu"))
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&rid)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(70.0)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                            .build()
                            .unwrap(),
                    )
                    .scale_in_cooldown(300)
                    .scale_out_cooldown(60)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    put_minutes(moto, services, from, to).await;
    cw.put_metric_alarm()
        .alarm_name("web-cpu-high")
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .dimensions(
            Dimension::builder()
                .name("ClusterName")
                .value(CLUSTER)
                .build(),
        )
        .dimensions(
            Dimension::builder()
                .name("ServiceName")
                .value(services[0])
                .build(),
        )
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(2)
        .threshold(85.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.set_alarm_state()
        .alarm_name("web-cpu-high")
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: test")
        .send()
        .await
        .unwrap();
}

/// Puts one datapoint a minute for every seeded metric of every service over `[from, to)`.
async fn put_minutes(moto: &Moto, services: &[&str], from: i64, to: i64) {
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    for (si, name) in services.iter().enumerate() {
        for (k, (ns, metric)) in SEEDED.iter().enumerate() {
            if *ns == "AWS/ApplicationELB" && si > 0 {
                continue;
            }
            let dims: Vec<Dimension> = if *ns == "AWS/ApplicationELB" {
                vec![
                    Dimension::builder().name("LoadBalancer").value(LB).build(),
                    Dimension::builder().name("TargetGroup").value(TG).build(),
                ]
            } else {
                vec![
                    Dimension::builder()
                        .name("ClusterName")
                        .value(CLUSTER)
                        .build(),
                    Dimension::builder()
                        .name("ServiceName")
                        .value(*name)
                        .build(),
                ]
            };
            let times: Vec<i64> = (from..to).step_by(60).collect();
            for chunk in times.chunks(500) {
                let data: Vec<MetricDatum> = chunk
                    .iter()
                    .map(|t| {
                        MetricDatum::builder()
                            .metric_name(*metric)
                            .set_dimensions(Some(dims.clone()))
                            .timestamp(DateTime::from_secs(*t))
                            .value(value(k + si * 10, *t))
                            .build()
                    })
                    .collect();
                cw.put_metric_data()
                    .namespace(*ns)
                    .set_metric_data(Some(data))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// Queues Cost Explorer answers for the three requests a sync makes (service, usage type, tag),
/// twice over so a second sync gets the same figures.
fn seed_costs(moto: &Moto, day: &str, next: &str) {
    let result = |group: &str, cost: &str| {
        format!(
            r#"{{"ResultsByTime":[{{"TimePeriod":{{"Start":"{day}","End":"{next}"}},"Total":{{}},"Groups":[{{"Keys":["{group}"],"Metrics":{{"UnblendedCost":{{"Amount":"{cost}","Unit":"USD"}},"UsageQuantity":{{"Amount":"48","Unit":"Hrs"}}}}}}],"Estimated":true}}],"DimensionValueAttributes":[]}}"#
        )
    };
    let one = [
        result("Amazon Elastic Container Service", "12.5"),
        result("USE1-Fargate-vCPU-Hours:perCPU", "9.75"),
        result("aws:ecs:serviceName$web", "12.5"),
    ];
    let all: Vec<String> = one.iter().chain(one.iter()).cloned().collect();
    moto.post_json(
        "/moto-api/static/ce/cost-and-usage-results",
        &format!(r#"{{"results":[{}]}}"#, all.join(",")),
    );
}

fn sync(moto: &Moto, db: &std::path::Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.envs(moto.env())
        .env_remove("SPENDWATCH_DB")
        .arg("--db")
        .arg(db);
    c.args([
        "sync",
        "--no-progress",
        "--skip",
        "alarm-history",
        "--skip",
        "forecast",
        "--sync-lookback",
        "1",
    ]);
    c.args(extra);
    c.output().unwrap()
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "sync failed:\n{text}");
    text
}

async fn points_of(store: &Store, metric: &str, stat: &str, service: &str) -> Vec<(i64, f64)> {
    let series = store.list_series(None).await.unwrap();
    let dims_has = |d: &str| d.contains(&format!("\"{service}\"")) || d.contains(TG);
    let s = series
        .iter()
        .find(|s| {
            s.key.metric_name == metric
                && s.key.statistic == stat
                && s.key.period == 60
                && dims_has(&s.key.dimensions)
        })
        .unwrap_or_else(|| panic!("no {metric} {stat} series for {service}"));
    store.read_points(s.id, 0, i64::MAX).await.unwrap().pairs()
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_fills_the_store_with_what_moto_holds_and_repeats_cheaply() {
    let moto = Moto::start();
    let now = now_minute();
    let (from, to) = (now - 3 * 3600, now - 30 * 60);
    seed(&moto, &["web"], from, to).await;
    let today = app::format::date(now);
    let tomorrow = app::format::date(now + 86_400);
    seed_costs(&moto, &today, &tomorrow);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");

    let first = ok(&sync(&moto, &db, &[]));
    eprintln!("first sync of the test account:\n{first}"); // shown with --nocapture
    let store = Store::open(&db).await.unwrap();

    // Inventory.
    let services = store.list_services().await.unwrap();
    assert_eq!(services.len(), 1, "{first}");
    let web = &services[0].service;
    assert_eq!((web.size.cpu, web.size.memory_mib), (512, 1024));
    assert_eq!((web.scaling_min, web.scaling_max), (Some(2), Some(10)));
    assert_eq!(web.policies.len(), 1);
    assert_eq!(
        web.policies[0].metric.as_deref(),
        Some("ECSServiceAverageCPUUtilization")
    );
    assert_eq!(web.policies[0].target_value, Some(70.0));
    assert_eq!(web.strategy.len(), 2, "capacity provider strategy");
    assert_eq!(web.target_groups[0].target_group, TG);
    assert_eq!(
        web.target_groups[0].load_balancer, LB,
        "found through ListMetrics"
    );

    // Alarms, with the state SetAlarmState gave.
    let alarms = store.list_alarms(None).await.unwrap();
    let cpu = alarms
        .iter()
        .find(|a| a.name == "web-cpu-high")
        .expect("alarm stored");
    assert_eq!(cpu.state_value, AlarmState::Alarm);
    assert_eq!(cpu.threshold, Some(85.0));

    // Metrics: value for value.
    let minutes = ((to - from) / 60) as usize;
    for (k, (_, metric)) in SEEDED.iter().enumerate() {
        let stat = if *metric == "RequestCount" {
            "Sum"
        } else if *metric == "RunningTaskCount" {
            "Average"
        } else {
            "Maximum"
        };
        let points = points_of(&store, metric, stat, "web").await;
        assert_eq!(points.len(), minutes, "{metric}: {first}");
        assert!(
            points.iter().all(|(t, v)| (*v - value(k, *t)).abs() < 1e-9),
            "{metric} values differ"
        );
    }

    // Costs.
    let ecs_cost = store
        .daily_spend_total("", "SERVICE", now - 86_400 * 2, now + 86_400)
        .await
        .unwrap();
    assert!((ecs_cost - 12.5).abs() < 1e-9, "cost stored: {ecs_cost}");

    // The sync run with its calls.
    let runs = store.list_sync_runs(10).await.unwrap();
    assert_eq!(runs[0].outcome, RunOutcome::Ok, "{first}");
    let calls = store.sync_api_calls(runs[0].id).await.unwrap();
    let gmd = calls
        .iter()
        .find(|c| c.0 == "cloudwatch:GetMetricData")
        .unwrap();
    assert_eq!(
        gmd.1, 1,
        "all metrics of a 1-day window fit in one GetMetricData call"
    );
    let ce = calls.iter().find(|c| c.0 == "ce:GetCostAndUsage").unwrap();
    assert_eq!(ce.1, 3, "service, usage type and one tag: three requests");
    assert!(
        first.contains("fewest the API's limits allow for these windows: 1"),
        "{first}"
    );

    // A second sync writes nothing new.
    let second = ok(&sync(&moto, &db, &[]));
    let runs = store.list_sync_runs(10).await.unwrap();
    assert_eq!(runs[0].datapoints_written, 0, "{second}");
    assert_eq!(
        points_of(&store, "CPUUtilization", "Maximum", "web")
            .await
            .len(),
        minutes
    );

    // New datapoints arrive: the next sync fetches only the new range.
    put_minutes(&moto, &["web"], to, now).await;
    let third = ok(&sync(&moto, &db, &[]));
    let runs = store.list_sync_runs(10).await.unwrap();
    // Six series gain points: CPU and memory (Average and Maximum), task count, request count.
    let new_points = ((now - to) / 60) * 6;
    assert_eq!(runs[0].datapoints_written, new_points, "{third}");
    let last_stored = to - 60;
    let window_start = (last_stored - 15 * 60) - (last_stored - 15 * 60).rem_euclid(3600);
    assert!(
        third.contains(&format!("from {}", app::format::datetime(window_start))),
        "the window starts near the last stored point:\n{third}"
    );
    assert_eq!(
        points_of(&store, "CPUUtilization", "Maximum", "web")
            .await
            .len(),
        minutes + ((now - to) / 60) as usize
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_midway_is_completed_by_the_next_without_gaps_or_duplicates() {
    let moto = Moto::start();
    let now = now_minute();
    let services = ["s1", "s2", "s3", "s4"];
    let from = now - 4 * 3600;
    seed(&moto, &services, from, now).await;
    let dir = tempfile::tempdir().unwrap();
    let minutes = ((now - from) / 60) as usize;
    // 4 services x (CPU and memory, Average and Maximum, task count) + one request count.
    let total = (minutes * (services.len() * 5 + 1)) as i64;
    // Kill points at random, measured in datapoints written (5, or SPENDWATCH_KILL_POINTS; the
    // seed is printed on failure and SPENDWATCH_KILL_SEED replays it).
    use rand::{Rng, SeedableRng};
    let seed = std::env::var("SPENDWATCH_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("kill points from seed {seed} (SPENDWATCH_KILL_SEED replays them)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut resumed = 0;
    for point in 0..crate::faults::kill_points() {
        let at = rng.gen_range(1..total);
        let db = dir.path().join(format!("k{point}.db"));
        let partial = sync_and_kill_midway(&moto, &db, at).await;
        // A kill that landed after the sync's last write has nothing to resume.
        if partial > 0 && partial < total {
            resume_and_check(&moto, &db, partial, total, &services, minutes).await;
            resumed += 1;
        }
    }
    assert!(resumed > 0, "seed {seed}: no kill landed midway");
}

/// After a kill at `partial` datapoints: the database is consistent, and the next sync completes
/// it with no gap or duplicate, rollups in step, the killed run marked interrupted.
async fn resume_and_check(
    moto: &Moto,
    db: &std::path::Path,
    partial: i64,
    total: i64,
    services: &[&str],
    minutes: usize,
) {
    let store = Store::open(db).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(store.count_points().await.unwrap(), partial);

    let out = ok(&sync(moto, db, &["--skip", "costs"]));
    assert_eq!(
        store.count_points().await.unwrap(),
        total,
        "complete, no duplicates"
    );
    for (si, name) in services.iter().enumerate() {
        for (k, (_, metric)) in SEEDED.iter().enumerate().take(3) {
            let stat = if *metric == "RunningTaskCount" {
                "Average"
            } else {
                "Maximum"
            };
            let points = points_of(&store, metric, stat, name).await;
            assert_eq!(
                points.len(),
                minutes,
                "{name} {metric} after resuming ({partial} points before):\n{out}"
            );
            assert!(points.windows(2).all(|w| w[1].0 - w[0].0 == 60), "no gaps");
            assert!(points
                .iter()
                .all(|(t, v)| (*v - value(k + si * 10, *t)).abs() < 1e-9));
        }
    }
    // Rollups agree with the raw points they summarize.
    for s in store.list_series(None).await.unwrap() {
        let points = store.read_points(s.id, 0, i64::MAX).await.unwrap();
        let mut per_hour = std::collections::BTreeMap::<i64, i64>::new();
        for t in &points.ts {
            *per_hour.entry(t - t % 3600).or_default() += 1;
        }
        let rollups: std::collections::BTreeMap<i64, i64> = store
            .read_hourly(s.id, 0, i64::MAX)
            .await
            .unwrap()
            .iter()
            .map(|h| (h.hour, h.count))
            .collect();
        assert_eq!(rollups, per_hour, "series {}", s.id);
    }
    let runs = store.list_sync_runs(10).await.unwrap();
    assert_eq!(runs[0].outcome, RunOutcome::Ok);
    assert_eq!(
        runs[1].outcome,
        RunOutcome::Interrupted,
        "the killed run is marked interrupted"
    );
}

/// Starts a sync and kills it once `at` datapoints are stored (see [`kill_after_points`]).
/// Returns the datapoints stored at that moment.
async fn sync_and_kill_midway(moto: &Moto, db: &std::path::Path, at: i64) -> i64 {
    let mut sync = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    sync.envs(moto.env())
        .arg("--db")
        .arg(db)
        .args([
            "sync",
            "--no-progress",
            "--skip",
            "alarm-history",
            "--skip",
            "forecast",
            "--skip",
            "costs",
            "--sync-lookback",
            "1",
        ])
        .stderr(std::fs::File::create(db.with_extension("log")).unwrap());
    kill_after_points(db, sync, at).await
}

#[test]
fn missing_credentials_are_one_clear_message_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let out = Command::new(env!("CARGO_BIN_EXE_spendwatch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .arg("--db")
        .arg(&db)
        .args(["sync", "--no-progress"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("credentials") && err.contains("sts:GetCallerIdentity"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "one message: {err}"
    );
    let runs = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM sync_runs")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&runs.stdout).trim(),
        "0",
        "no sync run recorded"
    );
}

/// Runs `spendwatch recommend --format json` (with `extra` flags) and returns the services listed
/// with whether each is marked removed.
fn recommended(db: &std::path::Path, extra: &[&str]) -> Vec<(String, bool)> {
    let out = Command::new(env!("CARGO_BIN_EXE_spendwatch"))
        .env_remove("SPENDWATCH_DB")
        .arg("--db")
        .arg(db)
        .args(["recommend", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_deleted_in_aws_is_marked_removed_with_its_history_kept() {
    let moto = Moto::start();
    let now = now_minute();
    let (from, to) = (now - 2 * 3600, now - 30 * 60);
    seed(&moto, &["web", "api"], from, to).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    let store = Store::open(&db).await.unwrap();
    assert_eq!(store.list_services().await.unwrap().len(), 2);
    let api_points = points_of(&store, "CPUUtilization", "Maximum", "api").await;
    assert_eq!(api_points.len(), ((to - from) / 60) as usize);

    // Delete api in AWS the way the console does: scale to zero, then delete.
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config().await);
    ecs.update_service()
        .cluster(CLUSTER)
        .service("api")
        .desired_count(0)
        .send()
        .await
        .unwrap();
    ecs.delete_service()
        .cluster(CLUSTER)
        .service("api")
        .send()
        .await
        .unwrap();

    // A sync whose listing fails (no such cluster) marks nothing.
    let failed = sync(
        &moto,
        &db,
        &["--skip", "costs", "--cluster", "no-such-cluster"],
    );
    let failed_text = String::from_utf8_lossy(&failed.stdout).to_string()
        + &String::from_utf8_lossy(&failed.stderr);
    assert_eq!(
        store.list_services().await.unwrap().len(),
        2,
        "a failed listing proves nothing gone:\n{failed_text}"
    );

    let second = ok(&sync(&moto, &db, &["--skip", "costs"]));
    assert!(
        second.contains("1 deleted in AWS (marked removed)"),
        "{second}"
    );
    let runs = store.list_sync_runs(10).await.unwrap();
    let (second_run, first_run) = (runs[0].started_at, runs.last().unwrap().started_at);
    let current = store.list_services().await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].service.name, "web");
    assert_eq!(current[0].last_seen, second_run, "web was seen again");
    let all = store
        .list_services_with(app::store::services::Removed::Show)
        .await
        .unwrap();
    let api = all.iter().find(|s| s.service.name == "api").unwrap();
    assert_eq!(
        api.removed_at,
        Some(second_run),
        "found gone by the second sync"
    );
    assert_eq!(api.last_seen, first_run, "last seen by the first sync");
    assert_eq!(
        points_of(&store, "CPUUtilization", "Maximum", "api").await,
        api_points,
        "its datapoints are kept"
    );

    // Views leave it out; asking brings it back.
    assert_eq!(recommended(&db, &[]), [("web".to_string(), false)]);
    assert_eq!(
        recommended(&db, &["--include-removed"]),
        [("api".to_string(), true), ("web".to_string(), false)]
    );
    // The table and CSV say which row is gone, too.
    let text = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_spendwatch"))
            .env_remove("SPENDWATCH_DB")
            .arg("--db")
            .arg(&db)
            .args(["recommend", "--include-removed", "--format", format])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(text("table").contains("api (removed)"));
    let csv = text("csv");
    let api_row = csv.lines().find(|l| l.contains(",api,")).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with(",removed_from_aws_at"));
    assert!(!api_row.ends_with(','), "removed time filled: {api_row}");
    let web_row = csv.lines().find(|l| l.contains(",web,")).unwrap();
    assert!(web_row.ends_with(','), "web is current: {web_row}");
    let state = app::AppState::new(
        store.clone(),
        std::sync::Arc::new(app::clock::FixedClock(now)),
        app::settings::Settings::default(),
    );
    let overview = app::reports::overview::build(&state, app::store::services::Removed::Hide, now)
        .await
        .unwrap();
    let names: Vec<&str> = overview.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web"]);
    assert_eq!(overview.removed_count, 1);
    let query = app::reports::services::ServicesQuery::default();
    let services = app::reports::services::build(&state, query, now)
        .await
        .unwrap();
    let names: Vec<&str> = services.rows.iter().map(|r| r.service.as_str()).collect();
    assert_eq!(names, ["web"]);
    let query = app::reports::services::ServicesQuery {
        removed: app::store::services::Removed::Show,
        ..query
    };
    let shown = app::reports::services::build(&state, query, now)
        .await
        .unwrap();
    assert_eq!(shown.rows.len(), 2);

    // Created again in AWS: current again.
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name("api")
        .task_definition("api:1")
        .desired_count(1)
        .send()
        .await
        .unwrap();
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    let again = store.list_services().await.unwrap();
    let api = again
        .iter()
        .find(|s| s.service.name == "api")
        .expect("current again");
    assert_eq!(api.removed_at, None);
}

#[test]
fn an_unreachable_endpoint_is_one_readable_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    let out = Command::new(env!("CARGO_BIN_EXE_spendwatch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .arg("--db")
        .arg(&db)
        .args(["sync", "--no-progress"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("sts:GetCallerIdentity: cannot reach AWS (connection refused)"),
        "{err}"
    );
    for noise in ["{ ", "Some(", "DispatchFailure", "ConnectorError"] {
        assert!(!err.contains(noise), "no Debug dump ({noise}): {err}");
    }
    assert!(
        !server::sync::lock::lock_path(&db).exists(),
        "the lock file goes when the sync ends"
    );
}

/// `spendwatch sync` with `extra` flags against an empty moto account, without `--no-progress`
/// unless `extra` has it; costs and the forecast skipped.
fn sync_empty_account(moto: &Moto, db: &std::path::Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.envs(moto.env())
        .env_remove("SPENDWATCH_DB")
        .arg("--db")
        .arg(db)
        .args(["sync", "--skip", "costs", "--skip", "forecast"])
        .args(["--sync-lookback", "1"])
        .args(extra);
    c.output().unwrap()
}

/// The text a sync printed before its summary (which starts with "Sync <id>").
fn before_summary(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    stdout
        .split("\nSync ")
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_cli_reporter_prints_a_line_per_phase_and_no_progress_prints_none() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");

    let shown = sync_empty_account(&moto, &db, &[]);
    ok(&shown);
    let lines = before_summary(&shown);
    for phase in ["inventory", "alarms", "alarm history", "metrics"] {
        assert!(
            lines
                .lines()
                .any(|l| l.trim_start().starts_with(phase) && l.ends_with(" s)")),
            "no progress line for {phase} in:\n{lines}"
        );
    }
    assert!(
        !lines.contains("costs"),
        "a skipped phase has no line:\n{lines}"
    );

    let quiet = sync_empty_account(&moto, &db, &["--no-progress"]);
    ok(&quiet);
    let lines = before_summary(&quiet);
    assert!(
        !lines.lines().any(|l| l.ends_with(" s)")),
        "--no-progress printed phase lines:\n{lines}"
    );
}

/// Cost Explorer charges per request and refreshes its data about three times a day: a sync
/// within `[aws] cost_refresh_hours` of the last fetch skips it, unless told to ask again.
#[tokio::test(flavor = "multi_thread")]
async fn cost_explorer_is_skipped_while_fresh_unless_forced() {
    let moto = Moto::start();
    let now = now_minute();
    seed_costs(
        &moto,
        &app::format::date(now),
        &app::format::date(now + 86_400),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let only_costs = [
        "--skip",
        "inventory",
        "--skip",
        "alarms",
        "--skip",
        "metrics",
    ];
    let ce_calls = |store: Store| async move {
        let runs = store.list_sync_runs(1).await.unwrap();
        let calls = store.sync_api_calls(runs[0].id).await.unwrap();
        calls
            .iter()
            .find(|c| c.0 == "ce:GetCostAndUsage")
            .map_or(0, |c| c.1)
    };

    let first = ok(&sync(&moto, &db, &only_costs));
    let store = Store::open(&db).await.unwrap();
    assert_eq!(ce_calls(store.clone()).await, 3, "{first}");

    let second = ok(&sync(&moto, &db, &only_costs));
    assert_eq!(ce_calls(store.clone()).await, 0, "{second}");
    assert!(
        second.contains("skipped: Cost Explorer answered 0 h ago"),
        "{second}"
    );

    let mut forced = only_costs.to_vec();
    forced.push("--force-costs");
    let third = ok(&sync(&moto, &db, &forced));
    assert_eq!(ce_calls(store).await, 3, "{third}");
}

/// SIGTERM to `serve` while its background sync writes: the server stops accepting, the sync
/// ends at its next commit and is recorded as interrupted, the process exits cleanly, and the
/// next sync completes the range with no gap or duplicate.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_background_sync_at_a_commit_and_records_it_interrupted() {
    let moto = Moto::start();
    let now = now_minute();
    let services = ["s1", "s2", "s3", "s4"];
    let from = now - 4 * 3600;
    seed(&moto, &services, from, now).await;
    let dir = tempfile::tempdir().unwrap();
    let minutes = (now - from) / 60;
    let total = minutes * (services.len() as i64 * 5 + 1);
    let mut attempt = 0;
    let (db, partial) = loop {
        attempt += 1;
        assert!(attempt <= 5, "could not stop the sync midway in 5 attempts");
        let db = dir.path().join(format!("t{attempt}.db"));
        if let Some(partial) = serve_and_terminate_midway(&moto, &db, total).await {
            break (db, partial);
        }
    };
    let store = Store::open(&db).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let runs = store.list_sync_runs(10).await.unwrap();
    let log = std::fs::read_to_string(db.with_extension("log")).unwrap_or_default();
    assert_eq!(
        runs[0].outcome,
        RunOutcome::Interrupted,
        "{runs:?}\nthe server said:\n{log}"
    );
    assert!(
        runs[0]
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("stopped when the server shut down")),
        "{runs:?}"
    );
    // The fixture's metrics fit one GetMetricData call, so the stop lands after it: the phases
    // after it (costs) never ran.
    assert!(partial <= total, "{partial} of {total}");
    let calls = store.sync_api_calls(runs[0].id).await.unwrap();
    assert!(
        calls.iter().any(|c| c.0 == "cloudwatch:GetMetricData"),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.0.starts_with("ce:")),
        "nothing after the stop: {calls:?}"
    );
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    assert_eq!(
        store.count_points().await.unwrap(),
        total,
        "the next sync completes, no duplicates"
    );
}

/// Serves with a background sync; once datapoints land, holds the write lock (the sync waits on
/// its next write), sends SIGTERM, lets go, and waits for the process to exit (it must exit 0).
/// Returns the datapoints then stored, or None when the sync was past its metrics (or finished)
/// before it could be caught.
async fn serve_and_terminate_midway(moto: &Moto, db: &std::path::Path, total: i64) -> Option<i64> {
    drop(Store::open(db).await.unwrap());
    let watcher = Store::open(db).await.unwrap();
    let mut watch = watcher.pool().acquire().await.unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spendwatch"))
        .envs(moto.env())
        .env_remove("SPENDWATCH_TOKEN")
        .arg("--db")
        .arg(db)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--sync-every",
            "1h",
            "--sync-lookback",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(db.with_extension("log")).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM series_chunks LIMIT 1")
            .fetch_optional(&mut *watch)
            .await
            .unwrap();
        if any.is_some() {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *watch)
                .await
                .unwrap();
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the sync wrote nothing in 2 minutes"
        );
        tokio::task::yield_now().await;
    }
    let running: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *watch)
            .await
            .unwrap();
    // Caught midway only while the metrics were still being written: with all of them stored the
    // sync may already have asked Cost Explorer, before the stop.
    let at_lock = watcher.count_points().await.unwrap();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let _ = sqlx::query("ROLLBACK").execute(&mut *watch).await;
    drop(watch);
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    let partial = watcher.count_points().await.unwrap();
    watcher.close().await;
    (running.as_deref() == Some("running") && at_lock < total).then_some(partial)
}

/// AWS throttles: ListClusters answers ThrottlingException three times and GetCostAndUsage
/// RequestLimitExceeded then LimitExceededException before each lets a request through (canned
/// answers in front of moto, which never throttles). The sync backs off, completes with every
/// service and cost row, and says how many answers were throttled and how long it waited.
#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_sync_backs_off_completes_and_says_how_long_it_waited() {
    use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageError;
    use aws_sdk_ecs::operation::list_clusters::ListClustersError;
    use aws_smithy_mocks::{mock, MockResponseInterceptor, RuleMode};
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    use aws_smithy_types::error::ErrorMetadata;
    use server::aws::{AwsClients, CallLog};
    use server::sync::{Phase, SyncOptions};

    let moto = Moto::start();
    let now = now_minute();
    seed(&moto, &["web"], now - 3600, now - 30 * 60).await;
    seed_costs(
        &moto,
        &app::format::date(now),
        &app::format::date(now + 86_400),
    );
    let throttle = |code: &'static str, message: &'static str| {
        ErrorMetadata::builder().code(code).message(message).build()
    };
    let ecs_rule = mock!(aws_sdk_ecs::Client::list_clusters)
        .sequence()
        .error(move || ListClustersError::generic(throttle("ThrottlingException", "Rate exceeded")))
        .times(3)
        .build();
    let ce_rule = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
        .sequence()
        .error(move || GetCostAndUsageError::generic(throttle("RequestLimitExceeded", "Slow down")))
        .error(move || {
            GetCostAndUsageError::generic(throttle("LimitExceededException", "Too many requests"))
        })
        .build();
    // Answers not canned above pass through to moto.
    let canned = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&ecs_rule)
        .with_rule(&ce_rule)
        .allow_passthrough();
    let config = moto
        .sdk_config()
        .await
        .into_builder()
        .retry_config(server::aws::clients::retry_config())
        .build();
    let log = CallLog::default();
    let clients = AwsClients::with_interceptor(&config, &log, Some(SharedInterceptor::new(canned)));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let store = Store::open(&db).await.unwrap();
    let opts = SyncOptions {
        regions: vec![],
        clusters: vec![],
        lookback_days: 1,
        cost_tags: vec!["aws:ecs:serviceName".into()],
        restate_days: 3,
        overlap_secs: 0,
        skip: [Phase::AlarmHistory, Phase::Forecast].into_iter().collect(),
        trigger: app::store::sync_runs::RunTrigger::Cli,
        cost_refresh_secs: 0,
        force_costs: true,
        stop: Default::default(),
    };
    let report = server::sync::run_with_clients(&store, &db, &opts, &[clients], log, now)
        .await
        .unwrap();

    assert_eq!(report.outcome, RunOutcome::Ok, "{:?}", report.errors);
    assert!(
        ecs_rule.is_exhausted() && ce_rule.is_exhausted(),
        "every throttled answer was given"
    );
    assert_eq!(report.retries.throttled, 5, "{:?}", report.retries);
    assert_eq!(report.retries.retried, 5, "{:?}", report.retries);
    assert!(report.retries.waited > Duration::ZERO);
    // What the throttled calls were for arrived all the same.
    assert_eq!(store.list_services().await.unwrap().len(), 1);
    // All three Cost Explorer requests (by service, usage type, tag) were answered and stored.
    assert_eq!(store.cost_groupings().await.unwrap().len(), 3);
    // The run's summary (the Sync page and the CLI show it) says what throttling cost.
    let run = &store.list_sync_runs(1).await.unwrap()[0];
    let summary = run.summary.clone().unwrap_or_default();
    assert!(
        summary.contains("AWS throttled 5 answers; 5 retries waited"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deployments_are_stored_with_their_size_once_and_replaced_ones_go_inactive() {
    let moto = Moto::start();
    let now = now_minute();
    let (from, to) = (now - 3600, now - 30 * 60);
    let created = chrono::Utc::now().timestamp();
    seed(&moto, &["web"], from, to).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    let store = Store::open(&db).await.unwrap();
    let web_id = store.list_services().await.unwrap()[0].id;
    let stored = |store: Store| async move {
        store
            .deployments_by_service()
            .await
            .unwrap()
            .remove(&web_id)
            .unwrap_or_default()
    };

    // moto answers DescribeServices with the service's one deployment (PRIMARY, created with
    // the service, running web:1 at 512/1024).
    let first = stored(store.clone()).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let d = &first[0];
    assert_eq!(d.task_definition, "web:1");
    assert_eq!((d.size.cpu, d.size.memory_mib), (512, 1024));
    assert_eq!(d.status, "PRIMARY");
    assert!(
        (d.created_at - created).abs() < 300,
        "created {} near {created}",
        d.created_at
    );

    // A second sync stores it once.
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    assert_eq!(stored(store.clone()).await, first);

    // A new deployment replaces it: both are kept, the old one INACTIVE.
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config().await);
    ecs.update_service()
        .cluster(CLUSTER)
        .service("web")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    ok(&sync(&moto, &db, &["--skip", "costs"]));
    let after = stored(store.clone()).await;
    assert_eq!(after.len(), 2, "{after:?}");
    let old = after.iter().find(|x| x.id == d.id).unwrap();
    let new = after.iter().find(|x| x.id != d.id).unwrap();
    assert_eq!(old.status, "INACTIVE");
    assert_eq!(new.status, "PRIMARY");
    assert!(new.created_at >= old.created_at);
}

//! Claims about how many SQL statements a read takes ("the Sync page in 3 queries"), counted.

use std::sync::{Mutex as StdMutex, Once};

use app::domain::capacity::StrategyItem;
use app::domain::fargate::{Architecture, TaskSize};
use app::store::services::{Removed, ScalingPolicy, ServiceRecord, TargetGroup};
use app::store::sync_runs::{RunTotals, RunTrigger};
use app::store::Store;
use tokio::sync::Mutex;
use tracing_subscriber::layer::SubscriberExt;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    (dir, store)
}

/// Statements sqlx has run in this process: it reports each one as a `sqlx::query` tracing event,
/// from the connection's own thread, so the recorder is a process-wide subscriber (this file is
/// its own test binary, and its tests take turns through [`TURN`]).
static STATEMENTS: StdMutex<Vec<String>> = StdMutex::new(Vec::new());
static TURN: Mutex<()> = Mutex::const_new(());

struct Record;
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Record {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() == "sqlx::query" {
            let mut statement = Statement(String::new());
            e.record(&mut statement);
            STATEMENTS.lock().unwrap().push(statement.0);
        }
    }
}

/// The SQL of one statement event.
struct Statement(String);
impl tracing::field::Visit for Statement {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" {
            self.0 = format!("{value:?}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
}

/// Installs the recorder and makes the calling test the only one running statements until the
/// guard drops (another test's statements would land in the same record).
async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Record))
            .expect("the only subscriber of this test binary");
    });
    TURN.lock().await
}

/// Runs `f` and returns the SQL statements it ran, with its output. The setup PRAGMAs of a
/// connection the pool happens to open on the way are not the read's and are left out.
async fn statements_run<F: std::future::Future>(f: F) -> (Vec<String>, F::Output) {
    let before = STATEMENTS.lock().unwrap().len();
    let out = f.await;
    let ran = STATEMENTS.lock().unwrap()[before..]
        .iter()
        .filter(|s| !s.contains("PRAGMA "))
        .cloned()
        .collect();
    (ran, out)
}

#[tokio::test]
async fn the_sync_history_takes_three_statements_however_many_runs() {
    let _alone = alone().await;
    let (_dir, store) = fresh().await;
    let mut counts = Vec::new();
    for runs in [1, 50] {
        while store.list_sync_runs(1000).await.unwrap().len() < runs {
            let id = store.start_sync_run(RunTrigger::Cli, 100).await.unwrap();
            store
                .record_api_calls(id, "GetMetricData", 3, 30)
                .await
                .unwrap();
            store
                .record_sync_error(id, 101, Some("ListServices"), "denied")
                .await
                .unwrap();
            store
                .finish_sync_run(id, &RunTotals::default(), 102)
                .await
                .unwrap();
        }
        let (n, history) = statements_run(store.sync_history(100)).await;
        let history = history.unwrap();
        assert_eq!(history.len(), runs);
        assert!(history
            .iter()
            .all(|h| h.calls.len() == 1 && h.errors.len() == 1));
        counts.push(n.len());
    }
    assert_eq!(counts, vec![3, 3], "runs, their calls, their errors");
}

#[tokio::test]
async fn a_service_is_read_in_one_statement_with_its_strategy_policies_and_groups() {
    let _alone = alone().await;
    let (_dir, store) = fresh().await;
    let s = ServiceRecord {
        region: "us-east-1".into(),
        cluster: "c".into(),
        name: "svc".into(),
        arn: Some("arn:svc".into()),
        launch_type: None,
        architecture: Architecture::Arm64,
        task_definition: Some("svc:1".into()),
        size: TaskSize::new(512, 1024),
        desired_count: 2,
        running_count: 3,
        scaling_min: Some(2),
        scaling_max: Some(10),
        strategy: vec![
            StrategyItem {
                provider: "FARGATE".into(),
                base: 2,
                weight: 1,
            },
            StrategyItem {
                provider: "FARGATE_SPOT".into(),
                base: 0,
                weight: 4,
            },
        ],
        policies: vec![ScalingPolicy {
            name: "cpu".into(),
            policy_type: "TargetTrackingScaling".into(),
            metric: Some("ECSServiceAverageCPUUtilization".into()),
            target_value: Some(70.5),
            scale_in_cooldown: Some(300),
            scale_out_cooldown: None,
            disable_scale_in: true,
            step_adjustments: Some("[{\"a\":1}]".into()),
        }],
        target_groups: vec![TargetGroup {
            target_group: "targetgroup/x/1".into(),
            load_balancer: "app/y/2".into(),
        }],
    };
    store.upsert_service(&s, 10).await.unwrap();
    let (n, found) = statements_run(store.find_service(&s.cluster, &s.name)).await;
    assert_eq!(n.len(), 1, "{n:#?}");
    assert_eq!(
        found.unwrap().unwrap().service,
        s,
        "every field round-trips"
    );
    let (n, listed) = statements_run(store.list_services_with(Removed::Show)).await;
    assert_eq!(n.len(), 1, "{n:#?}");
    assert_eq!(listed.unwrap()[0].service, s);
}

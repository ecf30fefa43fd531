//! How many GetMetricData calls a sync of the demo-sized account makes, against the fewest the
//! API's limits allow: the first sync (90 days) and a daily one.
//!
//!   cargo run --release --example sync_plan [-- SERVICES]
//!
//! It writes the demo into a temporary database, derives the metrics a sync would fetch from its
//! services and alarms (as `spendwatch sync` does), and plans the calls with the sync's planner.

use std::collections::{BTreeSet, HashMap};

use app::domain::calendar::DAY;
use server::demo::{self, DemoSpec};
use server::sync::{plan, specs};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let services: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2);
    let now = chrono::Utc::now().timestamp() / 3600 * 3600;
    let dir = tempfile::tempdir()?;
    let store = app::store::Store::open(&dir.path().join("plan.db")).await?;
    demo::generate(
        &store,
        &DemoSpec {
            services,
            days: 1,
            seed: 42,
            end: now,
        },
        false,
    )
    .await?;

    let records: Vec<_> = store
        .list_services()
        .await?
        .into_iter()
        .map(|s| s.service)
        .collect();
    let insights: BTreeSet<(String, String)> = records
        .iter()
        .map(|s| (s.cluster.clone(), s.name.clone()))
        .collect();
    let lbs: HashMap<String, String> = records
        .iter()
        .flat_map(|s| {
            s.target_groups
                .iter()
                .map(|t| (t.target_group.clone(), t.load_balancer.clone()))
        })
        .collect();
    let alarms = store.list_alarms(None).await?;
    let wanted = specs::wanted(&records, &insights, &lbs, &alarms);
    println!(
        "{services} services, {} alarms: {} metrics to fetch",
        alarms.len(),
        wanted.len()
    );

    for (label, from) in [
        ("first sync, 90 days", now - 90 * DAY),
        ("daily sync, 24 h since the last", now - DAY - 15 * 60),
    ] {
        let need = vec![from; wanted.len()];
        let calls = plan::plan(&need, now);
        let minimum = plan::minimum_calls(&need, now);
        let queries: usize = calls.iter().map(|c| c.metrics.len()).sum();
        let points: i64 = calls
            .iter()
            .map(|c| c.metrics.len() as i64 * c.window.points())
            .sum();
        // Ignoring that one call has one time window: the loosest bound the two limits give.
        let loose = (points as f64 / plan::MAX_POINTS as f64)
            .ceil()
            .max((queries as f64 / plan::MAX_QUERIES as f64).ceil());
        println!(
            "{label}: {} GetMetricData calls; fewest for these windows {minimum}; loosest bound {loose}; {queries} metrics requested (${:.4}); {points} datapoints",
            calls.len(),
            queries as f64 * 0.01 / 1000.0
        );
    }
    Ok(())
}

//! Building the state the way `spendwatch serve` does.

use std::sync::Arc;

use app::clock::FixedClock;
use app::settings::Settings;
use app::store::costs::CostRecord;
use app::store::Store;
use server::startup::{build_state, StateSpec};

use crate::helpers::{small_spec, test_end};

#[tokio::test]
async fn the_demo_is_loaded_only_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spendwatch.db");
    let store = Store::open(&db).await.unwrap();
    let day = test_end() - test_end().rem_euclid(86_400);
    let own_cost = CostRecord {
        granularity: "DAILY".into(),
        period_start: day,
        period_end: day + 86_400,
        scope: String::new(),
        group_by: "SERVICE".into(),
        group_key: "Amazon Elastic Container Service".into(),
        metric: "UnblendedCost".into(),
        amount: 1.0,
        unit: "USD".into(),
        estimated: false,
    };
    store.upsert_costs(&[own_cost], test_end()).await.unwrap();
    store.close().await;

    let state = build_state(StateSpec {
        db,
        demo: Some(small_spec()),
        progress: false,
        clock: Arc::new(FixedClock(test_end())),
        settings: Settings::default(),
    })
    .await
    .unwrap();
    assert!(
        state.store.list_services().await.unwrap().is_empty(),
        "a database holding data is not overwritten with the demo"
    );
}

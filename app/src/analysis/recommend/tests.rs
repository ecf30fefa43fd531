//! Tests of sizing, pricing and the words that explain them.

use super::*;
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{valid_sizes, Architecture, PriceTable, TaskSize};
use proptest::prelude::*;

fn facts(cpu: u32, mem: u32) -> ServiceFacts {
    ServiceFacts {
        size: TaskSize::new(cpu, mem),
        arch: Architecture::X86_64,
        strategy: Vec::new(),
        autoscaling: None,
    }
}

fn flat_usage(cpu_pct: f64, mem_pct: f64, tasks: f64, minutes: usize) -> Usage {
    Usage {
        cpu_max_pct: vec![cpu_pct; minutes],
        mem_max_pct: vec![mem_pct; minutes],
        tasks: vec![tasks; minutes],
        period: 60,
    }
}

/// Recommends with the default rules, tiers and prices.
fn recommend_on_defaults(facts: &ServiceFacts, usage: &Usage) -> Recommendation {
    recommend(
        facts,
        usage,
        &SizingRules::default(),
        &default_tiers(),
        &PriceTable::default(),
    )
}

#[test]
fn sizing_follows_the_issue_example() {
    // A 1024/2048 task: 19% busiest-task CPU = 0.19 vCPU; 29.83% of 2048 MiB = 611 MiB.
    let usage = flat_usage(19.0, 611.0 / 2048.0 * 100.0, 2.0, 48 * 60);
    let r = recommend_on_defaults(&facts(1024, 2048), &usage);
    assert_eq!(
        r.recommended.as_ref().unwrap().size(),
        TaskSize::new(512, 1024)
    );
    assert_eq!(r.finding, Finding::OverProvisioned);
    assert_eq!(r.current.tier.as_deref(), Some("Prod-Small"));
    assert_eq!(r.recommended.as_ref().unwrap().tier.as_deref(), Some("Dev"));
    let s = r.sized.unwrap();
    assert!((s.cpu_vcpu - 0.19 / 0.7).abs() < 1e-9);
    assert!((s.memory_mib - 611.0 * 1.15).abs() < 1e-6);
    assert!(r.reason.starts_with("p95 CPU 0.19 vCPU / 0.70 = 0.27 vCPU -> 512; max memory 611 MiB x 1.15 = 703 MiB -> 1024 MiB"), "{}", r.reason);
    // Two on-demand tasks: $72.08 now, $36.04 after.
    assert!((r.monthly_cost_usd.current - 72.08).abs() < 0.01);
    assert!((r.monthly_cost_usd.recommended.unwrap() - 36.04).abs() < 0.01);
    assert!((r.savings() - 36.04).abs() < 0.01);
    // No Spot: the whole change is the size's.
    assert!((r.monthly_cost_usd.size_change.unwrap() + 36.04).abs() < 0.01);
    assert!(r.monthly_cost_usd.capacity_provider_change.unwrap().abs() < 1e-9);
    assert!(
        r.reason
            .ends_with("monthly change -$36.04, all from the size"),
        "{}",
        r.reason
    );
}

/// FARGATE base 2, then FARGATE and FARGATE_SPOT weighted 1:1; autoscaling on CPU.
fn worker_like(cpu: u32, mem: u32) -> ServiceFacts {
    let item = |provider: &str, base| StrategyItem {
        provider: provider.into(),
        base,
        weight: 1,
    };
    ServiceFacts {
        strategy: vec![item("FARGATE", 2), item("FARGATE_SPOT", 0)],
        autoscaling: Some(Autoscaling {
            min: 1.0,
            max: 10.0,
            tracks_cpu: true,
            tracks_memory: false,
        }),
        ..facts(cpu, mem)
    }
}

#[test]
fn the_same_capacity_at_the_same_price_is_right_sized_and_the_spot_effect_is_split_out() {
    // 3 x 1024/4096 at 20% CPU (0.2 vCPU / 0.7 -> 512) and 40% memory (1638.4 MiB x 1.15 =
    // 1884 -> 2048): 512/2048, half the size, so CPU tracking runs 6 tasks.
    let r = recommend_on_defaults(
        &worker_like(1024, 4096),
        &flat_usage(20.0, 40.0, 3.0, 48 * 60),
    );
    assert_eq!(
        r.recommended.as_ref().unwrap().size(),
        TaskSize::new(512, 2048)
    );
    assert!((r.tasks.recommended.unwrap() - 6.0).abs() < 1e-9);
    // 1024/4096 is $0.05826 an hour. Now 3 tasks: 2 base + 0.5 on demand, 0.5 on Spot
    // (1/6): 0.05826 x (2.5 + 0.5 x 0.3) x 730 = $112.70.
    let cost = r.monthly_cost_usd;
    assert!((cost.current - 112.704).abs() < 0.001, "{cost:?}");
    // After: 6 x $0.02913: 2 base + 2 on demand, 2 on Spot (1/3): 0.02913 x 4.6 x 730 = $97.82.
    assert!(
        (cost.recommended.unwrap() - 97.819).abs() < 0.001,
        "{cost:?}"
    );
    // At today's 1/6 on Spot, 6 half-size tasks cost what 3 full ones do: no size change; the
    // whole -$14.89 is the Spot mix.
    assert!(cost.size_change.unwrap().abs() < 1e-9, "{cost:?}");
    assert!((cost.capacity_provider_change.unwrap() + 14.885).abs() < 0.001);
    assert_eq!(r.finding, Finding::RightSized);
    assert!(r.savings().abs() < 1e-9);
    assert!(
        r.reason
            .contains("6.0 x 512/2048 costs the same as 3.0 x 1024/4096"),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("right-sized in cost terms"),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("monthly change -$14.89: $0.00 from the size (priced at today's 17% on Spot), -$14.89 from the capacity provider mix (the new task count puts 33% on Spot instead of 17%)"),
        "{}",
        r.reason
    );
    assert!((r.tasks.spot_pct_current - 100.0 / 6.0).abs() < 1e-9);
    assert!((r.tasks.spot_pct_recommended.unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert!(
        r.risks.iter().any(|x| x.starts_with(
            "17% of tasks run on Fargate Spot now, 33% after the change; Spot tasks can be stopped"
        )),
        "{:?}",
        r.risks
    );
}

#[test]
fn a_cheaper_size_saves_only_its_size_part() {
    // 3 x 1024/4096 at 20% CPU and 20% memory (819 MiB x 1.15 = 942 -> 1024): 512/1024, 6 tasks.
    let r = recommend_on_defaults(
        &worker_like(1024, 4096),
        &flat_usage(20.0, 20.0, 3.0, 48 * 60),
    );
    assert_eq!(
        r.recommended.as_ref().unwrap().size(),
        TaskSize::new(512, 1024)
    );
    let cost = r.monthly_cost_usd;
    // 512/1024 is $0.024685 an hour. At today's share: 6 x 0.024685 x (5/6 + 1/6 x 0.3) x 730
    // = $95.51, against $112.70 now: -$17.20 from the size.
    assert!(
        (cost.size_change.unwrap() + 17.1977).abs() < 0.001,
        "{cost:?}"
    );
    // At 6 tasks' own share: 0.024685 x 4.6 x 730 = $82.89; the other -$12.61 is the Spot mix.
    assert!(
        (cost.recommended.unwrap() - 82.8922).abs() < 0.001,
        "{cost:?}"
    );
    assert!((cost.capacity_provider_change.unwrap() + 12.6140).abs() < 0.001);
    assert_eq!(r.finding, Finding::OverProvisioned);
    assert!((r.savings() - 17.1977).abs() < 0.001);
    let sum = cost.size_change.unwrap() + cost.capacity_provider_change.unwrap();
    assert!((sum - cost.net_change()).abs() < 1e-9);
}

#[test]
fn minutes_at_the_cpu_limit_are_counted_and_warned_about() {
    // 2 days of minutes: 30 at 100%, 10 at 99.6% (pinned), 5 at 99.4% (not), the rest 40%.
    let mut cpu = vec![100.0; 30];
    cpu.extend([99.6; 10]);
    cpu.extend([99.4; 5]);
    cpu.resize(48 * 60, 40.0);
    let usage = Usage {
        mem_max_pct: vec![50.0; cpu.len()],
        tasks: vec![2.0; cpu.len()],
        cpu_max_pct: cpu,
        period: 60,
    };
    let r = recommend_on_defaults(&facts(512, 1024), &usage);
    assert_eq!(r.usage.cpu_pinned_minutes, 40.0);
    assert!(
        r.risks.iter().any(|x| x.starts_with(
            "the busiest task sat at its CPU limit (0.50 vCPU) for 40 minutes (CPUUtilization >= 99.5%): demand above the limit is invisible, so the sized"
        ) && x.ends_with("vCPU is a lower bound")),
        "{:?}",
        r.risks
    );
    // Five-minute data: each pinned datapoint is five minutes.
    assert_eq!(pinned_minutes(&[100.0, 99.5, 12.0], 300), 10.0);
    let calm = recommend_on_defaults(&facts(512, 1024), &flat_usage(40.0, 50.0, 2.0, 48 * 60));
    assert_eq!(calm.usage.cpu_pinned_minutes, 0.0);
    assert!(!calm.risks.iter().any(|x| x.contains("CPU limit")));
}

#[test]
fn json_rounds_money_to_cents_vcpu_to_thousandths_and_mib_to_tenths() {
    let summary = UsageSummary {
        cpu_sized_percentile_vcpu: 0.14797624999999998,
        cpu_percentile: 95.0,
        cpu_max_vcpu: 0.5,
        memory_max_mib: 611.3749,
        hours_of_data: 335.98333,
        mean_tasks: 2.987654,
        cpu_pinned_minutes: 0.0,
    };
    let v = serde_json::to_value(summary).unwrap();
    assert_eq!(v["cpu_sized_percentile_vcpu"], 0.148);
    assert_eq!(v["memory_max_mib"], 611.4);
    assert_eq!(v["hours_of_data"], 336.0);
    assert_eq!(v["mean_tasks"], 2.99);
    let cost = MonthlyCost {
        current: 112.70397,
        recommended: Some(97.81854),
        size_change: Some(-1e-12),
        capacity_provider_change: None,
    };
    let v = serde_json::to_value(cost).unwrap();
    assert_eq!(v["current"], 112.7);
    assert_eq!(v["recommended"], 97.82);
    assert_eq!(v["size_change"], 0.0);
    assert!(v["capacity_provider_change"].is_null());
    let p = serde_json::to_value(Projection {
        cpu_sized_percentile_pct: 52.857142,
        memory_max_pct: 68.04,
    })
    .unwrap();
    assert_eq!(p["cpu_sized_percentile_pct"], 52.9);
    assert_eq!(p["memory_max_pct"], 68.0);
}

#[test]
fn json_carries_the_sized_percentile_under_its_new_and_its_deprecated_name() {
    let rules = SizingRules {
        cpu_percentile: 90.0,
        ..SizingRules::default()
    };
    let r = recommend(
        &facts(1024, 2048),
        &flat_usage(19.0, 30.0, 2.0, 48 * 60),
        &rules,
        &default_tiers(),
        &PriceTable::default(),
    );
    assert_eq!(r.usage.cpu_percentile, 90.0);
    assert!(r.reason.starts_with("p90 CPU 0.19 vCPU"), "{}", r.reason);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["usage"]["cpu_percentile"], 90.0);
    assert_eq!(v["usage"]["cpu_sized_percentile_vcpu"], 0.19);
    assert_eq!(v["usage"]["cpu_p95_vcpu"], 0.19, "deprecated alias: {v}");
    let projected = &v["projected"];
    assert!(projected["cpu_sized_percentile_pct"].is_number(), "{v}");
    assert_eq!(
        projected["cpu_p95_pct"],
        projected["cpu_sized_percentile_pct"]
    );
    // Both names read back, and JSON with only the old names (and no percentile) still reads.
    let back: Recommendation = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back.usage.cpu_sized_percentile_vcpu, 0.19);
    let mut old = v;
    let usage = old["usage"].as_object_mut().unwrap();
    usage.remove("cpu_sized_percentile_vcpu");
    usage.remove("cpu_percentile");
    old["projected"]
        .as_object_mut()
        .unwrap()
        .remove("cpu_sized_percentile_pct");
    let back: Recommendation = serde_json::from_value(old).unwrap();
    assert_eq!(back.usage.cpu_sized_percentile_vcpu, 0.19);
    assert_eq!(back.usage.cpu_percentile, 95.0);
    assert_eq!(
        back.projected.unwrap().cpu_sized_percentile_pct,
        r.projected.unwrap().cpu_sized_percentile_pct
    );
}

#[test]
fn tiers_are_the_smallest_that_hold_the_size() {
    let t = default_tiers();
    assert_eq!(tier_for(&t, TaskSize::new(256, 512)).unwrap().name, "Dev");
    assert_eq!(
        tier_for(&t, TaskSize::new(512, 2048)).unwrap().name,
        "Prod-Small"
    );
    assert_eq!(
        tier_for(&t, TaskSize::new(4096, 8192)).unwrap().name,
        "Prod-Large"
    );
    assert!(tier_for(&t, TaskSize::new(4096, 16384)).is_none());
}

#[test]
fn an_autoscaled_service_is_priced_at_its_new_count() {
    let mut f = facts(1024, 2048);
    f.autoscaling = Some(Autoscaling {
        min: 1.0,
        max: 10.0,
        tracks_cpu: true,
        tracks_memory: false,
    });
    let usage = flat_usage(20.0, 30.0, 4.0, 48 * 60);
    let r = recommend_on_defaults(&f, &usage);
    let new = r.recommended.as_ref().unwrap().size();
    assert_eq!(new, TaskSize::new(512, 1024));
    assert!((r.tasks.recommended.unwrap() - 8.0).abs() < 1e-9);
    assert!(r.reason.contains("autoscales on CPU"), "{}", r.reason);
    // Same total capacity, so the same cost: halving the size doubles the count.
    assert!((r.monthly_cost_usd.recommended.unwrap() - r.monthly_cost_usd.current).abs() < 0.01);
}

#[test]
fn under_a_day_of_data_gives_no_size() {
    let r = recommend_on_defaults(&facts(512, 1024), &flat_usage(50.0, 50.0, 2.0, 23 * 60));
    assert_eq!(r.finding, Finding::NotEnoughData);
    assert!(r.recommended.is_none());
    assert!(r.reason.contains("23.0 h"), "{}", r.reason);
}

#[test]
fn busy_service_is_under_provisioned_and_a_fitting_one_right_sized() {
    let rules = SizingRules::default();
    let r = recommend(
        &facts(256, 512),
        &flat_usage(95.0, 90.0, 2.0, 1440),
        &rules,
        &default_tiers(),
        &PriceTable::default(),
    );
    assert_eq!(r.finding, Finding::UnderProvisioned);
    // 0.2375 vCPU / 0.7 = 0.339 -> 512; 460.8 MiB x 1.15 = 530 -> 1024.
    assert_eq!(r.recommended.unwrap().size(), TaskSize::new(512, 1024));
    let r = recommend(
        &facts(256, 512),
        &flat_usage(50.0, 60.0, 2.0, 1440),
        &rules,
        &default_tiers(),
        &PriceTable::default(),
    );
    assert_eq!(r.finding, Finding::RightSized);
}

proptest! {
    #[test]
    fn any_usage_gives_a_valid_pair_covering_the_sized_demand(
        cpu in proptest::collection::vec(0.0f64..100.0, 1440..1500),
        mem in proptest::collection::vec(0.0f64..100.0, 1440..1500),
        size_idx in 0usize..20,
    ) {
        let size = valid_sizes().nth(size_idx * 3).unwrap();
        let usage = Usage { tasks: vec![2.0; cpu.len()], cpu_max_pct: cpu, mem_max_pct: mem, period: 60 };
        let f = ServiceFacts { size, arch: Architecture::X86_64, strategy: Vec::new(), autoscaling: None };
        let r = recommend_on_defaults(&f, &usage);
        let new = r.recommended.unwrap().size();
        let sized = r.sized.unwrap();
        prop_assert!(new.is_valid_fargate());
        prop_assert!(f64::from(new.cpu) >= sized.cpu_vcpu * 1024.0 - 1e-6);
        prop_assert!(f64::from(new.memory_mib) >= sized.memory_mib - 1e-6);
    }

    #[test]
    fn more_usage_never_gives_a_smaller_size(
        cpu in proptest::collection::vec(0.0f64..80.0, 1440..1460),
        mem in proptest::collection::vec(0.0f64..80.0, 1440..1460),
        extra in 1.0f64..1.25,
    ) {
        let f = facts(1024, 4096);
        let rules = SizingRules::default();
        let base = Usage { tasks: vec![2.0; cpu.len()], cpu_max_pct: cpu.clone(), mem_max_pct: mem.clone(), period: 60 };
        let more = Usage {
            tasks: vec![2.0; cpu.len()],
            cpu_max_pct: cpu.iter().map(|v| v * extra).collect(),
            mem_max_pct: mem.iter().map(|v| v * extra).collect(),
            period: 60,
        };
        let a = recommend(&f, &base, &rules, &default_tiers(), &PriceTable::default()).recommended.unwrap().size();
        let b = recommend(&f, &more, &rules, &default_tiers(), &PriceTable::default()).recommended.unwrap().size();
        prop_assert!(b.cpu >= a.cpu || b.memory_mib >= a.memory_mib, "{:?} then {:?}", a, b);
        let p = PriceTable::default();
        prop_assert!(p.hourly(b, Architecture::X86_64) >= p.hourly(a, Architecture::X86_64) - 1e-12);
    }
}

//! Hand-computed cases for each alarm rule, combining policies, cooldowns and start-up, and
//! properties every replay keeps.

use proptest::prelude::*;

use super::demand::reconstruct;
use super::*;
use crate::analysis::alarms::replay::{Comparison, ReplayRule, TreatMissing};
use crate::domain::capacity::seed_strategy;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize};

/// 1 vCPU / 2048 MiB tasks, all on demand.
fn fleet() -> Fleet {
    Fleet {
        size: TaskSize::new(1024, 2048),
        arch: Architecture::X86_64,
        strategy: Vec::new(),
    }
}

/// Demand in vCPU and MiB, one entry a minute.
fn demand(cpu: &[f64], mem: &[f64]) -> Demand {
    Demand {
        start: 0,
        step: 60,
        cpu_vcpu: cpu.to_vec(),
        mem_mib: mem.to_vec(),
        capped: vec![false; cpu.len()],
        ..Demand::default()
    }
}

/// A policy with no cooldowns and no start-up delay, so each rule shows alone.
fn policy(tracking: Vec<TargetTracking>, min: u32, max: u32) -> Policy {
    Policy {
        tracking,
        min,
        max,
        scale_out_cooldown_s: 0,
        scale_in_cooldown_s: 0,
        alarms: AlarmRules::default(),
        startup_minutes: 0,
        scale_in_step: 1,
        steps: Vec::new(),
    }
}

fn cpu_at(target: f64) -> TargetTracking {
    TargetTracking {
        metric: Metric::Cpu,
        target,
        scale_in: true,
    }
}

fn mem_at(target: f64) -> TargetTracking {
    TargetTracking {
        metric: Metric::Memory,
        ..cpu_at(target)
    }
}

fn run(d: &Demand, p: &Policy, initial: f64) -> Run {
    simulate(d, p, &fleet(), initial, &[], &PriceTable::default())
}

#[test]
fn scale_out_needs_three_of_three_minutes_above_target_and_is_proportional() {
    // 2 tasks of 1 vCPU carrying 1.2 vCPU: 60% against a 50% target.
    let d = demand(&[1.2; 6], &[0.0; 6]);
    let r = run(&d, &policy(vec![cpu_at(50.0)], 1, 10), 2.0);
    // Minutes 0, 1, 2 breach; the decision at minute 2 sets ceil(2 x 60 / 50) = 3 from minute 3.
    assert_eq!(r.tasks, vec![2.0, 2.0, 2.0, 3.0, 3.0, 3.0]);
    assert_eq!(r.cpu_pct[3], 40.0);
    assert_eq!(r.totals.scale_outs, 1);
}

#[test]
fn two_minutes_above_then_one_below_does_not_scale_out() {
    let d = demand(&[1.2, 1.2, 0.8, 1.2, 1.2, 0.8, 1.2, 1.2], &[0.0; 8]);
    let r = run(&d, &policy(vec![cpu_at(50.0)], 1, 10), 2.0);
    assert!(r.tasks.iter().all(|&t| t == 2.0), "{:?}", r.tasks);
}

#[test]
fn scale_in_needs_fifteen_of_fifteen_minutes_below_ninety_percent_of_target() {
    // 3 tasks carrying 0.6 vCPU: 20%, below 0.9 x 50% = 45%. On 2 tasks: 30%, still low.
    let d = demand(&[0.6; 20], &[0.0; 20]);
    let r = run(&d, &policy(vec![cpu_at(50.0)], 2, 10), 3.0);
    assert!(r.tasks[..15].iter().all(|&t| t == 3.0), "{:?}", r.tasks);
    assert!(r.tasks[15..].iter().all(|&t| t == 2.0), "{:?}", r.tasks);

    // Exactly at 90% of the target (45% on 3 tasks = 1.35 vCPU) is not below: no scale-in.
    let at_threshold = demand(&[1.35; 40], &[0.0; 40]);
    let r = run(&at_threshold, &policy(vec![cpu_at(50.0)], 2, 10), 3.0);
    assert!(r.tasks.iter().all(|&t| t == 3.0));
}

#[test]
fn alarm_rules_are_settings() {
    // Out after 1 of 1 and in after 2 of 2: the same demand scales at once.
    let mut p = policy(vec![cpu_at(50.0)], 1, 10);
    p.alarms.out_datapoints = 1;
    p.alarms.out_periods = 1;
    let d = demand(&[1.2; 3], &[0.0; 3]);
    assert_eq!(run(&d, &p, 2.0).tasks, vec![2.0, 3.0, 3.0]);

    p.alarms.in_datapoints = 2;
    p.alarms.in_periods = 2;
    p.alarms.in_ratio = 0.5; // below 25%
    let low = demand(&[0.6; 4], &[0.0; 4]); // 20% on 3 tasks, 30% on 2
    assert_eq!(run(&low, &p, 3.0).tasks, vec![3.0, 3.0, 2.0, 2.0]);
}

#[test]
fn two_policies_out_if_any_largest_wins_in_only_if_all() {
    let both = policy(vec![cpu_at(50.0), mem_at(50.0)], 1, 10);
    // CPU 60% and memory 90% of 2 x 2048 MiB: CPU asks 3, memory ceil(2 x 90 / 50) = 4.
    let d = demand(&[1.2; 4], &[0.9 * 4096.0; 4]);
    assert_eq!(run(&d, &both, 2.0).tasks, vec![2.0, 2.0, 2.0, 4.0]);

    // CPU over, memory low: out (any says out).
    let d = demand(&[1.2; 4], &[0.1 * 4096.0; 4]);
    assert_eq!(run(&d, &both, 2.0).tasks[3], 3.0);

    // CPU low but memory at 48% (above its 45% low line): no scale-in (not all say in).
    let d = demand(&[0.6; 30], &[0.48 * 6144.0; 30]);
    assert!(run(&d, &both, 3.0).tasks.iter().all(|&t| t == 3.0));
    // Both low: in.
    let d = demand(&[0.6; 30], &[0.1 * 6144.0; 30]);
    assert_eq!(run(&d, &both, 3.0).tasks[15], 2.0);
}

#[test]
fn a_policy_with_scale_in_disabled_blocks_scale_in() {
    let mut cpu = cpu_at(50.0);
    cpu.scale_in = false;
    let d = demand(&[0.3; 40], &[0.0; 40]);
    let r = run(&d, &policy(vec![cpu], 1, 10), 4.0);
    assert!(r.tasks.iter().all(|&t| t == 4.0));
}

#[test]
fn scale_in_cooldown_spaces_scale_ins() {
    // Low every minute and an alarm of 1 of 1: without a cooldown, one task a minute goes.
    let mut p = policy(vec![cpu_at(50.0)], 1, 10);
    p.alarms.in_datapoints = 1;
    p.alarms.in_periods = 1;
    let d = demand(&[0.1; 12], &[0.0; 12]);
    assert_eq!(run(&d, &p, 5.0).tasks[..5], [5.0, 4.0, 3.0, 2.0, 1.0]);
    // A 300 s cooldown: one every five minutes.
    p.scale_in_cooldown_s = 300;
    let r = run(&d, &p, 5.0);
    assert_eq!(r.tasks[..7], [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.0]);
}

#[test]
fn new_tasks_carry_load_after_the_start_up_delay() {
    let mut p = policy(vec![cpu_at(50.0)], 1, 10);
    p.startup_minutes = 2;
    p.scale_out_cooldown_s = 600;
    let d = demand(&[1.2; 8], &[0.0; 8]);
    let r = run(&d, &p, 2.0);
    // Decided at minute 2, billed from minute 3, carrying load from minute 5.
    assert_eq!(r.tasks[3], 3.0);
    assert_eq!(r.cpu_pct[3..5], [60.0, 60.0]);
    assert_eq!(r.cpu_pct[5], 40.0);
}

#[test]
fn scale_out_cooldown_keeps_starting_tasks_from_being_counted_twice() {
    // Out after 1 of 1; new tasks take 2 minutes to carry load. Minute 0 (60% on 2) asks 3.
    let mut p = policy(vec![cpu_at(50.0)], 1, 10);
    p.alarms.out_datapoints = 1;
    p.alarms.out_periods = 1;
    p.startup_minutes = 2;
    let d = demand(&[1.2; 6], &[0.0; 6]);
    // Without a cooldown, minute 1 still reads 60% and sizes on the 3 desired: ceil(3.6) = 4.
    assert_eq!(run(&d, &p, 2.0).tasks[..3], [2.0, 3.0, 4.0]);
    // Inside a cooldown the starting task counts once: 2 serving x 60 / 50 = 3, no change.
    p.scale_out_cooldown_s = 600;
    assert!(run(&d, &p, 2.0).tasks[1..].iter().all(|&t| t == 3.0));
}

#[test]
fn demand_is_utilization_times_tasks_times_size_and_capped_minutes_are_counted() {
    let h = History {
        start: 0,
        step: 60,
        cpu_avg_pct: vec![50.0, 100.0, f64::NAN],
        mem_avg_pct: vec![25.0, 40.0, f64::NAN],
        tasks: vec![2.0, 3.0, 2.0],
        requests: Vec::new(),
    };
    let d = reconstruct(&h, TaskSize::new(512, 1024));
    assert_eq!(d.cpu_vcpu[..2], [0.5, 1.5]);
    assert_eq!(d.mem_mib[0], 512.0);
    assert!((d.mem_mib[1] - 1228.8).abs() < 1e-9);
    assert_eq!(d.capped_minutes, 1);
    assert_eq!(d.missing_minutes, 1);
}

#[test]
fn align_places_points_on_the_minute_grid_with_gaps_as_nan() {
    let v = align(&[0, 120, 130, 600], &[1.0, 2.0, 3.0, 9.0], 0, 300, 60);
    assert_eq!(v.len(), 5);
    assert_eq!(v[0], 1.0);
    assert!(v[1].is_nan());
    assert_eq!(v[2], 3.0);
}

#[test]
fn cost_prices_each_minute_with_the_spot_split() {
    let f = Fleet {
        strategy: seed_strategy(),
        ..fleet()
    };
    let p = PriceTable::default();
    let d = demand(&[6.0; 60], &[0.0; 60]);
    let r = simulate(&d, &policy(vec![], 12, 12), &f, 12.0, &[], &p);
    // 12 tasks: base 2 then 60/40, so 8 on demand and 4 on Spot.
    let hourly = p.hourly(f.size, f.arch);
    let expect = (8.0 * hourly + 4.0 * p.spot_hourly(f.size, f.arch)) * 730.0;
    assert!((r.totals.monthly_cost_usd - expect).abs() < 1e-6);
    assert!((r.totals.task_hours - 12.0).abs() < 1e-9);
    assert!((r.totals.spot_pct - 100.0 / 3.0).abs() < 1e-9);
}

#[test]
fn minutes_over_alarm_and_at_max_are_counted() {
    let alarm = AlarmLine {
        name: "cpu-high".into(),
        metric: Metric::Cpu,
        threshold: 85.0,
        or_equal: false,
    };
    // Max 2: 1.9 vCPU on 2 tasks is 95% for every minute, at max throughout.
    let d = demand(&[1.9; 10], &[0.0; 10]);
    let r = simulate(
        &d,
        &policy(vec![cpu_at(50.0)], 1, 2),
        &fleet(),
        2.0,
        &[alarm],
        &PriceTable::default(),
    );
    assert_eq!(r.totals.minutes_over_alarm, 10);
    assert_eq!(r.totals.over_each_alarm[0].minutes, 10);
    assert_eq!(r.totals.minutes_at_max, 10);
    assert!((r.totals.peak_cpu_pct - 95.0).abs() < 1e-9);
}

#[test]
fn calibration_compares_minute_by_minute() {
    let c = calibrate(&[2.0, 3.0, 4.0], &[2.0, 2.0, f64::NAN]);
    assert!((c.task_hours_error_pct - 25.0).abs() < 1e-9);
    assert!((c.mean_abs_task_diff - 0.5).abs() < 1e-9);
    assert_eq!(c.minutes_compared, 2);
}

#[test]
fn sweep_marks_current_and_a_recommended_point_no_riskier() {
    let alarm = AlarmLine {
        name: "cpu-high".into(),
        metric: Metric::Cpu,
        threshold: 85.0,
        or_equal: false,
    };
    let cpu: Vec<f64> = (0..600)
        .map(|i| 1.0 + (i as f64 / 40.0).sin().abs() * 3.0)
        .collect();
    let d = demand(&cpu, &vec![0.0; 600]);
    let base = policy(vec![cpu_at(72.0)], 1, 10);
    let points = sweep(
        &d,
        &base,
        &fleet(),
        2.0,
        &[alarm],
        &PriceTable::default(),
        SweepKind::TargetCpu,
    );
    // 40..90 by 5 plus the current 72.
    assert_eq!(points.len(), 12);
    assert_eq!(points.iter().filter(|p| p.current).count(), 1);
    assert!(points.iter().find(|p| p.current).unwrap().value == 72.0);
    let rec: Vec<_> = points.iter().filter(|p| p.recommended).collect();
    assert_eq!(rec.len(), 1);
    let current = points.iter().find(|p| p.current).unwrap();
    assert!(rec[0].minutes_over_alarm <= current.minutes_over_alarm);
    assert!(rec[0].monthly_cost_usd <= current.monthly_cost_usd);
}

#[test]
fn same_headroom_target_keeps_spare_capacity_per_task() {
    // 70% of 0.5 vCPU leaves 0.15 vCPU; on 1 vCPU that is 85%, on 0.25 vCPU 40%.
    assert!((same_headroom_target(70.0, 512.0, 1024.0) - 85.0).abs() < 1e-9);
    assert!((same_headroom_target(70.0, 512.0, 256.0) - 40.0).abs() < 1e-9);
}

#[test]
fn bad_settings_are_named() {
    let mut p = policy(vec![cpu_at(50.0)], 5, 3);
    assert!(p.problem().unwrap().contains("below min"));
    p.max = 6;
    assert_eq!(p.problem(), None);
    p.tracking[0].target = 0.0;
    assert!(p.problem().unwrap().contains("CPU target"));
    p.tracking[0].target = 101.0;
    assert!(p.problem().is_some());
}

prop_compose! {
    /// Demand a minute for up to a few hours: a wandering level with bursts, in vCPU and MiB.
    fn any_demand()(
        levels in prop::collection::vec((0.0f64..8.0, 0.0f64..16_000.0), 30..300)
    ) -> Demand {
        let (cpu, mem): (Vec<f64>, Vec<f64>) = levels.into_iter().unzip();
        demand(&cpu, &mem)
    }
}

prop_compose! {
    /// Any sensible policy on CPU and maybe memory.
    fn any_policy()(
        min in 0u32..4,
        extra in 0u32..8,
        cpu_target in 20.0f64..95.0,
        mem_target in prop::option::of(20.0f64..95.0),
        out_cd in 0i64..600,
        in_cd in 0i64..900,
        startup in 0u32..4,
        in_periods in 1u32..20,
    ) -> Policy {
        let mut tracking = vec![cpu_at(cpu_target)];
        if let Some(t) = mem_target {
            tracking.push(mem_at(t));
        }
        let mut p = policy(tracking, min, (min + extra).max(1));
        p.scale_out_cooldown_s = out_cd;
        p.scale_in_cooldown_s = in_cd;
        p.startup_minutes = startup;
        p.alarms.in_periods = in_periods;
        p.alarms.in_datapoints = in_periods;
        p
    }
}

proptest! {
    #[test]
    fn tasks_stay_within_min_and_max(d in any_demand(), p in any_policy(), initial in 0.0f64..20.0) {
        let r = run(&d, &p, initial);
        prop_assert!(r.tasks.iter().all(|&t| t >= f64::from(p.min) && t <= f64::from(p.max)));
    }

    #[test]
    fn no_scale_in_inside_a_scale_in_cooldown(d in any_demand(), p in any_policy(), initial in 0.0f64..20.0) {
        let r = run(&d, &p, initial);
        // A change first seen at minute j was decided at minute j - 1.
        let mut last_change: Option<usize> = None;
        for j in 1..r.tasks.len() {
            if r.tasks[j] == r.tasks[j - 1] {
                continue;
            }
            if r.tasks[j] < r.tasks[j - 1] {
                if let Some(prev) = last_change {
                    prop_assert!(((j - prev) as i64) * 60 >= p.scale_in_cooldown_s,
                        "scale-in at {j} only {} minutes after the change at {prev}", j - prev);
                }
            }
            last_change = Some(j);
        }
    }

    /// On steady demand. (On demand that moves, timing alone can flip a comparison by a few
    /// task-minutes: a lower target whose alarm window was just reset by its own scale-out meets
    /// a burst a minute later than a higher one does. That says nothing about the target.)
    #[test]
    fn higher_target_never_needs_more_task_hours(
        level in (0.0f64..8.0, 0.0f64..16_000.0), minutes in 30usize..400,
        p in any_policy(), initial in 0.0f64..20.0, raise in 1.0f64..40.0,
    ) {
        let d = demand(&vec![level.0; minutes], &vec![level.1; minutes]);
        let mut higher = p.clone();
        higher.tracking[0].target = (p.tracking[0].target + raise).min(100.0);
        let (lo, hi) = (run(&d, &p, initial), run(&d, &higher, initial));
        prop_assert!(hi.totals.task_hours <= lo.totals.task_hours + 1e-9,
            "target {} -> {} task-hours, {} -> {}", p.tracking[0].target,
            lo.totals.task_hours, higher.tracking[0].target, hi.totals.task_hours);
    }

    #[test]
    fn scale_in_disabled_never_lowers_the_count(d in any_demand(), p in any_policy(), initial in 0.0f64..20.0) {
        let mut p = p;
        p.tracking.iter_mut().for_each(|t| t.scale_in = false);
        let r = run(&d, &p, initial);
        prop_assert!(r.tasks.windows(2).all(|w| w[1] >= w[0]));
    }
}

/// A step policy on CPU with a 1-minute, 1 of 1 alarm, no cooldown.
fn cpu_step(
    comparison: Comparison,
    threshold: f64,
    kind: AdjustmentType,
    steps: &[(Option<f64>, Option<f64>, i64)],
) -> StepPolicy {
    StepPolicy {
        name: "cpu-step".into(),
        alarm: "cpu-step-alarm".into(),
        metric: Metric::Cpu,
        rule: ReplayRule {
            threshold,
            comparison,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            treat_missing: TreatMissing::Missing,
        },
        period_minutes: 1,
        statistic: "Average".into(),
        adjustment_type: kind,
        steps: steps
            .iter()
            .map(|&(lower, upper, adjustment)| StepAdjustment {
                lower,
                upper,
                adjustment,
            })
            .collect(),
        min_adjustment_magnitude: None,
        cooldown_s: 0,
    }
}

fn with_steps(tracking: Vec<TargetTracking>, steps: Vec<StepPolicy>, min: u32, max: u32) -> Policy {
    Policy {
        steps,
        ..policy(tracking, min, max)
    }
}

#[test]
fn a_step_policy_adds_the_step_the_breach_falls_in() {
    let out = cpu_step(
        Comparison::GreaterThan,
        70.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), Some(20.0), 1), (Some(20.0), None, 3)],
    );
    let p = with_steps(Vec::new(), vec![out], 1, 10);
    // 1.6 vCPU on 2 tasks: 80%, 10 over the threshold: +1. On 3 tasks 53%: OK, no more.
    let d = demand(&[1.6; 4], &[0.0; 4]);
    assert_eq!(run(&d, &p, 2.0).tasks, vec![2.0, 3.0, 3.0, 3.0]);
    // 1.9 vCPU on 2 tasks: 95%, 25 over: +3. On 5 tasks 38%.
    let d = demand(&[1.9; 3], &[0.0; 3]);
    assert_eq!(run(&d, &p, 2.0).tasks, vec![2.0, 5.0, 5.0]);
}

#[test]
fn a_step_policy_acts_every_minute_its_alarm_stays_in_alarm_after_its_cooldown() {
    let mut out = cpu_step(
        Comparison::GreaterThan,
        70.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), None, 1)],
    );
    // 3 vCPU: 100% on 2 and on 3 tasks, 75% on 4, 60% on 5.
    let d = demand(&[3.0; 6], &[0.0; 6]);
    let p = with_steps(Vec::new(), vec![out.clone()], 1, 10);
    assert_eq!(run(&d, &p, 2.0).tasks, vec![2.0, 3.0, 4.0, 5.0, 5.0, 5.0]);
    // A 180 s cooldown: minutes 1 and 2 ask 2 + 1 from the capacity before the scale-out,
    // which the 3 already hold; minute 3 is past it and adds one.
    out.cooldown_s = 180;
    let p = with_steps(Vec::new(), vec![out], 1, 10);
    assert_eq!(run(&d, &p, 2.0).tasks, vec![2.0, 3.0, 3.0, 3.0, 4.0, 4.0]);
}

#[test]
fn a_larger_step_inside_the_cooldown_adds_only_what_the_first_did_not() {
    let mut out = cpu_step(
        Comparison::GreaterThan,
        50.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), Some(30.0), 1), (Some(30.0), None, 3)],
    );
    out.cooldown_s = 600;
    let p = with_steps(Vec::new(), vec![out], 1, 10);
    // Minute 0: 2.4 vCPU on 4 tasks, 60%: +1 -> 5. Minute 1: 4 vCPU on 5, 80%: +3 from the 4
    // before the cooldown -> 7 (2 more, not 3). Minute 2: 57% asks 4 + 1, under 7: nothing,
    // and no scale-in inside the cooldown.
    let d = demand(&[2.4, 4.0, 4.0, 4.0], &[0.0; 4]);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 5.0, 7.0, 7.0]);
}

#[test]
fn a_step_alarm_uses_its_own_period_and_m_of_n() {
    let mut out = cpu_step(
        Comparison::GreaterThan,
        70.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), None, 1)],
    );
    out.period_minutes = 5;
    out.rule.evaluation_periods = 2;
    out.rule.datapoints_to_alarm = 2;
    out.cooldown_s = 300;
    let p = with_steps(Vec::new(), vec![out.clone()], 1, 10);
    // 80% on 2 tasks: the first 5-minute period breaches (1 of 2: not yet), the second makes
    // 2 of 2 at the end of minute 9; from minute 10, 3 tasks at 53%, and the alarm's next
    // evaluation (end of minute 14) finds it OK.
    let d = demand(&[1.6; 16], &[0.0; 16]);
    let tasks = run(&d, &p, 2.0).tasks;
    assert!(tasks[..10].iter().all(|&t| t == 2.0), "{tasks:?}");
    assert!(tasks[10..].iter().all(|&t| t == 3.0), "{tasks:?}");
    // Without a cooldown the alarm, in ALARM until its next evaluation, invokes the policy every
    // minute: one task a minute until the end of minute 14 finds 1.6 vCPU on 7 tasks OK.
    out.cooldown_s = 0;
    let p = with_steps(Vec::new(), vec![out], 1, 10);
    assert_eq!(
        run(&d, &p, 2.0).tasks[9..],
        [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0]
    );
}

#[test]
fn percent_and_exact_steps_within_the_bounds() {
    let mut pct = cpu_step(
        Comparison::GreaterThan,
        70.0,
        AdjustmentType::PercentChangeInCapacity,
        &[(Some(0.0), None, 25)],
    );
    pct.min_adjustment_magnitude = Some(2);
    // 80% on 4 tasks: 25% of 4 is 1, raised to the minimum magnitude 2.
    let d = demand(&[3.2; 2], &[0.0; 2]);
    let p = with_steps(Vec::new(), vec![pct], 1, 10);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 6.0]);
    // Exactly 12, capped at max 10.
    let exact = cpu_step(
        Comparison::GreaterThan,
        70.0,
        AdjustmentType::ExactCapacity,
        &[(Some(0.0), None, 12)],
    );
    let p = with_steps(Vec::new(), vec![exact], 1, 10);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 10.0]);
}

#[test]
fn step_and_target_tracking_combine_out_if_any_and_the_largest_count_wins() {
    // A scale-in step on low CPU: below 20%, -1 task.
    let low = cpu_step(
        Comparison::LessThan,
        20.0,
        AdjustmentType::ChangeInCapacity,
        &[(None, Some(0.0), -1)],
    );
    // With a CPU target that never gets its 15 low minutes: the step alone scales in.
    // 0.5 vCPU: 12.5% on 4 tasks, 16.7% on 3, 25% on 2 (within): two scale-ins.
    let p = with_steps(vec![cpu_at(50.0)], vec![low.clone()], 2, 10);
    let d = demand(&[0.5; 5], &[0.0; 5]);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 3.0, 2.0, 2.0, 2.0]);
    // Memory tracking wants out (90% against 50%, 1 of 1) while the CPU step wants in: out wins.
    let mut p = with_steps(vec![mem_at(50.0)], vec![low.clone()], 2, 10);
    p.alarms.out_datapoints = 1;
    p.alarms.out_periods = 1;
    let d = demand(&[0.5; 2], &[0.9 * 4.0 * 2048.0; 2]);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 8.0]);
    // Two step policies asking to scale in, to 3 and to exactly 2: the larger count wins.
    let exact_two = StepPolicy {
        adjustment_type: AdjustmentType::ExactCapacity,
        steps: vec![StepAdjustment {
            lower: None,
            upper: Some(0.0),
            adjustment: 2,
        }],
        ..low.clone()
    };
    let p = with_steps(Vec::new(), vec![low, exact_two], 1, 10);
    let d = demand(&[0.5; 2], &[0.0; 2]);
    assert_eq!(run(&d, &p, 4.0).tasks, vec![4.0, 3.0]);
}

#[test]
fn a_stored_step_policy_is_replayed_with_the_alarm_whose_actions_name_it() {
    use crate::store::alarms::AlarmRecord;
    use crate::store::services::{ScalingPolicy, ServiceRecord};
    let stored = |name: &str, steps: &str| ScalingPolicy {
        name: name.into(),
        policy_type: "StepScaling".into(),
        metric: None,
        target_value: None,
        scale_in_cooldown: None,
        scale_out_cooldown: None,
        disable_scale_in: false,
        step_adjustments: Some(steps.into()),
    };
    let svc = ServiceRecord {
        region: "us-east-1".into(),
        cluster: "prod".into(),
        name: "api".into(),
        arn: None,
        launch_type: None,
        architecture: Architecture::X86_64,
        task_definition: None,
        size: TaskSize::new(1024, 2048),
        desired_count: 2,
        running_count: 2,
        scaling_min: Some(2),
        scaling_max: Some(8),
        strategy: Vec::new(),
        policies: vec![
            stored(
                "cpu-out",
                r#"{"adjustment_type":"PercentChangeInCapacity","min_adjustment_magnitude":2,"cooldown":120,"steps":[{"lower":0.0,"upper":null,"adjustment":50}]}"#,
            ),
            stored("legacy", r#"[{"lower":null,"upper":0.0,"adjustment":-1}]"#),
            stored("orphan", r#"[{"lower":0.0,"upper":null,"adjustment":1}]"#),
        ],
        target_groups: Vec::new(),
    };
    let arn = |policy: &str| {
        format!(
            r#"["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1a2b:resource/ecs/service/prod/api:policyName/{policy}"]"#
        )
    };
    let alarm = |name: &str, op: &str, threshold: f64, actions: String| AlarmRecord {
        name: name.into(),
        alarm_type: "MetricAlarm".into(),
        namespace: Some("AWS/ECS".into()),
        metric_name: Some("CPUUtilization".into()),
        statistic: Some("Average".into()),
        period: Some(300),
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(2),
        threshold: Some(threshold),
        comparison_operator: Some(op.into()),
        actions_enabled: true,
        alarm_actions: Some(actions),
        ..AlarmRecord::default()
    };
    let alarms = [
        alarm("api-cpu-high", "GreaterThanThreshold", 75.0, arn("cpu-out")),
        alarm("api-cpu-low", "LessThanThreshold", 20.0, arn("legacy")),
        // Another service's policy of the same name does not link.
        alarm(
            "other",
            "GreaterThanThreshold",
            50.0,
            arn("orphan").replace("/prod/api:", "/prod/web:"),
        ),
    ];
    let (p, notes) = Policy::from_service(&svc, &alarms);
    assert_eq!(p.steps.len(), 2, "{notes:?}");
    let out = &p.steps[0];
    assert_eq!(
        (out.alarm.as_str(), out.metric, out.period_minutes),
        ("api-cpu-high", Metric::Cpu, 5)
    );
    assert_eq!(
        (
            out.rule.threshold,
            out.rule.evaluation_periods,
            out.rule.datapoints_to_alarm
        ),
        (75.0, 3, 2)
    );
    assert_eq!(out.adjustment_type, AdjustmentType::PercentChangeInCapacity);
    assert_eq!(
        (out.min_adjustment_magnitude, out.cooldown_s),
        (Some(2), 120)
    );
    // Steps stored alone (older syncs) change the capacity by their adjustment.
    assert_eq!(p.steps[1].adjustment_type, AdjustmentType::ChangeInCapacity);
    assert_eq!(p.steps[1].rule.comparison, Comparison::LessThan);
    assert_eq!(
        notes,
        vec!["step policy orphan is not replayed: no stored alarm names it in its actions"]
    );
    assert_eq!(p.problem(), None);
}

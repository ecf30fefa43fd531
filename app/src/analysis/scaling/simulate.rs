//! The replay: minute by minute, the tasks a policy would have run for the demand history shows,
//! what they would have cost, and how often they ran hot.

use std::collections::VecDeque;

use serde::Serialize;

use super::demand::{Demand, History};
use super::policy::{Metric, Policy};
use super::step::StepAlarm;
use crate::analysis::recommend::{monthly_cost, spot_pct};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, PriceTable, TaskSize, HOURS_PER_MONTH};

/// What the tasks are and how they are bought.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    /// Task size.
    pub size: TaskSize,
    /// Architecture (sets the price).
    pub arch: Architecture,
    /// Capacity provider strategy (sets the Spot share).
    pub strategy: Vec<StrategyItem>,
}

/// One of the service's alarm thresholds on average utilization, to count minutes above.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmLine {
    /// Alarm name.
    pub name: String,
    /// The utilization it watches (CPU or memory).
    pub metric: Metric,
    /// Threshold, percent.
    pub threshold: f64,
    /// Whether reaching the threshold already breaches (`GreaterThanOrEqualToThreshold`).
    pub or_equal: bool,
}

impl AlarmLine {
    /// Whether utilization `v` is over this line.
    fn breached_by(&self, v: f64) -> bool {
        if self.or_equal {
            v >= self.threshold
        } else {
            v > self.threshold
        }
    }
}

/// Minutes above one alarm's threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmMinutes {
    /// Alarm name.
    pub name: String,
    /// Threshold, percent.
    pub threshold: f64,
    /// Minutes above it.
    pub minutes: usize,
}

/// A run's totals: what an SRE compares between settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Minutes with a task count.
    pub minutes: usize,
    /// Task-hours run.
    pub task_hours: f64,
    /// Mean task count.
    pub mean_tasks: f64,
    /// Highest task count.
    pub max_tasks: f64,
    /// Cost over the minutes run, priced minute by minute with the Spot split.
    pub period_cost_usd: f64,
    /// The same, as a 730-hour month.
    pub monthly_cost_usd: f64,
    /// Share of task-hours on Fargate Spot, percent.
    pub spot_pct: f64,
    /// Changes of the task count.
    pub scale_events: usize,
    /// Of which up.
    pub scale_outs: usize,
    /// Of which down.
    pub scale_ins: usize,
    /// Minutes above any of the service's alarm thresholds.
    pub minutes_over_alarm: usize,
    /// Minutes above each threshold.
    pub over_each_alarm: Vec<AlarmMinutes>,
    /// Minutes at the maximum task count.
    pub minutes_at_max: usize,
    /// Highest average CPU utilization, percent.
    pub peak_cpu_pct: f64,
    /// Highest average memory utilization, percent.
    pub peak_mem_pct: f64,
}

/// A run minute by minute (NaN where there is no data) with its totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Tasks (billed: starting tasks included).
    pub tasks: Vec<f64>,
    /// Average CPU utilization of the tasks carrying load, percent.
    pub cpu_pct: Vec<f64>,
    /// Average memory utilization, percent.
    pub mem_pct: Vec<f64>,
    /// Totals.
    pub totals: Totals,
}

/// How closely a replay of the service's own settings tracks what it really ran.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// (simulated - actual) / actual task-hours, percent.
    pub task_hours_error_pct: f64,
    /// Mean of |simulated - actual| tasks over the minutes both have.
    pub mean_abs_task_diff: f64,
    /// Minutes compared.
    pub minutes_compared: usize,
}

/// The two alarm windows of one policy: the last datapoints as bits, newest lowest.
#[derive(Debug, Clone, Copy, Default)]
struct Windows {
    high: u64,
    low: u64,
}

fn mask(periods: u32) -> u64 {
    if periods >= 64 {
        u64::MAX
    } else {
        (1u64 << periods) - 1
    }
}

/// `used / capacity` as a percent, at most 100 (a task cannot report more); NaN (no datapoint)
/// without data or without tasks: ECS publishes no utilization while nothing runs.
fn utilization(used: f64, capacity: f64) -> f64 {
    if used.is_nan() || capacity <= 0.0 {
        f64::NAN
    } else {
        (used / capacity * 100.0).min(100.0)
    }
}

/// The smallest whole count at least `x` (tolerating float noise just above an integer).
fn ceil_count(x: f64) -> u32 {
    (x - 1e-9).ceil().max(0.0) as u32
}

/// Replays `demand` through `policy` on `fleet`, starting from `initial` tasks (clamped to the
/// bounds; the minimum when unknown).
pub fn simulate(
    demand: &Demand,
    policy: &Policy,
    fleet: &Fleet,
    initial: f64,
    alarms: &[AlarmLine],
    prices: &PriceTable,
) -> Run {
    let n = demand.len();
    let (vcpu, mib) = (fleet.size.vcpu(), f64::from(fleet.size.memory_mib));
    let rules = &policy.alarms;
    let (out_mask, in_mask) = (mask(rules.out_periods), mask(rules.in_periods));
    let start = if initial.is_finite() {
        initial.round().max(0.0) as u32
    } else {
        policy.min
    };
    let mut desired = start.clamp(policy.min, policy.max);
    let mut serving = desired;
    let mut starting: VecDeque<(usize, u32)> = VecDeque::new();
    let mut windows = vec![Windows::default(); policy.tracking.len()];
    let mut step_alarms = vec![StepAlarm::new(); policy.steps.len()];
    let (mut last_out, mut last_in): (Option<usize>, Option<usize>) = (None, None);
    // The capacity before the first scale-out of a chain still in a step policy's cooldown: the
    // capacity those scale-outs added counts toward the next one.
    let step_cooldown = policy.steps.iter().map(|p| p.cooldown_s).max().unwrap_or(0);
    let mut out_base = desired;
    let mut run = Run {
        tasks: Vec::with_capacity(n),
        cpu_pct: Vec::with_capacity(n),
        mem_pct: Vec::with_capacity(n),
        totals: empty_totals(),
    };
    let seconds_since =
        |last: Option<usize>, i: usize| last.map_or(i64::MAX, |l| (i - l) as i64 * demand.step);

    for i in 0..n {
        while let Some(&(ready, count)) = starting.front() {
            if ready > i {
                break;
            }
            serving += count;
            starting.pop_front();
        }
        let s = f64::from(serving);
        let cpu = utilization(demand.cpu_vcpu[i], s * vcpu);
        let mem = utilization(demand.mem_mib[i], s * mib);
        let requests = match demand.requests.get(i) {
            Some(r) if serving > 0 => r / s,
            _ => f64::NAN,
        };
        run.tasks.push(f64::from(desired));
        run.cpu_pct.push(cpu);
        run.mem_pct.push(mem);

        // AWS sizes a scale-out as current capacity x metric / target. Inside the scale-out
        // cooldown the capacity a scale-out added counts once (the metric does not show tasks
        // still starting), and a larger scale-out still goes ahead; after it, current capacity is
        // the desired count, so tasks slower to start than the cooldown make it overshoot.
        let in_out_cooldown = seconds_since(last_out, i) < policy.scale_out_cooldown_s;
        let base = if in_out_cooldown {
            s
        } else {
            f64::from(desired)
        }
        .max(1.0);
        // Out if any policy says out (the largest count wins); in only if all say in, and only
        // when the smaller fleet stays at or under every target (scale-in is conservative: a
        // scale-in that would trip the scale-out alarm would flap).
        let mut out_to = 0u32;
        let mut all_in = !policy.tracking.is_empty();
        let after_in = f64::from(desired.saturating_sub(policy.scale_in_step).max(policy.min));
        for (t, w) in policy.tracking.iter().zip(windows.iter_mut()) {
            let v = match t.metric {
                Metric::Cpu => cpu,
                Metric::Memory => mem,
                Metric::RequestsPerTarget => requests,
            };
            // NaN (no data) compares false: it neither breaches nor counts as low.
            w.high = ((w.high << 1) | u64::from(v > t.target)) & out_mask;
            w.low = ((w.low << 1) | u64::from(v < rules.in_ratio * t.target)) & in_mask;
            if w.high.count_ones() >= rules.out_datapoints {
                out_to = out_to.max(ceil_count(base * v / t.target));
            }
            let stays_under = v * s <= t.target * after_in;
            all_in &= t.scale_in && w.low.count_ones() >= rules.in_datapoints && stays_under;
        }

        let in_ready = seconds_since(last_in, i) >= policy.scale_in_cooldown_s
            && seconds_since(last_out, i) >= policy.scale_in_cooldown_s;
        let tracking_in = (all_in && out_to <= desired && desired > policy.min && in_ready)
            .then(|| desired.saturating_sub(policy.scale_in_step).max(policy.min));
        let steps = step_proposals(
            policy,
            &mut step_alarms,
            (i, cpu, mem),
            desired,
            out_base,
            |cooldown| seconds_since(last_out, i) < cooldown,
            |cooldown| {
                seconds_since(last_in, i) >= cooldown && seconds_since(last_out, i) >= cooldown
            },
        );
        // Out if any policy says out, the largest count winning; otherwise in, again to the
        // largest count any policy asks for (AWS: "the policy that provides the largest capacity").
        let target_out = out_to.max(steps.out).min(policy.max);
        if target_out > desired {
            if seconds_since(last_out, i) >= step_cooldown {
                out_base = desired;
            }
            starting.push_back((
                i + 1 + policy.startup_minutes as usize,
                target_out - desired,
            ));
            desired = target_out;
            last_out = Some(i);
            windows.iter_mut().for_each(|w| w.high = 0);
        } else if let Some(new) = tracking_in.max(steps.scale_in).filter(|n| *n < desired) {
            remove_tasks(&mut starting, &mut serving, desired - new);
            desired = new;
            last_in = Some(i);
            windows.iter_mut().for_each(|w| w.low = 0);
        }
    }
    run.totals = totals(
        &run.tasks,
        &run.cpu_pct,
        &run.mem_pct,
        f64::from(policy.max),
        fleet,
        alarms,
        prices,
        demand.step,
    );
    run
}

/// What the step policies ask for this minute: the largest count above the desired one (0 for
/// none) and the largest below it (None for none), within the bounds.
struct StepAsks {
    out: u32,
    scale_in: Option<u32>,
}

/// Feeds minute `i`'s utilization to each step policy's alarm and collects what the policies in
/// ALARM ask for: a scale-out from `out_base` while `in_out_cooldown(cooldown)` says its
/// cooldown runs (else from `desired`), a scale-in only once `in_allowed(cooldown)`.
fn step_proposals(
    policy: &Policy,
    alarms: &mut [StepAlarm],
    (i, cpu, mem): (usize, f64, f64),
    desired: u32,
    out_base: u32,
    in_out_cooldown: impl Fn(i64) -> bool,
    in_allowed: impl Fn(i64) -> bool,
) -> StepAsks {
    let mut asks = StepAsks {
        out: 0,
        scale_in: None,
    };
    for (p, alarm) in policy.steps.iter().zip(alarms.iter_mut()) {
        alarm.push(p, i, if p.metric == Metric::Memory { mem } else { cpu });
        let from = if in_out_cooldown(p.cooldown_s) {
            out_base
        } else {
            desired
        };
        let Some(want) = alarm.proposal(p, from) else {
            continue;
        };
        let want = want.clamp(i64::from(policy.min), i64::from(policy.max)) as u32;
        if want > desired {
            asks.out = asks.out.max(want);
        } else if want < desired && in_allowed(p.cooldown_s) {
            asks.scale_in = asks.scale_in.max(Some(want));
        }
    }
    asks
}

/// Takes `k` tasks away, those still starting first (the newest of them first).
fn remove_tasks(starting: &mut VecDeque<(usize, u32)>, serving: &mut u32, mut k: u32) {
    while k > 0 {
        match starting.back_mut() {
            Some((_, count)) if *count > k => {
                *count -= k;
                return;
            }
            Some((_, count)) => {
                k -= *count;
                starting.pop_back();
            }
            None => {
                *serving = serving.saturating_sub(k);
                return;
            }
        }
    }
}

/// What the service really ran, on the same measures as a replay.
pub fn actual_run(
    history: &History,
    max: f64,
    fleet: &Fleet,
    alarms: &[AlarmLine],
    prices: &PriceTable,
) -> Run {
    Run {
        totals: totals(
            &history.tasks,
            &history.cpu_avg_pct,
            &history.mem_avg_pct,
            max,
            fleet,
            alarms,
            prices,
            history.step,
        ),
        tasks: history.tasks.clone(),
        cpu_pct: history.cpu_avg_pct.clone(),
        mem_pct: history.mem_avg_pct.clone(),
    }
}

fn empty_totals() -> Totals {
    Totals {
        minutes: 0,
        task_hours: 0.0,
        mean_tasks: 0.0,
        max_tasks: 0.0,
        period_cost_usd: 0.0,
        monthly_cost_usd: 0.0,
        spot_pct: 0.0,
        scale_events: 0,
        scale_outs: 0,
        scale_ins: 0,
        minutes_over_alarm: 0,
        over_each_alarm: Vec::new(),
        minutes_at_max: 0,
        peak_cpu_pct: 0.0,
        peak_mem_pct: 0.0,
    }
}

/// Monthly cost of a whole task count, computed once per count.
struct CostTable<'a> {
    fleet: &'a Fleet,
    prices: &'a PriceTable,
    by_count: Vec<Option<(f64, f64)>>,
}

impl CostTable<'_> {
    /// (monthly cost, Spot tasks) of `tasks` (fractional counts are priced directly).
    fn at(&mut self, tasks: f64) -> (f64, f64) {
        let price = |t: f64| {
            let f = self.fleet;
            (
                monthly_cost(f.size, f.arch, &f.strategy, t, self.prices),
                spot_pct(&f.strategy, t) / 100.0 * t,
            )
        };
        let whole = tasks.round();
        if (tasks - whole).abs() > 1e-9 || !(0.0..4096.0).contains(&whole) {
            return price(tasks);
        }
        let k = whole as usize;
        if self.by_count.len() <= k {
            self.by_count.resize(k + 1, None);
        }
        *self.by_count[k].get_or_insert_with(|| price(whole))
    }
}

/// Totals of a run given minute by minute; minutes without a task count are left out.
#[allow(clippy::too_many_arguments)]
fn totals(
    tasks: &[f64],
    cpu: &[f64],
    mem: &[f64],
    max: f64,
    fleet: &Fleet,
    alarms: &[AlarmLine],
    prices: &PriceTable,
    step: i64,
) -> Totals {
    let mut t = empty_totals();
    let mut costs = CostTable {
        fleet,
        prices,
        by_count: Vec::new(),
    };
    let mut over_each = vec![0usize; alarms.len()];
    let (mut cost_sum, mut spot_sum, mut previous) = (0.0, 0.0, None::<f64>);
    let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(f64::NAN);
    for (i, &n) in tasks.iter().enumerate() {
        if n.is_nan() {
            continue;
        }
        t.minutes += 1;
        t.task_hours += n * step as f64 / 3600.0;
        t.max_tasks = t.max_tasks.max(n);
        let (cost, spot) = costs.at(n);
        cost_sum += cost;
        spot_sum += spot;
        if let Some(p) = previous {
            if n.round() > p.round() {
                t.scale_outs += 1;
            } else if n.round() < p.round() {
                t.scale_ins += 1;
            }
        }
        previous = Some(n);
        t.minutes_at_max += usize::from(n >= max - 1e-9);
        let (c, m) = (at(cpu, i), at(mem, i));
        if c.is_finite() {
            t.peak_cpu_pct = t.peak_cpu_pct.max(c);
        }
        if m.is_finite() {
            t.peak_mem_pct = t.peak_mem_pct.max(m);
        }
        let mut any = false;
        for (k, line) in alarms.iter().enumerate() {
            let v = if line.metric == Metric::Memory { m } else { c };
            if line.breached_by(v) {
                over_each[k] += 1;
                any = true;
            }
        }
        t.minutes_over_alarm += usize::from(any);
    }
    t.scale_events = t.scale_outs + t.scale_ins;
    if t.minutes > 0 {
        let minutes = t.minutes as f64;
        t.mean_tasks = t.task_hours * 3600.0 / (step as f64 * minutes);
        t.monthly_cost_usd = cost_sum / minutes;
        t.period_cost_usd = t.monthly_cost_usd / HOURS_PER_MONTH * minutes * step as f64 / 3600.0;
        t.spot_pct = if t.mean_tasks > 0.0 {
            spot_sum / minutes / t.mean_tasks * 100.0
        } else {
            0.0
        };
    }
    t.over_each_alarm = alarms
        .iter()
        .zip(over_each)
        .map(|(a, minutes)| AlarmMinutes {
            name: a.name.clone(),
            threshold: a.threshold,
            minutes,
        })
        .collect();
    t
}

/// Compares a replay's task counts with the actual ones, minute by minute where both exist.
pub fn calibrate(simulated: &[f64], actual: &[f64]) -> Calibration {
    let (mut sim_sum, mut act_sum, mut abs_diff, mut n) = (0.0, 0.0, 0.0, 0usize);
    for (s, a) in simulated.iter().zip(actual) {
        if s.is_nan() || a.is_nan() {
            continue;
        }
        sim_sum += s;
        act_sum += a;
        abs_diff += (s - a).abs();
        n += 1;
    }
    Calibration {
        task_hours_error_pct: if act_sum > 0.0 {
            (sim_sum - act_sum) / act_sum * 100.0
        } else {
            0.0
        },
        mean_abs_task_diff: if n > 0 { abs_diff / n as f64 } else { 0.0 },
        minutes_compared: n,
    }
}

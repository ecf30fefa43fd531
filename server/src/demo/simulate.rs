//! A minute-by-minute simulation of one service: demand with daily and weekly rhythm, growth and
//! noise; target-tracking autoscaling; memory with a leak reset by deployments (and OOM kills);
//! load balancer requests, 5xx and healthy targets; one incident.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use app::domain::calendar::{day_start, DAY};
use app::domain::capacity::split_tasks;

use super::fleet::Profile;

const YEAR: f64 = 365.0 * 86_400.0;

/// What one minute of one service looked like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minute {
    /// Running tasks.
    pub tasks: u32,
    /// CPUUtilization Average, percent.
    pub cpu_avg: f64,
    /// CPUUtilization Maximum (busiest task), percent.
    pub cpu_max: f64,
    /// MemoryUtilization Average, percent.
    pub mem_avg: f64,
    /// MemoryUtilization Maximum, percent.
    pub mem_max: f64,
    /// ALB RequestCount (Sum).
    pub requests: f64,
    /// ALB HTTPCode_Target_5XX_Count (Sum).
    pub errors_5xx: f64,
    /// ALB HealthyHostCount (Minimum).
    pub healthy: f64,
}

/// Task-hours of one UTC day, split by capacity provider.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DayUsage {
    /// Start of the day.
    pub day: i64,
    /// Task-hours on FARGATE.
    pub on_demand_task_hours: f64,
    /// Task-hours on FARGATE_SPOT.
    pub spot_task_hours: f64,
    /// vCPU-hours and GB-hours on FARGATE (at the size in force each minute).
    pub on_demand_vcpu_gb_hours: (f64, f64),
    /// vCPU-hours and GB-hours on FARGATE_SPOT.
    pub spot_vcpu_gb_hours: (f64, f64),
    /// Requests served.
    pub requests: f64,
}

/// The simulated history of one service.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Time of `minutes[0]`.
    pub metrics_start: i64,
    /// One entry a minute from `metrics_start` to the end.
    pub minutes: Vec<Minute>,
    /// One entry a day from the simulation's first day.
    pub days: Vec<DayUsage>,
    /// When each deployment started (the first at the simulation's start), oldest first.
    pub deployments: Vec<i64>,
}

/// The incident window `[start, end)`: a Tuesday-ish afternoon 23 days before the end (or halfway
/// through a shorter window).
pub fn incident_window(metrics_start: i64, end: i64) -> (i64, i64) {
    let back = if end - metrics_start >= 30 * DAY {
        23 * DAY
    } else {
        (end - metrics_start) / 2
    };
    let start = day_start(end - back) + 14 * 3600 + 10 * 60;
    (start, start + 150 * 60)
}

/// Simulates `profile` minute by minute over `[sim_start, end)`, keeping minutes from
/// `metrics_start` on.
pub fn simulate(
    profile: &Profile,
    index: usize,
    seed: u64,
    sim_start: i64,
    metrics_start: i64,
    end: i64,
) -> Trace {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let (inc_start, inc_end) = incident_window(metrics_start, end);
    let resized_at = super::fleet::resized_at(end);
    let mut tasks = profile.min;
    let (mut last_out, mut last_in) = (i64::MIN / 2, i64::MIN / 2);
    let (mut high, mut low) = (0u32, 0u32);
    let mut noise = 0.0f64;
    let mut spike = (0u32, 1.0f64);
    let mut deployed_at = sim_start;
    let mut deployments = vec![sim_start];
    let mut next_deploy = sim_start + deploy_gap(profile, &mut rng);
    let imbalance = 0.10 + rng.gen::<f64>() * 0.12;

    let mut minutes = Vec::with_capacity(((end - metrics_start) / 60).max(0) as usize);
    let mut days: Vec<DayUsage> = Vec::new();
    let mut t = sim_start;
    while t < end {
        if t >= next_deploy {
            deployed_at = t;
            deployments.push(t);
            next_deploy = t + deploy_gap(profile, &mut rng);
        } else if t == resized_at && profile.earlier_size.is_some() {
            // The resize is a deployment of a new task definition of its own.
            deployed_at = t;
            deployments.push(t);
        }
        let size = profile.size_at(t, resized_at);
        let (cap, mem) = (size.vcpu(), f64::from(size.memory_mib));
        let hour = (t.rem_euclid(DAY)) as f64 / 3600.0;
        let weekday = (t.div_euclid(DAY) + 4).rem_euclid(7); // 0 = Sunday
        let daily = 0.32
            + 0.68 * (0.5 + 0.5 * (std::f64::consts::TAU * (hour - 15.0) / 24.0).cos()).powf(1.6);
        let weekly = if weekday == 0 || weekday == 6 {
            0.7
        } else {
            1.0
        };
        let growth = (1.0 + 0.4 * (t - end) as f64 / YEAR).max(0.3);
        noise = 0.97 * noise + 0.035 * normal(&mut rng);
        if spike.0 == 0 && rng.gen_bool(0.0015) {
            spike = (rng.gen_range(3..12), rng.gen_range(1.3..2.0));
        }
        let spike_factor = if spike.0 > 0 {
            spike.0 -= 1;
            spike.1
        } else {
            1.0
        };
        let in_incident = t >= inc_start && t < inc_end;
        let incident = if in_incident {
            incident_shape(t, inc_start, inc_end, profile.incident_multiplier)
        } else {
            1.0
        };
        let demand =
            profile.peak_vcpu * daily * weekly * growth * noise.exp() * spike_factor * incident;

        let n = f64::from(tasks);
        let per_task = demand / n + profile.idle_vcpu;
        let cpu_avg = (per_task / cap * 100.0).min(100.0);
        let cpu_max = (cpu_avg * (1.0 + imbalance + 0.05 * rng.gen::<f64>())).min(100.0);
        let age_h = (t - deployed_at) as f64 / 3600.0;
        let task_mem = profile.mem_base_mib
            + profile.mem_per_vcpu_mib * (demand / n)
            + profile.leak_mib_per_hour * age_h;
        let mem_avg = (task_mem * (0.94 + 0.02 * rng.gen::<f64>()) / mem * 100.0).min(100.0);
        let mem_max = (task_mem * (1.03 + 0.03 * rng.gen::<f64>()) / mem * 100.0).min(100.0);
        if mem_max >= 99.5 {
            deployed_at = t; // the busiest task was OOM-killed and replaced: the leak starts over
        }

        let requests = (demand * profile.requests_per_vcpu_min).round();
        let error_rate = if in_incident {
            30.0 + 120.0 * rng.gen::<f64>() * profile.incident_multiplier.min(2.0) / 2.0
        } else {
            profile.errors_per_min_at_peak * daily * weekly
        };
        let errors_5xx = poisson(&mut rng, error_rate);
        let healthy = if in_incident && profile.incident_multiplier > 2.0 {
            let mid = (t - inc_start) as f64 / (inc_end - inc_start) as f64;
            if (0.40..0.45).contains(&mid) {
                0.0
            } else if (0.30..0.60).contains(&mid) {
                (n * 0.4).floor()
            } else {
                n
            }
        } else {
            n
        };

        let day = day_start(t);
        if days.last().map(|d| d.day) != Some(day) {
            days.push(DayUsage {
                day,
                ..DayUsage::default()
            });
        }
        let split = split_tasks(&profile.strategy, n);
        let today = days.last_mut().expect("pushed above");
        today.on_demand_task_hours += split.on_demand / 60.0;
        today.spot_task_hours += split.spot / 60.0;
        let (vcpu, gb) = (size.vcpu() / 60.0, size.memory_gb() / 60.0);
        today.on_demand_vcpu_gb_hours.0 += split.on_demand * vcpu;
        today.on_demand_vcpu_gb_hours.1 += split.on_demand * gb;
        today.spot_vcpu_gb_hours.0 += split.spot * vcpu;
        today.spot_vcpu_gb_hours.1 += split.spot * gb;
        today.requests += requests;

        if t >= metrics_start {
            // Full precision, as CloudWatch reports utilization (rounding would flatter the
            // storage's compression).
            minutes.push(Minute {
                tasks,
                cpu_avg,
                cpu_max,
                mem_avg,
                mem_max,
                requests,
                errors_5xx,
                healthy,
            });
        }

        if profile.autoscaled {
            let over = cpu_avg > profile.cpu_target || mem_avg > profile.mem_target;
            let under = cpu_avg < 0.9 * profile.cpu_target && mem_avg < 0.9 * profile.mem_target;
            high = if over { high + 1 } else { 0 };
            low = if under { low + 1 } else { 0 };
            let want = (n * cpu_avg / profile.cpu_target)
                .max(n * mem_avg / profile.mem_target)
                .ceil() as u32;
            if high >= 3 && t - last_out >= 60 && want > tasks {
                tasks = want.min(profile.max);
                last_out = t;
                high = 0;
            } else if low >= 15
                && t - last_in >= 300
                && t - last_out >= 300
                && tasks > profile.min
                && stays_under_targets(profile, n, cpu_avg, mem_avg)
            {
                tasks -= 1; // scale-in is gradual
                last_in = t;
                low = 0;
            }
        }
        t += 60;
    }
    Trace {
        metrics_start,
        minutes,
        days,
        deployments,
    }
}

/// Whether one task fewer keeps average CPU and memory at or under their targets: target
/// tracking scales in conservatively, never into its own scale-out alarm.
fn stays_under_targets(p: &Profile, n: f64, cpu_avg: f64, mem_avg: f64) -> bool {
    let fewer = n - 1.0;
    cpu_avg * n <= p.cpu_target * fewer && mem_avg * n <= p.mem_target * fewer
}

/// Demand multiplier during the incident: a fast ramp, a plateau, a slow recovery.
fn incident_shape(t: i64, start: i64, end: i64, peak: f64) -> f64 {
    let x = (t - start) as f64 / (end - start) as f64;
    let level = if x < 0.1 {
        x / 0.1
    } else if x < 0.7 {
        1.0
    } else {
        (1.0 - x) / 0.3
    };
    1.0 + (peak - 1.0) * level
}

fn deploy_gap(p: &Profile, rng: &mut ChaCha8Rng) -> i64 {
    (p.deploy_every_hours * rng.gen_range(0.7..1.3) * 3600.0) as i64
}

/// A standard normal sample (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson sample: Knuth's method for small means, a rounded normal for large ones.
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if mean > 30.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0);
    }
    let limit = (-mean).exp();
    let (mut k, mut p) = (0.0, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fleet::fleet;

    #[test]
    fn tasks_stay_within_bounds_and_incident_scales_to_max() {
        let end = 1_790_000_000 - 1_790_000_000 % 3600;
        let start = end - 40 * DAY;
        let server = &fleet(2, 42)[0];
        let trace = simulate(server, 0, 42, start, start, end);
        assert_eq!(trace.minutes.len(), 40 * 1440);
        assert!(trace
            .minutes
            .iter()
            .all(|m| m.tasks >= server.min && m.tasks <= server.max));
        assert!(
            trace.minutes.iter().any(|m| m.tasks == server.max),
            "the incident scales out to the maximum"
        );
        assert!(
            trace.minutes.iter().any(|m| m.healthy == 0.0),
            "the incident leaves no healthy target for a while"
        );
    }
}

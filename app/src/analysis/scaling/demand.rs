//! Demand per minute, rebuilt from history: average utilization x running tasks x task size is
//! the vCPU and MiB the service used, whatever the count that carried it.

use serde::Serialize;

use crate::domain::fargate::TaskSize;

/// Average utilization at or above this (percent) means the tasks were full: the demand that
/// minute was at least what shows, maybe more.
pub const CAPPED_AT_PCT: f64 = 99.0;

/// A service's history on one regular minute grid; missing minutes are NaN.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Time of the first minute, epoch seconds.
    pub start: i64,
    /// Seconds between entries.
    pub step: i64,
    /// CPUUtilization Average, percent.
    pub cpu_avg_pct: Vec<f64>,
    /// MemoryUtilization Average, percent.
    pub mem_avg_pct: Vec<f64>,
    /// Running tasks.
    pub tasks: Vec<f64>,
    /// ALB RequestCount (Sum) per minute, when stored (empty otherwise).
    pub requests: Vec<f64>,
}

impl History {
    /// Number of minutes on the grid.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The first known task count (NaN when none is): where a replay starts.
    pub fn initial_tasks(&self) -> f64 {
        self.tasks
            .iter()
            .copied()
            .find(|t| t.is_finite())
            .unwrap_or(f64::NAN)
    }
}

/// What the service had to carry each minute, in absolute units; NaN where history is missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Demand {
    /// Time of the first minute.
    pub start: i64,
    /// Seconds between entries.
    pub step: i64,
    /// vCPU in use across the fleet.
    pub cpu_vcpu: Vec<f64>,
    /// MiB in use across the fleet.
    pub mem_mib: Vec<f64>,
    /// Requests per minute (empty when not stored).
    pub requests: Vec<f64>,
    /// Minutes whose utilization sat at the ceiling: the demand shown is a lower bound.
    pub capped: Vec<bool>,
    /// How many minutes are capped.
    pub capped_minutes: usize,
    /// Minutes with no data.
    pub missing_minutes: usize,
}

impl Demand {
    /// Number of minutes.
    pub fn len(&self) -> usize {
        self.cpu_vcpu.len()
    }

    /// Whether there are no minutes.
    pub fn is_empty(&self) -> bool {
        self.cpu_vcpu.is_empty()
    }
}

/// Puts (time, value) points on the grid `[from, to)` of `step` seconds; a minute without a
/// point is NaN. Points off the grid fall into the minute they are in.
pub fn align(ts: &[i64], values: &[f64], from: i64, to: i64, step: i64) -> Vec<f64> {
    let step = step.max(1);
    let n = ((to - from).max(0) / step) as usize;
    let mut out = vec![f64::NAN; n];
    for (t, v) in ts.iter().zip(values) {
        if *t < from || *t >= to {
            continue;
        }
        if let Some(slot) = out.get_mut(((t - from) / step) as usize) {
            *slot = *v;
        }
    }
    out
}

/// Rebuilds demand from history for tasks of `size`: used = utilization x tasks x size.
pub fn reconstruct(h: &History, size: TaskSize) -> Demand {
    let n = h.len();
    let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(f64::NAN);
    let mut d = Demand {
        start: h.start,
        step: h.step,
        cpu_vcpu: Vec::with_capacity(n),
        mem_mib: Vec::with_capacity(n),
        requests: if h.requests.is_empty() {
            Vec::new()
        } else {
            (0..n).map(|i| at(&h.requests, i)).collect()
        },
        capped: Vec::with_capacity(n),
        ..Demand::default()
    };
    let mem = f64::from(size.memory_mib);
    for i in 0..n {
        let (cpu, memory, tasks) = (at(&h.cpu_avg_pct, i), at(&h.mem_avg_pct, i), h.tasks[i]);
        d.cpu_vcpu.push(cpu / 100.0 * tasks * size.vcpu());
        d.mem_mib.push(memory / 100.0 * tasks * mem);
        let capped = cpu >= CAPPED_AT_PCT || memory >= CAPPED_AT_PCT;
        d.capped.push(capped);
        d.capped_minutes += usize::from(capped);
        d.missing_minutes += usize::from(tasks.is_nan() || (cpu.is_nan() && memory.is_nan()));
    }
    d
}

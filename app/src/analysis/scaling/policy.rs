//! The scaling settings a replay runs: target-tracking policies, bounds, cooldowns, and the
//! alarm rules target tracking creates (AWS does not document them, so they are settings).

use serde::{Deserialize, Serialize};

use crate::store::services::ServiceRecord;

/// A metric target tracking can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// ECSServiceAverageCPUUtilization, percent.
    Cpu,
    /// ECSServiceAverageMemoryUtilization, percent.
    Memory,
    /// ALBRequestCountPerTarget, requests per target per minute.
    RequestsPerTarget,
}

impl Metric {
    /// The predefined metric type AWS names it by, if it is one.
    pub fn from_aws(name: &str) -> Option<Self> {
        match name {
            "ECSServiceAverageCPUUtilization" => Some(Self::Cpu),
            "ECSServiceAverageMemoryUtilization" => Some(Self::Memory),
            "ALBRequestCountPerTarget" => Some(Self::RequestsPerTarget),
            _ => None,
        }
    }

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cpu => "CPU",
            Self::Memory => "memory",
            Self::RequestsPerTarget => "requests per target",
        }
    }

    /// Whether the metric is a percentage (target must lie in (0, 100]).
    pub fn is_percent(self) -> bool {
        !matches!(self, Self::RequestsPerTarget)
    }
}

/// One target-tracking policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetTracking {
    /// What it tracks.
    pub metric: Metric,
    /// The target value.
    pub target: f64,
    /// Whether it may scale in (AWS `DisableScaleIn` false).
    pub scale_in: bool,
}

/// The alarms target tracking creates: out after `out_datapoints` of the last `out_periods`
/// one-minute datapoints above target, in after `in_datapoints` of `in_periods` below
/// `in_ratio` x target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlarmRules {
    /// Breaching datapoints needed to scale out.
    pub out_datapoints: u32,
    /// Datapoints the scale-out alarm looks at.
    pub out_periods: u32,
    /// Datapoints below the low threshold needed to scale in.
    pub in_datapoints: u32,
    /// Datapoints the scale-in alarm looks at.
    pub in_periods: u32,
    /// The scale-in alarm's threshold as a share of the target.
    pub in_ratio: f64,
}

impl Default for AlarmRules {
    fn default() -> Self {
        Self {
            out_datapoints: 3,
            out_periods: 3,
            in_datapoints: 15,
            in_periods: 15,
            in_ratio: 0.9,
        }
    }
}

/// Everything the replay decides with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Target-tracking policies; several combine as AWS does.
    pub tracking: Vec<TargetTracking>,
    /// Scalable target minimum.
    pub min: u32,
    /// Scalable target maximum.
    pub max: u32,
    /// Seconds after a scale-out during which the capacity it added counts toward the next one
    /// (a larger scale-out still goes ahead, as in AWS).
    pub scale_out_cooldown_s: i64,
    /// Seconds after any scaling before a scale-in (a scale-out restarts it).
    pub scale_in_cooldown_s: i64,
    /// The alarm rules.
    pub alarms: AlarmRules,
    /// Minutes a new task takes before it carries load.
    pub startup_minutes: u32,
    /// Tasks removed per scale-in (AWS scales in gradually).
    pub scale_in_step: u32,
}

/// ECS's default cooldown when a policy stores none, seconds.
pub const DEFAULT_COOLDOWN_S: i64 = 300;
/// Default start-up delay of a new task, minutes.
pub const DEFAULT_STARTUP_MINUTES: u32 = 2;
/// The longest alarm window the replay keeps (datapoints).
pub const MAX_PERIODS: u32 = 64;

impl Policy {
    /// The service's own settings, and a note for each stored policy the replay cannot run
    /// (step scaling has its thresholds on an alarm the store does not link; custom metrics).
    pub fn from_service(svc: &ServiceRecord) -> (Self, Vec<String>) {
        let mut notes = Vec::new();
        let mut tracking = Vec::new();
        let mut cooldowns = (None, None);
        for p in &svc.policies {
            let metric = p.metric.as_deref().and_then(Metric::from_aws);
            match (p.policy_type.as_str(), metric, p.target_value) {
                ("TargetTrackingScaling", Some(metric), Some(target)) => {
                    tracking.push(TargetTracking {
                        metric,
                        target,
                        scale_in: !p.disable_scale_in,
                    });
                    cooldowns.0 = cooldowns.0.or(p.scale_out_cooldown);
                    cooldowns.1 = cooldowns.1.or(p.scale_in_cooldown);
                }
                _ => notes.push(format!(
                    "policy {} ({}) is not replayed: only target tracking on CPU, memory or requests per target is",
                    p.name, p.policy_type
                )),
            }
        }
        let fixed = svc.desired_count.max(0) as u32;
        let min = svc.scaling_min.map_or(fixed, |m| m.max(0) as u32);
        let max = svc.scaling_max.map_or(fixed, |m| m.max(0) as u32).max(min);
        (
            Self {
                tracking,
                min,
                max,
                scale_out_cooldown_s: cooldowns.0.unwrap_or(DEFAULT_COOLDOWN_S),
                scale_in_cooldown_s: cooldowns.1.unwrap_or(DEFAULT_COOLDOWN_S),
                alarms: AlarmRules::default(),
                startup_minutes: DEFAULT_STARTUP_MINUTES,
                scale_in_step: 1,
            },
            notes,
        )
    }

    /// The target of the policy tracking `metric`, if there is one.
    pub fn target(&self, metric: Metric) -> Option<f64> {
        self.tracking
            .iter()
            .find(|t| t.metric == metric)
            .map(|t| t.target)
    }

    /// Sets the target of the policy tracking `metric`, adding one (scale-in enabled) if none does.
    pub fn set_target(&mut self, metric: Metric, target: f64) {
        match self.tracking.iter_mut().find(|t| t.metric == metric) {
            Some(t) => t.target = target,
            None => self.tracking.push(TargetTracking {
                metric,
                target,
                scale_in: true,
            }),
        }
    }

    /// Why these settings cannot be replayed, if they cannot: the message a user reads.
    pub fn problem(&self) -> Option<String> {
        if self.max < self.min {
            return Some(format!(
                "max tasks ({}) is below min tasks ({})",
                self.max, self.min
            ));
        }
        if self.max == 0 {
            return Some("max tasks must be at least 1".into());
        }
        if self.max > 10_000 {
            return Some(format!("max tasks ({}) is over 10000", self.max));
        }
        for t in &self.tracking {
            let bad = !t.target.is_finite()
                || t.target <= 0.0
                || (t.metric.is_percent() && t.target > 100.0);
            if bad {
                let range = if t.metric.is_percent() {
                    "above 0 and at most 100"
                } else {
                    "above 0"
                };
                return Some(format!(
                    "the {} target ({}) must be {range}",
                    t.metric.label(),
                    t.target
                ));
            }
        }
        if self.scale_out_cooldown_s < 0 || self.scale_in_cooldown_s < 0 {
            return Some("cooldowns cannot be negative".into());
        }
        let a = &self.alarms;
        let windows = [
            (a.out_datapoints, a.out_periods),
            (a.in_datapoints, a.in_periods),
        ];
        if windows
            .iter()
            .any(|&(m, n)| m == 0 || m > n || n > MAX_PERIODS)
        {
            return Some(format!(
                "alarm rules need 1 <= datapoints <= periods <= {MAX_PERIODS}"
            ));
        }
        if !(a.in_ratio > 0.0 && a.in_ratio <= 1.0) {
            return Some("the scale-in ratio must be above 0 and at most 1".into());
        }
        if self.startup_minutes > 60 {
            return Some("a start-up delay over 60 minutes is not a task start-up".into());
        }
        if self.scale_in_step == 0 {
            return Some("a scale-in removes at least one task".into());
        }
        None
    }
}

//! The scaling settings a replay runs: target-tracking policies, bounds, cooldowns, and the
//! alarm rules target tracking creates (AWS does not document them, so they are settings).

use serde::{Deserialize, Serialize};

use super::step::{AdjustmentType, StepAdjustment, StepPolicy};
use crate::analysis::alarms::BacktestSettings;
use crate::store::alarms::AlarmRecord;
use crate::store::services::{ScalingPolicy, ServiceRecord};

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
    /// Step scaling policies with their alarms; they combine with target tracking.
    #[serde(default)]
    pub steps: Vec<StepPolicy>,
}

/// ECS's default cooldown when a policy stores none, seconds.
pub const DEFAULT_COOLDOWN_S: i64 = 300;
/// Default start-up delay of a new task, minutes.
pub const DEFAULT_STARTUP_MINUTES: u32 = 2;
/// The longest alarm window the replay keeps (datapoints).
pub const MAX_PERIODS: u32 = 64;

impl Policy {
    /// The service's own settings (step policies with the stored alarm that invokes each), and a
    /// note for each stored policy the replay cannot run.
    pub fn from_service(svc: &ServiceRecord, alarms: &[AlarmRecord]) -> (Self, Vec<String>) {
        let mut notes = Vec::new();
        let mut tracking = Vec::new();
        let mut steps = Vec::new();
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
                ("StepScaling", _, _) => match step_policy(p, svc, alarms) {
                    Ok(step) => steps.push(step),
                    Err(why) => notes.push(format!("step policy {} is not replayed: {why}", p.name)),
                },
                _ => notes.push(format!(
                    "policy {} ({}) is not replayed: only target tracking on CPU, memory or requests per target, and step scaling, are",
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
                steps,
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
        self.steps.iter().find_map(StepPolicy::problem)
    }
}

/// How step adjustments are stored: the whole configuration, or (older syncs) the steps alone,
/// which then change the capacity by their adjustment.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StoredSteps {
    Configuration {
        adjustment_type: Option<String>,
        min_adjustment_magnitude: Option<i64>,
        cooldown: Option<i64>,
        steps: Vec<StepAdjustment>,
    },
    StepsOnly(Vec<StepAdjustment>),
}

/// Whether an alarm action names `policy` of the service `svc`: Application Auto Scaling policy
/// ARNs end in `resource/ecs/service/CLUSTER/SERVICE:policyName/NAME`.
fn names_policy(action: &str, svc: &ServiceRecord, policy: &str) -> bool {
    action.starts_with("arn:aws")
        && action.ends_with(&format!(
            ":resource/ecs/service/{}/{}:policyName/{policy}",
            svc.cluster, svc.name
        ))
}

/// A stored step policy with the alarm whose actions name it, or why it cannot be replayed.
fn step_policy(
    p: &ScalingPolicy,
    svc: &ServiceRecord,
    alarms: &[AlarmRecord],
) -> Result<StepPolicy, String> {
    let stored = p
        .step_adjustments
        .as_deref()
        .ok_or("its step adjustments are not stored")?;
    let (adjustment_type, min_adjustment_magnitude, cooldown, steps) =
        match serde_json::from_str::<StoredSteps>(stored)
            .map_err(|e| format!("its stored step adjustments do not read ({e})"))?
        {
            StoredSteps::Configuration {
                adjustment_type,
                min_adjustment_magnitude,
                cooldown,
                steps,
            } => (adjustment_type, min_adjustment_magnitude, cooldown, steps),
            StoredSteps::StepsOnly(steps) => (None, None, None, steps),
        };
    let adjustment_type = match adjustment_type.as_deref() {
        None => AdjustmentType::ChangeInCapacity,
        Some(t) => AdjustmentType::parse(t).ok_or(format!("adjustment type {t} is unknown"))?,
    };
    let alarm = alarms
        .iter()
        .find(|a| {
            a.alarm_actions
                .as_deref()
                .and_then(|l| serde_json::from_str::<Vec<String>>(l).ok())
                .is_some_and(|l| l.iter().any(|x| names_policy(x, svc, &p.name)))
        })
        .ok_or("no stored alarm names it in its actions")?;
    if !alarm.actions_enabled {
        return Err(format!("its alarm {} has its actions disabled", alarm.name));
    }
    let metric = match (alarm.namespace.as_deref(), alarm.metric_name.as_deref()) {
        (Some("AWS/ECS"), Some("CPUUtilization")) => Metric::Cpu,
        (Some("AWS/ECS"), Some("MemoryUtilization")) => Metric::Memory,
        _ => {
            return Err(format!(
                "its alarm {} watches {}, not the service's CPU or memory utilization",
                alarm.name,
                alarm
                    .metric_name
                    .as_deref()
                    .unwrap_or("a metric expression")
            ))
        }
    };
    let statistic = alarm.statistic.clone().unwrap_or_default();
    if !["Average", "Maximum", "Minimum"].contains(&statistic.as_str()) {
        return Err(format!(
            "its alarm {} uses the statistic '{statistic}' (Average, Maximum or Minimum replay)",
            alarm.name
        ));
    }
    let period = alarm.period.unwrap_or(60);
    if period < 60 || period % 60 != 0 {
        return Err(format!(
            "its alarm {}'s period ({period} s) is not whole minutes",
            alarm.name
        ));
    }
    let evaluation_periods = alarm.evaluation_periods.unwrap_or(1).max(0) as usize;
    let rule = BacktestSettings {
        threshold: alarm.threshold.unwrap_or(f64::NAN),
        comparison: alarm.comparison_operator.clone().unwrap_or_default(),
        statistic: statistic.clone(),
        period,
        datapoints_to_alarm: alarm
            .datapoints_to_alarm
            .map_or(evaluation_periods, |m| m.max(0) as usize),
        evaluation_periods,
        treat_missing_data: alarm
            .treat_missing_data
            .clone()
            .unwrap_or_else(|| "missing".into()),
    }
    .rule()
    .map_err(|e| format!("its alarm {}: {e}", alarm.name))?;
    Ok(StepPolicy {
        name: p.name.clone(),
        alarm: alarm.name.clone(),
        metric,
        rule,
        period_minutes: (period / 60) as u32,
        statistic,
        adjustment_type,
        steps,
        min_adjustment_magnitude,
        cooldown_s: cooldown
            .or(p.scale_out_cooldown)
            .unwrap_or(DEFAULT_COOLDOWN_S),
    })
}

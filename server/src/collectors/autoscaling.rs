//! Application Auto Scaling: scalable targets (min, max) and scaling policies of ECS services.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalableTarget, ScalingPolicy as AasPolicy, ServiceNamespace,
};

use app::store::services::ScalingPolicy;

use crate::aws::calls::Api;
use crate::aws::{AwsClients, AwsError, CallLog};

/// Bounds and policies per resource id (`service/CLUSTER/SERVICE`).
#[derive(Debug, Clone, Default)]
pub struct Scaling {
    /// (min, max) by resource id.
    pub bounds: HashMap<String, (i64, i64)>,
    /// Policies by resource id.
    pub policies: HashMap<String, Vec<ScalingPolicy>>,
}

/// The resource id Application Auto Scaling uses for an ECS service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// Reads every ECS scalable target and policy in the region.
pub async fn fetch(clients: &AwsClients, log: &CallLog) -> Result<Scaling, AwsError> {
    let mut targets: Vec<ScalableTarget> = Vec::new();
    let mut pages = clients
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .into_paginator()
        .send();
    let api = Api::AutoscalingDescribeScalableTargets;
    while let Some(page) = log.page(api, pages.next().await) {
        targets.extend(page?.scalable_targets().iter().cloned());
    }
    let mut policies: Vec<AasPolicy> = Vec::new();
    let mut pages = clients
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .into_paginator()
        .send();
    let api = Api::AutoscalingDescribeScalingPolicies;
    while let Some(page) = log.page(api, pages.next().await) {
        policies.extend(page?.scaling_policies().iter().cloned());
    }
    Ok(convert(&targets, &policies))
}

/// Groups targets and policies by resource id.
pub fn convert(targets: &[ScalableTarget], policies: &[AasPolicy]) -> Scaling {
    let mut s = Scaling::default();
    for t in targets {
        s.bounds.insert(
            t.resource_id().to_string(),
            (i64::from(t.min_capacity()), i64::from(t.max_capacity())),
        );
    }
    for p in policies {
        s.policies
            .entry(p.resource_id().to_string())
            .or_default()
            .push(policy(p));
    }
    s
}

fn policy(p: &AasPolicy) -> ScalingPolicy {
    let tt = p.target_tracking_scaling_policy_configuration();
    let step = p.step_scaling_policy_configuration();
    let metric = tt.and_then(|c| {
        c.predefined_metric_specification()
            .map(|m| m.predefined_metric_type().as_str().to_string())
            .or_else(|| {
                c.customized_metric_specification()
                    .and_then(|m| m.metric_name())
                    .map(str::to_string)
            })
    });
    // The whole configuration: the what-if replays step policies with it.
    let steps = step.map(|s| {
        serde_json::json!({
            "adjustment_type": s.adjustment_type().map(|t| t.as_str()),
            "min_adjustment_magnitude": s.min_adjustment_magnitude(),
            "cooldown": s.cooldown(),
            "steps": s.step_adjustments()
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "lower": a.metric_interval_lower_bound(),
                        "upper": a.metric_interval_upper_bound(),
                        "adjustment": a.scaling_adjustment(),
                    })
                })
                .collect::<Vec<_>>(),
        })
        .to_string()
    });
    ScalingPolicy {
        name: p.policy_name().to_string(),
        policy_type: match p.policy_type() {
            PolicyType::TargetTrackingScaling => "TargetTrackingScaling".into(),
            PolicyType::StepScaling => "StepScaling".into(),
            other => other.as_str().to_string(),
        },
        metric,
        target_value: tt.map(|c| c.target_value()),
        scale_in_cooldown: tt
            .and_then(|c| c.scale_in_cooldown())
            .or(step.and_then(|s| s.cooldown()))
            .map(i64::from),
        scale_out_cooldown: tt
            .and_then(|c| c.scale_out_cooldown())
            .or(step.and_then(|s| s.cooldown()))
            .map(i64::from),
        disable_scale_in: tt.and_then(|c| c.disable_scale_in()).unwrap_or(false),
        step_adjustments: steps,
    }
}

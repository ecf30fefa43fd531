//! Which metrics a sync fetches: per service its ECS utilization, task count (when Container
//! Insights publishes it) and its target groups' ALB metrics; plus the metric behind every alarm.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::store::alarms::AlarmRecord;
use app::store::services::ServiceRecord;

use super::plan::MetricSpec;

/// A spec with the service it belongs to (by cluster and name), if any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wanted {
    /// What to fetch.
    pub spec: MetricSpec,
    /// (cluster, service) it describes.
    pub service: Option<(String, String)>,
}

/// ALB metrics fetched per target group, with their statistic.
pub const ALB_METRICS: [(&str, &str); 5] = [
    ("RequestCount", "Sum"),
    ("HTTPCode_Target_5XX_Count", "Sum"),
    ("HealthyHostCount", "Minimum"),
    ("UnHealthyHostCount", "Maximum"),
    ("TargetResponseTime", "Average"),
];

/// Builds the list, without duplicates. `insights` holds (cluster, service) pairs that publish
/// Container Insights task counts; `load_balancers` maps a target group to its load balancer.
pub fn wanted(
    services: &[ServiceRecord],
    insights: &BTreeSet<(String, String)>,
    load_balancers: &HashMap<String, String>,
    alarms: &[AlarmRecord],
) -> Vec<Wanted> {
    let mut out: BTreeMap<MetricSpec, Option<(String, String)>> = BTreeMap::new();
    for s in services {
        let owner = Some((s.cluster.clone(), s.name.clone()));
        let ecs = [
            ("ClusterName", s.cluster.as_str()),
            ("ServiceName", s.name.as_str()),
        ];
        for metric in ["CPUUtilization", "MemoryUtilization"] {
            for stat in ["Average", "Maximum"] {
                out.insert(
                    MetricSpec::new("AWS/ECS", metric, &ecs, stat),
                    owner.clone(),
                );
            }
        }
        if insights.contains(&(s.cluster.clone(), s.name.clone())) {
            out.insert(
                MetricSpec::new("ECS/ContainerInsights", "RunningTaskCount", &ecs, "Average"),
                owner.clone(),
            );
        }
        for tg in &s.target_groups {
            let Some(lb) = load_balancers.get(&tg.target_group) else {
                continue;
            };
            let dims = [
                ("LoadBalancer", lb.as_str()),
                ("TargetGroup", tg.target_group.as_str()),
            ];
            for (metric, stat) in ALB_METRICS {
                out.insert(
                    MetricSpec::new("AWS/ApplicationELB", metric, &dims, stat),
                    owner.clone(),
                );
            }
        }
    }
    for a in alarms {
        let (Some(ns), Some(name)) = (&a.namespace, &a.metric_name) else {
            continue;
        };
        let Some(stat) = a.extended_statistic.as_ref().or(a.statistic.as_ref()) else {
            continue;
        };
        let dims: BTreeMap<String, String> = a
            .dimensions
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        let pairs: Vec<(&str, &str)> = dims.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let owner = match (dims.get("ClusterName"), dims.get("ServiceName")) {
            (Some(c), Some(s)) => Some((c.clone(), s.clone())),
            _ => None,
        };
        out.entry(MetricSpec::new(ns, name, &pairs, stat))
            .or_insert(owner);
    }
    out.into_iter()
        .map(|(spec, service)| Wanted { spec, service })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::store::services::TargetGroup;

    fn service() -> ServiceRecord {
        ServiceRecord {
            region: "us-east-1".into(),
            cluster: "c".into(),
            name: "web".into(),
            arn: None,
            launch_type: None,
            architecture: Default::default(),
            task_definition: None,
            size: app::domain::fargate::TaskSize::new(256, 512),
            desired_count: 1,
            running_count: 1,
            scaling_min: None,
            scaling_max: None,
            strategy: vec![],
            policies: vec![],
            target_groups: vec![TargetGroup {
                target_group: "targetgroup/web/1".into(),
                load_balancer: String::new(),
            }],
        }
    }

    #[test]
    fn per_service_metrics_and_alarm_metrics_without_duplicates() {
        let lbs = HashMap::from([("targetgroup/web/1".to_string(), "app/alb/9".to_string())]);
        let insights = BTreeSet::from([("c".to_string(), "web".to_string())]);
        let alarm = AlarmRecord {
            namespace: Some("AWS/ECS".into()),
            metric_name: Some("CPUUtilization".into()),
            statistic: Some("Average".into()),
            dimensions: Some(r#"{"ClusterName":"c","ServiceName":"web"}"#.into()),
            ..Default::default()
        };
        let p99 = AlarmRecord {
            namespace: Some("AWS/ApplicationELB".into()),
            metric_name: Some("TargetResponseTime".into()),
            extended_statistic: Some("p99".into()),
            dimensions: Some(r#"{"LoadBalancer":"app/alb/9"}"#.into()),
            ..Default::default()
        };
        let w = wanted(&[service()], &insights, &lbs, &[alarm, p99]);
        // 4 ECS + 1 task count + 5 ALB + 1 alarm-only (p99); the CPU alarm duplicates a service metric.
        assert_eq!(w.len(), 11);
        assert!(w
            .iter()
            .any(|x| x.spec.statistic == "p99" && x.service.is_none()));
        assert_eq!(w.iter().filter(|x| x.service.is_some()).count(), 10);
    }

    #[test]
    fn no_insights_no_task_count_and_unknown_target_groups_are_skipped() {
        let w = wanted(&[service()], &BTreeSet::new(), &HashMap::new(), &[]);
        assert_eq!(w.len(), 4);
    }
}

//! The inventory phase: services with their task definitions, scaling bounds and policies, and the
//! load balancers of their target groups, stored; services the listing proves deleted are marked
//! removed. The merge of the three reads is [`merge_services`], pure.

use std::collections::{BTreeSet, HashMap};

use app::store::services::ServiceRecord;

use super::run::Sync;
use super::{presence, SyncError};
use crate::aws::{AwsClients, AwsError};
use crate::collectors::autoscaling::{self, Scaling};
use crate::collectors::ecs::{self, EcsService};
use crate::collectors::metrics::list_dimensions;

/// What the inventory phase stored.
pub(super) struct InventoryFound {
    /// Services that exist, with their store ids.
    pub(super) services: Vec<(i64, ServiceRecord)>,
    /// Scaling policies on them.
    policies: usize,
    /// Services newly found deleted in AWS.
    removed: u64,
}

impl InventoryFound {
    /// The phase's line in the sync summary.
    pub(super) fn summary(&self) -> String {
        let removed = if self.removed > 0 {
            format!(", {} deleted in AWS (marked removed)", self.removed)
        } else {
            String::new()
        };
        format!(
            "{} services, {} scaling policies{removed}",
            self.services.len(),
            self.policies
        )
    }
}

/// One dimension's value in a ListMetrics dimension set.
pub(super) fn dimension(dims: &[(String, String)], name: &str) -> Option<String> {
    dims.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

/// Target group -> load balancer, from the dimension sets of the ALB's RequestCount.
pub fn load_balancers_by_target_group(
    sets: &BTreeSet<Vec<(String, String)>>,
) -> HashMap<String, String> {
    sets.iter()
        .filter_map(|d| Some((dimension(d, "TargetGroup")?, dimension(d, "LoadBalancer")?)))
        .collect()
}

/// Store records of the described services with their scaling bounds and policies (by resource
/// id) and each target group's load balancer (empty when unknown).
pub fn merge_services(
    region: &str,
    described: &[EcsService],
    scaling: &Scaling,
    lbs: &HashMap<String, String>,
) -> Vec<ServiceRecord> {
    described
        .iter()
        .map(|d| {
            let mut record = ecs::to_record(region, d);
            let rid = autoscaling::resource_id(&record.cluster, &record.name);
            if let Some((lo, hi)) = scaling.bounds.get(&rid) {
                record.scaling_min = Some(*lo);
                record.scaling_max = Some(*hi);
            }
            record.policies = scaling.policies.get(&rid).cloned().unwrap_or_default();
            for tg in &mut record.target_groups {
                tg.load_balancer = lbs.get(&tg.target_group).cloned().unwrap_or_default();
            }
            record
        })
        .collect()
}

impl Sync<'_> {
    /// Services with their scaling and target groups, stored; services the listing proves
    /// deleted are marked removed. A denied autoscaling or ListMetrics read is recorded and the
    /// services are kept without it. When listing fails nothing is marked removed.
    pub(super) async fn inventory(
        &mut self,
        clients: &AwsClients,
        lbs: &mut HashMap<String, String>,
    ) -> Result<Result<InventoryFound, AwsError>, SyncError> {
        let ecs::Inventory {
            services: described,
            listing,
        } = match ecs::fetch(clients, &self.opts.clusters, &self.log).await {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let scaling = match autoscaling::fetch(clients, &self.log).await {
            Ok(s) => s,
            Err(e) if !e.is_fatal() => {
                self.record_error(&e).await?;
                Default::default()
            }
            Err(e) => return Ok(Err(e)),
        };
        let alb = list_dimensions(
            &clients.cloudwatch,
            "AWS/ApplicationELB",
            "RequestCount",
            &self.log,
        )
        .await;
        match alb {
            Ok(sets) => lbs.extend(load_balancers_by_target_group(&sets)),
            Err(e) if !e.is_fatal() => self.record_error(&e).await?,
            Err(e) => return Ok(Err(e)),
        }
        let records = merge_services(&clients.region, &described, &scaling, lbs);
        let policies = records.iter().map(|r| r.policies.len()).sum();
        let mut services = Vec::with_capacity(records.len());
        let mut deployments_written = 0;
        for (record, d) in records.into_iter().zip(&described) {
            let id = self.store.upsert_service(&record, self.now).await?;
            // The size history the Costs page prices task counts with.
            deployments_written += self
                .store
                .upsert_deployments(id, &ecs::to_deployments(d))
                .await?;
            services.push((id, record));
        }
        let stored = self.store.list_services().await?;
        let removed = self
            .store
            .mark_removed(&presence::gone(&stored, &listing), self.now)
            .await?;
        self.report.rows_written += services.len() as u64 + removed + deployments_written;
        Ok(Ok(InventoryFound {
            services,
            policies,
            removed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::store::services::ScalingPolicy;
    use aws_sdk_ecs::types::{LoadBalancer, Service};

    fn described(name: &str, target_group_arn: Option<&str>) -> EcsService {
        let mut service = Service::builder().service_name(name).desired_count(2);
        if let Some(arn) = target_group_arn {
            service = service.load_balancers(LoadBalancer::builder().target_group_arn(arn).build());
        }
        EcsService {
            cluster: "prod".into(),
            service: service.build(),
            task_definition: None,
            deployments: Vec::new(),
        }
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn scaling_and_load_balancers_land_on_their_services() {
        let web = described(
            "web",
            Some("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/abc"),
        );
        let worker = described("worker", None);
        let mut scaling = Scaling::default();
        scaling.bounds.insert("service/prod/web".into(), (2, 8));
        let policy = ScalingPolicy {
            name: "cpu70".into(),
            policy_type: "TargetTrackingScaling".into(),
            metric: Some("ECSServiceAverageCPUUtilization".into()),
            target_value: Some(70.0),
            scale_in_cooldown: Some(300),
            scale_out_cooldown: Some(60),
            disable_scale_in: false,
            step_adjustments: None,
        };
        scaling
            .policies
            .insert("service/prod/web".into(), vec![policy.clone()]);
        // Bounds of a service in another cluster must not leak onto prod/worker.
        scaling.bounds.insert("service/other/worker".into(), (1, 3));
        let lbs = HashMap::from([(
            "targetgroup/web-tg/abc".to_string(),
            "app/alb/9".to_string(),
        )]);

        let records = merge_services("us-east-1", &[web, worker], &scaling, &lbs);

        assert_eq!(records.len(), 2);
        let (web, worker) = (&records[0], &records[1]);
        assert_eq!((web.scaling_min, web.scaling_max), (Some(2), Some(8)));
        assert_eq!(web.policies, vec![policy]);
        assert_eq!(web.target_groups[0].load_balancer, "app/alb/9");
        assert_eq!((worker.scaling_min, worker.scaling_max), (None, None));
        assert!(worker.policies.is_empty());
        assert_eq!(worker.region, "us-east-1");
    }

    #[test]
    fn an_unknown_target_group_keeps_an_empty_load_balancer() {
        let web = described(
            "web",
            Some("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/abc"),
        );
        let records = merge_services("us-east-1", &[web], &Scaling::default(), &HashMap::new());
        assert_eq!(
            records[0].target_groups[0].target_group,
            "targetgroup/web-tg/abc"
        );
        assert_eq!(records[0].target_groups[0].load_balancer, "");
    }

    #[test]
    fn load_balancers_come_from_sets_with_both_dimensions() {
        let sets = BTreeSet::from([
            vec![
                pair("LoadBalancer", "app/alb/9"),
                pair("TargetGroup", "targetgroup/web/1"),
            ],
            // Per load balancer only: no target group to map.
            vec![pair("LoadBalancer", "app/alb/9")],
        ]);
        let lbs = load_balancers_by_target_group(&sets);
        assert_eq!(
            lbs,
            HashMap::from([("targetgroup/web/1".to_string(), "app/alb/9".to_string())])
        );
    }
}

//! ECS inventory: clusters, services, their task definitions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ecs::types::{Deployment, Service, TaskDefinition};

use app::domain::capacity::StrategyItem;
use app::domain::fargate::{Architecture, TaskSize};
use app::store::deployments;
use app::store::services::{ServiceRecord, TargetGroup};

use crate::aws::calls::Api;
use crate::aws::{AwsClients, AwsError, CallLog};

/// A service with its task definition, as ECS described them.
#[derive(Debug, Clone)]
pub struct EcsService {
    /// Cluster name.
    pub cluster: String,
    /// The service.
    pub service: Service,
    /// Its task definition, when it could be described.
    pub task_definition: Option<TaskDefinition>,
    /// The deployments ECS lists (current and draining) with their task definitions, when
    /// they could be described.
    pub deployments: Vec<(Deployment, Option<TaskDefinition>)>,
}

/// Which services exist in the clusters an inventory listed completely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// AWS region listed.
    pub region: String,
    /// Whether every cluster of the region was listed (ListClusters completed, no `--cluster`
    /// filter), so a stored cluster missing here is gone with all its services.
    pub every_cluster: bool,
    /// Per cluster whose ListServices completed: the names of the services that exist.
    pub clusters: BTreeMap<String, BTreeSet<String>>,
}

/// What an inventory read: the services described, and what ECS listed.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Services that exist, with their task definitions.
    pub services: Vec<EcsService>,
    /// What was listed, to find services deleted since the last sync.
    pub listing: Listing,
}

/// Whether a described service is deleted: ECS still describes a deleted service for a while
/// (DRAINING while its tasks stop, then INACTIVE), but it no longer exists.
fn is_deleted(service: &Service) -> bool {
    matches!(service.status(), Some("DRAINING" | "INACTIVE"))
}

/// The last part of an ARN (`.../name`), or the string itself.
pub fn name_from_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Lists clusters (or takes `only`), their services, and the task definitions they run.
pub async fn fetch(
    clients: &AwsClients,
    only: &[String],
    log: &CallLog,
) -> Result<Inventory, AwsError> {
    let clusters: Vec<String> = if only.is_empty() {
        let mut arns = Vec::new();
        let mut pages = clients.ecs.list_clusters().into_paginator().send();
        while let Some(page) = log.page(Api::EcsListClusters, pages.next().await) {
            arns.extend(page?.cluster_arns().iter().cloned());
        }
        arns.iter().map(|a| name_from_arn(a).to_string()).collect()
    } else {
        only.to_vec()
    };

    let mut out = Vec::new();
    let mut listing = Listing {
        region: clients.region.clone(),
        every_cluster: only.is_empty(),
        clusters: BTreeMap::new(),
    };
    let mut task_defs: HashMap<String, Option<TaskDefinition>> = HashMap::new();
    for cluster in clusters {
        let mut arns = Vec::new();
        let mut pages = clients
            .ecs
            .list_services()
            .cluster(&cluster)
            .into_paginator()
            .send();
        while let Some(page) = log.page(Api::EcsListServices, pages.next().await) {
            arns.extend(page?.service_arns().iter().cloned());
        }
        let mut existing: BTreeSet<String> =
            arns.iter().map(|a| name_from_arn(a).to_string()).collect();
        for batch in arns.chunks(10) {
            let request = clients
                .ecs
                .describe_services()
                .cluster(&cluster)
                .set_services(Some(batch.to_vec()))
                .send();
            let described = log.call(Api::EcsDescribeServices, 0, request).await?;
            for service in described.services() {
                if is_deleted(service) {
                    existing.remove(service.service_name().unwrap_or_default());
                    continue;
                }
                let td_arn = service.task_definition().unwrap_or_default().to_string();
                // The current task definition first, then any other a deployment still runs
                // (an old one draining): each is described once per sync.
                let arns = std::iter::once(td_arn.as_str()).chain(
                    service
                        .deployments()
                        .iter()
                        .filter_map(|d| d.task_definition()),
                );
                for arn in arns {
                    if !arn.is_empty() && !task_defs.contains_key(arn) {
                        let td = describe_task_definition(clients, arn, log).await?;
                        task_defs.insert(arn.to_string(), td);
                    }
                }
                let described = |arn: &str| task_defs.get(arn).cloned().flatten();
                out.push(EcsService {
                    cluster: cluster.clone(),
                    service: service.clone(),
                    task_definition: described(&td_arn),
                    deployments: service
                        .deployments()
                        .iter()
                        .map(|d| {
                            (
                                d.clone(),
                                described(d.task_definition().unwrap_or_default()),
                            )
                        })
                        .collect(),
                });
            }
        }
        listing.clusters.insert(cluster, existing);
    }
    Ok(Inventory {
        services: out,
        listing,
    })
}

async fn describe_task_definition(
    clients: &AwsClients,
    arn: &str,
    log: &CallLog,
) -> Result<Option<TaskDefinition>, AwsError> {
    let request = clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send();
    Ok(log
        .call(Api::EcsDescribeTaskDefinition, 0, request)
        .await?
        .task_definition()
        .cloned())
}

/// A task definition's task-level size (0 where it sets none).
fn size_of(td: Option<&TaskDefinition>) -> TaskSize {
    let parse = |v: Option<&str>| v.and_then(|x| x.trim().parse::<u32>().ok()).unwrap_or(0);
    TaskSize::new(
        parse(td.and_then(|t| t.cpu())),
        parse(td.and_then(|t| t.memory())),
    )
}

/// A task definition's CPU architecture (X86_64 where it sets none).
fn architecture_of(td: Option<&TaskDefinition>) -> Architecture {
    td.and_then(|t| t.runtime_platform())
        .and_then(|p| p.cpu_architecture())
        .and_then(|a| Architecture::parse(a.as_str()))
        .unwrap_or_default()
}

/// `family:revision` of a described task definition.
fn family_revision(td: &TaskDefinition) -> String {
    format!("{}:{}", td.family().unwrap_or_default(), td.revision())
}

/// The service's deployments as the store keeps them. A deployment whose task definition could
/// not be described has no known size and is left out; one without an id (ECS always sends
/// one) is keyed by its task definition and creation time.
pub fn to_deployments(s: &EcsService) -> Vec<deployments::Deployment> {
    s.deployments
        .iter()
        .filter_map(|(d, td)| {
            let td = td.as_ref()?;
            let created_at = d.created_at().map_or(0, |t| t.secs());
            let task_definition = family_revision(td);
            Some(deployments::Deployment {
                id: d
                    .id()
                    .map_or_else(|| format!("{task_definition}@{created_at}"), str::to_string),
                task_definition,
                created_at,
                size: size_of(Some(td)),
                architecture: architecture_of(Some(td)),
                status: d.status().unwrap_or("PRIMARY").to_string(),
            })
        })
        .collect()
}

/// Converts a described service into a store record (scaling is filled in by the caller).
pub fn to_record(region: &str, s: &EcsService) -> ServiceRecord {
    let svc = &s.service;
    let td = s.task_definition.as_ref();
    let size = size_of(td);
    let architecture = architecture_of(td);
    ServiceRecord {
        region: region.to_string(),
        cluster: s.cluster.clone(),
        name: svc.service_name().unwrap_or_default().to_string(),
        arn: svc.service_arn().map(str::to_string),
        launch_type: svc.launch_type().map(|l| l.as_str().to_string()),
        architecture,
        task_definition: td.map(family_revision),
        size,
        desired_count: i64::from(svc.desired_count()),
        running_count: i64::from(svc.running_count()),
        scaling_min: None,
        scaling_max: None,
        strategy: svc
            .capacity_provider_strategy()
            .iter()
            .map(|i| StrategyItem {
                provider: i.capacity_provider().to_string(),
                base: i.base().max(0) as u32,
                weight: i.weight().max(0) as u32,
            })
            .collect(),
        policies: Vec::new(),
        target_groups: svc
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn())
            .filter_map(target_group_dimension)
            .map(|target_group| TargetGroup {
                target_group,
                load_balancer: String::new(),
            })
            .collect(),
    }
}

/// `targetgroup/NAME/ID` (the CloudWatch dimension value) from a target group ARN.
pub fn target_group_dimension(arn: &str) -> Option<String> {
    arn.find("targetgroup/").map(|i| arn[i..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{
        CapacityProviderStrategyItem, CpuArchitecture, LoadBalancer, RuntimePlatform,
    };

    #[test]
    fn converts_a_described_service() {
        let service = Service::builder()
            .service_name("web")
            .service_arn("arn:aws:ecs:us-east-1:1:service/prod/web")
            .desired_count(3)
            .running_count(2)
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE")
                    .base(2)
                    .weight(60)
                    .build()
                    .unwrap(),
            )
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .weight(40)
                    .build()
                    .unwrap(),
            )
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(
                        "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/abc123",
                    )
                    .build(),
            )
            .build();
        let td = TaskDefinition::builder()
            .family("web")
            .revision(7)
            .cpu("512")
            .memory("1024")
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::Arm64)
                    .build(),
            )
            .build();
        let r = to_record(
            "us-east-1",
            &EcsService {
                cluster: "prod".into(),
                service,
                task_definition: Some(td),
                deployments: Vec::new(),
            },
        );
        assert_eq!(r.name, "web");
        assert_eq!(r.size, TaskSize::new(512, 1024));
        assert_eq!(r.architecture, Architecture::Arm64);
        assert_eq!(r.task_definition.as_deref(), Some("web:7"));
        assert_eq!((r.desired_count, r.running_count), (3, 2));
        assert_eq!(
            r.strategy[0],
            StrategyItem {
                provider: "FARGATE".into(),
                base: 2,
                weight: 60
            }
        );
        assert_eq!(r.strategy[1].weight, 40);
        assert_eq!(r.target_groups[0].target_group, "targetgroup/web-tg/abc123");
    }

    fn task_definition(revision: i32, cpu: &str, memory: &str) -> TaskDefinition {
        TaskDefinition::builder()
            .family("web")
            .revision(revision)
            .cpu(cpu)
            .memory(memory)
            .build()
    }

    fn deployment(id: &str, status: &str, revision: i32, created_at: i64) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(format!(
                "arn:aws:ecs:us-east-1:1:task-definition/web:{revision}"
            ))
            .created_at(aws_smithy_types::DateTime::from_secs(created_at))
            .build()
    }

    #[test]
    fn deployments_carry_their_task_definitions_size() {
        // A rollout from web:7 (512/1024) to web:8 (1024/2048) in progress, and a deployment
        // whose task definition could not be described.
        let s = EcsService {
            cluster: "prod".into(),
            service: Service::builder().service_name("web").build(),
            task_definition: Some(task_definition(8, "1024", "2048")),
            deployments: vec![
                (
                    deployment("ecs-svc/2", "PRIMARY", 8, 2_000),
                    Some(task_definition(8, "1024", "2048")),
                ),
                (
                    deployment("ecs-svc/1", "ACTIVE", 7, 1_000),
                    Some(task_definition(7, "512", "1024")),
                ),
                (deployment("ecs-svc/0", "ACTIVE", 6, 500), None),
            ],
        };
        let d = to_deployments(&s);
        assert_eq!(d.len(), 2, "the undescribed one has no size: {d:?}");
        assert_eq!(
            (
                d[0].id.as_str(),
                d[0].task_definition.as_str(),
                d[0].created_at
            ),
            ("ecs-svc/2", "web:8", 2_000)
        );
        assert_eq!(d[0].size, TaskSize::new(1024, 2048));
        assert_eq!(d[0].status, "PRIMARY");
        assert_eq!(d[1].size, TaskSize::new(512, 1024));
        assert_eq!((d[1].status.as_str(), d[1].created_at), ("ACTIVE", 1_000));
    }

    #[test]
    fn names_come_from_arns() {
        assert_eq!(
            name_from_arn("arn:aws:ecs:us-east-1:1:cluster/prod"),
            "prod"
        );
        assert_eq!(name_from_arn("prod"), "prod");
    }
}

//! ECS services with their capacity provider strategy, scaling policies and target groups.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, StoreResult};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, TaskSize};

/// An Application Auto Scaling policy on a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    /// Policy name.
    pub name: String,
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: String,
    /// Predefined metric type or custom metric name.
    pub metric: Option<String>,
    /// Target value for target tracking.
    pub target_value: Option<f64>,
    /// Seconds.
    pub scale_in_cooldown: Option<i64>,
    /// Seconds.
    pub scale_out_cooldown: Option<i64>,
    /// Whether the policy never scales in.
    pub disable_scale_in: bool,
    /// Step adjustments as JSON, for step scaling.
    pub step_adjustments: Option<String>,
}

/// A load balancer target group in front of a service (CloudWatch dimension values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroup {
    /// `targetgroup/NAME/ID`.
    pub target_group: String,
    /// `app/NAME/ID`.
    pub load_balancer: String,
}

/// An ECS service as written by a sync or the demo, and as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// AWS region.
    pub region: String,
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// Service ARN.
    pub arn: Option<String>,
    /// Launch type, when no capacity provider strategy is used.
    pub launch_type: Option<String>,
    /// CPU architecture of the task definition.
    pub architecture: Architecture,
    /// Task definition `family:revision`.
    pub task_definition: Option<String>,
    /// Task size.
    pub size: TaskSize,
    /// Desired task count.
    pub desired_count: i64,
    /// Running task count.
    pub running_count: i64,
    /// Autoscaling minimum.
    pub scaling_min: Option<i64>,
    /// Autoscaling maximum.
    pub scaling_max: Option<i64>,
    /// Capacity provider strategy.
    pub strategy: Vec<StrategyItem>,
    /// Autoscaling policies.
    pub policies: Vec<ScalingPolicy>,
    /// Target groups.
    pub target_groups: Vec<TargetGroup>,
}

/// A stored service with its row id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredService {
    /// Row id.
    pub id: i64,
    /// When this row was last written.
    pub updated_at: i64,
    /// When a sync (or the demo) last found the service in AWS.
    pub last_seen: i64,
    /// When a sync found it deleted in AWS; `None` while it exists.
    pub removed_at: Option<i64>,
    /// The service.
    pub service: ServiceRecord,
}

impl StoredService {
    /// Whether the service was deleted in AWS.
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }
}

/// Whether a listing includes services deleted in AWS (current views leave them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Removed {
    /// Current services only.
    #[default]
    Hide,
    /// Current and removed services.
    Show,
}

impl Removed {
    /// Reads the `removed` query parameter: absent, empty or `hide` hides, `show` shows.
    pub fn from_query(value: Option<&str>) -> Result<Self, String> {
        match value.unwrap_or_default() {
            "" | "hide" => Ok(Self::Hide),
            "show" => Ok(Self::Show),
            other => Err(format!("'removed={other}' is not show or hide")),
        }
    }

    /// Whether a service removed at `removed_at` is listed.
    pub fn lists(self, removed_at: Option<i64>) -> bool {
        self == Self::Show || removed_at.is_none()
    }
}

impl Store {
    /// Inserts or updates a service seen in AWS at `now` (clearing any earlier removal) and
    /// replaces its strategy, policies and target groups.
    pub async fn upsert_service(&self, s: &ServiceRecord, now: i64) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO services (region, cluster, name, arn, launch_type, architecture, task_definition,
                 cpu_units, memory_mib, desired_count, running_count, scaling_min, scaling_max, updated_at,
                 last_seen, removed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, NULL)
             ON CONFLICT (region, cluster, name) DO UPDATE SET
                 arn = excluded.arn, launch_type = excluded.launch_type,
                 architecture = excluded.architecture, task_definition = excluded.task_definition,
                 cpu_units = excluded.cpu_units, memory_mib = excluded.memory_mib,
                 desired_count = excluded.desired_count, running_count = excluded.running_count,
                 scaling_min = excluded.scaling_min, scaling_max = excluded.scaling_max,
                 updated_at = excluded.updated_at, last_seen = excluded.last_seen, removed_at = NULL
             RETURNING id",
        )
        .bind(&s.region)
        .bind(&s.cluster)
        .bind(&s.name)
        .bind(&s.arn)
        .bind(&s.launch_type)
        .bind(s.architecture.as_str())
        .bind(&s.task_definition)
        .bind(s.size.cpu)
        .bind(s.size.memory_mib)
        .bind(s.desired_count)
        .bind(s.running_count)
        .bind(s.scaling_min)
        .bind(s.scaling_max)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;

        for table in [
            "capacity_provider_strategy",
            "scaling_policies",
            "service_target_groups",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE service_id = ?1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for item in &s.strategy {
            sqlx::query(
                "INSERT INTO capacity_provider_strategy (service_id, provider, base, weight)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(id)
            .bind(&item.provider)
            .bind(item.base)
            .bind(item.weight)
            .execute(&mut *tx)
            .await?;
        }
        for p in &s.policies {
            sqlx::query(
                "INSERT INTO scaling_policies (service_id, name, policy_type, metric, target_value,
                     scale_in_cooldown, scale_out_cooldown, disable_scale_in, step_adjustments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(id)
            .bind(&p.name)
            .bind(&p.policy_type)
            .bind(&p.metric)
            .bind(p.target_value)
            .bind(p.scale_in_cooldown)
            .bind(p.scale_out_cooldown)
            .bind(p.disable_scale_in)
            .bind(&p.step_adjustments)
            .execute(&mut *tx)
            .await?;
        }
        for tg in &s.target_groups {
            sqlx::query(
                "INSERT INTO service_target_groups (service_id, target_group, load_balancer)
                 VALUES (?1, ?2, ?3)",
            )
            .bind(id)
            .bind(&tg.target_group)
            .bind(&tg.load_balancer)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Marks services deleted in AWS as removed at `at`, keeping their rows and history. Services
    /// already marked keep the time they were first found gone. Returns how many were marked.
    pub async fn mark_removed(&self, ids: &[i64], at: i64) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut marked = 0;
        for id in ids {
            marked += sqlx::query(
                "UPDATE services SET removed_at = ?2 WHERE id = ?1 AND removed_at IS NULL",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(marked)
    }

    /// The services that exist in AWS (none marked removed), by cluster then name.
    pub async fn list_services(&self) -> StoreResult<Vec<StoredService>> {
        self.list_services_with(Removed::Hide).await
    }

    /// Stored services, with or without those removed from AWS, by cluster then name.
    pub async fn list_services_with(&self, removed: Removed) -> StoreResult<Vec<StoredService>> {
        let rows = sqlx::query(
            "SELECT id, region, cluster, name, arn, launch_type, architecture, task_definition,
                    cpu_units, memory_mib, desired_count, running_count, scaling_min, scaling_max,
                    updated_at, last_seen, removed_at
             FROM services WHERE ?1 OR removed_at IS NULL ORDER BY cluster, name",
        )
        .bind(removed == Removed::Show)
        .fetch_all(&self.pool)
        .await?;
        let strategies = sqlx::query(
            "SELECT service_id, provider, base, weight FROM capacity_provider_strategy
             ORDER BY service_id, base DESC, provider",
        )
        .fetch_all(&self.pool)
        .await?;
        let policies = sqlx::query(
            "SELECT service_id, name, policy_type, metric, target_value, scale_in_cooldown,
                    scale_out_cooldown, disable_scale_in, step_adjustments
             FROM scaling_policies ORDER BY service_id, name",
        )
        .fetch_all(&self.pool)
        .await?;
        let groups = sqlx::query(
            "SELECT service_id, target_group, load_balancer FROM service_target_groups
             ORDER BY service_id, target_group",
        )
        .fetch_all(&self.pool)
        .await?;

        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get("id");
            let arch: String = r.get("architecture");
            out.push(StoredService {
                id,
                updated_at: r.get("updated_at"),
                last_seen: r.get("last_seen"),
                removed_at: r.get("removed_at"),
                service: ServiceRecord {
                    region: r.get("region"),
                    cluster: r.get("cluster"),
                    name: r.get("name"),
                    arn: r.get("arn"),
                    launch_type: r.get("launch_type"),
                    architecture: Architecture::parse(&arch).unwrap_or_default(),
                    task_definition: r.get("task_definition"),
                    size: TaskSize::new(r.get("cpu_units"), r.get("memory_mib")),
                    desired_count: r.get("desired_count"),
                    running_count: r.get("running_count"),
                    scaling_min: r.get("scaling_min"),
                    scaling_max: r.get("scaling_max"),
                    strategy: strategies
                        .iter()
                        .filter(|s| s.get::<i64, _>("service_id") == id)
                        .map(|s| StrategyItem {
                            provider: s.get("provider"),
                            base: s.get("base"),
                            weight: s.get("weight"),
                        })
                        .collect(),
                    policies: policies
                        .iter()
                        .filter(|p| p.get::<i64, _>("service_id") == id)
                        .map(|p| ScalingPolicy {
                            name: p.get("name"),
                            policy_type: p.get("policy_type"),
                            metric: p.get("metric"),
                            target_value: p.get("target_value"),
                            scale_in_cooldown: p.get("scale_in_cooldown"),
                            scale_out_cooldown: p.get("scale_out_cooldown"),
                            disable_scale_in: p.get("disable_scale_in"),
                            step_adjustments: p.get("step_adjustments"),
                        })
                        .collect(),
                    target_groups: groups
                        .iter()
                        .filter(|g| g.get::<i64, _>("service_id") == id)
                        .map(|g| TargetGroup {
                            target_group: g.get("target_group"),
                            load_balancer: g.get("load_balancer"),
                        })
                        .collect(),
                },
            });
        }
        Ok(out)
    }
}

impl Store {
    /// The service `name` in `cluster`, removed or not (one still in AWS first when the name is
    /// in several regions): a lookup by key, not a listing.
    pub async fn find_service(
        &self,
        cluster: &str,
        name: &str,
    ) -> StoreResult<Option<StoredService>> {
        let Some(r) = sqlx::query(
            "SELECT id, region, cluster, name, arn, launch_type, architecture, task_definition,
                    cpu_units, memory_mib, desired_count, running_count, scaling_min, scaling_max,
                    updated_at, last_seen, removed_at
             FROM services WHERE cluster = ?1 AND name = ?2
             ORDER BY removed_at IS NOT NULL, region LIMIT 1",
        )
        .bind(cluster)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let id: i64 = r.get("id");
        let (strategy, policies, target_groups) = futures::try_join!(
            sqlx::query_as::<_, (String, u32, u32)>(
                "SELECT provider, base, weight FROM capacity_provider_strategy
                 WHERE service_id = ?1 ORDER BY base DESC, provider",
            )
            .bind(id)
            .fetch_all(&self.pool),
            sqlx::query(
                "SELECT name, policy_type, metric, target_value, scale_in_cooldown,
                        scale_out_cooldown, disable_scale_in, step_adjustments
                 FROM scaling_policies WHERE service_id = ?1 ORDER BY name",
            )
            .bind(id)
            .fetch_all(&self.pool),
            sqlx::query_as::<_, (String, String)>(
                "SELECT target_group, load_balancer FROM service_target_groups
                 WHERE service_id = ?1 ORDER BY target_group",
            )
            .bind(id)
            .fetch_all(&self.pool),
        )?;
        let arch: String = r.get("architecture");
        Ok(Some(StoredService {
            id,
            updated_at: r.get("updated_at"),
            last_seen: r.get("last_seen"),
            removed_at: r.get("removed_at"),
            service: ServiceRecord {
                region: r.get("region"),
                cluster: r.get("cluster"),
                name: r.get("name"),
                arn: r.get("arn"),
                launch_type: r.get("launch_type"),
                architecture: Architecture::parse(&arch).unwrap_or_default(),
                task_definition: r.get("task_definition"),
                size: TaskSize::new(r.get("cpu_units"), r.get("memory_mib")),
                desired_count: r.get("desired_count"),
                running_count: r.get("running_count"),
                scaling_min: r.get("scaling_min"),
                scaling_max: r.get("scaling_max"),
                strategy: strategy
                    .into_iter()
                    .map(|(provider, base, weight)| StrategyItem {
                        provider,
                        base,
                        weight,
                    })
                    .collect(),
                policies: policies
                    .iter()
                    .map(|p| ScalingPolicy {
                        name: p.get("name"),
                        policy_type: p.get("policy_type"),
                        metric: p.get("metric"),
                        target_value: p.get("target_value"),
                        scale_in_cooldown: p.get("scale_in_cooldown"),
                        scale_out_cooldown: p.get("scale_out_cooldown"),
                        disable_scale_in: p.get("disable_scale_in"),
                        step_adjustments: p.get("step_adjustments"),
                    })
                    .collect(),
                target_groups: target_groups
                    .into_iter()
                    .map(|(target_group, load_balancer)| TargetGroup {
                        target_group,
                        load_balancer,
                    })
                    .collect(),
            },
        }))
    }
}

//! ECS services with their capacity provider strategy, scaling policies and target groups.

use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{Architecture, TaskSize};

/// An Application Auto Scaling policy on a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
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
        let mut tx = crate::store::begin_write(&self.pool).await?;
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
        let mut tx = crate::store::begin_write(&self.pool).await?;
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
        let rows: Vec<ServiceRow> = sqlx::query_as(&format!(
            "{SERVICE_SELECT} WHERE ?1 OR s.removed_at IS NULL ORDER BY s.cluster, s.name"
        ))
        .bind(removed == Removed::Show)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ServiceRow::into_stored).collect()
    }
}

/// The columns of a service and, gathered as JSON arrays inside SQLite, the rows of the tables
/// hanging off it: one statement per read instead of four (each statement is a round trip to
/// the connection's thread, which is most of a small page's time).
const SERVICE_SELECT: &str = "SELECT s.id, s.region, s.cluster, s.name, s.arn, s.launch_type,
        s.architecture, s.task_definition, s.cpu_units, s.memory_mib, s.desired_count,
        s.running_count, s.scaling_min, s.scaling_max, s.updated_at, s.last_seen, s.removed_at,
        (SELECT json_group_array(json_object('provider', provider, 'base', base, 'weight', weight))
         FROM (SELECT * FROM capacity_provider_strategy c WHERE c.service_id = s.id
               ORDER BY base DESC, provider)) AS strategy,
        (SELECT json_group_array(json_object('name', name, 'policy_type', policy_type,
                    'metric', metric, 'target_value', target_value,
                    'scale_in_cooldown', scale_in_cooldown, 'scale_out_cooldown', scale_out_cooldown,
                    'disable_scale_in', json(CASE WHEN disable_scale_in THEN 'true' ELSE 'false' END),
                    'step_adjustments', step_adjustments))
         FROM (SELECT * FROM scaling_policies p WHERE p.service_id = s.id ORDER BY name)) AS policies,
        (SELECT json_group_array(json_object('target_group', target_group,
                    'load_balancer', load_balancer))
         FROM (SELECT * FROM service_target_groups g WHERE g.service_id = s.id
               ORDER BY target_group)) AS target_groups
     FROM services s";

/// A `services` row: the service's own columns, without the tables that hang off it.
#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: i64,
    region: String,
    cluster: String,
    name: String,
    arn: Option<String>,
    launch_type: Option<String>,
    architecture: String,
    task_definition: Option<String>,
    cpu_units: u32,
    memory_mib: u32,
    desired_count: i64,
    running_count: i64,
    scaling_min: Option<i64>,
    scaling_max: Option<i64>,
    updated_at: i64,
    last_seen: i64,
    removed_at: Option<i64>,
    /// JSON array of the capacity provider strategy items.
    strategy: String,
    /// JSON array of the scaling policies.
    policies: String,
    /// JSON array of the target groups.
    target_groups: String,
}

impl ServiceRow {
    /// The stored service, with the strategy, policies and target groups decoded from their
    /// JSON arrays.
    fn into_stored(self) -> StoreResult<StoredService> {
        let strategy = serde_json::from_str(&self.strategy)?;
        let policies = serde_json::from_str(&self.policies)?;
        let target_groups = serde_json::from_str(&self.target_groups)?;
        Ok(StoredService {
            id: self.id,
            updated_at: self.updated_at,
            last_seen: self.last_seen,
            removed_at: self.removed_at,
            service: ServiceRecord {
                region: self.region,
                cluster: self.cluster,
                name: self.name,
                arn: self.arn,
                launch_type: self.launch_type,
                // An architecture this version does not know reads as the default (x86) one.
                architecture: Architecture::parse(&self.architecture).unwrap_or_default(),
                task_definition: self.task_definition,
                size: TaskSize::new(self.cpu_units, self.memory_mib),
                desired_count: self.desired_count,
                running_count: self.running_count,
                scaling_min: self.scaling_min,
                scaling_max: self.scaling_max,
                strategy,
                policies,
                target_groups,
            },
        })
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
        let row: Option<ServiceRow> = sqlx::query_as(&format!(
            "{SERVICE_SELECT} WHERE s.cluster = ?1 AND s.name = ?2
             ORDER BY s.removed_at IS NOT NULL, s.region LIMIT 1"
        ))
        .bind(cluster)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(ServiceRow::into_stored).transpose()
    }
}

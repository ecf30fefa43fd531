//! A service's deployments over time: the task definition each rolled out, when, and its size.
//! Written by the inventory sync (what DescribeServices lists) and the demo; read by the Costs
//! report to price task counts at the size in force and to name deployments on anomalous days.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};
use crate::domain::fargate::{Architecture, TaskSize};

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// ECS's deployment id (`ecs-svc/...`).
    pub id: String,
    /// Task definition `family:revision`.
    pub task_definition: String,
    /// When ECS created the deployment, epoch seconds.
    pub created_at: i64,
    /// The task definition's size.
    pub size: TaskSize,
    /// The task definition's CPU architecture.
    pub architecture: Architecture,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE` when last seen.
    pub status: String,
}

#[derive(sqlx::FromRow)]
struct DeploymentRow {
    service_id: i64,
    deployment_id: String,
    task_definition: String,
    created_at: i64,
    cpu_units: u32,
    memory_mib: u32,
    architecture: String,
    status: String,
}

impl DeploymentRow {
    fn into_deployment(self) -> (i64, Deployment) {
        (
            self.service_id,
            Deployment {
                id: self.deployment_id,
                task_definition: self.task_definition,
                created_at: self.created_at,
                size: TaskSize::new(self.cpu_units, self.memory_mib),
                architecture: Architecture::parse(&self.architecture).unwrap_or_default(),
                status: self.status,
            },
        )
    }
}

impl Store {
    /// Records the deployments ECS lists for a service now: new ones are added, known ones take
    /// the status seen now (nothing else about a deployment changes), and stored ones no longer
    /// listed are INACTIVE (ECS drops a deployment once it is replaced). An empty listing marks
    /// nothing. Returns the rows added or changed, so a sync that sees nothing new writes nothing.
    pub async fn upsert_deployments(
        &self,
        service_id: i64,
        deployments: &[Deployment],
    ) -> StoreResult<u64> {
        let mut tx = crate::store::begin_write(&self.pool).await?;
        let mut changed = 0;
        for d in deployments {
            changed += sqlx::query(
                "INSERT INTO service_deployments (service_id, deployment_id, task_definition,
                     created_at, cpu_units, memory_mib, architecture, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (service_id, deployment_id) DO UPDATE SET status = excluded.status
                 WHERE status IS NOT excluded.status",
            )
            .bind(service_id)
            .bind(&d.id)
            .bind(&d.task_definition)
            .bind(d.created_at)
            .bind(d.size.cpu)
            .bind(d.size.memory_mib)
            .bind(d.architecture.as_str())
            .bind(&d.status)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if !deployments.is_empty() {
            let listed = serde_json::to_string(
                &deployments
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>(),
            )?;
            changed += sqlx::query(
                "UPDATE service_deployments SET status = 'INACTIVE'
                 WHERE service_id = ?1 AND status != 'INACTIVE'
                   AND deployment_id NOT IN (SELECT value FROM json_each(?2))",
            )
            .bind(service_id)
            .bind(listed)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Every stored deployment by service id, oldest first (one statement for the whole fleet:
    /// a service has a few hundred at most).
    pub async fn deployments_by_service(&self) -> StoreResult<HashMap<i64, Vec<Deployment>>> {
        let rows: Vec<DeploymentRow> = sqlx::query_as(
            "SELECT service_id, deployment_id, task_definition, created_at, cpu_units, memory_mib,
                    architecture, status
             FROM service_deployments ORDER BY service_id, created_at, deployment_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<i64, Vec<Deployment>> = HashMap::new();
        for row in rows {
            let (service_id, d) = row.into_deployment();
            out.entry(service_id).or_default().push(d);
        }
        Ok(out)
    }
}

-- A service's deployments over time, as ECS DescribeServices lists them (the demo writes its own):
-- which task definition each rolled out, when, and the task size that task definition asks for.
-- The Costs page prices task counts at the size in force at each moment, and names a deployment in
-- the notes of an anomalous day. ECS lists a deployment only while it is current (PRIMARY) or
-- draining (ACTIVE), so the history is what the syncs saw; a later sync updates a known
-- deployment's status. Times are epoch seconds.
CREATE TABLE service_deployments (
    service_id      INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    deployment_id   TEXT NOT NULL,      -- ECS's id (ecs-svc/...)
    task_definition TEXT NOT NULL,      -- family:revision
    created_at      INTEGER NOT NULL,
    cpu_units       INTEGER NOT NULL,
    memory_mib      INTEGER NOT NULL,
    architecture    TEXT NOT NULL,
    status          TEXT NOT NULL,      -- PRIMARY, ACTIVE or INACTIVE when last seen
    PRIMARY KEY (service_id, deployment_id)
);
CREATE INDEX service_deployments_by_time ON service_deployments (service_id, created_at);

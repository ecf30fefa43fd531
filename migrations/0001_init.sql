-- Spendwatch schema, version 1. Times are integer epoch seconds (UTC).
-- Every table written by a sync has a natural key so writes are idempotent upserts.

-- ECS services as last seen, one row per (region, cluster, service).
CREATE TABLE services (
    id               INTEGER PRIMARY KEY,
    region           TEXT    NOT NULL,
    cluster          TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    arn              TEXT,
    launch_type      TEXT,                 -- FARGATE, EC2, or NULL when a capacity provider strategy is used
    architecture     TEXT    NOT NULL DEFAULT 'X86_64', -- X86_64 or ARM64 (task definition runtimePlatform)
    task_definition  TEXT,
    cpu_units        INTEGER NOT NULL,     -- task-level CPU units (1024 = 1 vCPU)
    memory_mib       INTEGER NOT NULL,     -- task-level memory
    desired_count    INTEGER NOT NULL DEFAULT 0,
    running_count    INTEGER NOT NULL DEFAULT 0,
    scaling_min      INTEGER,              -- Application Auto Scaling scalable target bounds
    scaling_max      INTEGER,
    updated_at       INTEGER NOT NULL,
    UNIQUE (region, cluster, name)
);

-- Capacity provider strategy items (base is placed first, the rest split by weight).
CREATE TABLE capacity_provider_strategy (
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    provider   TEXT    NOT NULL,           -- FARGATE, FARGATE_SPOT
    base       INTEGER NOT NULL DEFAULT 0,
    weight     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, provider)
) WITHOUT ROWID;

-- Application Auto Scaling policies attached to a service.
CREATE TABLE scaling_policies (
    service_id          INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    policy_type         TEXT    NOT NULL,  -- TargetTrackingScaling, StepScaling
    metric              TEXT,              -- ECSServiceAverageCPUUtilization, ... or a custom metric name
    target_value        REAL,
    scale_in_cooldown   INTEGER,
    scale_out_cooldown  INTEGER,
    disable_scale_in    INTEGER NOT NULL DEFAULT 0,
    step_adjustments    TEXT,              -- JSON array for step scaling
    PRIMARY KEY (service_id, name)
) WITHOUT ROWID;

-- Load balancer target groups in front of a service (CloudWatch dimension values).
CREATE TABLE service_target_groups (
    service_id    INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    target_group  TEXT    NOT NULL,        -- targetgroup/NAME/ID
    load_balancer TEXT    NOT NULL,        -- app/NAME/ID
    PRIMARY KEY (service_id, target_group)
) WITHOUT ROWID;

-- A metric series: one metric, one dimension set, one statistic, one period.
-- Series of different periods for the same metric live side by side (CloudWatch retention tiers).
CREATE TABLE metric_series (
    id          INTEGER PRIMARY KEY,
    namespace   TEXT    NOT NULL,
    metric_name TEXT    NOT NULL,
    dimensions  TEXT    NOT NULL,          -- canonical JSON object, keys sorted
    statistic   TEXT    NOT NULL,          -- Average, Maximum, Minimum, Sum, SampleCount, pNN
    period      INTEGER NOT NULL,          -- seconds: 60, 300, 3600
    unit        TEXT,
    service_id  INTEGER REFERENCES services(id) ON DELETE SET NULL,
    UNIQUE (namespace, metric_name, dimensions, statistic, period)
);
CREATE INDEX metric_series_service ON metric_series(service_id);

-- Raw datapoints, clustered by series then time.
CREATE TABLE datapoints (
    series_id INTEGER NOT NULL,
    ts        INTEGER NOT NULL,
    value     REAL    NOT NULL,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;

-- Hourly rollups so long ranges never scan raw minutes (min and max keep spikes visible).
CREATE TABLE datapoints_hourly (
    series_id INTEGER NOT NULL,
    hour      INTEGER NOT NULL,            -- epoch seconds at the start of the hour
    min       REAL    NOT NULL,
    max       REAL    NOT NULL,
    sum       REAL    NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (series_id, hour)
) WITHOUT ROWID;

-- CloudWatch alarms: full definition and current state.
CREATE TABLE alarms (
    region                    TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    arn                       TEXT,
    alarm_type                TEXT    NOT NULL DEFAULT 'MetricAlarm', -- or CompositeAlarm
    description               TEXT,
    namespace                 TEXT,
    metric_name               TEXT,
    dimensions                TEXT,    -- canonical JSON object
    statistic                 TEXT,
    extended_statistic        TEXT,
    period                    INTEGER,
    evaluation_periods        INTEGER,
    datapoints_to_alarm       INTEGER,
    threshold                 REAL,
    comparison_operator       TEXT,
    treat_missing_data        TEXT,
    metrics                   TEXT,    -- JSON: metric-math queries
    alarm_rule                TEXT,    -- composite alarms
    actions_enabled           INTEGER NOT NULL DEFAULT 1,
    alarm_actions             TEXT,    -- JSON arrays of ARNs
    ok_actions                TEXT,
    insufficient_data_actions TEXT,
    state_value               TEXT    NOT NULL,  -- OK, ALARM, INSUFFICIENT_DATA
    state_reason              TEXT,
    state_reason_data         TEXT,
    state_updated_at          INTEGER,
    configuration_updated_at  INTEGER,
    synced_at                 INTEGER NOT NULL,
    PRIMARY KEY (region, name)
);

-- Alarm history, kept forever: this store outlives AWS's 14 to 30 days.
CREATE TABLE alarm_history (
    id           INTEGER PRIMARY KEY,
    region       TEXT    NOT NULL,
    alarm_name   TEXT    NOT NULL,
    ts           INTEGER NOT NULL,
    item_type    TEXT    NOT NULL,         -- StateUpdate, ConfigurationUpdate, Action, ... (unknown kept as-is)
    summary      TEXT    NOT NULL,
    old_state    TEXT,
    new_state    TEXT,
    reason       TEXT,
    history_data TEXT    NOT NULL DEFAULT '', -- the raw HistoryData JSON string
    UNIQUE (region, alarm_name, ts, item_type, summary, history_data)
);
CREATE INDEX alarm_history_time ON alarm_history(ts);

-- Cost Explorer results. One row per period, grouping and metric.
CREATE TABLE costs (
    granularity  TEXT    NOT NULL,         -- DAILY or MONTHLY
    period_start INTEGER NOT NULL,         -- inclusive, UTC midnight
    period_end   INTEGER NOT NULL,         -- exclusive
    scope        TEXT    NOT NULL DEFAULT '', -- filter the request used, '' for the whole account
    group_by     TEXT    NOT NULL,         -- SERVICE, USAGE_TYPE, TAG:<key>
    group_key    TEXT    NOT NULL,
    metric       TEXT    NOT NULL,         -- UnblendedCost, UsageQuantity, ...
    amount       REAL    NOT NULL,
    unit         TEXT    NOT NULL,
    estimated    INTEGER NOT NULL DEFAULT 0,
    fetched_at   INTEGER NOT NULL,
    PRIMARY KEY (granularity, period_start, scope, group_by, group_key, metric)
) WITHOUT ROWID;

-- GetCostForecast results, newest forecast per period wins.
CREATE TABLE cost_forecasts (
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    metric       TEXT    NOT NULL,
    mean         REAL    NOT NULL,
    lower        REAL,
    upper        REAL,
    made_at      INTEGER NOT NULL,
    PRIMARY KEY (period_start, period_end, metric)
) WITHOUT ROWID;

-- One row per sync (or demo load): what ran, how it ended.
CREATE TABLE sync_runs (
    id                 INTEGER PRIMARY KEY,
    trigger            TEXT    NOT NULL,   -- cli, schedule, button, demo
    started_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    outcome            TEXT    NOT NULL,   -- running, ok, partial, failed
    datapoints_written INTEGER NOT NULL DEFAULT 0,
    rows_written       INTEGER NOT NULL DEFAULT 0,
    api_cost_usd       REAL    NOT NULL DEFAULT 0,
    summary            TEXT
);

-- Calls made per AWS API during a sync run.
CREATE TABLE sync_api_calls (
    run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    api    TEXT    NOT NULL,               -- e.g. cloudwatch:GetMetricData
    calls  INTEGER NOT NULL,
    units  INTEGER NOT NULL DEFAULT 0,     -- billable units (metrics requested, CE requests)
    PRIMARY KEY (run_id, api)
) WITHOUT ROWID;

-- Errors met during a sync run (the run carries on where it may).
CREATE TABLE sync_errors (
    run_id  INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    api     TEXT,
    message TEXT    NOT NULL
);
CREATE INDEX sync_errors_run ON sync_errors(run_id);

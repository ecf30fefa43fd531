//! The scaling what-if report: a service's history replayed through its own scaling settings
//! (the calibration) and through the settings asked for, side by side with what really ran;
//! optionally a sweep of one setting, and the recommended size with the target that keeps its
//! headroom. Shared by the Scaling page, `/api/services/{cluster}/{name}/whatif` and the CLI.

use serde::Serialize;

use super::cache::{VersionedMap, VersionedSlot};
use super::form::{self, FieldValue};
use super::{csv_usd, Table, Tables};
use crate::analysis::downsample::Band;
use crate::analysis::scaling::demand::reconstruct;
use crate::analysis::scaling::simulate::AlarmMinutes;
use crate::analysis::scaling::{
    actual_run, align, calibrate, same_headroom_target, simulate, sweep, AlarmLine, Calibration,
    Demand, Fleet, History, Metric, Policy, Run, SweepKind, SweepPoint, Totals,
};
use crate::domain::capacity::StrategyItem;
use crate::domain::fargate::{PriceTable, TaskSize};
use crate::domain::range::DateRange;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::alarms::AlarmRecord;
use crate::store::metrics::{SeriesPoints, StoredSeries};
use crate::store::services::StoredService;
use crate::store::{Store, StoreResult};

/// Columns the what-if charts are shrunk to.
pub const CHART_COLUMNS: usize = 450;
/// Alarm thresholds assumed when the service has no CPU or memory alarm: the seed's.
const ASSUMED_ALARMS: [(&str, Metric, f64); 2] = [
    ("cpu-high (assumed, 85%)", Metric::Cpu, 85.0),
    ("memory-high (assumed, 90%)", Metric::Memory, 90.0),
];

/// What the user changed; everything unset keeps the service's own setting.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct WhatIfQuery {
    /// CPU target tracking target, percent.
    pub target_cpu: Option<f64>,
    /// Memory target tracking target, percent.
    pub target_memory: Option<f64>,
    /// Minimum tasks.
    pub min: Option<u32>,
    /// Maximum tasks.
    pub max: Option<u32>,
    /// Scale-out cooldown, seconds.
    pub scale_out_cooldown: Option<i64>,
    /// Scale-in cooldown, seconds.
    pub scale_in_cooldown: Option<i64>,
    /// Task CPU units.
    pub cpu: Option<u32>,
    /// Task memory, MiB.
    pub memory: Option<u32>,
    /// Minutes a new task takes to carry load.
    pub startup_minutes: Option<u32>,
    /// Tasks on on-demand Fargate first.
    pub base: Option<u32>,
    /// Percent of the tasks beyond the base on Fargate Spot.
    pub spot_pct: Option<u32>,
    /// A sweep to run.
    pub sweep: Option<SweepKind>,
}

impl WhatIfQuery {
    /// Reads the query string's values through `get` (empty values count as unset); a value that
    /// does not parse is a message naming it.
    pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        fn num<T: FieldValue>(
            get: &dyn Fn(&str) -> Option<String>,
            name: &str,
        ) -> Result<Option<T>, String> {
            form::number(name, get(name).as_deref())
        }
        let sweep = parse_sweep(get("sweep").as_deref())?;
        Ok(Self {
            target_cpu: num(get, "target_cpu")?,
            target_memory: num(get, "target_memory")?,
            min: num(get, "min")?,
            max: num(get, "max")?,
            scale_out_cooldown: num(get, "scale_out_cooldown")?,
            scale_in_cooldown: num(get, "scale_in_cooldown")?,
            cpu: num(get, "cpu")?,
            memory: num(get, "memory")?,
            startup_minutes: num(get, "startup")?,
            base: num(get, "base")?,
            spot_pct: num(get, "spot_pct")?,
            sweep,
        })
    }

    /// The query string of these settings (unset ones left out), for links.
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        };
        add("target_cpu", self.target_cpu.map(|v| v.to_string()));
        add("target_memory", self.target_memory.map(|v| v.to_string()));
        add("min", self.min.map(|v| v.to_string()));
        add("max", self.max.map(|v| v.to_string()));
        add(
            "scale_out_cooldown",
            self.scale_out_cooldown.map(|v| v.to_string()),
        );
        add(
            "scale_in_cooldown",
            self.scale_in_cooldown.map(|v| v.to_string()),
        );
        add("cpu", self.cpu.map(|v| v.to_string()));
        add("memory", self.memory.map(|v| v.to_string()));
        add("startup", self.startup_minutes.map(|v| v.to_string()));
        add("base", self.base.map(|v| v.to_string()));
        add("spot_pct", self.spot_pct.map(|v| v.to_string()));
        add("sweep", self.sweep.map(|s| s.as_str().to_string()));
        parts.join("&")
    }

    /// Whether nothing is changed from the service's own settings.
    fn is_own(&self) -> bool {
        Self {
            sweep: None,
            startup_minutes: None,
            ..self.clone()
        } == Self::default()
    }
}

/// The `sweep` field: unset when blank or `none`, else a [`SweepKind`].
pub fn parse_sweep(value: Option<&str>) -> Result<Option<SweepKind>, String> {
    form::given(value)
        .filter(|s| *s != "none")
        .map(SweepKind::parse)
        .transpose()
}

/// The settings a replay ran with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfSettings {
    /// Scaling policy.
    pub policy: Policy,
    /// Task size.
    pub task_size: TaskSize,
    /// Capacity provider strategy.
    pub strategy: Vec<StrategyItem>,
    /// Whether these are the service's own settings.
    pub own: bool,
}

/// The recommended size with the targets that keep each task's headroom, and what the pair costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Together {
    /// Recommended task size.
    pub task_size: TaskSize,
    /// CPU target keeping the same spare vCPU per task (None when no policy tracks CPU).
    pub target_cpu: Option<f64>,
    /// Memory target keeping the same spare MiB per task.
    pub target_memory: Option<f64>,
    /// The replay of the pair.
    pub totals: Totals,
    /// The query string that opens the pair on the Scaling page.
    pub query: String,
}

/// A named set of form values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    /// What it is.
    pub name: String,
    /// Its query string.
    pub query: String,
}

/// A sweep of one setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepReport {
    /// What was swept.
    pub kind: SweepKind,
    /// One point per value.
    pub points: Vec<SweepPoint>,
}

/// Per-minute runs shrunk to chart columns: actual and simulated, tasks and utilization.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WhatIfCharts {
    /// Actual task count.
    pub actual_tasks: Vec<Band>,
    /// Simulated task count.
    pub simulated_tasks: Vec<Band>,
    /// Actual average CPU, percent.
    pub actual_cpu: Vec<Band>,
    /// Simulated average CPU, percent.
    pub simulated_cpu: Vec<Band>,
    /// Actual average memory, percent.
    pub actual_mem: Vec<Band>,
    /// Simulated average memory, percent.
    pub simulated_mem: Vec<Band>,
    /// Seconds each column spans.
    pub column_width: i64,
}

/// The what-if report.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfReport {
    /// Service name.
    pub service: String,
    /// Cluster.
    pub cluster: String,
    /// Range replayed.
    pub range: DateRange,
    /// The settings replayed.
    pub settings: WhatIfSettings,
    /// The service's own settings.
    pub own_settings: WhatIfSettings,
    /// What really ran.
    pub actual: Totals,
    /// What the settings would have run.
    pub simulated: Totals,
    /// Replay of the own settings against the actual count, when the settings are the own ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Replay of the own settings against the actual count, always (the model's error).
    pub own_calibration: Calibration,
    /// Minutes whose utilization sat at the ceiling (demand there is a lower bound).
    pub capped_minutes: usize,
    /// Minutes without data.
    pub missing_minutes: usize,
    /// The alarm thresholds counted.
    pub alarms: Vec<AlarmLine>,
    /// Whether the thresholds are assumed (the service has no CPU or memory alarm).
    pub alarms_assumed: bool,
    /// What the replay could not take into account.
    pub notes: Vec<String>,
    /// The sweep asked for.
    pub sweep: Option<SweepReport>,
    /// The recommended size with the matching targets.
    pub together: Option<Together>,
    /// Form presets.
    pub presets: Vec<Preset>,
    /// The query as given.
    pub query: WhatIfQuery,
    /// Chart columns.
    #[serde(skip)]
    pub charts: WhatIfCharts,
    /// Report time.
    pub now: i64,
}

/// Parses a request's query string (through `get`): the settings and the range replayed
/// (`range=` as the Service page, default the sizing lookback).
pub fn parse_request(
    get: &dyn Fn(&str) -> Option<String>,
    now: i64,
    default_days: u32,
) -> Result<(WhatIfQuery, DateRange), String> {
    let range = DateRange::parse(
        get("range").as_deref(),
        get("from").as_deref(),
        get("to").as_deref(),
        now,
        default_days,
    )?;
    Ok((WhatIfQuery::parse(get)?, range))
}

/// Builds the report for the service `name` in `cluster` (any cluster when None).
pub async fn build(
    state: &AppState,
    cluster: Option<&str>,
    name: &str,
    query: WhatIfQuery,
    range: DateRange,
    now: i64,
) -> Result<WhatIfReport, AppError> {
    let store = &state.store;
    let service = find(store, cluster, name).await?;
    let stored_alarms = store.list_alarms(None).await?;
    let (own, mut notes) = Policy::from_service(&service.service, &stored_alarms);
    let own_fleet = Fleet {
        size: service.service.size,
        arch: service.service.architecture,
        strategy: service.service.strategy.clone(),
    };
    let (settings, fleet) = apply(&query, &own, &own_fleet)?;
    let (alarms, alarms_assumed) = alarm_lines(&stored_alarms, name);
    let prices = &state.settings.prices;
    let base = baseline(state, &service, &range, &own, &own_fleet, &alarms).await?;
    notes.extend(base.notes.iter().cloned());
    // Only what the query changes is replayed: the own settings' replay (the page's default)
    // and any replay asked for lately come from the baseline.
    let run = base.replay(&settings, &fleet, &alarms, prices);
    let sweep = query.sweep.map(|kind| SweepReport {
        kind,
        points: sweep(
            &base.demand,
            &settings,
            &fleet,
            base.initial,
            &alarms,
            prices,
            kind,
        ),
    });
    let rec_size = recommended_size(state, service.id, now).await?;
    let together = rec_size.map(|size| together(&base, &settings, &fleet, size, &alarms, prices));
    let own_is_asked = query.is_own();
    Ok(WhatIfReport {
        presets: presets(&service, rec_size, together.as_ref()),
        charts: base.charts(&run, range.from),
        service: service.service.name.clone(),
        cluster: service.service.cluster.clone(),
        range,
        settings: WhatIfSettings {
            policy: settings,
            task_size: fleet.size,
            strategy: fleet.strategy,
            own: own_is_asked,
        },
        own_settings: WhatIfSettings {
            policy: own,
            task_size: own_fleet.size,
            strategy: own_fleet.strategy,
            own: true,
        },
        actual: base.actual.clone(),
        simulated: run.totals.clone(),
        calibration: own_is_asked.then_some(base.own_calibration),
        own_calibration: base.own_calibration,
        capped_minutes: base.demand.capped_minutes,
        missing_minutes: base.demand.missing_minutes,
        alarms,
        alarms_assumed,
        notes,
        sweep,
        together,
        query,
        now,
    })
}

/// The service by cluster and name, or by name alone (a 400 when several clusters have it).
pub async fn find(
    store: &Store,
    cluster: Option<&str>,
    name: &str,
) -> Result<StoredService, AppError> {
    let unknown = || AppError::bad_request(format!("There is no service named {name}."));
    if let Some(cluster) = cluster {
        return store.find_service(cluster, name).await?.ok_or_else(unknown);
    }
    let mut matches: Vec<StoredService> = store
        .list_services()
        .await?
        .into_iter()
        .filter(|s| s.service.name == name)
        .collect();
    match matches.len() {
        0 => Err(unknown()),
        1 => Ok(matches.remove(0)),
        _ => Err(AppError::bad_request(format!(
            "{name} is in several clusters: name the cluster too."
        ))),
    }
}

/// The settings asked for: the service's own with the query's changes; bad values are a 400.
fn apply(q: &WhatIfQuery, own: &Policy, own_fleet: &Fleet) -> Result<(Policy, Fleet), AppError> {
    let mut p = own.clone();
    if let Some(t) = q.target_cpu {
        p.set_target(Metric::Cpu, t);
    }
    if let Some(t) = q.target_memory {
        p.set_target(Metric::Memory, t);
    }
    p.min = q.min.unwrap_or(p.min);
    p.max = q.max.unwrap_or(p.max);
    if q.min.is_some() && q.max.is_none() && p.max < p.min {
        p.max = p.min;
    }
    p.scale_out_cooldown_s = q.scale_out_cooldown.unwrap_or(p.scale_out_cooldown_s);
    p.scale_in_cooldown_s = q.scale_in_cooldown.unwrap_or(p.scale_in_cooldown_s);
    p.startup_minutes = q.startup_minutes.unwrap_or(p.startup_minutes);
    if let Some(problem) = p.problem() {
        return Err(AppError::bad_request(problem));
    }
    let mut fleet = own_fleet.clone();
    if q.cpu.is_some() || q.memory.is_some() {
        let size = TaskSize::new(
            q.cpu.unwrap_or(fleet.size.cpu),
            q.memory.unwrap_or(fleet.size.memory_mib),
        );
        if let Some(problem) = size.fargate_problem() {
            return Err(AppError::bad_request(problem));
        }
        fleet.size = size;
    }
    if q.base.is_some() || q.spot_pct.is_some() {
        let spot = q.spot_pct.unwrap_or(0);
        if spot > 100 {
            return Err(AppError::bad_request(format!(
                "'spot_pct={spot}' must be 0 to 100"
            )));
        }
        fleet.strategy = vec![
            StrategyItem {
                provider: "FARGATE".into(),
                base: q.base.unwrap_or(0),
                weight: 100 - spot,
            },
            StrategyItem {
                provider: "FARGATE_SPOT".into(),
                base: 0,
                weight: spot,
            },
        ];
    }
    Ok((p, fleet))
}

/// The finest stored series of a metric and statistic among the service's.
fn finest<'a>(all: &'a [StoredSeries], metric: &str, stat: &str) -> Option<&'a StoredSeries> {
    all.iter()
        .filter(|s| s.key.metric_name == metric && s.key.statistic == stat)
        .min_by_key(|s| s.key.period)
}

/// The stored points of the four series a replay reads (CPU, memory, tasks, requests), and the
/// grid step: read once per data version, service and range (in whole hours) and shared by
/// requests, which align their exact range from them (90 days of four series is most of a
/// replay's time).
#[derive(Debug, Default)]
pub struct HistoryReads {
    step: i64,
    /// Whether every point's time is a multiple of the step (CloudWatch's are): then the grid of
    /// any range holds the same points as the grid of the range moved to the next step boundary.
    on_step: bool,
    cpu: Option<SeriesPoints>,
    mem: Option<SeriesPoints>,
    tasks: Option<SeriesPoints>,
    requests: Option<SeriesPoints>,
}

/// Baselines kept at once (a few services or ranges; a 365-day one holds about 13 MB).
const BASELINES_KEPT: usize = 4;
/// Replays a baseline remembers besides the own settings' (the latest queries and their pairs).
const REPLAYS_KEPT: usize = 8;

/// Which grid a baseline is for: the service and, for points on the step, the first and last
/// step boundary at or after the range's ends with the minute count (every range between the
/// same boundaries replays the same minutes; a preset range moves with the clock every second).
type BaselineKey = (i64, i64, i64, usize);

/// The what-if's shared work, per data version: the series reads (one service and hour range)
/// and the baselines built from them (a few grids).
#[derive(Default)]
pub struct HistoryCache {
    reads: VersionedSlot<(i64, i64, i64), HistoryReads>,
    baselines: VersionedMap<BaselineKey, Baseline, BASELINES_KEPT>,
}

impl HistoryCache {
    /// How many baselines are kept (for tests of the bound).
    pub async fn baselines_kept(&self) -> usize {
        self.baselines.len().await
    }
}

/// Reads the four series (found in `all`, the service's series) over `[from, to)`, through the
/// store's series read.
async fn history_reads(
    store: &Store,
    all: &[StoredSeries],
    from: i64,
    to: i64,
) -> StoreResult<HistoryReads> {
    let cpu = finest(all, "CPUUtilization", "Average");
    let read = |s: Option<&StoredSeries>| {
        let id = s.map(|s| s.id);
        async move {
            match id {
                Some(id) => store.read_points(id, from, to).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let (cpu_points, mem, tasks, requests) = futures::try_join!(
        read(cpu),
        read(finest(all, "MemoryUtilization", "Average")),
        read(finest(all, "RunningTaskCount", "Average")),
        read(finest(all, "RequestCount", "Sum")),
    )?;
    let step = grid_step(all);
    let on_step = [&cpu_points, &mem, &tasks, &requests]
        .iter()
        .filter_map(|p| p.as_ref())
        .all(|p| p.ts.iter().all(|t| t.rem_euclid(step) == 0));
    Ok(HistoryReads {
        step,
        on_step,
        cpu: cpu_points,
        mem,
        tasks,
        requests,
    })
}

/// The replay's grid step: the finest CPU series' period, at least a minute.
fn grid_step(all: &[StoredSeries]) -> i64 {
    finest(all, "CPUUtilization", "Average").map_or(60, |s| s.key.period.max(60))
}

/// The series reads covering the range's whole hours (shared by requests); `all` is the
/// service's series, listed once by the caller.
async fn shared_reads(
    state: &AppState,
    service: &StoredService,
    all: &[StoredSeries],
    range: &DateRange,
) -> StoreResult<std::sync::Arc<HistoryReads>> {
    let (first_hour, last_hour) = (range.from.div_euclid(3600), range.to.div_euclid(3600));
    state
        .whatif_history
        .reads
        .get_or_compute(&state.store, (service.id, first_hour, last_hour), || {
            history_reads(&state.store, all, first_hour * 3600, (last_hour + 1) * 3600)
        })
        .await
}

/// Reads the service's history over the range onto one grid (from the shared reads when they
/// cover it).
pub async fn read_history(
    state: &AppState,
    service: &StoredService,
    range: &DateRange,
) -> Result<(History, Vec<String>), AppError> {
    let all = state.store.list_series(Some(service.id)).await?;
    let reads = shared_reads(state, service, &all, range).await?;
    Ok(on_grid(&reads, service, range))
}

/// Puts the reads on the range's grid; a missing task count is the desired count throughout.
fn on_grid(
    reads: &HistoryReads,
    service: &StoredService,
    range: &DateRange,
) -> (History, Vec<String>) {
    let step = reads.step;
    let on_grid = |p: &Option<SeriesPoints>| {
        p.as_ref()
            .map(|p| align(&p.ts, &p.values, range.from, range.to, step))
    };
    let n = grid_len(range, step);
    let mut notes = Vec::new();
    let tasks = on_grid(&reads.tasks).unwrap_or_else(|| {
        notes.push("no RunningTaskCount (Container Insights): the current desired count is assumed throughout".into());
        vec![service.service.desired_count as f64; n]
    });
    (
        History {
            start: range.from,
            step,
            cpu_avg_pct: on_grid(&reads.cpu).unwrap_or_else(|| vec![f64::NAN; n]),
            mem_avg_pct: on_grid(&reads.mem).unwrap_or_else(|| vec![f64::NAN; n]),
            tasks,
            requests: on_grid(&reads.requests).unwrap_or_default(),
        },
        notes,
    )
}

/// Minutes (steps) on the range's grid.
fn grid_len(range: &DateRange, step: i64) -> usize {
    ((range.to - range.from).max(0) / step) as usize
}

/// Per-minute values shrunk to chart columns, timed from the grid's start (0).
#[derive(Debug, Clone, PartialEq, Default)]
struct RunColumns {
    tasks: Vec<Band>,
    cpu: Vec<Band>,
    mem: Vec<Band>,
}

/// One replay as a report shows it: the settings, the totals and the chart columns.
#[derive(Debug)]
struct Replay {
    policy: Policy,
    fleet: Fleet,
    totals: Totals,
    columns: RunColumns,
}

/// What every replay of a service over one grid shares, whatever the settings asked for: the
/// demand, what really ran, and the own settings' replay with its calibration; plus the last
/// few replays asked for. Computed once per data version and grid.
pub struct Baseline {
    /// Notes on the history (a missing series).
    notes: Vec<String>,
    /// Demand rebuilt for the own task size.
    demand: Demand,
    /// The first known task count.
    initial: f64,
    /// The grid's first minute (the exact range it was built for).
    from: i64,
    /// The grid's end.
    to: i64,
    /// Whether any range between the same step boundaries has the same grid.
    on_step: bool,
    /// Values a chart column holds.
    per_column: usize,
    /// Seconds a chart column spans.
    column_width: i64,
    /// What really ran.
    actual: Totals,
    actual_columns: RunColumns,
    /// The own settings' replay.
    own: std::sync::Arc<Replay>,
    /// It against the actual count.
    own_calibration: Calibration,
    /// Other replays asked for lately, oldest first.
    replays: std::sync::Mutex<Vec<std::sync::Arc<Replay>>>,
}

/// The baseline of the service's replays over `range` (shared by requests over the same grid).
async fn baseline(
    state: &AppState,
    service: &StoredService,
    range: &DateRange,
    own: &Policy,
    own_fleet: &Fleet,
    alarms: &[AlarmLine],
) -> Result<std::sync::Arc<Baseline>, AppError> {
    let prices = &state.settings.prices;
    // Listed once: the grid's step keys the baseline, and a miss reads these series.
    let all = state.store.list_series(Some(service.id)).await?;
    let step = grid_step(&all);
    let key = (
        service.id,
        ceil_div(range.from, step),
        ceil_div(range.to, step),
        grid_len(range, step),
    );
    let compute = || async {
        let reads = shared_reads(state, service, &all, range).await?;
        let (history, notes) = on_grid(&reads, service, range);
        Ok::<_, crate::store::StoreError>(Baseline::new(
            &history,
            notes,
            reads.on_step,
            range,
            own,
            own_fleet,
            alarms,
            prices,
        ))
    };
    let kept = state
        .whatif_history
        .baselines
        .get_or_compute(&state.store, key, compute)
        .await?;
    if kept.on_step || (kept.from, kept.to) == (range.from, range.to) {
        return Ok(kept);
    }
    // Points off the step: only the exact range has this grid; not kept (CloudWatch's are on it).
    Ok(std::sync::Arc::new(compute().await?))
}

/// `a / b` rounded up.
fn ceil_div(a: i64, b: i64) -> i64 {
    -(-a).div_euclid(b)
}

impl Baseline {
    /// Rebuilds demand, totals what really ran and replays the own settings.
    #[allow(clippy::too_many_arguments)]
    fn new(
        history: &History,
        notes: Vec<String>,
        on_step: bool,
        range: &DateRange,
        own: &Policy,
        own_fleet: &Fleet,
        alarms: &[AlarmLine],
        prices: &PriceTable,
    ) -> Self {
        let demand = reconstruct(history, own_fleet.size);
        let initial = history.initial_tasks();
        let per_column = history.len().div_ceil(CHART_COLUMNS).max(1);
        let column_width = per_column as i64 * history.step;
        let actual = actual_run(history, f64::from(own.max), own_fleet, alarms, prices);
        let own_run = simulate(&demand, own, own_fleet, initial, alarms, prices);
        let own_calibration = calibrate(&own_run.tasks, &history.tasks);
        Self {
            notes,
            initial,
            from: range.from,
            to: range.to,
            on_step,
            per_column,
            column_width,
            actual_columns: run_columns(&actual, per_column, column_width),
            actual: actual.totals,
            own: std::sync::Arc::new(Replay {
                columns: run_columns(&own_run, per_column, column_width),
                totals: own_run.totals,
                policy: own.clone(),
                fleet: own_fleet.clone(),
            }),
            own_calibration,
            demand,
            replays: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The replay of `policy` on `fleet`: kept when it is the own settings' or was asked for
    /// lately, else run (and kept, the oldest going first).
    fn replay(
        &self,
        policy: &Policy,
        fleet: &Fleet,
        alarms: &[AlarmLine],
        prices: &PriceTable,
    ) -> std::sync::Arc<Replay> {
        let same = |r: &Replay| r.policy == *policy && r.fleet == *fleet;
        if same(&self.own) {
            return self.own.clone();
        }
        if let Some(r) = self.kept_replays().iter().find(|r| same(r)) {
            return r.clone();
        }
        // Run outside the lock: two requests asking the same new settings at once both run it.
        let run = simulate(&self.demand, policy, fleet, self.initial, alarms, prices);
        let replay = std::sync::Arc::new(Replay {
            columns: run_columns(&run, self.per_column, self.column_width),
            totals: run.totals,
            policy: policy.clone(),
            fleet: fleet.clone(),
        });
        let mut kept = self.kept_replays();
        if !kept.iter().any(|r| same(r)) {
            if kept.len() >= REPLAYS_KEPT {
                kept.remove(0);
            }
            kept.push(replay.clone());
        }
        replay
    }

    /// The replays kept (a poisoned lock only means a panic elsewhere: the list is still whole).
    fn kept_replays(&self) -> std::sync::MutexGuard<'_, Vec<std::sync::Arc<Replay>>> {
        self.replays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The charts of what ran against `run`, timed from `from`.
    fn charts(&self, run: &Replay, from: i64) -> WhatIfCharts {
        let at = |bands: &[Band]| -> Vec<Band> {
            bands
                .iter()
                .map(|b| Band {
                    ts: b.ts + from,
                    ..*b
                })
                .collect()
        };
        WhatIfCharts {
            actual_tasks: at(&self.actual_columns.tasks),
            simulated_tasks: at(&run.columns.tasks),
            actual_cpu: at(&self.actual_columns.cpu),
            simulated_cpu: at(&run.columns.cpu),
            actual_mem: at(&self.actual_columns.mem),
            simulated_mem: at(&run.columns.mem),
            column_width: self.column_width,
        }
    }
}

/// A run's chart columns, timed from 0.
fn run_columns(run: &Run, per: usize, width: i64) -> RunColumns {
    RunColumns {
        tasks: columns(&run.tasks, per, 0, width),
        cpu: columns(&run.cpu_pct, per, 0, width),
        mem: columns(&run.mem_pct, per, 0, width),
    }
}

/// The service's alarm thresholds on average CPU and memory utilization (greater-than alarms on
/// AWS/ECS with its ServiceName), or the seed's two when it has none.
fn alarm_lines(alarms: &[AlarmRecord], service: &str) -> (Vec<AlarmLine>, bool) {
    let dimension = format!("\"ServiceName\":{}", serde_json::json!(service));
    let lines: Vec<AlarmLine> = alarms
        .iter()
        .filter(|a| a.namespace.as_deref() == Some("AWS/ECS"))
        .filter(|a| {
            a.dimensions
                .as_deref()
                .is_some_and(|d| d.contains(&dimension))
        })
        .filter_map(|a| {
            let metric = match a.metric_name.as_deref()? {
                "CPUUtilization" => Metric::Cpu,
                "MemoryUtilization" => Metric::Memory,
                _ => return None,
            };
            let op = a.comparison_operator.as_deref()?;
            let or_equal = match op {
                "GreaterThanThreshold" => false,
                "GreaterThanOrEqualToThreshold" => true,
                _ => return None,
            };
            Some(AlarmLine {
                name: a.name.clone(),
                metric,
                threshold: a.threshold?,
                or_equal,
            })
        })
        .collect();
    if !lines.is_empty() {
        return (lines, false);
    }
    let assumed = ASSUMED_ALARMS
        .iter()
        .map(|&(name, metric, threshold)| AlarmLine {
            name: name.into(),
            metric,
            threshold,
            or_equal: false,
        })
        .collect();
    (assumed, true)
}

/// The recommended size of the service, when the recommendation changes it.
async fn recommended_size(
    state: &AppState,
    service_id: i64,
    now: i64,
) -> Result<Option<TaskSize>, AppError> {
    let evidence = state
        .recommendations
        .get(&state.store, &state.settings, now)
        .await?;
    Ok(evidence
        .iter()
        .find(|e| e.recommendation.service_id == service_id)
        .and_then(|e| e.recommendation.rec.recommended.as_ref())
        .map(|r| r.size()))
}

/// Replays the recommended size with each target moved to keep the same spare capacity per task.
fn together(
    base: &Baseline,
    settings: &Policy,
    fleet: &Fleet,
    size: TaskSize,
    alarms: &[AlarmLine],
    prices: &PriceTable,
) -> Together {
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let target_cpu = settings.target(Metric::Cpu).map(|t| {
        round(same_headroom_target(
            t,
            f64::from(fleet.size.cpu),
            f64::from(size.cpu),
        ))
    });
    let target_memory = settings.target(Metric::Memory).map(|t| {
        round(same_headroom_target(
            t,
            f64::from(fleet.size.memory_mib),
            f64::from(size.memory_mib),
        ))
    });
    let mut policy = settings.clone();
    if let Some(t) = target_cpu {
        policy.set_target(Metric::Cpu, t);
    }
    if let Some(t) = target_memory {
        policy.set_target(Metric::Memory, t);
    }
    let pair = Fleet {
        size,
        ..fleet.clone()
    };
    let totals = base.replay(&policy, &pair, alarms, prices).totals.clone();
    let query = WhatIfQuery {
        target_cpu,
        target_memory,
        cpu: Some(size.cpu),
        memory: Some(size.memory_mib),
        ..WhatIfQuery::default()
    };
    Together {
        task_size: size,
        target_cpu,
        target_memory,
        totals,
        query: query.to_query_string(),
    }
}

/// The form's presets: the seed's settings and the recommendation's pair.
fn presets(
    service: &StoredService,
    recommended: Option<TaskSize>,
    together: Option<&Together>,
) -> Vec<Preset> {
    let seed_max = if service.service.name.contains("client") {
        6
    } else {
        10
    };
    let seed = WhatIfQuery {
        min: Some(2),
        max: Some(seed_max),
        target_memory: Some(80.0),
        scale_in_cooldown: Some(300),
        scale_out_cooldown: Some(60),
        ..WhatIfQuery::default()
    };
    let mut out = vec![
        Preset {
            name: "The service's own settings".into(),
            query: String::new(),
        },
        Preset {
            name: format!(
                "The seed's: 2–{seed_max} tasks, memory 80%, cooldowns 60 s out / 300 s in"
            ),
            query: seed.to_query_string(),
        },
        Preset {
            name: "CPU 60%, max 12".into(),
            query: WhatIfQuery {
                target_cpu: Some(60.0),
                max: Some(12),
                ..WhatIfQuery::default()
            }
            .to_query_string(),
        },
    ];
    if let (Some(size), Some(t)) = (recommended, together) {
        out.push(Preset {
            name: format!(
                "The recommendation: {} with the same headroom",
                crate::format::size(size.cpu, size.memory_mib)
            ),
            query: t.query.clone(),
        });
    }
    out
}

/// Groups `per` values a column: min, max and mean of the finite ones (empty columns left out).
fn columns(values: &[f64], per: usize, from: i64, width: i64) -> Vec<Band> {
    values
        .chunks(per)
        .enumerate()
        .filter_map(|(k, chunk)| {
            let finite = chunk.iter().copied().filter(|v| v.is_finite());
            let (mut lo, mut hi, mut sum, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0);
            for v in finite {
                lo = lo.min(v);
                hi = hi.max(v);
                sum += v;
                n += 1;
            }
            (n > 0).then(|| Band {
                ts: from + k as i64 * width,
                min: lo,
                max: hi,
                mean: sum / f64::from(n),
            })
        })
        .collect()
}

impl WhatIfReport {
    /// The comparison rows: (measure, actual, simulated) as text.
    pub fn comparison(&self) -> Vec<(String, String, String)> {
        let (a, s) = (&self.actual, &self.simulated);
        let usd = crate::format::usd;
        let mut rows = vec![
            (
                "Monthly cost".into(),
                usd(a.monthly_cost_usd),
                usd(s.monthly_cost_usd),
            ),
            (
                "Cost over the range".into(),
                usd(a.period_cost_usd),
                usd(s.period_cost_usd),
            ),
            (
                "Task-hours".into(),
                format!("{:.0}", a.task_hours),
                format!("{:.0}", s.task_hours),
            ),
            (
                "Mean tasks".into(),
                format!("{:.2}", a.mean_tasks),
                format!("{:.2}", s.mean_tasks),
            ),
            (
                "Most tasks".into(),
                format!("{:.0}", a.max_tasks),
                format!("{:.0}", s.max_tasks),
            ),
            (
                "Minutes over an alarm threshold".into(),
                a.minutes_over_alarm.to_string(),
                s.minutes_over_alarm.to_string(),
            ),
        ];
        for (x, y) in a.over_each_alarm.iter().zip(&s.over_each_alarm) {
            rows.push(alarm_row(x, y));
        }
        rows.extend([
            (
                "Minutes at max tasks".into(),
                a.minutes_at_max.to_string(),
                s.minutes_at_max.to_string(),
            ),
            (
                "Scale events (out / in)".into(),
                format!("{} ({} / {})", a.scale_events, a.scale_outs, a.scale_ins),
                format!("{} ({} / {})", s.scale_events, s.scale_outs, s.scale_ins),
            ),
            (
                "Peak CPU / memory".into(),
                format!("{:.0}% / {:.0}%", a.peak_cpu_pct, a.peak_mem_pct),
                format!("{:.0}% / {:.0}%", s.peak_cpu_pct, s.peak_mem_pct),
            ),
            (
                "On Spot".into(),
                format!("{:.0}%", a.spot_pct),
                format!("{:.0}%", s.spot_pct),
            ),
        ]);
        rows
    }
}

fn alarm_row(a: &AlarmMinutes, s: &AlarmMinutes) -> (String, String, String) {
    (
        format!("  minutes over {} ({:.0}%)", a.name, a.threshold),
        a.minutes.to_string(),
        s.minutes.to_string(),
    )
}

impl Tables for WhatIfReport {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let comparison = Table {
            header: vec!["measure", "actual", "simulated"],
            rows: self
                .comparison()
                .into_iter()
                .map(|(m, a, s)| vec![m.trim().to_string(), a, s])
                .collect(),
        };
        let sweep = Table {
            header: vec![
                "value",
                "monthly_cost_usd",
                "minutes_over_alarm",
                "minutes_at_max",
                "task_hours",
                "scale_events",
                "current",
                "recommended",
            ],
            rows: self
                .sweep
                .iter()
                .flat_map(|s| &s.points)
                .map(|p| {
                    vec![
                        p.value.to_string(),
                        csv_usd(p.monthly_cost_usd),
                        p.minutes_over_alarm.to_string(),
                        p.minutes_at_max.to_string(),
                        format!("{:.2}", p.task_hours),
                        p.scale_events.to_string(),
                        p.current.to_string(),
                        p.recommended.to_string(),
                    ]
                })
                .collect(),
        };
        vec![("comparison", comparison), ("sweep", sweep)]
    }
}

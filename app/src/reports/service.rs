//! The Service report: one service's recommendation, its use over a range as chart columns and
//! as a distribution, and the reference lines (current size, recommendation, tiers) to draw.

use serde::Serialize;

use super::{Table, Tables};
use crate::analysis::downsample::{Band, ColumnPlan, HOUR};
use crate::analysis::recommend::{tier_for, Recommendation, Tier};
use crate::charts::{LineKind, RefLine};
use crate::domain::calendar::DAY;
use crate::domain::fargate::TaskSize;
use crate::domain::range::DateRange;
use crate::error::AppError;
use crate::reports::cache::VersionedSlot;
use crate::reports::recommendations::UsageSeries;
use crate::state::AppState;
use crate::store::metrics::StoredSeries;
use crate::store::services::StoredService;
use crate::store::{Store, StoreResult};

/// Pixel width of the time charts.
pub const CHART_WIDTH: u32 = 900;
/// Columns a series is shrunk to: one per two pixels reads the same and draws half the points.
const CHART_COLUMNS: i64 = CHART_WIDTH as i64 / 2;
/// Ranges up to this long are drawn from raw minutes, longer ones from hourly rollups.
const RAW_UP_TO: i64 = 3 * DAY;

/// Everything the Service page shows, before drawing.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// The service.
    pub service: StoredService,
    /// The recommendation.
    pub rec: Recommendation,
    /// The range charted.
    pub range: DateRange,
    /// Busiest-task CPU over the range, vCPU.
    pub cpu: Columns,
    /// Busiest-task memory over the range, MiB.
    pub memory: Columns,
    /// Running tasks over the range.
    pub tasks: Columns,
    /// CDF of busiest-task CPU over the sizing window: (vCPU, percent of minutes at or below).
    pub cpu_cdf: Vec<(f64, f64)>,
    /// CDF of busiest-task memory, MiB.
    pub memory_cdf: Vec<(f64, f64)>,
    /// Reference lines on the CPU charts.
    pub cpu_lines: Vec<RefLine>,
    /// Reference lines on the memory charts.
    pub memory_lines: Vec<RefLine>,
    /// Days the recommendation was sized on.
    pub lookback_days: u32,
    /// Report time.
    pub now: i64,
}

/// Finds the service (a 404 when there is none), sizes it and reads its use over `range`; the
/// series reads run concurrently.
pub async fn build(
    state: &AppState,
    cluster: &str,
    name: &str,
    range: DateRange,
    now: i64,
) -> Result<ServiceReport, AppError> {
    let store = &state.store;
    let settings = &state.settings;
    // A service deleted in AWS still has its page: its history is kept.
    let (service, evidence) = futures::try_join!(
        store.find_service(cluster, name),
        state.recommendations.get(store, settings, now),
    )?;
    let service = service.ok_or_else(|| {
        AppError::not_found(format!("There is no service {name} in cluster {cluster}."))
    })?;
    let evidence = evidence
        .iter()
        .find(|e| e.recommendation.service_id == service.id)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "{name} was added after this page's data was read: reload."
            ))
        })?;
    let rec = evidence.recommendation.rec.clone();
    let series = UsageSeries::pick(&store.list_series(Some(service.id)).await?);
    let size = service.service.size;
    let charted =
        [&series.cpu_max, &series.mem_max, &series.tasks].map(|s| Charted::new(s.as_ref(), &range));
    let key = ChartKey {
        service_id: service.id,
        reads: charted.map(|c| c.read),
    };
    let buckets = state
        .service_charts
        .get_or_compute(store, key, || read_all(store, charted))
        .await?;
    let scales = [size.vcpu() / 100.0, f64::from(size.memory_mib) / 100.0, 1.0];
    let [cpu, memory, tasks] =
        std::array::from_fn(|i| columns(&buckets[i], charted[i].plan, &range, scales[i]));
    let recommended = rec.recommended.as_ref().map(|r| r.size());
    let tiers = &settings.tiers;
    Ok(ServiceReport {
        cpu_lines: ref_lines(
            size,
            recommended,
            tiers,
            |s| s.vcpu(),
            |v| format!("{v:.2}"),
        ),
        memory_lines: ref_lines(
            size,
            recommended,
            tiers,
            |s| f64::from(s.memory_mib),
            |v| format!("{v:.0}"),
        ),
        cpu_cdf: evidence.cpu_cdf.clone(),
        memory_cdf: evidence.mem_cdf.clone(),
        cpu,
        memory,
        tasks,
        lookback_days: settings.rules.lookback_days,
        now,
        service,
        rec,
        range,
    })
}

/// A series read for a chart: its columns and how they were read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Columns {
    /// The columns, by start time, in absolute units.
    pub bands: Vec<Band>,
    /// Bucket width and resolution they were read at.
    #[serde(skip)]
    pub plan: ColumnPlan,
    /// Seconds each column spans.
    pub column_width: i64,
    /// A line breaks where columns are further apart than this, in seconds.
    pub max_gap: i64,
}

/// The buckets of one series as read for a chart: (start, min, max, sum, count).
type Buckets = Vec<(i64, f64, f64, f64, i64)>;

/// One series read for a chart: which rows, in which buckets. Rollup reads (ranges longer than
/// [`RAW_UP_TO`]) hold whole hours, so they end on the hour after the range's end: a preset range
/// ending "now" then asks for the same read all hour long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Read {
    series_id: i64,
    origin: i64,
    end: i64,
    width: i64,
    hourly: bool,
}

/// A series to chart over a range: its plan, and its read (None without the series).
#[derive(Debug, Clone, Copy)]
struct Charted {
    plan: ColumnPlan,
    read: Option<Read>,
}

impl Charted {
    fn new(series: Option<&StoredSeries>, range: &DateRange) -> Self {
        let raw_period = series.map_or(60, |s| s.key.period);
        let plan = ColumnPlan::new(range.span(), CHART_COLUMNS, raw_period, RAW_UP_TO);
        let end = if plan.hourly {
            crate::domain::calendar::hour_start(range.to - 1) + HOUR
        } else {
            range.to
        };
        Self {
            plan,
            read: series.map(|s| Read {
                series_id: s.id,
                origin: plan.origin(range.from),
                end,
                width: plan.width,
                hourly: plan.hourly,
            }),
        }
    }
}

/// What a Service page's chart reads depend on besides the data version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartKey {
    service_id: i64,
    reads: [Option<Read>; 3],
}

/// The last Service page's chart buckets (CPU, memory, tasks), read once per data version and
/// key: a year of hourly rollups grouped in SQLite is most of that page's time, and the same page
/// asked again within the hour reads the same rows.
pub type ChartCache = VersionedSlot<ChartKey, [Buckets; 3]>;

/// Reads the three charted series concurrently.
async fn read_all(store: &Store, charted: [Charted; 3]) -> StoreResult<[Buckets; 3]> {
    let read = |c: Charted| async move {
        match c.read {
            Some(r) => {
                store
                    .read_buckets(r.series_id, r.origin, r.end, r.width, r.hourly)
                    .await
            }
            None => Ok(Vec::new()),
        }
    };
    let (cpu, memory, tasks) =
        futures::try_join!(read(charted[0]), read(charted[1]), read(charted[2]))?;
    Ok([cpu, memory, tasks])
}

/// A series' buckets as chart columns (min and max kept per column) scaled into absolute units.
/// Columns are whole multiples of the resolution read, so a column is empty only where data is
/// missing.
fn columns(buckets: &Buckets, plan: ColumnPlan, range: &DateRange, scale: f64) -> Columns {
    let bands = buckets
        .iter()
        .map(|&(ts, min, max, sum, count)| Band {
            // The first bucket may start up to one period before the range: draw it at its edge.
            ts: ts.max(range.from),
            min: min * scale,
            max: max * scale,
            mean: if count > 0 {
                sum / count as f64 * scale
            } else {
                (min + max) / 2.0 * scale
            },
        })
        .collect();
    Columns::new(bands, plan)
}

impl Columns {
    fn new(bands: Vec<Band>, plan: ColumnPlan) -> Self {
        Self {
            bands,
            plan,
            column_width: plan.width,
            max_gap: plan.max_gap(),
        }
    }
}

/// Lines for the current size, the recommendation and each tier. The current and recommended
/// lines are named by the tier that holds their whole size ([`tier_for`], as on the card); a tier
/// line that only coincides with one of them in this dimension is left out, so it never reads as
/// if the size were in that tier. Tiers at the same level share one line.
fn ref_lines(
    current: TaskSize,
    recommended: Option<TaskSize>,
    tiers: &[Tier],
    value: impl Fn(TaskSize) -> f64,
    unit: impl Fn(f64) -> String,
) -> Vec<RefLine> {
    let tier_name = |size: TaskSize| {
        tier_for(tiers, size).map_or_else(|| "no tier".to_string(), |t| t.name.clone())
    };
    let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let mut sizes = vec![("current", current, LineKind::Current)];
    if let Some(r) = recommended {
        sizes.push(("recommended", r, LineKind::Recommended));
    }
    // (value, tier name, roles, kind): current and recommended at one level and in one tier are
    // one line.
    let mut named: Vec<(f64, String, Vec<&str>, LineKind)> = Vec::new();
    for (role, size, kind) in sizes {
        let (v, name) = (value(size), tier_name(size));
        match named.iter_mut().find(|n| same(n.0, v) && n.1 == name) {
            Some(n) => n.2.push(role),
            None => named.push((v, name, vec![role], kind)),
        }
    }
    let mut lines: Vec<RefLine> = named
        .into_iter()
        .map(|(v, name, roles, kind)| RefLine {
            label: format!("{} · {name} {}", roles.join(" · "), unit(v)),
            value: v,
            kind,
        })
        .collect();
    let sized = lines.len();
    for t in tiers {
        let v = value(t.size());
        if lines[..sized].iter().any(|l| same(l.value, v)) {
            continue;
        }
        match lines[sized..].iter_mut().find(|l| same(l.value, v)) {
            Some(l) => l.label = format!("{} · {}", t.name, l.label),
            None => lines.push(RefLine {
                label: format!("{} {}", t.name, unit(v)),
                value: v,
                kind: LineKind::Tier,
            }),
        }
    }
    // Tiers first so the sizes' lines are drawn on top.
    lines.rotate_left(sized);
    lines
}

impl Tables for ServiceReport {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let columns = |c: &Columns| Table {
            header: vec!["ts", "min", "max", "mean"],
            rows: c
                .bands
                .iter()
                .map(|b| {
                    vec![
                        b.ts.to_string(),
                        b.min.to_string(),
                        b.max.to_string(),
                        b.mean.to_string(),
                    ]
                })
                .collect(),
        };
        vec![
            ("cpu", columns(&self.cpu)),
            ("memory", columns(&self.memory)),
            ("tasks", columns(&self.tasks)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::recommend::default_tiers;

    fn labels(lines: &[RefLine]) -> Vec<(String, f64)> {
        lines.iter().map(|l| (l.label.clone(), l.value)).collect()
    }

    #[test]
    fn size_lines_carry_the_tier_that_holds_the_whole_size() {
        // The 5-service demo's worker: 1 vCPU / 4 GB (in Prod-Med) sized down to 0.5 vCPU / 2 GB
        // (in Prod-Small). Its CPU lines coincide with the Prod-Small and Dev tier lines.
        let tiers = default_tiers();
        let (current, recommended) = (TaskSize::new(1024, 4096), TaskSize::new(512, 2048));
        let current_tier = tier_for(&tiers, current).unwrap().name.clone();
        let recommended_tier = tier_for(&tiers, recommended).unwrap().name.clone();
        let cpu = ref_lines(
            current,
            Some(recommended),
            &tiers,
            |s| s.vcpu(),
            |v| format!("{v:.2}"),
        );
        let cpu_labels = labels(&cpu);
        assert!(cpu_labels.contains(&(format!("current · {current_tier} 1.00"), 1.0)));
        assert!(cpu_labels.contains(&(format!("recommended · {recommended_tier} 0.50"), 0.5)));
        // No line at a size's level names another tier, and every tier line is its own level.
        for l in &cpu {
            let at_size = [1.0, 0.5].contains(&l.value);
            assert_eq!(at_size, l.kind != LineKind::Tier, "{l:?}");
        }
        assert_eq!(current_tier, "Prod-Med");
        assert_eq!(recommended_tier, "Prod-Small");
        assert!(!cpu
            .iter()
            .any(|l| l.label.contains("Dev") && l.value == 0.5));

        // Memory: 4096 is Prod-Med's own level, shown once as the current line.
        let mem = ref_lines(
            current,
            Some(recommended),
            &tiers,
            |s| f64::from(s.memory_mib),
            |v| format!("{v:.0}"),
        );
        assert_eq!(mem.iter().filter(|l| l.value == 4096.0).count(), 1);
        assert!(labels(&mem).contains(&("current · Prod-Med 4096".into(), 4096.0)));
        // Every line is drawn once per level and kind.
        assert_eq!(
            mem.iter().filter(|l| l.kind == LineKind::Current).count(),
            1
        );
    }

    #[test]
    fn same_size_now_and_after_is_one_line() {
        let tiers = default_tiers();
        let size = TaskSize::new(1024, 2048);
        let lines = ref_lines(
            size,
            Some(size),
            &tiers,
            |s| s.vcpu(),
            |v| format!("{v:.2}"),
        );
        let at: Vec<&RefLine> = lines.iter().filter(|l| l.value == 1.0).collect();
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].label, "current · recommended · Prod-Small 1.00");
    }
}

#[cfg(test)]
mod chart_read_tests {
    use super::*;
    use crate::store::metrics::SeriesKey;

    fn series(period: i64) -> StoredSeries {
        StoredSeries {
            id: 7,
            key: SeriesKey {
                namespace: "AWS/ECS".into(),
                metric_name: "CPUUtilization".into(),
                dimensions: "{}".into(),
                statistic: "Maximum".into(),
                period,
            },
            unit: None,
            service_id: Some(1),
        }
    }

    fn range(from: i64, to: i64) -> DateRange {
        DateRange {
            from,
            to,
            preset: "custom".into(),
        }
    }

    #[test]
    fn a_rollup_read_ends_on_the_hour_and_reads_the_same_hours_as_the_range() {
        let s = series(60);
        let hour = 1_795_996_800;
        for to in [hour, hour + 1, hour + 1800, hour + 3599, hour + 3600] {
            let read = Charted::new(Some(&s), &range(to - 365 * DAY, to))
                .read
                .unwrap();
            assert!(read.hourly);
            assert_eq!(read.end % HOUR, 0, "to {to}");
            // Rollup rows are stamped on whole hours: the same rows fall before `end` as before `to`.
            for h in (-3..=3).map(|i| hour + i * HOUR) {
                assert_eq!(h < read.end, h < to, "to {to}, hour {h}");
            }
        }
        // A preset range ending "now" keeps its read (and so its cached buckets) within the hour...
        let at = |now: i64| Charted::new(Some(&s), &range(now - 14 * DAY, now)).read;
        assert_eq!(at(hour + 10), at(hour + 3000));
        // ...and moves to the next hour's rows after it.
        assert_ne!(at(hour + 10), at(hour + 3610));
    }

    #[test]
    fn a_raw_read_ends_where_the_range_ends() {
        let s = series(60);
        let to = 1_795_996_800 + 1234;
        let read = Charted::new(Some(&s), &range(to - DAY, to)).read.unwrap();
        assert!(!read.hourly);
        assert_eq!(read.end, to);
        assert!(Charted::new(None, &range(to - DAY, to)).read.is_none());
    }
}

//! Why ECS spend changed between two periods, per service and in total, reconciled to the bill;
//! and the modelled-against-billed check per month. Shared by the Costs page,
//! `/api/costs/explain` and `spendwatch costs explain`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fleet::FleetService;
use super::query::{ExplainQuery, ECS_SERVICE, SERVICE_TAG};
use crate::analysis::spend::task_hours::sizes_in;
use crate::analysis::spend::waterfall::{self, main_cause, ChangeParts, ServicePeriod};
use crate::domain::calendar::{month_start, next_month_start};
use crate::domain::fargate::PriceTable;
use crate::error::AppError;
use crate::format;
use crate::reports::{csv_usd, Table, Tables};
use crate::state::AppState;
use crate::store::costs::{DailyCost, ACCOUNT, BY_SERVICE};
use crate::store::Store;

/// What one service ran and was billed in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFacts {
    /// Task-hours from the stored task counts.
    pub task_hours: f64,
    /// Share of them on Spot by the strategy, percent.
    pub spot_pct: f64,
    /// Task size, `cpu / memory`; sizes joined by `→` where a deployment changed it.
    pub size: String,
    /// Task-hours at list price with the Spot discount.
    pub modeled_usd: f64,
    /// Billed (from the service tag; the modelled cost where the account has no such tag).
    pub billed_usd: f64,
}

/// One service's change and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceChange {
    /// Cluster.
    pub cluster: String,
    /// Service.
    pub service: String,
    /// The earlier period.
    pub before: PeriodFacts,
    /// The later period.
    pub after: PeriodFacts,
    /// The billed change split into volume, size, mix and price and other.
    pub parts: ChangeParts,
}

/// The change decomposition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainData {
    /// Later period's first day, `YYYY-MM-DD`.
    pub from: String,
    /// Later period's end (exclusive).
    pub to: String,
    /// Earlier period's first day.
    pub previous_from: String,
    /// Earlier period's end (exclusive).
    pub previous_to: String,
    /// Per service, largest change first.
    pub services: Vec<ServiceChange>,
    /// ECS as billed (by AWS service) split the same way; untagged spend falls in price and other.
    pub total: ChangeParts,
    /// Whether per-service billed figures come from the service tag (else they are modelled).
    pub billed_by_tag: bool,
    /// Whether any task counts were stored for either period.
    pub has_task_counts: bool,
    /// The change in plain words, total first.
    pub words: Vec<String>,
}

/// Sums a service tag's rows per service name over `[from, to)`.
fn billed_by_service(rows: &[DailyCost], from: i64, to: i64) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for r in rows.iter().filter(|r| r.day >= from && r.day < to) {
        let name = r.key.split_once('$').map_or(r.key.as_str(), |(_, v)| v);
        *out.entry(name.to_string()).or_insert(0.0) += r.amount;
    }
    out
}

fn ecs_total(rows: &[DailyCost], from: i64, to: i64) -> f64 {
    rows.iter()
        .filter(|r| r.key == ECS_SERVICE && r.day >= from && r.day < to)
        .map(|r| r.amount)
        .sum()
}

fn period(
    s: &FleetService,
    window: (i64, i64),
    billed: Option<f64>,
    prices: &PriceTable,
) -> ServicePeriod {
    let mut p = ServicePeriod {
        hours: s.priced.window(window),
        billed: 0.0,
    };
    p.billed = billed.unwrap_or_else(|| p.modeled(prices));
    p
}

/// The sizes a service ran in a window, `512 / 1024` or `512 / 1024 → 256 / 512`.
fn sizes_text(s: &FleetService, (from, to): (i64, i64)) -> String {
    let sizes = sizes_in(&s.sizes, from, to);
    if sizes.is_empty() {
        return format::size(s.size.cpu, s.size.memory_mib);
    }
    sizes
        .iter()
        .map(|z| format::size(z.cpu, z.memory_mib))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn facts(p: &ServicePeriod, size: String, prices: &PriceTable) -> PeriodFacts {
    PeriodFacts {
        task_hours: p.task_hours(),
        spot_pct: p.spot_share() * 100.0,
        size,
        modeled_usd: p.modeled(prices),
        billed_usd: p.billed,
    }
}

/// The stored rows the decomposition reads: ECS by AWS service and the service tag.
pub struct Ledger {
    /// Account spend by AWS service.
    pub by_service: Vec<DailyCost>,
    /// ECS spend by the service tag (empty without the tag).
    pub by_tag: Vec<DailyCost>,
    /// Whether the service tag is stored at all.
    pub has_tag: bool,
}

/// Reads the ledger rows for `[from, to)`.
pub async fn ledger(store: &Store, from: i64, to: i64) -> Result<Ledger, AppError> {
    let tag = format!("TAG:{SERVICE_TAG}");
    let has_tag = store
        .cost_groupings()
        .await?
        .iter()
        .any(|g| g.scope == ECS_SERVICE && g.group_by == tag);
    Ok(Ledger {
        by_service: store.daily_costs(ACCOUNT, BY_SERVICE, from, to).await?,
        by_tag: store.daily_costs(ECS_SERVICE, &tag, from, to).await?,
        has_tag,
    })
}

/// Splits the change between the query's periods.
pub fn decompose(
    q: &ExplainQuery,
    services: &[FleetService],
    ledger: &Ledger,
    prices: &PriceTable,
) -> ExplainData {
    let billed_before = billed_by_service(&ledger.by_tag, q.before.0, q.before.1);
    let billed_after = billed_by_service(&ledger.by_tag, q.after.0, q.after.1);
    let billed = |m: &BTreeMap<String, f64>, name: &str| {
        ledger.has_tag.then(|| m.get(name).copied().unwrap_or(0.0))
    };
    let mut changes: Vec<ServiceChange> = services
        .iter()
        .map(|s| {
            let b = period(s, q.before, billed(&billed_before, &s.name), prices);
            let a = period(s, q.after, billed(&billed_after, &s.name), prices);
            ServiceChange {
                cluster: s.cluster.clone(),
                service: s.name.clone(),
                before: facts(&b, sizes_text(s, q.before), prices),
                after: facts(&a, sizes_text(s, q.after), prices),
                parts: waterfall::decompose(&b, &a, prices),
            }
        })
        .filter(|c| {
            c.before.billed_usd != 0.0
                || c.after.billed_usd != 0.0
                || c.before.task_hours > 0.0
                || c.after.task_hours > 0.0
        })
        .collect();
    changes.sort_by(|x, y| {
        y.parts
            .change_usd
            .abs()
            .total_cmp(&x.parts.change_usd.abs())
            .then(x.service.cmp(&y.service))
    });
    let parts: Vec<ChangeParts> = changes.iter().map(|c| c.parts).collect();
    let total = waterfall::total(
        &parts,
        ecs_total(&ledger.by_service, q.before.0, q.before.1),
        ecs_total(&ledger.by_service, q.after.0, q.after.1),
    );
    let has_task_counts = changes
        .iter()
        .any(|c| c.before.task_hours > 0.0 || c.after.task_hours > 0.0);
    let mut words = vec![total_words(&total, &changes, q)];
    words.extend(changes.iter().take(5).map(service_words));
    ExplainData {
        from: format::date(q.after.0),
        to: format::date(q.after.1),
        previous_from: format::date(q.before.0),
        previous_to: format::date(q.before.1),
        services: changes,
        total,
        billed_by_tag: ledger.has_tag,
        has_task_counts,
        words,
    }
}

fn ratio_words(before: f64, after: f64) -> String {
    if before > 0.0 {
        format!("{:.2}x task-hours", after / before)
    } else {
        "task-hours from none".into()
    }
}

fn total_words(t: &ChangeParts, services: &[ServiceChange], q: &ExplainQuery) -> String {
    let (h0, h1) = services.iter().fold((0.0, 0.0), |acc, c| {
        (acc.0 + c.before.task_hours, acc.1 + c.after.task_hours)
    });
    format!(
        "ECS {} to {} against {} to {}: {} ({} to {}), mostly {}: volume {} ({}), size {}, Spot mix {}, price and other {}.",
        format::date(q.after.0),
        format::date(q.after.1 - 1),
        format::date(q.before.0),
        format::date(q.before.1 - 1),
        format::usd_signed(t.change_usd),
        format::usd(t.before_usd),
        format::usd(t.after_usd),
        main_cause(t),
        format::usd_signed(t.volume_usd),
        ratio_words(h0, h1),
        format::usd_signed(t.size_usd),
        format::usd_signed(t.mix_usd),
        format::usd_signed(t.price_and_other_usd),
    )
}

/// ` (512 / 1024 then 256 / 512)` where the sizes differ between the periods.
fn size_words(before: &str, after: &str) -> String {
    if before == after {
        String::new()
    } else {
        format!(" ({before} then {after})")
    }
}

fn service_words(c: &ServiceChange) -> String {
    let p = &c.parts;
    format!(
        "{}: {}, mostly {}: volume {} ({}), size {}{}, Spot mix {} ({:.0}% to {:.0}% of task-hours on Spot), price and other {}.",
        c.service,
        format::usd_signed(p.change_usd),
        main_cause(p),
        format::usd_signed(p.volume_usd),
        ratio_words(c.before.task_hours, c.after.task_hours),
        format::usd_signed(p.size_usd),
        size_words(&c.before.size, &c.after.size),
        format::usd_signed(p.mix_usd),
        c.before.spot_pct,
        c.after.spot_pct,
        format::usd_signed(p.price_and_other_usd),
    )
}

/// Modelled against billed Fargate cost for one month and service (or `all`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconRow {
    /// Month, `YYYY-MM`.
    pub month: String,
    /// Service, or `all` for ECS as billed by AWS service.
    pub service: String,
    /// First day compared (days with task counts only).
    pub from: String,
    /// End of the days compared (exclusive).
    pub to: String,
    /// Task-hours x list price x mix.
    pub modeled_usd: f64,
    /// As billed.
    pub billed_usd: f64,
    /// `billed - modeled`.
    pub difference_usd: f64,
    /// Difference in percent of billed (None when nothing was billed).
    pub difference_pct: Option<f64>,
}

fn recon_row(month: i64, service: &str, (a, b): (i64, i64), modeled: f64, billed: f64) -> ReconRow {
    ReconRow {
        month: format::date(month)[..7].to_string(),
        service: service.into(),
        from: format::date(a),
        to: format::date(b),
        modeled_usd: modeled,
        billed_usd: billed,
        difference_usd: billed - modeled,
        difference_pct: (billed.abs() > 1e-9).then(|| (billed - modeled) / billed * 100.0),
    }
}

/// Per month with task counts: each service's modelled cost against its tag (where stored), and
/// all services against ECS as billed, over the whole days the task counts cover.
pub fn reconcile(services: &[FleetService], ledger: &Ledger, prices: &PriceTable) -> Vec<ReconRow> {
    let Some((start, end)) = services
        .iter()
        .filter_map(|s| s.covered)
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let mut month = month_start(start);
    while month < end {
        let window = (month.max(start), next_month_start(month).min(end));
        let tagged = billed_by_service(&ledger.by_tag, window.0, window.1);
        let mut modeled_all = 0.0;
        for s in services {
            let modeled = period(s, window, Some(0.0), prices).modeled(prices);
            modeled_all += modeled;
            if ledger.has_tag && (modeled > 0.0 || tagged.contains_key(&s.name)) {
                let billed = tagged.get(&s.name).copied().unwrap_or(0.0);
                rows.push(recon_row(month, &s.name, window, modeled, billed));
            }
        }
        let billed_all = ecs_total(&ledger.by_service, window.0, window.1);
        rows.push(recon_row(month, "all", window, modeled_all, billed_all));
        month = next_month_start(month);
    }
    rows
}

/// The reconciliation rows a page lists: every month's total and each service's row for the newest
/// month. A year of 200 services is 2,600 rows (465 KB of the Costs page); the CSV and JSON keep
/// every service for every month.
pub fn page_recon_rows(rows: &[ReconRow]) -> Vec<&ReconRow> {
    let newest = rows.iter().map(|r| r.month.as_str()).max();
    rows.iter()
        .filter(|r| r.service == "all" || Some(r.month.as_str()) == newest)
        .collect()
}

/// Decompositions per query, at most [`super::PAGES_KEPT`] of them per data version: they
/// depend only on the stored data and the two periods.
pub type ExplainCache =
    crate::reports::cache::VersionedMap<ExplainQuery, ExplainData, { super::PAGES_KEPT }>;

/// The decomposition for `q`, from the cache when it was built at the current data version.
pub async fn build(state: &AppState, q: &ExplainQuery, _now: i64) -> Result<ExplainData, AppError> {
    let cached = state
        .cost_explains
        .get_or_compute(&state.store, *q, || compute(state, q))
        .await?;
    Ok(ExplainData::clone(&cached))
}

/// Builds the decomposition for `q` from the store.
async fn compute(state: &AppState, q: &ExplainQuery) -> Result<ExplainData, AppError> {
    let services = super::fleet_for_explain(state, q).await?;
    let ledger = ledger(&state.store, q.before.0, q.after.1).await?;
    Ok(decompose(q, &services, &ledger, &state.settings.prices))
}

/// The decomposition's rows as a CSV table.
pub fn waterfall_table(d: &ExplainData) -> Table {
    let mut rows: Vec<Vec<String>> = d
        .services
        .iter()
        .map(|c| {
            parts_row(
                &c.service,
                &c.parts,
                c.before.task_hours,
                c.after.task_hours,
            )
        })
        .collect();
    rows.push(parts_row("total", &d.total, f64::NAN, f64::NAN));
    Table {
        header: vec![
            "service",
            "before_usd",
            "after_usd",
            "change_usd",
            "volume_usd",
            "size_usd",
            "mix_usd",
            "price_and_other_usd",
            "task_hours_before",
            "task_hours_after",
        ],
        rows,
    }
}

fn parts_row(name: &str, p: &ChangeParts, h0: f64, h1: f64) -> Vec<String> {
    let hours = |h: f64| {
        if h.is_nan() {
            String::new()
        } else {
            format!("{h:.1}")
        }
    };
    vec![
        name.into(),
        csv_usd(p.before_usd),
        csv_usd(p.after_usd),
        csv_usd(p.change_usd),
        csv_usd(p.volume_usd),
        csv_usd(p.size_usd),
        csv_usd(p.mix_usd),
        csv_usd(p.price_and_other_usd),
        hours(h0),
        hours(h1),
    ]
}

/// The reconciliation rows as a CSV table.
pub fn reconciliation_table(rows: &[ReconRow]) -> Table {
    Table {
        header: vec![
            "month",
            "service",
            "from",
            "to",
            "modeled_usd",
            "billed_usd",
            "difference_usd",
            "difference_pct",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.month.clone(),
                    r.service.clone(),
                    r.from.clone(),
                    r.to.clone(),
                    csv_usd(r.modeled_usd),
                    csv_usd(r.billed_usd),
                    csv_usd(r.difference_usd),
                    r.difference_pct
                        .map(|p| format!("{p:.2}"))
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

impl Tables for ExplainData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![("waterfall", waterfall_table(self))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_month_totals_and_the_newest_month_per_service() {
        let row = |month: &str, service: &str| ReconRow {
            month: month.into(),
            service: service.into(),
            from: String::new(),
            to: String::new(),
            modeled_usd: 1.0,
            billed_usd: 1.0,
            difference_usd: 0.0,
            difference_pct: Some(0.0),
        };
        let rows = vec![
            row("2026-10", "web"),
            row("2026-10", "api"),
            row("2026-10", "all"),
            row("2026-11", "web"),
            row("2026-11", "api"),
            row("2026-11", "all"),
        ];
        let listed: Vec<(&str, &str)> = page_recon_rows(&rows)
            .iter()
            .map(|r| (r.month.as_str(), r.service.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("2026-10", "all"),
                ("2026-11", "web"),
                ("2026-11", "api"),
                ("2026-11", "all")
            ]
        );
        assert!(page_recon_rows(&[]).is_empty());
    }
    use crate::analysis::spend::task_hours::TaskSample;
    use crate::domain::fargate::{Architecture, Rates, TaskSize};
    use crate::store::deployments::Deployment;

    const HOUR: i64 = 3600;

    /// Round prices: 1024/2048 costs $1.20 an hour, 2048/4096 $2.40; Spot at half price.
    fn prices() -> PriceTable {
        let rates = Rates {
            vcpu_hour: 1.0,
            gb_hour: 0.1,
        };
        PriceTable {
            x86: rates,
            arm: rates,
            spot_discount: 0.5,
        }
    }

    fn deployment(revision: u32, at: i64, cpu: u32) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{revision}"),
            task_definition: format!("web:{revision}"),
            created_at: at,
            size: TaskSize::new(cpu, cpu * 2),
            architecture: Architecture::X86_64,
            status: "INACTIVE".into(),
        }
    }

    fn cost(day: i64, key: &str, amount: f64) -> DailyCost {
        DailyCost {
            day,
            key: key.into(),
            amount,
            estimated: false,
        }
    }

    #[test]
    fn a_deployment_that_resizes_tasks_is_the_size_part() {
        // Hourly samples: 2 tasks for 10 hours, then 3 tasks for 10 hours, all on demand.
        // Deployed at 1024/2048 ($1.20 an hour) at hour 0, resized to 2048/4096 ($2.40) at 15.
        let samples: Vec<TaskSample> = (0..20)
            .map(|h| TaskSample {
                ts: h * HOUR,
                tasks: if h < 10 { 2.0 } else { 3.0 },
                period: HOUR,
            })
            .collect();
        let web = FleetService::new(
            "prod".into(),
            "web".into(),
            (TaskSize::new(2048, 4096), Architecture::X86_64),
            Vec::new(),
            None,
            vec![deployment(7, 0, 1024), deployment(8, 15 * HOUR, 2048)],
            samples,
            &prices(),
        );
        // Billed $25 before, $56 after (on the service tag and ECS alike).
        let tag = |day, amount| cost(day, "aws:ecs:serviceName$web", amount);
        let ledger = Ledger {
            by_service: vec![
                cost(0, ECS_SERVICE, 25.0),
                cost(10 * HOUR, ECS_SERVICE, 56.0),
            ],
            by_tag: vec![tag(0, 25.0), tag(10 * HOUR, 56.0)],
            has_tag: true,
        };
        let q = ExplainQuery {
            before: (0, 10 * HOUR),
            after: (10 * HOUR, 20 * HOUR),
        };
        let d = decompose(&q, &[web], &ledger, &prices());
        let c = &d.services[0];
        // Before: 20 task-hours x $1.20 = $24. After: 15 x $1.20 + 15 x $2.40 = $54 over 30
        // task-hours, $1.80 each. Volume (30 - 20) x 1.20 = 12; size 30 x (1.80 - 1.20) = 18;
        // mix 0; price and other: the billed change 31 less 30 = 1.
        assert!((c.before.modeled_usd - 24.0).abs() < 1e-9, "{c:?}");
        assert!((c.after.modeled_usd - 54.0).abs() < 1e-9, "{c:?}");
        let p = &c.parts;
        assert!((p.volume_usd - 12.0).abs() < 1e-9, "{p:?}");
        assert!((p.size_usd - 18.0).abs() < 1e-9, "{p:?}");
        assert!(p.mix_usd.abs() < 1e-9, "{p:?}");
        assert!((p.price_and_other_usd - 1.0).abs() < 1e-9, "{p:?}");
        let sum = p.volume_usd + p.size_usd + p.mix_usd + p.price_and_other_usd;
        assert!((sum - 31.0).abs() < 1e-12 && (p.change_usd - 31.0).abs() < 1e-12);
        assert_eq!(c.before.size, "1024 / 2048");
        assert_eq!(c.after.size, "1024 / 2048 → 2048 / 4096");
        // The total (ECS as billed) splits the same way.
        assert!((d.total.size_usd - 18.0).abs() < 1e-9, "{:?}", d.total);
        assert!((d.total.price_and_other_usd - 1.0).abs() < 1e-9);
        assert!(
            d.words[1].contains("(1024 / 2048 then 1024 / 2048 → 2048 / 4096)"),
            "{:?}",
            d.words
        );
    }
}

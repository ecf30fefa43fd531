//! The Costs report: spend by group against the previous period, by day and month, month to date
//! with the forecast, why ECS spend changed, what Spot saves and what other mixes would cost,
//! modelled against billed, anomalies with what changed that day, and budgets. One builder for
//! the page, `/api/costs` and `spendwatch costs`.

pub mod explain;
pub mod fleet;
pub mod query;
mod tables;

pub use tables::budgets_table;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::analysis::spend::anomaly::{detect, DayAnomaly};
use crate::analysis::spend::budget::{project, BudgetStatus};
use crate::analysis::spend::grouping::{
    compare_groups, daily_stacks, group_label, monthly_totals, top_keys, DayStack, GroupChange,
    MonthTotal, OTHER, TOP_GROUPS,
};
use crate::analysis::spend::spot::{
    mix_what_if, spot_summary, strategy, MixRow, ServiceUsage, SpotSummary,
};
use crate::analysis::spend::task_hours::TaskHours;
use crate::analysis::spend::{month_to_date, month_windows, MonthToDate};
use crate::domain::calendar::{day_start, month_start, next_month_start, prev_month_start, DAY};
use crate::error::AppError;
use crate::format;
use crate::reports::cache::Rendered;
use crate::state::AppState;
use crate::store::costs::{AlarmEntry, DailyCost, ACCOUNT, BY_SERVICE};
use explain::{ExplainData, ReconRow};
use fleet::FleetService;
use query::{CostsQuery, ExplainQuery, Granularity, GroupBy, MixInput, SortKey, ECS_SERVICE};

pub use explain::build as build_explain;

/// Months of bars the page shows (Cost Explorer's history: this month and the 13 before).
pub const MONTH_BARS: usize = 14;
/// Days of task counts the Spot what-if prices.
const MIX_DAYS: i64 = 30;

/// Every service's task counts over a window (and the first day whose hours at each count are
/// kept), read once per data version and key: no request should read them again.
pub type FleetCache = crate::reports::cache::VersionedSlot<FleetKey, Vec<FleetService>>;

/// Whole pages' data per query and day, at most [`PAGES_KEPT`] of them per data version: every
/// figure depends only on the stored data, the query and the day (`now` is only shown).
pub type PageCache = crate::reports::cache::VersionedMap<(CostsQuery, i64), CostsData, PAGES_KEPT>;

/// How many Costs queries' data a server keeps.
pub const PAGES_KEPT: usize = 16;

/// What a cached fleet was read for: `[from, to)` and the first day of the what-if's counts.
pub type FleetKey = ((i64, i64), i64);

/// A group's row in the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// Totals and change.
    #[serde(flatten)]
    pub change: GroupChange,
    /// The service page of a per-service tag row, if the service is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_href: Option<String>,
}

/// One day's total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Spend.
    pub total_usd: f64,
    /// Still an estimate.
    pub estimated: bool,
}

/// One month's total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM-01`.
    pub date: String,
    /// Spend over its stored days.
    pub total_usd: f64,
    /// Days with data.
    pub days_with_data: usize,
    /// Some day is still an estimate.
    pub estimated: bool,
}

/// Cost Explorer's forecast for the whole month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonthForecast {
    /// Spend before today plus the forecast mean for the rest of the month.
    pub month_usd: f64,
    /// With the forecast's lower bound, if stored.
    pub lower_usd: Option<f64>,
    /// With its upper bound.
    pub upper_usd: Option<f64>,
}

/// An anomalous day of one group, with what changed in the store that day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalyRow {
    /// Group key (`total` for all groups together).
    pub key: String,
    /// What the page shows.
    pub label: String,
    /// The day and its size.
    #[serde(flatten)]
    pub day: DayAnomaly,
    /// `YYYY-MM-DD`.
    pub date_text: String,
    /// What else happened that day (task counts, deployments, scaling to max, alarms).
    pub notes: Vec<String>,
}

/// Everything the Costs page shows.
#[derive(Debug, Clone, Serialize)]
pub struct CostsData {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// End, exclusive.
    pub to: String,
    /// Grouping.
    pub group_by: GroupBy,
    /// Rows per day or month.
    pub granularity: Granularity,
    /// Spend in the range.
    pub total_usd: f64,
    /// Spend in the period of the same length just before.
    pub previous_total_usd: f64,
    /// That period's first day.
    pub previous_from: String,
    /// Groups, sorted as asked.
    pub groups: Vec<GroupRow>,
    /// Daily totals (granularity daily); days without data are absent, not zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<DayRow>>,
    /// Monthly totals (granularity monthly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<MonthRow>>,
    /// The last 14 calendar months of the grouping.
    pub last_months: Vec<MonthRow>,
    /// Labels of the stacked chart's parts: the top groups, then `Other`.
    pub stack_labels: Vec<String>,
    /// The days stacked by those parts.
    pub stacks: Vec<DayStack>,
    /// Days in the range still estimated.
    pub estimated_days: usize,
    /// This month (whole account) against last month.
    pub month_to_date: MonthToDate,
    /// Cost Explorer's forecast for this month, if a sync stored one.
    pub forecast: Option<MonthForecast>,
    /// Why ECS spend changed (last full month against the one before).
    pub explain: ExplainData,
    /// On-demand against Spot over the range, from usage types.
    pub spot: SpotSummary,
    /// Other strategies priced on the last 30 days' task counts.
    pub mix: Vec<MixRow>,
    /// The strategy typed into the what-if form.
    pub mix_input: Option<MixInput>,
    /// Modelled against billed per month.
    pub reconciliation: Vec<ReconRow>,
    /// Anomalous days in the range, newest first.
    pub anomalies: Vec<AnomalyRow>,
    /// Budgets for this month.
    pub budgets: Vec<BudgetStatus>,
    /// How anomalies were found.
    pub anomaly_rules: crate::analysis::spend::anomaly::AnomalyRules,
    /// Groupings with stored data (query values), for the picker.
    pub groupings: Vec<String>,
    /// Table sort.
    pub sort: SortKey,
    /// Descending?
    pub descending: bool,
    /// Page time.
    pub now: i64,
    /// The page's markup for this data, rendered once while the data is cached.
    #[serde(skip)]
    pub markup: Rendered,
}

/// Checks the grouping against what is stored; lists the groupings there are when it is not.
fn check_grouping(q: &GroupBy, available: &[GroupBy]) -> Result<(), AppError> {
    if available.is_empty() || available.contains(q) {
        return Ok(());
    }
    let names: Vec<String> = available.iter().map(GroupBy::as_query).collect();
    Err(AppError::bad_request(format!(
        "no costs are stored grouped by '{}': the stored groupings are {}",
        q.as_query(),
        names.join(", ")
    )))
}

fn sort_groups(rows: &mut [GroupRow], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let (a, b) = (&a.change, &b.change);
        let ord = match key {
            SortKey::Group => a.label.cmp(&b.label),
            SortKey::Total => a.total_usd.total_cmp(&b.total_usd),
            SortKey::Previous => a.previous_usd.total_cmp(&b.previous_usd),
            SortKey::Change => a.change_usd.total_cmp(&b.change_usd),
        };
        let ord = if descending { ord.reverse() } else { ord };
        ord.then(a.key.cmp(&b.key))
    });
}

fn within(rows: &[DailyCost], from: i64, to: i64) -> Vec<DailyCost> {
    rows.iter()
        .filter(|r| r.day >= from && r.day < to)
        .cloned()
        .collect()
}

fn month_row(m: &MonthTotal) -> MonthRow {
    MonthRow {
        date: format::date(m.date),
        total_usd: m.total_usd,
        days_with_data: m.days_with_data,
        estimated: m.estimated,
    }
}

/// The first month of the 14 bars ending with `now`'s month.
fn bars_start(now: i64) -> i64 {
    (1..MONTH_BARS).fold(month_start(now), |m, _| prev_month_start(m))
}

/// The page's data for `q` as of `now`, from the cache when this query was built today at the
/// current data version.
pub async fn build(state: &AppState, q: &CostsQuery, now: i64) -> Result<CostsData, AppError> {
    let cached = shared(state, q, now).await?;
    Ok(CostsData {
        now,
        ..CostsData::clone(&cached)
    })
}

/// The cached data itself, not a copy (its `now` is the time it was computed): what the page
/// renders, once, into the markup kept with it.
pub async fn shared(
    state: &AppState,
    q: &CostsQuery,
    now: i64,
) -> Result<Arc<CostsData>, AppError> {
    state
        .cost_pages
        .get_or_compute(&state.store, (q.clone(), day_start(now)), || {
            compute(state, q, now)
        })
        .await
}

/// Builds the page's data for `q` as of `now`.
async fn compute(state: &AppState, q: &CostsQuery, now: i64) -> Result<CostsData, AppError> {
    let store = &state.store;
    let settings = &state.settings;
    let available: Vec<GroupBy> = store
        .cost_groupings()
        .await?
        .iter()
        .filter_map(|g| GroupBy::from_stored(&g.scope, &g.group_by))
        .collect();
    check_grouping(&q.group_by, &available)?;

    let (prev_from, prev_to) = q.previous();
    let history = i64::from(settings.anomalies.window_days) * DAY;
    let load_from = prev_from.min(q.from - history).min(bars_start(now));
    let load_to = q.to.max(next_month_start(now));
    let (scope, column) = q.group_by.stored();
    let rows = store
        .daily_costs(scope, &column, load_from, load_to)
        .await?;

    let current = within(&rows, q.from, q.to);
    let previous = within(&rows, prev_from, prev_to);
    let changes = compare_groups(&current, &previous);
    let top = top_keys(&changes, TOP_GROUPS);
    let stacks = daily_stacks(&current, &top);
    let explain_q = ExplainQuery::last_full_month(now);
    let usual = fleet_window(now);
    let fleet_from = usual.0.min(q.from);
    let services = cached_fleet(state, (fleet_from, usual.1.max(load_to)), mix_from(now)).await?;

    let mut groups: Vec<GroupRow> = changes
        .iter()
        .map(|c| GroupRow {
            service_href: service_href(&q.group_by, &c.key, &services),
            change: c.clone(),
        })
        .collect();
    sort_groups(&mut groups, q.sort, q.descending);

    let bars = monthly_totals(&daily_stacks(
        &within(&rows, bars_start(now), next_month_start(now)),
        &[],
    ));
    let (days, months) = match q.granularity {
        Granularity::Daily => (Some(day_rows(&stacks)), None),
        Granularity::Monthly => (
            None,
            Some(monthly_totals(&stacks).iter().map(month_row).collect()),
        ),
    };

    let ledger = explain::ledger(store, explain_q.before.0.min(fleet_from), load_to).await?;
    let explain = explain::decompose(&explain_q, &services, &ledger, &settings.prices);
    let reconciliation = explain::reconcile(&services, &ledger, &settings.prices);
    let usage = store.usage_totals(ECS_SERVICE, q.from, q.to).await?;
    let mix = mix_rows(&services, q.mix, now, &settings.prices);
    let alarms = store.alarm_entries(q.from, q.to).await?;
    let anomalies = anomalies(&rows, q, now, &services, &alarms, &settings.anomalies);
    let (month_to_date, forecast) = month_to_date_and_forecast(state, now).await?;
    let budgets = budgets(state, &ledger, now);

    Ok(CostsData {
        from: format::date(q.from),
        to: format::date(q.to),
        group_by: q.group_by.clone(),
        granularity: q.granularity,
        total_usd: current.iter().map(|r| r.amount).sum(),
        previous_total_usd: previous.iter().map(|r| r.amount).sum(),
        previous_from: format::date(prev_from),
        groups,
        days,
        months,
        last_months: bars.iter().map(month_row).collect(),
        stack_labels: top
            .iter()
            .map(|k| group_label(k))
            .chain([OTHER.to_string()])
            .collect(),
        estimated_days: stacks.iter().filter(|d| d.estimated).count(),
        stacks,
        month_to_date,
        forecast,
        explain,
        spot: spot_summary(&usage, &settings.prices),
        mix,
        mix_input: q.mix,
        reconciliation,
        anomalies,
        budgets,
        anomaly_rules: settings.anomalies,
        groupings: available.iter().map(GroupBy::as_query).collect(),
        sort: q.sort,
        descending: q.descending,
        now,
        markup: Rendered::default(),
    })
}

/// The task counts the default page reads: from the earlier period of "why it changed" (or the
/// what-if's 30 days) to the end of this month. Whole days, so the window (and the cache's key)
/// stays put for the day.
fn fleet_window(now: i64) -> (i64, i64) {
    let explain = ExplainQuery::last_full_month(now);
    (explain.before.0.min(mix_from(now)), next_month_start(now))
}

/// The first day the Spot what-if prices.
fn mix_from(now: i64) -> i64 {
    day_start(now) - MIX_DAYS * DAY
}

/// The fleet over `window` from the cache (computed on a miss).
async fn cached_fleet(
    state: &AppState,
    window: (i64, i64),
    counts_from: i64,
) -> Result<std::sync::Arc<Vec<FleetService>>, AppError> {
    let store = &state.store;
    Ok(state
        .cost_fleet
        .get_or_compute(store, (window, counts_from), || {
            fleet::load(store, window, counts_from, &state.settings.prices)
        })
        .await?)
}

/// The fleet for a decomposition of `q`: the page's cached one when it covers `q` (a server
/// that showed the Costs page answers `/api/costs/explain` without reading task counts), else
/// read for `q` alone (the command line reads only what it needs).
pub async fn fleet_for_explain(
    state: &AppState,
    q: &ExplainQuery,
) -> Result<std::sync::Arc<Vec<FleetService>>, AppError> {
    if let Some((((from, to), _), fleet)) = state.cost_fleet.current(&state.store).await? {
        if from <= q.before.0 && q.after.1 <= to {
            return Ok(fleet);
        }
    }
    let prices = &state.settings.prices;
    Ok(std::sync::Arc::new(
        fleet::load(&state.store, (q.before.0, q.after.1), i64::MAX, prices).await?,
    ))
}

fn day_rows(stacks: &[DayStack]) -> Vec<DayRow> {
    stacks
        .iter()
        .map(|d| DayRow {
            date: format::date(d.date),
            total_usd: d.total_usd,
            estimated: d.estimated,
        })
        .collect()
}

/// The service page of a row grouped by the service tag.
fn service_href(group_by: &GroupBy, key: &str, services: &[FleetService]) -> Option<String> {
    let GroupBy::Tag(tag) = group_by else {
        return None;
    };
    if tag != query::SERVICE_TAG {
        return None;
    }
    let name = key.split_once('$').map(|(_, v)| v)?;
    services
        .iter()
        .find(|s| s.name == name)
        .map(|s| format!("/services/{}/{}", s.cluster, s.name))
}

/// Prices the current strategies, the seed's before and after, all on demand, and the typed one.
fn mix_rows(
    services: &[FleetService],
    typed: Option<MixInput>,
    now: i64,
    prices: &crate::domain::fargate::PriceTable,
) -> Vec<MixRow> {
    let (from, to) = (mix_from(now), now);
    let usage: Vec<ServiceUsage> = services
        .iter()
        .map(|s| ServiceUsage {
            name: s.name.clone(),
            size: s.size,
            arch: s.arch,
            strategy: s.strategy.clone(),
            // Whole days: the samples end at the last sync, before `now`.
            hours: TaskHours::sum(
                s.daily
                    .iter()
                    .filter(|d| d.day >= from && d.day < to)
                    .map(|d| &d.hours),
            ),
        })
        .collect();
    let mut strategies = vec![strategy(20, 80, 0), strategy(60, 40, 2), strategy(1, 0, 0)];
    if let Some(m) = typed {
        strategies.push(strategy(m.on_demand_weight, m.spot_weight, m.base));
    }
    mix_what_if(&usage, &strategies, prices)
}

/// Anomalous days per group and for the total, newest first, each with the day's notes. The day
/// under way at `now` is never judged: its few hours of spend would read as a collapse.
fn anomalies(
    rows: &[DailyCost],
    q: &CostsQuery,
    now: i64,
    services: &[FleetService],
    alarms: &[AlarmEntry],
    rules: &crate::analysis::spend::anomaly::AnomalyRules,
) -> Vec<AnomalyRow> {
    let history: Vec<DailyCost> = rows.iter().filter(|r| r.day < q.to).cloned().collect();
    // Each group's series in one pass over the rows (they come ordered by day).
    let mut by_key: BTreeMap<&str, Vec<(i64, f64)>> = BTreeMap::new();
    for r in &history {
        by_key.entry(&r.key).or_default().push((r.day, r.amount));
    }
    let totals: Vec<(i64, f64)> = daily_stacks(&history, &[])
        .iter()
        .map(|d| (d.date, d.total_usd))
        .collect();
    let series = by_key
        .iter()
        .map(|(key, series)| (key.to_string(), group_label(key), series))
        .chain([("total".to_string(), "All groups".to_string(), &totals)]);
    // Several groups are often off on the same day: its notes are worked out once.
    let mut notes: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (key, label, series) in series {
        let today = day_start(now);
        for day in detect(series, q.from, rules)
            .into_iter()
            .filter(|d| d.date < today)
        {
            let notes = notes
                .entry(day.date)
                .or_insert_with(|| day_notes(day.date, services, alarms));
            out.push(AnomalyRow {
                key: key.clone(),
                label: label.clone(),
                date_text: format::date(day.date),
                notes: notes.clone(),
                day,
            });
        }
    }
    out.sort_by(|a, b| b.day.date.cmp(&a.day.date).then(a.label.cmp(&b.label)));
    out
}

/// What the store says changed on `day`: task counts off their week, deployments (with the size
/// they changed), scaling to the maximum, alarms going into ALARM.
fn day_notes(day: i64, services: &[FleetService], alarms: &[AlarmEntry]) -> Vec<String> {
    let mut notes = Vec::new();
    for s in services {
        notes.extend(task_count_notes(day, s));
        notes.extend(deployment_notes(day, s));
    }
    let fired: Vec<&AlarmEntry> = alarms.iter().filter(|a| day_start(a.ts) == day).collect();
    if !fired.is_empty() {
        let mut names: Vec<&str> = fired.iter().map(|a| a.alarm_name.as_str()).collect();
        names.dedup();
        notes.push(format!(
            "alarms went to ALARM: {} (first at {})",
            names.join(", "),
            format::hour_minute(fired[0].ts)
        ));
    }
    notes
}

/// A service's task count on `day` against the week before, and scaling to its maximum.
fn task_count_notes(day: i64, s: &FleetService) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(today) = s.daily.iter().find(|d| d.day == day) else {
        return notes;
    };
    let week: Vec<f64> = s
        .daily
        .iter()
        .filter(|d| d.day < day && d.day >= day - 7 * DAY)
        .map(|d| d.mean)
        .collect();
    if !week.is_empty() {
        let before = week.iter().sum::<f64>() / week.len() as f64;
        if before > 0.0 && (today.mean / before - 1.0).abs() >= 0.15 {
            notes.push(format!(
                "{}: {:.1} tasks on average against {:.1} the week before",
                s.name, today.mean, before
            ));
        }
    }
    if let Some(max) = s.scaling_max {
        if today.max >= max as f64 {
            notes.push(format!(
                "{}: scaled out to its maximum of {max} tasks",
                s.name
            ));
        }
    }
    notes
}

/// The deployments of a new task definition a service started on `day`, with the size change
/// where the task definition changed it.
fn deployment_notes(day: i64, s: &FleetService) -> Vec<String> {
    s.deployments
        .iter()
        .enumerate()
        .filter(|(_, d)| day_start(d.created_at) == day)
        .map(|(i, d)| {
            let resized = i
                .checked_sub(1)
                .map(|p| s.deployments[p].size)
                .filter(|&before| before != d.size)
                .map(|before| {
                    format!(
                        ", resizing tasks from {} to {}",
                        format::size(before.cpu, before.memory_mib),
                        format::size(d.size.cpu, d.size.memory_mib)
                    )
                })
                .unwrap_or_default();
            format!(
                "{}: deployment of task definition {} at {}{resized}",
                s.name,
                d.task_definition,
                format::hour_minute(d.created_at)
            )
        })
        .collect()
}

async fn month_to_date_and_forecast(
    state: &AppState,
    now: i64,
) -> Result<(MonthToDate, Option<MonthForecast>), AppError> {
    let store = &state.store;
    let w = month_windows(now);
    let spend = |(from, to): (i64, i64)| store.daily_spend_total(ACCOUNT, BY_SERVICE, from, to);
    let (this, same, last, before_today, forecast) = futures::try_join!(
        spend(w.this_month),
        spend(w.last_month_same_days),
        spend(w.last_month),
        spend((w.this_month.0, day_start(now))),
        store.forecast_at(now),
    )?;
    let forecast = forecast.map(|f| MonthForecast {
        month_usd: before_today + f.mean,
        lower_usd: f.lower.map(|l| before_today + l),
        upper_usd: f.upper.map(|u| before_today + u),
    });
    Ok((month_to_date(&w, this, same, last), forecast))
}

/// This month's budgets, for a page that has not read the ledger (the Overview): the same
/// builder as the Costs page's; nothing is read when no budget is configured.
pub async fn budget_statuses(state: &AppState, now: i64) -> Result<Vec<BudgetStatus>, AppError> {
    if state.settings.budgets.is_empty() {
        return Ok(Vec::new());
    }
    let ledger = explain::ledger(&state.store, month_start(now), next_month_start(now)).await?;
    Ok(budgets(state, &ledger, now))
}

/// Each configured budget against this month: `total` is the account, other names an AWS
/// service or a service tag value.
fn budgets(state: &AppState, ledger: &explain::Ledger, now: i64) -> Vec<BudgetStatus> {
    let month = (month_start(now), next_month_start(now));
    state
        .settings
        .budgets
        .iter()
        .map(|(group, &budget)| {
            let matches = |r: &&DailyCost| {
                r.day >= month.0
                    && r.day < month.1
                    && (group == "total" || r.key == *group || group_label(&r.key) == *group)
            };
            let rows: Vec<&DailyCost> =
                if group == "total" || ledger.by_service.iter().any(|r| r.key == *group) {
                    ledger.by_service.iter().filter(matches).collect()
                } else {
                    ledger.by_tag.iter().filter(matches).collect()
                };
            let daily = daily_stacks(&rows.into_iter().cloned().collect::<Vec<_>>(), &[])
                .iter()
                .map(|d| (d.date, d.total_usd))
                .collect::<Vec<_>>();
            project(group, budget, &daily, month)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fargate::{Architecture, TaskSize};
    use crate::store::deployments::Deployment;

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

    #[test]
    fn the_day_under_way_is_not_judged_an_anomaly() {
        // Forty steady days of $10, then today with three hours of spend: $1.25 so far.
        let mut rows: Vec<DailyCost> = (0..40)
            .map(|d| DailyCost {
                day: d * DAY,
                key: "ecs".into(),
                amount: 10.0,
                estimated: false,
            })
            .collect();
        rows.push(DailyCost {
            day: 40 * DAY,
            key: "ecs".into(),
            amount: 1.25,
            estimated: true,
        });
        let q = CostsQuery {
            from: 30 * DAY,
            to: 41 * DAY,
            group_by: GroupBy::Service,
            granularity: Granularity::Daily,
            sort: SortKey::Total,
            descending: true,
            mix: None,
        };
        let rules = crate::analysis::spend::anomaly::AnomalyRules::default();
        let under_way = anomalies(&rows, &q, 40 * DAY + 3 * 3600, &[], &[], &rules);
        assert!(under_way.is_empty(), "{under_way:?}");
        // The same day once it is over is judged like any other.
        let over = anomalies(&rows, &q, 41 * DAY + 3600, &[], &[], &rules);
        assert!(over.iter().any(|a| a.day.date == 40 * DAY), "{over:?}");
    }

    #[test]
    fn an_anomalous_day_names_the_deployment_and_its_size_change() {
        let day = 20 * DAY;
        let web = FleetService::new(
            "prod".into(),
            "web".into(),
            (TaskSize::new(1024, 2048), Architecture::X86_64),
            Vec::new(),
            None,
            vec![
                deployment(7, 3 * DAY + 3600, 512),
                deployment(8, day + 10 * 3600 + 5 * 60, 1024),
                deployment(9, day + 16 * 3600, 1024),
            ],
            Vec::new(),
            &crate::domain::fargate::PriceTable::default(),
        );
        let notes = day_notes(day, std::slice::from_ref(&web), &[]);
        assert_eq!(
            notes,
            vec![
                "web: deployment of task definition web:8 at 10:05, resizing tasks from 512 / 1024 to 1024 / 2048",
                "web: deployment of task definition web:9 at 16:00",
            ]
        );
        assert!(day_notes(day + DAY, &[web], &[]).is_empty());
    }
}

//! The Services report: every service's current and recommended size, finding and cost, sorted.

use serde::Serialize;

use super::recommendations::{listed, summarize, SavingsSummary, ServiceRecommendation};
use super::{csv_usd, Table, Tables};
use crate::analysis::recommend::Finding;
use crate::error::AppError;
use crate::format;
use crate::state::AppState;
use crate::store::services::Removed;

/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Cluster then service name.
    Service,
    /// Finding, most urgent first.
    Finding,
    /// Monthly cost now.
    Cost,
    /// Monthly saving from the size change.
    Savings,
}

impl SortKey {
    /// The key a `sort` query value names.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "service" => Self::Service,
            "finding" => Self::Finding,
            "cost" => Self::Cost,
            "savings" => Self::Savings,
            _ => return None,
        })
    }

    /// The `sort` query value naming this key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Finding => "finding",
            Self::Cost => "cost",
            Self::Savings => "savings",
        }
    }
}

/// The Services page's data.
#[derive(Debug, Clone, Serialize)]
pub struct ServicesData {
    /// One row per service, sorted.
    pub rows: Vec<ServiceRecommendation>,
    /// What following every recommendation changes, split by cause.
    pub summary: SavingsSummary,
    /// Sort column.
    pub sort: SortKey,
    /// Descending?
    pub descending: bool,
    /// Days sized on.
    pub lookback_days: u32,
    /// The sizing rules, for the footnote.
    pub rules: crate::analysis::recommend::SizingRules,
    /// Whether services deleted in AWS are listed (and counted in the totals).
    pub removed: Removed,
    /// Services deleted in AWS that the store keeps.
    pub removed_count: usize,
    /// Page time.
    pub now: i64,
}

/// What the Services report is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicesQuery {
    /// Sort column.
    pub sort: SortKey,
    /// Descending?
    pub descending: bool,
    /// Whether services deleted in AWS are listed.
    pub removed: Removed,
}

impl Default for ServicesQuery {
    fn default() -> Self {
        Self {
            sort: SortKey::Savings,
            descending: true,
            removed: Removed::Hide,
        }
    }
}

impl ServicesQuery {
    /// Reads the `sort`, `order` and `removed` query parameters (absent or empty: the default).
    pub fn parse(
        sort: Option<&str>,
        order: Option<&str>,
        removed: Option<&str>,
    ) -> Result<Self, String> {
        let removed = Removed::from_query(removed)?;
        let key = match sort.filter(|s| !s.is_empty()) {
            None => SortKey::Savings,
            Some(s) => SortKey::parse(s).ok_or_else(|| {
                format!("'sort={s}' is not one of service, finding, cost, savings")
            })?,
        };
        let descending = match order.filter(|s| !s.is_empty()) {
            None => key != SortKey::Service,
            Some("desc") => true,
            Some("asc") => false,
            Some(o) => return Err(format!("'order={o}' is not asc or desc")),
        };
        Ok(Self {
            sort: key,
            descending,
            removed,
        })
    }
}

/// Lists the services' recommendations (from the shared cache), sorted, with their totals.
pub async fn build(
    state: &AppState,
    query: ServicesQuery,
    now: i64,
) -> Result<ServicesData, AppError> {
    let ServicesQuery {
        sort: key,
        descending,
        removed,
    } = query;
    let evidence = state
        .recommendations
        .get(&state.store, &state.settings, now)
        .await?;
    let mut rows: Vec<ServiceRecommendation> = listed(&evidence, removed)
        .map(|e| e.recommendation.clone())
        .collect();
    let removed_count = evidence
        .iter()
        .filter(|e| e.recommendation.removed.is_some())
        .count();
    sort_rows(&mut rows, key, descending);
    Ok(ServicesData {
        summary: summarize(&rows),
        rows,
        sort: key,
        descending,
        lookback_days: state.settings.rules.lookback_days,
        rules: state.settings.rules,
        removed,
        removed_count,
        now,
    })
}

/// Sorts rows by a column; ties fall back to cluster and name.
pub fn sort_rows(rows: &mut [ServiceRecommendation], key: SortKey, descending: bool) {
    let urgency = |f: Finding| match f {
        Finding::UnderProvisioned => 0,
        Finding::OverProvisioned => 1,
        Finding::NotEnoughData => 2,
        Finding::RightSized => 3,
    };
    rows.sort_by(|a, b| {
        let by_name = (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service));
        let ord = match key {
            SortKey::Service => by_name,
            SortKey::Finding => urgency(b.rec.finding).cmp(&urgency(a.rec.finding)),
            SortKey::Cost => a
                .rec
                .monthly_cost_usd
                .current
                .total_cmp(&b.rec.monthly_cost_usd.current),
            SortKey::Savings => a.rec.savings().total_cmp(&b.rec.savings()),
        };
        let ord = if descending { ord.reverse() } else { ord };
        ord.then(by_name)
    });
}

impl Tables for ServicesData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![("services", recommendations_table(&self.rows))]
    }
}

/// The one tabular layout of recommendations: `/api/services?format=csv` and
/// `spendwatch recommend --format csv` both print it.
pub fn recommendations_table(rows: &[ServiceRecommendation]) -> Table {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let money = |v: Option<f64>| opt(v.map(csv_usd));
    let rows = rows
        .iter()
        .map(|r| {
            let rec = &r.rec;
            let cost = &rec.monthly_cost_usd;
            let recommended = rec.recommended.as_ref();
            vec![
                r.cluster.clone(),
                r.service.clone(),
                rec.finding.as_str().into(),
                rec.current.cpu.to_string(),
                rec.current.memory_mib.to_string(),
                opt(rec.current.tier.clone()),
                opt(recommended.map(|s| s.cpu.to_string())),
                opt(recommended.map(|s| s.memory_mib.to_string())),
                opt(recommended.and_then(|s| s.tier.clone())),
                // Deprecated column name (see `UsageSummary`): the true name is further on.
                format!("{:.3}", rec.usage.cpu_sized_percentile_vcpu),
                format!("{:.3}", rec.usage.cpu_max_vcpu),
                format!("{:.1}", rec.usage.memory_max_mib),
                format!("{:.1}", rec.usage.hours_of_data),
                csv_usd(cost.current),
                money(cost.recommended),
                csv_usd(rec.savings()),
                rec.reason.clone(),
                money(cost.size_change),
                money(cost.capacity_provider_change),
                format!("{:.0}", rec.usage.cpu_pinned_minutes),
                rec.risks.join("; "),
                format!("{:.3}", rec.usage.cpu_sized_percentile_vcpu),
                format!("{:.0}", rec.usage.cpu_percentile),
                opt(r.removed.map(|g| format::datetime(g.removed_at))),
            ]
        })
        .collect();
    let header = vec![
        "cluster",
        "service",
        "finding",
        "current_cpu",
        "current_memory_mib",
        "current_tier",
        "recommended_cpu",
        "recommended_memory_mib",
        "recommended_tier",
        "cpu_p95_vcpu",
        "cpu_max_vcpu",
        "memory_max_mib",
        "hours_of_data",
        "monthly_cost_current_usd",
        "monthly_cost_recommended_usd",
        "monthly_savings_usd",
        "reason",
        "monthly_size_change_usd",
        "monthly_capacity_provider_change_usd",
        "cpu_pinned_minutes",
        "risks",
        "cpu_sized_percentile_vcpu",
        "cpu_percentile",
        "removed_from_aws_at",
    ];
    Table { header, rows }
}

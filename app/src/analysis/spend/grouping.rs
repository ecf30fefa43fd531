//! Spend by group: totals against the previous period, the top groups with the rest as "Other",
//! days stacked by group (days without data left out, not zeroed) and calendar months.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::calendar::month_start;
use crate::store::costs::DailyCost;

/// Groups shown by name in the stacked chart; the rest are summed as [`OTHER`].
pub const TOP_GROUPS: usize = 8;
/// The name of the groups beyond the top ones.
pub const OTHER: &str = "Other";

/// What a group key means to a person: a tag key's value without the `key$` prefix
/// (`(untagged)` when empty); other keys as they are.
pub fn group_label(key: &str) -> String {
    match key.split_once('$') {
        Some((_, "")) => "(untagged)".into(),
        Some((_, value)) => value.into(),
        None => key.into(),
    }
}

/// One group's spend over the period and the one before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupChange {
    /// Group key as stored.
    pub key: String,
    /// What the page shows.
    pub label: String,
    /// Spend in the period.
    pub total_usd: f64,
    /// Spend in the period of the same length just before.
    pub previous_usd: f64,
    /// `total_usd - previous_usd`.
    pub change_usd: f64,
    /// Change in percent of the previous period (None when it was zero).
    pub change_pct: Option<f64>,
}

fn sums(rows: &[DailyCost]) -> BTreeMap<&str, f64> {
    let mut out: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        *out.entry(r.key.as_str()).or_default() += r.amount;
    }
    out
}

/// Every group of either period with both totals, largest in the current period first.
pub fn compare_groups(current: &[DailyCost], previous: &[DailyCost]) -> Vec<GroupChange> {
    let now = sums(current);
    let before = sums(previous);
    let mut keys: Vec<&str> = now.keys().chain(before.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out: Vec<GroupChange> = keys
        .into_iter()
        .map(|k| {
            let total = now.get(k).copied().unwrap_or(0.0);
            let prev = before.get(k).copied().unwrap_or(0.0);
            GroupChange {
                key: k.into(),
                label: group_label(k),
                total_usd: total,
                previous_usd: prev,
                change_usd: total - prev,
                change_pct: crate::format::pct_change(prev, total),
            }
        })
        .collect();
    out.sort_by(|a, b| b.total_usd.total_cmp(&a.total_usd).then(a.key.cmp(&b.key)));
    out
}

/// The keys of the `n` largest groups (by current spend), largest first.
pub fn top_keys(groups: &[GroupChange], n: usize) -> Vec<String> {
    groups
        .iter()
        .filter(|g| g.total_usd != 0.0)
        .take(n)
        .map(|g| g.key.clone())
        .collect()
}

/// One day's spend split into the top groups and the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStack {
    /// Start of the day.
    pub date: i64,
    /// All groups together.
    pub total_usd: f64,
    /// One amount per top key (same order), then the rest as the last entry.
    pub parts: Vec<f64>,
    /// Whether any of the day's rows is still an estimate.
    pub estimated: bool,
}

/// Each day that has rows, stacked by `top` keys plus one "other" part; days without rows are
/// not in the result (a gap, not a zero).
pub fn daily_stacks(rows: &[DailyCost], top: &[String]) -> Vec<DayStack> {
    let mut days: BTreeMap<i64, DayStack> = BTreeMap::new();
    for r in rows {
        let d = days.entry(r.day).or_insert_with(|| DayStack {
            date: r.day,
            total_usd: 0.0,
            parts: vec![0.0; top.len() + 1],
            estimated: false,
        });
        let slot = top.iter().position(|k| *k == r.key).unwrap_or(top.len());
        d.parts[slot] += r.amount;
        d.total_usd += r.amount;
        d.estimated |= r.estimated;
    }
    days.into_values().collect()
}

/// One calendar month's spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthTotal {
    /// First instant of the month.
    pub date: i64,
    /// Spend summed over its stored days.
    pub total_usd: f64,
    /// Days with data.
    pub days_with_data: usize,
    /// Whether any day is still an estimate.
    pub estimated: bool,
}

/// Daily totals summed into calendar months, oldest first.
pub fn monthly_totals(days: &[DayStack]) -> Vec<MonthTotal> {
    let mut months: BTreeMap<i64, MonthTotal> = BTreeMap::new();
    for d in days {
        let m = months
            .entry(month_start(d.date))
            .or_insert_with(|| MonthTotal {
                date: month_start(d.date),
                total_usd: 0.0,
                days_with_data: 0,
                estimated: false,
            });
        m.total_usd += d.total_usd;
        m.days_with_data += 1;
        m.estimated |= d.estimated;
    }
    months.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::DAY;

    fn row(day: i64, key: &str, amount: f64) -> DailyCost {
        DailyCost {
            day: day * DAY,
            key: key.into(),
            amount,
            estimated: false,
        }
    }

    #[test]
    fn groups_compare_with_the_previous_period() {
        let now = [row(10, "a", 3.0), row(11, "a", 4.0), row(10, "b", 1.0)];
        let before = [row(8, "a", 5.0), row(8, "c", 2.0)];
        let g = compare_groups(&now, &before);
        let keys: Vec<&str> = g.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(
            (g[0].total_usd, g[0].previous_usd, g[0].change_usd),
            (7.0, 5.0, 2.0)
        );
        assert!((g[0].change_pct.unwrap() - 40.0).abs() < 1e-9);
        assert_eq!(g[1].change_pct, None, "nothing before: no percent");
        assert_eq!((g[2].total_usd, g[2].change_usd), (0.0, -2.0));
    }

    #[test]
    fn days_stack_top_groups_and_leave_gaps() {
        let rows = [
            row(1, "a", 1.0),
            row(1, "b", 2.0),
            row(1, "c", 4.0),
            row(3, "a", 5.0),
        ];
        let stacks = daily_stacks(&rows, &["c".into(), "a".into()]);
        assert_eq!(stacks.len(), 2, "day 2 has no rows: a gap");
        assert_eq!(stacks[0].parts, vec![4.0, 1.0, 2.0]);
        assert_eq!(stacks[0].total_usd, 7.0);
        assert_eq!(stacks[1].date, 3 * DAY);
    }

    #[test]
    fn tag_keys_read_as_their_value() {
        assert_eq!(group_label("aws:ecs:serviceName$api"), "api");
        assert_eq!(group_label("aws:ecs:serviceName$"), "(untagged)");
        assert_eq!(group_label("Amazon ElastiCache"), "Amazon ElastiCache");
    }
}

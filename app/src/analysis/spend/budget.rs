//! Monthly budgets: how fast a group burns through its budget, where the month ends at that rate,
//! and the day it crosses the budget.

use serde::{Deserialize, Serialize};

use crate::domain::calendar::DAY;

/// One group's budget for the month holding `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStatus {
    /// Group (as configured: an AWS service name, or `total`).
    pub group: String,
    /// Monthly budget, dollars.
    pub budget_usd: f64,
    /// Spent so far this month.
    pub spent_usd: f64,
    /// Dollars a day so far (over days with data).
    pub burn_per_day_usd: f64,
    /// The month's end at that rate.
    pub projected_usd: f64,
    /// Share of the budget spent, percent.
    pub used_pct: f64,
    /// The day the budget is (or would be) crossed, if it is within the month.
    pub crossing_day: Option<i64>,
    /// Whether it is already crossed.
    pub crossed: bool,
}

/// Projects a month: `daily` is this month's spend per day with data (`(day, dollars)`, oldest
/// first), `month` is `[start, end)`; the rest of the month is assumed to run at the mean rate.
pub fn project(group: &str, budget: f64, daily: &[(i64, f64)], month: (i64, i64)) -> BudgetStatus {
    let spent: f64 = daily.iter().map(|d| d.1).sum();
    let burn = if daily.is_empty() {
        0.0
    } else {
        spent / daily.len() as f64
    };
    let last_day = daily.last().map_or(month.0 - DAY, |d| d.0);
    let days_left = ((month.1 - last_day) / DAY - 1).max(0);
    let projected = spent + burn * days_left as f64;
    let mut running = 0.0;
    let mut crossing = daily.iter().find_map(|&(day, v)| {
        running += v;
        (running > budget).then_some(day)
    });
    let crossed = crossing.is_some();
    if crossing.is_none() && burn > 0.0 {
        // Whole days of burn until the running total passes the budget.
        let days = ((budget - spent) / burn).floor() as i64 + 1;
        let day = last_day + days * DAY;
        crossing = (day < month.1).then_some(day);
    }
    BudgetStatus {
        group: group.into(),
        budget_usd: budget,
        spent_usd: spent,
        burn_per_day_usd: burn,
        projected_usd: projected,
        used_pct: if budget > 0.0 {
            spent / budget * 100.0
        } else {
            0.0
        },
        crossing_day: crossing,
        crossed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_and_crossing_day_by_hand() {
        // A 30-day month; 10 days at $10: $100 spent, $10 a day, $300 projected.
        let month = (0, 30 * DAY);
        let daily: Vec<(i64, f64)> = (0..10).map(|d| (d * DAY, 10.0)).collect();
        let s = project("total", 250.0, &daily, month);
        assert_eq!(s.spent_usd, 100.0);
        assert_eq!(s.burn_per_day_usd, 10.0);
        assert_eq!(s.projected_usd, 300.0);
        assert!((s.used_pct - 40.0).abs() < 1e-9);
        // $150 left at $10 a day: after day 25 (index 24) the total is $250; day 26 (index 25)
        // passes it.
        assert_eq!(s.crossing_day, Some(25 * DAY));
        assert!(!s.crossed);
    }

    #[test]
    fn a_budget_the_month_never_reaches_has_no_crossing() {
        let daily: Vec<(i64, f64)> = (0..10).map(|d| (d * DAY, 10.0)).collect();
        let s = project("total", 1000.0, &daily, (0, 30 * DAY));
        assert_eq!(s.crossing_day, None);
    }

    #[test]
    fn an_already_crossed_budget_names_the_day_it_happened() {
        let daily: Vec<(i64, f64)> = (0..10).map(|d| (d * DAY, 10.0)).collect();
        let s = project("total", 35.0, &daily, (0, 30 * DAY));
        assert_eq!(s.crossing_day, Some(3 * DAY));
        assert!(s.crossed);
    }
}

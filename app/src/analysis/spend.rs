//! Spend comparisons: this month so far against last month; the Costs page's analyses in the
//! submodules.

pub mod anomaly;
pub mod api_cost;
pub mod budget;
pub mod grouping;
pub mod spot;
pub mod task_hours;
pub mod waterfall;

use serde::{Deserialize, Serialize};

use crate::domain::calendar::{month_start, next_month_start, prev_month_start, DAY};

/// The calendar windows a month-to-date comparison needs, all `[start, end)` epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthWindows {
    /// This month from its first day through today.
    pub this_month: (i64, i64),
    /// Last month over the same number of days.
    pub last_month_same_days: (i64, i64),
    /// The whole of last month.
    pub last_month: (i64, i64),
    /// Days of this month elapsed, today included.
    pub days_elapsed: i64,
    /// Days in this month.
    pub days_in_month: i64,
}

/// Works out the windows for the month holding `now`.
pub fn month_windows(now: i64) -> MonthWindows {
    let this_start = month_start(now);
    let this_end = next_month_start(now);
    let last_start = prev_month_start(now);
    let days_elapsed = (now - this_start) / DAY + 1;
    let through_today = this_start + days_elapsed * DAY;
    MonthWindows {
        this_month: (this_start, through_today),
        last_month_same_days: (
            last_start,
            (last_start + days_elapsed * DAY).min(this_start),
        ),
        last_month: (last_start, this_start),
        days_elapsed,
        days_in_month: (this_end - this_start) / DAY,
    }
}

/// Month-to-date spend against last month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthToDate {
    /// Spend this month so far.
    pub this_month: f64,
    /// Spend over the same days of last month.
    pub last_month_same_days: f64,
    /// All of last month.
    pub last_month: f64,
    /// Change against the same days of last month, percent (None when last month was zero).
    pub change_pct: Option<f64>,
    /// This month at its current daily rate.
    pub projected: f64,
}

/// Compares this month's spend so far with last month's.
pub fn month_to_date(
    w: &MonthWindows,
    this_month: f64,
    last_same_days: f64,
    last_month: f64,
) -> MonthToDate {
    MonthToDate {
        this_month,
        last_month_same_days: last_same_days,
        last_month,
        change_pct: crate::format::pct_change(last_same_days, this_month),
        projected: this_month / w.days_elapsed.max(1) as f64 * w.days_in_month as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::midnight;
    use chrono::NaiveDate;

    #[test]
    fn windows_for_the_27th_of_november() {
        let now = midnight(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()) + 13 * 3600;
        let w = month_windows(now);
        let d = |m, day| midnight(NaiveDate::from_ymd_opt(2026, m, day).unwrap());
        assert_eq!(w.this_month, (d(11, 1), d(11, 28)));
        assert_eq!(w.last_month_same_days, (d(10, 1), d(10, 28)));
        assert_eq!(w.last_month, (d(10, 1), d(11, 1)));
        assert_eq!((w.days_elapsed, w.days_in_month), (27, 30));
    }

    #[test]
    fn same_days_never_spill_into_this_month() {
        // 31 March: February has 28 days, so the comparison stops at the end of February.
        let now = midnight(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        let w = month_windows(now);
        assert_eq!(w.last_month_same_days.1, w.this_month.0);
    }

    #[test]
    fn projection_scales_the_daily_rate() {
        let now = midnight(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap());
        let w = month_windows(now);
        let m = month_to_date(&w, 100.0, 80.0, 300.0);
        assert!((m.projected - 300.0).abs() < 1e-9);
        assert!((m.change_pct.unwrap() - 25.0).abs() < 1e-9);
    }
}

//! Calendar arithmetic on epoch seconds (UTC): days and months as Cost Explorer counts them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The UTC midnight at or before `ts`.
pub fn day_start(ts: i64) -> i64 {
    ts.div_euclid(DAY) * DAY
}

/// The start of the UTC hour holding `ts`.
pub fn hour_start(ts: i64) -> i64 {
    ts - ts.rem_euclid(3600)
}

/// The first instant of the UTC month holding `ts`.
pub fn month_start(ts: i64) -> i64 {
    let d = date_of(ts);
    midnight(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("first of month exists"))
}

/// The first instant of the month after the one holding `ts`.
pub fn next_month_start(ts: i64) -> i64 {
    let d = date_of(ts);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    midnight(NaiveDate::from_ymd_opt(y, m, 1).expect("first of month exists"))
}

/// The first instant of the month before the one holding `ts`.
pub fn prev_month_start(ts: i64) -> i64 {
    month_start(month_start(ts) - 1)
}

/// The calendar date of an epoch second.
pub fn date_of(ts: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .date_naive()
}

/// Epoch seconds at the start of a date.
pub fn midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let dec15 = midnight(NaiveDate::from_ymd_opt(2025, 12, 15).unwrap()) + 3600;
        assert_eq!(
            date_of(month_start(dec15)),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(
            date_of(next_month_start(dec15)),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
        let jan3 = midnight(NaiveDate::from_ymd_opt(2026, 1, 3).unwrap());
        assert_eq!(
            date_of(prev_month_start(jan3)),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(day_start(jan3 + 5000), jan3);
    }

    #[test]
    fn hours_start_on_the_hour() {
        let jan3 = midnight(NaiveDate::from_ymd_opt(2026, 1, 3).unwrap());
        assert_eq!(hour_start(jan3 + 5000), jan3 + 3600);
        assert_eq!(hour_start(jan3), jan3);
        assert_eq!(hour_start(jan3 - 1), jan3 - 3600);
    }
}

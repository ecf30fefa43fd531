//! Formatting numbers and times for people.

use chrono::{DateTime, Utc};

/// Dollars with thousands separators and cents: `$1,234.56`.
pub fn usd(amount: f64) -> String {
    let negative = amount < 0.0;
    let cents = (amount.abs() * 100.0).round() as u64;
    let sign = if negative { "-" } else { "" };
    format!("{sign}${}.{:02}", group_thousands(cents / 100), cents % 100)
}

/// `1234567` as `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars for small sums such as API costs: cents, or four decimals under a cent.
pub fn usd_small(amount: f64) -> String {
    if amount > 0.0 && amount < 0.01 {
        format!("${amount:.4}")
    } else {
        usd(amount)
    }
}

/// A monthly change with its sign: `+$31.20`, `-$9.53`; under half a cent is `$0.00`.
pub fn usd_signed(amount: f64) -> String {
    if amount.abs() < 0.005 {
        return usd(0.0);
    }
    let sign = if amount < 0.0 { "-" } else { "+" };
    format!("{sign}{}", usd(amount.abs()))
}

/// An integer with thousands separators: `51,840,000`.
pub fn count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs()))
}

/// A percentage change from `before` to `after`, or None when `before` is zero.
pub fn pct_change(before: f64, after: f64) -> Option<f64> {
    (before.abs() > f64::EPSILON).then(|| (after - before) / before * 100.0)
}

/// `2026-11-27 13:05 UTC` for an epoch second.
pub fn datetime(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// `2026-11-27` for an epoch second.
pub fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// "3 h ago", "2 d ago": how long before `now` the instant `ts` was.
pub fn ago(ts: i64, now: i64) -> String {
    let secs = (now - ts).max(0);
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// `removed from AWS; last seen 2026-11-20 10:00 UTC (7 d ago)`: a service deleted in AWS.
pub fn removed_from_aws(last_seen: i64, now: i64) -> String {
    format!(
        "removed from AWS; last seen {} ({})",
        datetime(last_seen),
        ago(last_seen, now)
    )
}

/// Task size as people write it: `512 / 1024`.
pub fn size(cpu_units: u32, memory_mib: u32) -> String {
    format!("{cpu_units} / {memory_mib}")
}

/// `Nov 27` for an epoch second.
pub fn month_day(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%b %d").to_string())
        .unwrap_or_default()
}

/// `13:05` for an epoch second.
pub fn hour_minute(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Stored dimensions (a JSON object, `{"ClusterName":"prod"}`) as `ClusterName: prod` lines;
/// text that is not such an object is shown as it is rather than lost.
pub fn dimension_lines(json: &str) -> Vec<String> {
    match serde_json::from_str::<std::collections::BTreeMap<String, String>>(json) {
        Ok(pairs) => pairs
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect(),
        Err(_) => vec![json.to_string()],
    }
}

/// A stored JSON list of strings (an alarm's action ARNs) as its items; other text as it is.
pub fn list_items(json: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_else(|_| vec![json.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_and_lists_read_as_lines() {
        assert_eq!(
            dimension_lines(r#"{"ServiceName":"web","ClusterName":"prod"}"#),
            ["ClusterName: prod", "ServiceName: web"]
        );
        assert_eq!(dimension_lines("{}"), Vec::<String>::new());
        assert_eq!(dimension_lines("not json"), ["not json"]);
        assert_eq!(
            list_items(r#"["arn:aws:sns:us-east-1:1:a","arn:aws:sns:us-east-1:1:b"]"#),
            ["arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"]
        );
        assert_eq!(list_items("[]"), Vec::<String>::new());
    }

    #[test]
    fn usd_groups_thousands_and_rounds_cents() {
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(36.044), "$36.04");
        assert_eq!(usd(1234567.891), "$1,234,567.89");
        assert_eq!(usd(-12.5), "-$12.50");
        assert_eq!(usd(999.999), "$1,000.00");
    }

    #[test]
    fn counts_and_small_dollars() {
        assert_eq!(count(0), "0");
        assert_eq!(count(51_840_000), "51,840,000");
        assert_eq!(count(-1234), "-1,234");
        assert_eq!(usd_small(0.0006), "$0.0006");
        assert_eq!(usd_small(0.03), "$0.03");
        assert_eq!(usd_small(0.0), "$0.00");
        assert_eq!(usd_signed(31.2), "+$31.20");
        assert_eq!(usd_signed(-9.534), "-$9.53");
        assert_eq!(usd_signed(-0.001), "$0.00");
    }

    #[test]
    fn pct_change_handles_zero_base() {
        assert_eq!(pct_change(0.0, 5.0), None);
        assert_eq!(pct_change(100.0, 110.0), Some(10.0));
    }

    #[test]
    fn ago_reads_naturally() {
        assert_eq!(ago(1000, 1030), "just now");
        assert_eq!(ago(0, 7200), "2 h ago");
        assert_eq!(ago(0, 3 * 86_400), "3 d ago");
    }
}

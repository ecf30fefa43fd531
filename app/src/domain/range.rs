//! The time range a page shows, parsed from its query string.

use chrono::NaiveDate;

use super::calendar::{midnight, DAY};

/// Preset ranges offered by the range picker, in days.
pub const PRESETS: [u32; 4] = [7, 14, 30, 90];

/// A time range `[from, to)` in epoch seconds, with the label the picker shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DateRange {
    /// Inclusive start.
    pub from: i64,
    /// Exclusive end.
    pub to: i64,
    /// `7d`, `14d`, ... or `custom`.
    pub preset: String,
}

impl DateRange {
    /// Parses `range` (`7d`, `14d`, `30d`, `90d`, `custom`) with `from`/`to` dates (YYYY-MM-DD,
    /// `to` inclusive) for custom ranges. Missing `range` means `default_days`.
    pub fn parse(
        range: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        now: i64,
        default_days: u32,
    ) -> Result<Self, String> {
        let range = range.filter(|r| !r.is_empty());
        let custom =
            range == Some("custom") || (range.is_none() && (from.is_some() || to.is_some()));
        if custom {
            let parse = |name: &str, v: Option<&str>| -> Result<i64, String> {
                let v = v
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("a custom range needs '{name}' as YYYY-MM-DD"))?;
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(midnight)
                    .map_err(|_| format!("'{name}={v}' is not a date: use YYYY-MM-DD"))
            };
            let (start, end) = (parse("from", from)?, parse("to", to)? + DAY);
            if start >= end {
                return Err(format!(
                    "the range starts ({}) after it ends ({})",
                    from.unwrap_or(""),
                    to.unwrap_or("")
                ));
            }
            if end - start > 800 * DAY {
                return Err("a range can span at most 800 days".into());
            }
            return Ok(Self {
                from: start,
                to: end,
                preset: "custom".into(),
            });
        }
        let days = match range {
            None => default_days,
            Some(r) => {
                let d = r.strip_suffix('d').and_then(|n| n.parse::<u32>().ok());
                match d {
                    Some(d) if PRESETS.contains(&d) => d,
                    _ => {
                        return Err(format!(
                            "'range={r}' is not one of 7d, 14d, 30d, 90d or custom"
                        ))
                    }
                }
            }
        };
        Ok(Self {
            from: now - i64::from(days) * DAY,
            to: now,
            preset: format!("{days}d"),
        })
    }

    /// Length in seconds.
    pub fn span(&self) -> i64 {
        self.to - self.from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_957_200; // 2026-11-27 13:00 UTC

    #[test]
    fn presets_and_default() {
        let r = DateRange::parse(None, None, None, NOW, 14).unwrap();
        assert_eq!(
            (r.from, r.to, r.preset.as_str()),
            (NOW - 14 * DAY, NOW, "14d")
        );
        assert_eq!(
            DateRange::parse(Some("90d"), None, None, NOW, 14)
                .unwrap()
                .span(),
            90 * DAY
        );
    }

    #[test]
    fn custom_range_includes_the_last_day() {
        let r = DateRange::parse(
            Some("custom"),
            Some("2026-11-01"),
            Some("2026-11-02"),
            NOW,
            14,
        )
        .unwrap();
        assert_eq!(r.span(), 2 * DAY);
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(DateRange::parse(Some("abc"), None, None, NOW, 14)
            .unwrap_err()
            .contains("'range=abc'"));
        assert!(DateRange::parse(Some("5d"), None, None, NOW, 14).is_err());
        assert!(DateRange::parse(
            Some("custom"),
            Some("2026-11-05"),
            Some("2026-11-01"),
            NOW,
            14
        )
        .unwrap_err()
        .contains("starts"));
        assert!(
            DateRange::parse(Some("custom"), Some("nope"), Some("2026-11-01"), NOW, 14)
                .unwrap_err()
                .contains("not a date")
        );
        assert!(
            DateRange::parse(Some("custom"), None, Some("2026-11-01"), NOW, 14)
                .unwrap_err()
                .contains("needs 'from'")
        );
    }
}

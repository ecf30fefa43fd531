//! What the Costs report is asked for, parsed from a query string (or the CLI's flags) with a
//! reason for anything it cannot use.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use crate::domain::calendar::{day_start, midnight, month_start, prev_month_start, DAY};
use crate::store::costs::{ACCOUNT, BY_SERVICE, BY_USAGE_TYPE};

/// Cost Explorer's SERVICE value for ECS: the scope usage types and tags are fetched in.
pub const ECS_SERVICE: &str = "Amazon Elastic Container Service";
/// The AWS-generated tag that gives per-service ECS spend.
pub const SERVICE_TAG: &str = "aws:ecs:serviceName";
/// The longest range the page reads, in days.
pub const MAX_RANGE_DAYS: i64 = 800;

/// The raw query parameters of `/costs`, `/api/costs` and `spendwatch costs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CostsParams {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last, `YYYY-MM-DD` (exclusive, as in Cost Explorer).
    pub to: Option<String>,
    /// `service`, `usage-type` or `tag:KEY`.
    pub group_by: Option<String>,
    /// `daily` or `monthly`.
    pub granularity: Option<String>,
    /// Table sort: `group`, `total`, `previous`, `change`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// What-if: FARGATE weight.
    pub mix_od: Option<String>,
    /// What-if: FARGATE_SPOT weight.
    pub mix_spot: Option<String>,
    /// What-if: tasks placed on FARGATE first.
    pub mix_base: Option<String>,
}

/// How spend is grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// By AWS service, whole account.
    Service,
    /// By usage type, within ECS.
    UsageType,
    /// By a cost allocation tag, within ECS.
    Tag(String),
}

impl GroupBy {
    /// Reads `service`, `usage-type` or `tag:KEY`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "service" => Ok(Self::Service),
            "usage-type" => Ok(Self::UsageType),
            _ => match s.strip_prefix("tag:") {
                Some(key) if !key.is_empty() => Ok(Self::Tag(key.into())),
                _ => Err(format!(
                    "'group_by={s}' is not service, usage-type or tag:KEY (e.g. tag:{SERVICE_TAG})"
                )),
            },
        }
    }

    /// The query value naming this grouping.
    pub fn as_query(&self) -> String {
        match self {
            Self::Service => "service".into(),
            Self::UsageType => "usage-type".into(),
            Self::Tag(k) => format!("tag:{k}"),
        }
    }

    /// The stored (scope, group_by) this grouping reads.
    pub fn stored(&self) -> (&'static str, String) {
        match self {
            Self::Service => (ACCOUNT, BY_SERVICE.into()),
            Self::UsageType => (ECS_SERVICE, BY_USAGE_TYPE.into()),
            Self::Tag(k) => (ECS_SERVICE, format!("TAG:{k}")),
        }
    }

    /// The grouping a stored (scope, group_by) pair is read as, if the page offers it.
    pub fn from_stored(scope: &str, group_by: &str) -> Option<Self> {
        match (scope, group_by) {
            (ACCOUNT, BY_SERVICE) => Some(Self::Service),
            (ECS_SERVICE, BY_USAGE_TYPE) => Some(Self::UsageType),
            (ECS_SERVICE, g) => g.strip_prefix("TAG:").map(|k| Self::Tag(k.into())),
            _ => None,
        }
    }
}

impl Serialize for GroupBy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_query())
    }
}

/// Days or calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One row a day.
    Daily,
    /// One row a calendar month.
    Monthly,
}

/// Columns the group table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Group name.
    Group,
    /// Spend in the period.
    Total,
    /// Spend in the period before.
    Previous,
    /// Change in dollars.
    Change,
}

impl SortKey {
    /// The query value naming this key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Total => "total",
            Self::Previous => "previous",
            Self::Change => "change",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "group" => Self::Group,
            "total" => Self::Total,
            "previous" => Self::Previous,
            "change" => Self::Change,
            _ => {
                return Err(format!(
                    "'sort={s}' is not one of group, total, previous, change"
                ))
            }
        })
    }
}

/// A capacity provider strategy typed into the what-if form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MixInput {
    /// FARGATE weight.
    pub on_demand_weight: u32,
    /// FARGATE_SPOT weight.
    pub spot_weight: u32,
    /// Tasks on FARGATE first.
    pub base: u32,
}

/// A parsed Costs query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostsQuery {
    /// First instant.
    pub from: i64,
    /// End (exclusive).
    pub to: i64,
    /// Grouping.
    pub group_by: GroupBy,
    /// Rows per day or month.
    pub granularity: Granularity,
    /// Table sort.
    pub sort: SortKey,
    /// Descending?
    pub descending: bool,
    /// A strategy to price in the what-if, if one was typed.
    pub mix: Option<MixInput>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Reads `YYYY-MM-DD` as its midnight.
pub fn parse_day(name: &str, v: &str) -> Result<i64, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(midnight)
        .map_err(|_| format!("'{name}={v}' is not a date: use YYYY-MM-DD"))
}

/// Reads `from`/`to` (to exclusive); missing ones default to `default`.
pub fn parse_range(
    from: &Option<String>,
    to: &Option<String>,
    default: (i64, i64),
) -> Result<(i64, i64), String> {
    let start = given(from).map(|v| parse_day("from", v)).transpose()?;
    let end = given(to).map(|v| parse_day("to", v)).transpose()?;
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, default.1.max(s + DAY)),
        (None, Some(e)) => (month_start(e - DAY).min(e - DAY), e),
        (None, None) => default,
    };
    if start >= end {
        return Err(format!(
            "the range is empty: 'to' ({}) must be after 'from' ({}); 'to' is exclusive",
            crate::format::date(end),
            crate::format::date(start)
        ));
    }
    if end - start > MAX_RANGE_DAYS * DAY {
        return Err(format!("a range can span at most {MAX_RANGE_DAYS} days"));
    }
    Ok((start, end))
}

fn parse_weight(name: &str, v: &Option<String>) -> Result<Option<u32>, String> {
    given(v)
        .map(|s| {
            s.parse::<u32>()
                .ok()
                .filter(|n| *n <= 1000)
                .ok_or_else(|| format!("'{name}={s}' is not a whole number from 0 to 1000"))
        })
        .transpose()
}

impl CostsQuery {
    /// This month through today: the page's default range.
    pub fn default_range(now: i64) -> (i64, i64) {
        (month_start(now), day_start(now) + DAY)
    }

    /// Parses the parameters; anything unusable is an error naming the parameter.
    pub fn parse(p: &CostsParams, now: i64) -> Result<Self, String> {
        let (from, to) = parse_range(&p.from, &p.to, Self::default_range(now))?;
        let group_by = given(&p.group_by)
            .map(GroupBy::parse)
            .transpose()?
            .unwrap_or(GroupBy::Service);
        let granularity = match given(&p.granularity) {
            None | Some("daily") => Granularity::Daily,
            Some("monthly") => Granularity::Monthly,
            Some(g) => return Err(format!("'granularity={g}' is not daily or monthly")),
        };
        let sort = given(&p.sort)
            .map(SortKey::parse)
            .transpose()?
            .unwrap_or(SortKey::Total);
        let descending = match given(&p.order) {
            None => sort != SortKey::Group,
            Some("desc") => true,
            Some("asc") => false,
            Some(o) => return Err(format!("'order={o}' is not asc or desc")),
        };
        let od = parse_weight("mix_od", &p.mix_od)?;
        let spot = parse_weight("mix_spot", &p.mix_spot)?;
        let base = parse_weight("mix_base", &p.mix_base)?;
        let mix = match (od, spot, base) {
            (None, None, None) => None,
            (od, spot, base) => {
                let (od, spot) = (od.unwrap_or(0), spot.unwrap_or(0));
                if od + spot == 0 {
                    return Err(
                        "the what-if strategy needs a weight above 0 (mix_od or mix_spot)".into(),
                    );
                }
                Some(MixInput {
                    on_demand_weight: od,
                    spot_weight: spot,
                    base: base.unwrap_or(0),
                })
            }
        };
        Ok(Self {
            from,
            to,
            group_by,
            granularity,
            sort,
            descending,
            mix,
        })
    }

    /// The period of the same length just before.
    pub fn previous(&self) -> (i64, i64) {
        (self.from - (self.to - self.from), self.from)
    }
}

/// The two periods a change decomposition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExplainQuery {
    /// The earlier period `[start, end)`.
    pub before: (i64, i64),
    /// The later period.
    pub after: (i64, i64),
}

impl ExplainQuery {
    /// The default: the last full month against the one before.
    pub fn last_full_month(now: i64) -> Self {
        let last = prev_month_start(now);
        Self {
            before: (prev_month_start(last), last),
            after: (last, month_start(now)),
        }
    }

    /// `from`/`to` give the later period (the earlier is as long, just before it); without them,
    /// the last full month against the one before.
    pub fn parse(from: &Option<String>, to: &Option<String>, now: i64) -> Result<Self, String> {
        if given(from).is_none() && given(to).is_none() {
            return Ok(Self::last_full_month(now));
        }
        let (a, b) = parse_range(from, to, (prev_month_start(now), month_start(now)))?;
        Ok(Self {
            before: (a - (b - a), a),
            after: (a, b),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_784_400; // 2026-11-27 13:00 UTC

    fn params(pairs: &[(&str, &str)]) -> CostsParams {
        let get = |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string());
        CostsParams {
            from: get("from"),
            to: get("to"),
            group_by: get("group_by"),
            granularity: get("granularity"),
            sort: get("sort"),
            order: get("order"),
            mix_od: get("mix_od"),
            mix_spot: get("mix_spot"),
            mix_base: get("mix_base"),
        }
    }

    #[test]
    fn default_is_this_month_through_today_by_service() {
        let q = CostsQuery::parse(&params(&[]), NOW).unwrap();
        assert_eq!(crate::format::date(q.from), "2026-11-01");
        assert_eq!(crate::format::date(q.to), "2026-11-28");
        assert_eq!(q.group_by, GroupBy::Service);
        assert_eq!(q.previous().1, q.from);
    }

    #[test]
    fn bad_input_says_which_parameter() {
        let err = |pairs: &[(&str, &str)]| CostsQuery::parse(&params(pairs), NOW).unwrap_err();
        assert!(err(&[("from", "2026-13-01")]).contains("'from=2026-13-01'"));
        assert!(err(&[("from", "2026-11-05"), ("to", "2026-11-05")]).contains("empty"));
        assert!(err(&[("group_by", "region")]).contains("'group_by=region'"));
        assert!(err(&[("granularity", "hourly")]).contains("'granularity=hourly'"));
        assert!(err(&[("mix_od", "-1")]).contains("'mix_od=-1'"));
        assert!(err(&[("mix_od", "0"), ("mix_spot", "0")]).contains("weight above 0"));
    }

    #[test]
    fn tags_and_mix_are_read() {
        let q = CostsQuery::parse(
            &params(&[
                ("group_by", "tag:aws:ecs:serviceName"),
                ("mix_od", "60"),
                ("mix_spot", "40"),
                ("mix_base", "2"),
            ]),
            NOW,
        )
        .unwrap();
        assert_eq!(
            q.group_by.stored(),
            (ECS_SERVICE, "TAG:aws:ecs:serviceName".to_string())
        );
        assert_eq!(
            q.mix,
            Some(MixInput {
                on_demand_weight: 60,
                spot_weight: 40,
                base: 2
            })
        );
    }

    #[test]
    fn explain_defaults_to_the_last_full_month_against_the_one_before() {
        let q = ExplainQuery::parse(&None, &None, NOW).unwrap();
        assert_eq!(crate::format::date(q.after.0), "2026-10-01");
        assert_eq!(crate::format::date(q.after.1), "2026-11-01");
        assert_eq!(crate::format::date(q.before.0), "2026-09-01");
    }
}

//! The alarm history report: every history item, newest first, filtered, one keyset page at a
//! time (no OFFSET: a page is the items before the last one seen, so items arriving meanwhile
//! never shift it), with each item's reason data made readable. Shared by `/alarms/history` and
//! `GET /api/alarms/history`.

use serde::{Deserialize, Serialize};

use super::alarms::parse_state;
use super::backtest::{parse_instant, rfc3339};
use super::{Table, Tables};
use crate::error::AppError;
use crate::store::alarms::{HistoryFilter, HistoryItem};
use crate::store::Store;

/// How long AWS keeps alarm history (documented as 30 days today).
pub const AWS_HISTORY_DAYS: i64 = 30;
/// Items on a page by default.
pub const PAGE: u32 = 50;
/// Most items one export returns.
pub const EXPORT_MAX: u32 = 200_000;

/// The history page's query values as they arrive.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HistoryParams {
    /// One alarm.
    pub alarm: Option<String>,
    /// Item type.
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    /// New state.
    pub state: Option<String>,
    /// From (date or RFC 3339).
    pub from: Option<String>,
    /// To (date, inclusive, or RFC 3339).
    pub to: Option<String>,
    /// Text in the reason.
    pub q: Option<String>,
    /// Keyset cursor: `TS.ID` of the last item of the previous page.
    pub before: Option<String>,
    /// One item (permalink).
    pub item: Option<String>,
    /// Items a page.
    pub limit: Option<String>,
}

/// The parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HistoryQuery {
    /// Filter.
    pub filter: HistoryFilter,
    /// Cursor.
    pub before: Option<(i64, i64)>,
    /// One item.
    pub item: Option<i64>,
    /// Page size.
    pub limit: u32,
}

const TYPES: [&str; 5] = [
    "StateUpdate",
    "ConfigurationUpdate",
    "Action",
    "AlarmContributorStateUpdate",
    "AlarmContributorAction",
];

impl HistoryParams {
    /// Checks the values; Err says which is wrong.
    pub fn parse(&self) -> Result<HistoryQuery, String> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let item_type = given(&self.item_type);
        if let Some(t) = &item_type {
            if !TYPES.contains(&t.as_str()) {
                return Err(format!("'type={t}' is not one of {}", TYPES.join(", ")));
            }
        }
        let before = given(&self.before)
            .map(|c| {
                c.split_once('.')
                    .and_then(|(t, i)| Some((t.parse().ok()?, i.parse().ok()?)))
                    .ok_or_else(|| format!("'before={c}' is not a page cursor (TIME.ID)"))
            })
            .transpose()?;
        let item = given(&self.item)
            .map(|i| {
                i.parse()
                    .map_err(|_| format!("'item={i}' is not an item number"))
            })
            .transpose()?;
        let limit = match given(&self.limit) {
            None => PAGE,
            Some(l) => match l.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => return Err(format!("'limit={l}' is not a number from 1 to 1000")),
            },
        };
        let from = given(&self.from)
            .map(|s| parse_instant("from", &s, false))
            .transpose()?;
        let to = given(&self.to)
            .map(|s| parse_instant("to", &s, true))
            .transpose()?;
        Ok(HistoryQuery {
            filter: HistoryFilter {
                alarm: given(&self.alarm),
                item_type,
                state: given(&self.state)
                    .map(|s| parse_state("state", &s))
                    .transpose()?,
                from,
                to,
                text: given(&self.q),
            },
            before,
            item,
            limit,
        })
    }
}

/// One evaluated datapoint from an item's reason data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluatedPoint {
    /// Its time as AWS wrote it.
    pub timestamp: String,
    /// Its value.
    pub value: Option<f64>,
}

/// The parts of a state update's reason data worth showing.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ReasonData {
    /// Statistic.
    pub statistic: Option<String>,
    /// Period.
    pub period: Option<i64>,
    /// Threshold.
    pub threshold: Option<f64>,
    /// Evaluated datapoints, newest first.
    pub points: Vec<EvaluatedPoint>,
}

/// Reads an item's HistoryData for its reason data (None when there is none or it is not JSON).
pub fn reason_data(history_data: &str) -> Option<ReasonData> {
    let v: serde_json::Value = serde_json::from_str(history_data).ok()?;
    let d = v.pointer("/newState/stateReasonData")?;
    let d = match d {
        serde_json::Value::String(s) => serde_json::from_str(s).ok()?,
        other => other.clone(),
    };
    let mut points: Vec<EvaluatedPoint> = d
        .get("evaluatedDatapoints")
        .and_then(|p| p.as_array())
        .map(|a| {
            a.iter()
                .map(|p| EvaluatedPoint {
                    timestamp: p
                        .get("timestamp")
                        .and_then(|t| t.as_str())
                        .unwrap_or("")
                        .to_string(),
                    value: p.get("value").and_then(|v| v.as_f64()),
                })
                .collect()
        })
        .unwrap_or_default();
    if points.is_empty() {
        if let Some(recent) = d.get("recentDatapoints").and_then(|p| p.as_array()) {
            points = recent
                .iter()
                .map(|v| EvaluatedPoint {
                    timestamp: String::new(),
                    value: v.as_f64(),
                })
                .collect();
        }
    }
    Some(ReasonData {
        statistic: d
            .get("statistic")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        period: d.get("period").and_then(|p| p.as_i64()),
        threshold: d.get("threshold").and_then(|t| t.as_f64()),
        points,
    })
}

/// An item with its reason data read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    /// The item.
    #[serde(flatten)]
    pub item: HistoryItem,
    /// Its time in RFC 3339.
    pub time: String,
    /// Its reason data, readable.
    pub reason_data: Option<ReasonData>,
}

/// The history page's data.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryData {
    /// The query.
    pub query: HistoryQuery,
    /// Items, newest first.
    pub items: Vec<HistoryRow>,
    /// Cursor of the next page (None on the last page).
    pub next: Option<String>,
    /// Oldest stored item.
    pub oldest: Option<i64>,
    /// Items stored.
    pub stored: i64,
    /// Days of the archive older than AWS keeps.
    pub days_beyond_aws: i64,
    /// Alarm names, for the filter.
    pub alarms: Vec<String>,
    /// Report time.
    pub now: i64,
}

/// An item with its time and reason data read.
pub fn history_row(item: HistoryItem) -> HistoryRow {
    HistoryRow {
        time: rfc3339(item.record.ts),
        reason_data: reason_data(&item.record.history_data),
        item,
    }
}

/// One page (or, with `export`, every filtered item up to [`EXPORT_MAX`]).
pub async fn build(
    store: &Store,
    query: HistoryQuery,
    export: bool,
    now: i64,
) -> Result<HistoryData, AppError> {
    let items = match query.item {
        Some(id) => match store.alarm_history_item(id).await? {
            Some(i) => vec![i],
            None => {
                return Err(AppError::not_found(format!(
                    "there is no history item {id}"
                )))
            }
        },
        None => {
            let limit = if export { EXPORT_MAX } else { query.limit };
            store
                .alarm_history_page(&query.filter, query.before, limit)
                .await?
        }
    };
    let next = (!export && query.item.is_none() && items.len() as u32 == query.limit)
        .then(|| items.last().map(|i| format!("{}.{}", i.record.ts, i.id)))
        .flatten();
    let (oldest, _newest, stored) = store.alarm_history_reach().await?;
    let aws_since = now - AWS_HISTORY_DAYS * 86_400;
    let days_beyond_aws = oldest
        .map(|o| ((aws_since - o) / 86_400).max(0))
        .unwrap_or(0);
    let alarms = store
        .list_alarms(None)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    Ok(HistoryData {
        query,
        items: items.into_iter().map(history_row).collect(),
        next,
        oldest,
        stored,
        days_beyond_aws,
        alarms,
        now,
    })
}

impl Tables for HistoryData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        let rows = self
            .items
            .iter()
            .map(|r| {
                let h = &r.item.record;
                vec![
                    r.item.id.to_string(),
                    r.time.clone(),
                    h.alarm_name.clone(),
                    h.item_type.to_string(),
                    h.old_state.clone().unwrap_or_default(),
                    h.new_state.clone().unwrap_or_default(),
                    h.summary.clone(),
                    h.reason.clone().unwrap_or_default(),
                ]
            })
            .collect();
        vec![(
            "history",
            Table {
                header: vec![
                    "id",
                    "time",
                    "alarm",
                    "type",
                    "old_state",
                    "new_state",
                    "summary",
                    "reason",
                ],
                rows,
            },
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_data_reads_the_evaluated_datapoints() {
        let data = r#"{"version":"1.0","newState":{"stateValue":"ALARM","stateReasonData":{"statistic":"Sum","period":300,"threshold":10.0,"recentDatapoints":[12.0],"evaluatedDatapoints":[{"timestamp":"2026-11-01T00:05:00.000+0000","value":12.0}]}}}"#;
        let r = reason_data(data).unwrap();
        assert_eq!(
            (r.statistic.as_deref(), r.period, r.threshold),
            (Some("Sum"), Some(300), Some(10.0))
        );
        assert_eq!(
            r.points,
            vec![EvaluatedPoint {
                timestamp: "2026-11-01T00:05:00.000+0000".into(),
                value: Some(12.0)
            }]
        );
        assert_eq!(reason_data("not json"), None);
    }

    #[test]
    fn bad_history_queries_say_what_is_wrong() {
        let p = |f: fn(&mut HistoryParams)| {
            let mut q = HistoryParams::default();
            f(&mut q);
            q.parse().unwrap_err()
        };
        assert!(p(|q| q.before = Some("x".into())).contains("'before=x' is not a page cursor"));
        assert!(p(|q| q.item_type = Some("Bogus".into())).contains("'type=Bogus' is not one of"));
        assert!(p(|q| q.state = Some("ok".into())).contains("'state=ok' is not OK, ALARM"));
        assert!(p(|q| q.limit = Some("0".into())).contains("'limit=0'"));
        assert!(HistoryParams::default().parse().is_ok());
    }
}

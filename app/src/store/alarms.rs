//! CloudWatch alarms (definition and current state) and their history, kept forever.

use serde::{Deserialize, Serialize};

use super::text::{stored_as_text, StoredText};
use super::{Store, StoreResult};
pub use crate::domain::alarms::AlarmState;

impl StoredText for AlarmState {
    const WHAT: &'static str = "alarm state";

    fn as_str(&self) -> &str {
        AlarmState::as_str(*self)
    }

    fn from_stored(s: &str) -> Option<Self> {
        [Self::Ok, Self::Alarm, Self::InsufficientData]
            .into_iter()
            .find(|state| state.as_str() == s)
    }
}

stored_as_text!(AlarmState);

/// What an alarm history item records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HistoryItemType {
    /// The alarm changed state (the most common item).
    #[default]
    StateUpdate,
    /// The alarm's definition changed.
    ConfigurationUpdate,
    /// The alarm ran an action.
    Action,
    /// A type newer than this version, kept as AWS spelled it.
    Other(String),
}

impl StoredText for HistoryItemType {
    const WHAT: &'static str = "alarm history item type";

    fn as_str(&self) -> &str {
        match self {
            Self::StateUpdate => "StateUpdate",
            Self::ConfigurationUpdate => "ConfigurationUpdate",
            Self::Action => "Action",
            Self::Other(name) => name,
        }
    }

    fn from_stored(s: &str) -> Option<Self> {
        Some(
            [Self::StateUpdate, Self::ConfigurationUpdate, Self::Action]
                .into_iter()
                .find(|t| t.as_str() == s)
                .unwrap_or_else(|| Self::Other(s.to_string())),
        )
    }
}

stored_as_text!(HistoryItemType);

/// An alarm's full definition and current state (read straight from its `alarms` row).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, sqlx::FromRow)]
pub struct AlarmRecord {
    /// AWS region.
    pub region: String,
    /// Alarm name (unique per region).
    pub name: String,
    /// Alarm ARN.
    pub arn: Option<String>,
    /// `MetricAlarm` or `CompositeAlarm`.
    pub alarm_type: String,
    /// Description.
    pub description: Option<String>,
    /// Metric namespace.
    pub namespace: Option<String>,
    /// Metric name.
    pub metric_name: Option<String>,
    /// Canonical JSON object of dimensions.
    pub dimensions: Option<String>,
    /// Statistic.
    pub statistic: Option<String>,
    /// Percentile statistic, e.g. `p99`.
    pub extended_statistic: Option<String>,
    /// Seconds.
    pub period: Option<i64>,
    /// N of "M of N".
    pub evaluation_periods: Option<i64>,
    /// M of "M of N".
    pub datapoints_to_alarm: Option<i64>,
    /// Threshold.
    pub threshold: Option<f64>,
    /// Comparison operator.
    pub comparison_operator: Option<String>,
    /// TreatMissingData.
    pub treat_missing_data: Option<String>,
    /// Metric-math queries as JSON.
    pub metrics: Option<String>,
    /// Composite alarm rule.
    pub alarm_rule: Option<String>,
    /// Whether actions are enabled.
    pub actions_enabled: bool,
    /// JSON array of ARNs.
    pub alarm_actions: Option<String>,
    /// JSON array of ARNs.
    pub ok_actions: Option<String>,
    /// JSON array of ARNs.
    pub insufficient_data_actions: Option<String>,
    /// Current state.
    pub state_value: AlarmState,
    /// Why the state is what it is.
    pub state_reason: Option<String>,
    /// JSON with the evaluated datapoints.
    pub state_reason_data: Option<String>,
    /// When the state last changed.
    pub state_updated_at: Option<i64>,
    /// When the definition last changed.
    pub configuration_updated_at: Option<i64>,
}

/// One alarm history item (read straight from its `alarm_history` row).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, sqlx::FromRow)]
pub struct AlarmHistoryRecord {
    /// AWS region.
    pub region: String,
    /// Alarm name.
    pub alarm_name: String,
    /// When it happened.
    pub ts: i64,
    /// What the item records.
    pub item_type: HistoryItemType,
    /// AWS's one-line summary.
    pub summary: String,
    /// State before, for state updates.
    pub old_state: Option<String>,
    /// State after, for state updates.
    pub new_state: Option<String>,
    /// Reason for the new state.
    pub reason: Option<String>,
    /// The raw HistoryData JSON.
    pub history_data: String,
}

/// A recorded state change, read compactly for episode figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedChange {
    /// Alarm name.
    pub alarm: String,
    /// When.
    pub ts: i64,
    /// State before (None when the item did not say).
    pub from: Option<AlarmState>,
    /// State after.
    pub to: AlarmState,
}

/// A history item with its row id (the id makes the keyset cursor and the permalink).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HistoryItem {
    /// Row id.
    pub id: i64,
    /// The item.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub record: AlarmHistoryRecord,
}

/// What the history list is narrowed to (None: everything).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HistoryFilter {
    /// One alarm.
    pub alarm: Option<String>,
    /// One item type (`StateUpdate`, ...).
    pub item_type: Option<String>,
    /// New state.
    pub state: Option<AlarmState>,
    /// Items at or after (epoch seconds).
    pub from: Option<i64>,
    /// Items before.
    pub to: Option<i64>,
    /// Text in the reason or summary.
    pub text: Option<String>,
}

impl Store {
    /// Inserts or replaces an alarm's definition and state.
    pub async fn upsert_alarm(&self, a: &AlarmRecord, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO alarms (region, name, arn, alarm_type, description, namespace, metric_name,
                 dimensions, statistic, extended_statistic, period, evaluation_periods,
                 datapoints_to_alarm, threshold, comparison_operator, treat_missing_data, metrics,
                 alarm_rule, actions_enabled, alarm_actions, ok_actions, insufficient_data_actions,
                 state_value, state_reason, state_reason_data, state_updated_at,
                 configuration_updated_at, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
             ON CONFLICT (region, name) DO UPDATE SET
                 arn = excluded.arn, alarm_type = excluded.alarm_type,
                 description = excluded.description, namespace = excluded.namespace,
                 metric_name = excluded.metric_name, dimensions = excluded.dimensions,
                 statistic = excluded.statistic, extended_statistic = excluded.extended_statistic,
                 period = excluded.period, evaluation_periods = excluded.evaluation_periods,
                 datapoints_to_alarm = excluded.datapoints_to_alarm, threshold = excluded.threshold,
                 comparison_operator = excluded.comparison_operator,
                 treat_missing_data = excluded.treat_missing_data, metrics = excluded.metrics,
                 alarm_rule = excluded.alarm_rule, actions_enabled = excluded.actions_enabled,
                 alarm_actions = excluded.alarm_actions, ok_actions = excluded.ok_actions,
                 insufficient_data_actions = excluded.insufficient_data_actions,
                 state_value = excluded.state_value, state_reason = excluded.state_reason,
                 state_reason_data = excluded.state_reason_data,
                 state_updated_at = excluded.state_updated_at,
                 configuration_updated_at = excluded.configuration_updated_at,
                 synced_at = excluded.synced_at",
        )
        .bind(&a.region)
        .bind(&a.name)
        .bind(&a.arn)
        .bind(&a.alarm_type)
        .bind(&a.description)
        .bind(&a.namespace)
        .bind(&a.metric_name)
        .bind(&a.dimensions)
        .bind(&a.statistic)
        .bind(&a.extended_statistic)
        .bind(a.period)
        .bind(a.evaluation_periods)
        .bind(a.datapoints_to_alarm)
        .bind(a.threshold)
        .bind(&a.comparison_operator)
        .bind(&a.treat_missing_data)
        .bind(&a.metrics)
        .bind(&a.alarm_rule)
        .bind(a.actions_enabled)
        .bind(&a.alarm_actions)
        .bind(&a.ok_actions)
        .bind(&a.insufficient_data_actions)
        .bind(a.state_value)
        .bind(&a.state_reason)
        .bind(&a.state_reason_data)
        .bind(a.state_updated_at)
        .bind(a.configuration_updated_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds history items, skipping ones already stored; returns how many were new.
    pub async fn insert_alarm_history(&self, items: &[AlarmHistoryRecord]) -> StoreResult<u64> {
        let mut tx = crate::store::begin_write(&self.pool).await?;
        let mut added = 0;
        for h in items {
            added += sqlx::query(
                "INSERT INTO alarm_history (region, alarm_name, ts, item_type, summary, old_state,
                     new_state, reason, history_data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&h.region)
            .bind(&h.alarm_name)
            .bind(h.ts)
            .bind(&h.item_type)
            .bind(&h.summary)
            .bind(&h.old_state)
            .bind(&h.new_state)
            .bind(&h.reason)
            .bind(&h.history_data)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The newest stored history item time in a region.
    pub async fn last_alarm_history_time(&self, region: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT max(ts) FROM alarm_history WHERE region = ?1")
                .bind(region)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// One alarm by name (the first region holding that name).
    pub async fn alarm_by_name(&self, name: &str) -> StoreResult<Option<AlarmRecord>> {
        Ok(
            sqlx::query_as("SELECT * FROM alarms WHERE name = ?1 ORDER BY region LIMIT 1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every state change in `[from, to)` of every alarm (or of one), oldest first. Gathered into
    /// one JSON array inside SQLite: a page over 100,000 items reads them in one round trip.
    pub async fn alarm_state_changes(
        &self,
        alarm: Option<&str>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<RecordedChange>> {
        let sql = state_changes_sql(alarm);
        let json: String = sqlx::query_scalar(&sql)
            .bind(from)
            .bind(to)
            .bind(alarm)
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<(String, i64, Option<String>, String)> = serde_json::from_str(&json)?;
        Ok(rows
            .into_iter()
            .filter_map(|(alarm, ts, old, new)| {
                Some(RecordedChange {
                    alarm,
                    ts,
                    from: old.and_then(|o| AlarmState::from_stored(&o)),
                    to: AlarmState::from_stored(&new)?,
                })
            })
            .collect())
    }

    /// One page of history, newest first, after `cursor` (the (ts, id) of the last item of the
    /// previous page): keyset pagination, so items arriving meanwhile never shift a page.
    pub async fn alarm_history_page(
        &self,
        filter: &HistoryFilter,
        cursor: Option<(i64, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<HistoryItem>> {
        let (cursor_ts, cursor_id) = cursor.unwrap_or((i64::MAX, i64::MAX));
        let text = filter.text.as_deref().filter(|t| !t.is_empty()).map(|t| {
            format!(
                "%{}%",
                t.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let sql = history_page_sql(filter.alarm.as_deref());
        Ok(sqlx::query_as(&sql)
            .bind(cursor_ts)
            .bind(cursor_id)
            .bind(filter.alarm.as_deref())
            .bind(filter.item_type.as_deref())
            .bind(filter.state.map(|s| s.as_str()))
            .bind(filter.from.unwrap_or(i64::MIN))
            .bind(filter.to.unwrap_or(i64::MAX))
            .bind(text)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
    }

    /// One history item by id.
    pub async fn alarm_history_item(&self, id: i64) -> StoreResult<Option<HistoryItem>> {
        Ok(sqlx::query_as(
            "SELECT id, region, alarm_name, ts, item_type, summary, old_state, new_state, reason,
                    history_data
             FROM alarm_history WHERE id = ?1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The oldest and newest history item times and how many items there are.
    pub async fn alarm_history_reach(&self) -> StoreResult<(Option<i64>, Option<i64>, i64)> {
        Ok(
            // Three subqueries: min and max then come from the time index's ends and count(*)
            // from SQLite's cell count; together in one SELECT they walked every row.
            sqlx::query_as(
                "SELECT (SELECT min(ts) FROM alarm_history), (SELECT max(ts) FROM alarm_history),
                        (SELECT count(*) FROM alarm_history)",
            )
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// Configuration-update items of one alarm in `[from, to)`, oldest first.
    pub async fn alarm_configuration_updates(
        &self,
        alarm: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<HistoryItem>> {
        Ok(sqlx::query_as(
            "SELECT id, region, alarm_name, ts, item_type, summary, old_state, new_state, reason,
                    history_data
             FROM alarm_history
             WHERE alarm_name = ?1 AND item_type = 'ConfigurationUpdate' AND ts >= ?2 AND ts < ?3
             ORDER BY ts, id",
        )
        .bind(alarm)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every alarm, optionally only those in one state, by name.
    pub async fn list_alarms(&self, state: Option<AlarmState>) -> StoreResult<Vec<AlarmRecord>> {
        Ok(sqlx::query_as(
            "SELECT * FROM alarms WHERE ?1 IS NULL OR state_value = ?1 ORDER BY name",
        )
        .bind(state)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The state changes in `[?1, ?2)` of the alarm ?3 (or of all), oldest first, as one JSON array.
fn state_changes_sql(alarm: Option<&str>) -> String {
    format!(
        "SELECT json_group_array(json_array(alarm_name, ts, old_state, new_state)) FROM
             (SELECT alarm_name, ts, old_state, new_state FROM alarm_history
              WHERE item_type = 'StateUpdate' AND ts >= ?1 AND ts < ?2
                AND {} AND new_state IS NOT NULL
              ORDER BY ts, id)",
        alarm_condition(alarm)
    )
}

/// One page of history after the cursor (?1, ?2), newest first, filtered by ?3 to ?8.
fn history_page_sql(alarm: Option<&str>) -> String {
    format!(
        "SELECT id, region, alarm_name, ts, item_type, summary, old_state, new_state, reason,
                history_data
         FROM alarm_history
         WHERE (ts < ?1 OR (ts = ?1 AND id < ?2))
           AND {}
           AND (?4 IS NULL OR item_type = ?4)
           AND (?5 IS NULL OR new_state = ?5)
           AND ts >= ?6 AND ts < ?7
           AND (?8 IS NULL OR reason LIKE ?8 ESCAPE '\\' OR summary LIKE ?8 ESCAPE '\\')
         ORDER BY ts DESC, id DESC
         LIMIT ?9",
        alarm_condition(alarm)
    )
}

/// The history queries' alarm condition on parameter ?3: spelled out when an alarm is given, so
/// SQLite reads that alarm's items through `alarm_history_alarm_time` (`?3 IS NULL OR
/// alarm_name = ?3` would walk every alarm's items by time).
fn alarm_condition(alarm: Option<&str>) -> &'static str {
    if alarm.is_some() {
        "alarm_name = ?3"
    } else {
        "?3 IS NULL"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_helpers::query_plan as plan;
    use crate::store::text::parse;

    #[tokio::test]
    async fn one_alarms_history_is_read_through_its_index_not_every_alarms() {
        for sql in [state_changes_sql(Some("a")), history_page_sql(Some("a"))] {
            let p = plan(&sql).await;
            assert!(p.contains("alarm_history_alarm_time"), "{p}");
        }
        // Without an alarm, the time index serves.
        let p = plan(&history_page_sql(None)).await;
        assert!(p.contains("alarm_history_time"), "{p}");
    }

    #[test]
    fn alarm_states_are_stored_in_cloudwatch_spelling() {
        for (state, word) in [
            (AlarmState::Ok, "OK"),
            (AlarmState::Alarm, "ALARM"),
            (AlarmState::InsufficientData, "INSUFFICIENT_DATA"),
        ] {
            assert_eq!(
                (state.to_string(), parse(word)),
                (word.to_string(), Ok(state))
            );
        }
        assert!(
            parse::<AlarmState>("Alarm").is_err(),
            "the spelling is exact"
        );
    }

    #[test]
    fn history_item_types_keep_a_type_this_version_does_not_know() {
        for (kind, word) in [
            (HistoryItemType::StateUpdate, "StateUpdate"),
            (HistoryItemType::ConfigurationUpdate, "ConfigurationUpdate"),
            (HistoryItemType::Action, "Action"),
            (
                HistoryItemType::Other("AlarmContributorStateUpdate".into()),
                "AlarmContributorStateUpdate",
            ),
        ] {
            assert_eq!(
                (kind.to_string(), parse(word)),
                (word.to_string(), Ok(kind.clone()))
            );
        }
    }
}

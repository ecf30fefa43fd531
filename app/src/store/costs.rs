//! Cost Explorer results: daily and monthly amounts by dimension, and forecasts.

use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};

/// Group-by value for totals per AWS service.
pub const BY_SERVICE: &str = "SERVICE";
/// Group-by value for usage types.
pub const BY_USAGE_TYPE: &str = "USAGE_TYPE";
/// The metric Spendwatch reports spend in.
pub const UNBLENDED: &str = "UnblendedCost";
/// Whole-account scope (no filter).
pub const ACCOUNT: &str = "";

/// One Cost Explorer amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostRecord {
    /// `DAILY` or `MONTHLY`.
    pub granularity: String,
    /// Inclusive start (UTC midnight).
    pub period_start: i64,
    /// Exclusive end.
    pub period_end: i64,
    /// The request's filter, `""` for the whole account.
    pub scope: String,
    /// `SERVICE`, `USAGE_TYPE` or `TAG:<key>`.
    pub group_by: String,
    /// The group's key, e.g. `Amazon Elastic Container Service`.
    pub group_key: String,
    /// `UnblendedCost`, `UsageQuantity`, ...
    pub metric: String,
    /// Amount.
    pub amount: f64,
    /// `USD`, `Hrs`, ...
    pub unit: String,
    /// Whether Cost Explorer flagged the period as estimated.
    pub estimated: bool,
}

/// A GetCostForecast result (read straight from its `cost_forecasts` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Forecast {
    /// Inclusive start.
    pub period_start: i64,
    /// Exclusive end.
    pub period_end: i64,
    /// Metric forecast.
    pub metric: String,
    /// Mean value.
    pub mean: f64,
    /// Lower bound of the prediction interval.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// When the forecast was made.
    pub made_at: i64,
}

/// A total for one group key (a row of `group_key`, `amount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct GroupTotal {
    /// Group key.
    #[sqlx(rename = "group_key")]
    pub key: String,
    /// Sum of amounts.
    pub amount: f64,
}

/// One group's amount on one day, as the Costs page reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DailyCost {
    /// Start of the day (UTC midnight).
    #[sqlx(rename = "period_start")]
    pub day: i64,
    /// Group key as Cost Explorer returned it.
    #[sqlx(rename = "group_key")]
    pub key: String,
    /// Dollars (UnblendedCost).
    pub amount: f64,
    /// Whether Cost Explorer may still restate this day.
    pub estimated: bool,
}

/// A usage type's cost and quantity summed over a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UsageTotal {
    /// Usage type, e.g. `USE1-SpotUsage-Fargate-GB-Hours`.
    #[sqlx(rename = "group_key")]
    pub key: String,
    /// Dollars.
    pub cost: f64,
    /// Quantity in the usage type's unit (hours, GB-hours).
    pub quantity: f64,
}

/// A (scope, grouping) pair that has daily rows stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredGrouping {
    /// The request's filter, `""` for the whole account.
    pub scope: String,
    /// `SERVICE`, `USAGE_TYPE` or `TAG:<key>`.
    pub group_by: String,
}

/// An alarm moving into ALARM, for annotating a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AlarmEntry {
    /// Alarm name.
    pub alarm_name: String,
    /// When it went into ALARM.
    pub ts: i64,
}

impl Store {
    /// Inserts or replaces cost amounts (restated days overwrite earlier figures).
    pub async fn upsert_costs(&self, rows: &[CostRecord], now: i64) -> StoreResult<u64> {
        let mut tx = crate::store::begin_write(&self.pool).await?;
        let mut changed = 0;
        for c in rows {
            changed += sqlx::query(
                "INSERT INTO costs (granularity, period_start, period_end, scope, group_by, group_key,
                     metric, amount, unit, estimated, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (granularity, period_start, scope, group_by, group_key, metric) DO UPDATE SET
                     period_end = excluded.period_end, amount = excluded.amount, unit = excluded.unit,
                     estimated = excluded.estimated, fetched_at = excluded.fetched_at
                 WHERE amount IS NOT excluded.amount OR estimated IS NOT excluded.estimated",
            )
            .bind(&c.granularity)
            .bind(c.period_start)
            .bind(c.period_end)
            .bind(&c.scope)
            .bind(&c.group_by)
            .bind(&c.group_key)
            .bind(&c.metric)
            .bind(c.amount)
            .bind(&c.unit)
            .bind(c.estimated)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Stores a forecast, replacing an older one for the same period and metric.
    pub async fn upsert_forecast(&self, f: &Forecast) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO cost_forecasts (period_start, period_end, metric, mean, lower, upper, made_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (period_start, period_end, metric) DO UPDATE SET
                 mean = excluded.mean, lower = excluded.lower, upper = excluded.upper, made_at = excluded.made_at",
        )
        .bind(f.period_start)
        .bind(f.period_end)
        .bind(&f.metric)
        .bind(f.mean)
        .bind(f.lower)
        .bind(f.upper)
        .bind(f.made_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest forecast covering `ts`, if any.
    pub async fn forecast_at(&self, ts: i64) -> StoreResult<Option<Forecast>> {
        Ok(sqlx::query_as(
            "SELECT * FROM cost_forecasts WHERE period_start <= ?1 AND period_end > ?1 ORDER BY made_at DESC LIMIT 1",
        )
        .bind(ts)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The latest day with cost data in a scope and grouping, if any.
    pub async fn last_cost_day_for(&self, scope: &str, group_by: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT max(period_start) FROM costs WHERE granularity = 'DAILY' AND scope = ?1 AND group_by = ?2",
        )
        .bind(scope)
        .bind(group_by)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Daily spend summed over groups for days starting in `[from, to)`.
    pub async fn daily_spend_total(
        &self,
        scope: &str,
        group_by: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<f64> {
        let totals = self
            .daily_spend_totals(scope, group_by, &[(from, to)])
            .await?;
        Ok(totals[0])
    }

    /// Daily spend summed over groups for each window `[from, to)` of `windows`, in their order,
    /// in one statement (a page comparing periods asks once, not once a period).
    pub async fn daily_spend_totals(
        &self,
        scope: &str,
        group_by: &str,
        windows: &[(i64, i64)],
    ) -> StoreResult<Vec<f64>> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let values = (0..windows.len())
            .map(|i| format!("({i}, ?, ?)"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH w(i, lo, hi) AS (VALUES {values})
             SELECT coalesce(sum(c.amount), 0.0) FROM w LEFT JOIN costs c
                 ON c.granularity = 'DAILY' AND c.scope = ? AND c.group_by = ? AND c.metric = ?
                AND c.period_start >= w.lo AND c.period_start < w.hi
             GROUP BY w.i ORDER BY w.i"
        );
        let mut query = sqlx::query_scalar(&sql);
        for (from, to) in windows {
            query = query.bind(from).bind(to);
        }
        Ok(query
            .bind(scope)
            .bind(group_by)
            .bind(UNBLENDED)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Daily spend per group key for days starting in `[from, to)`, largest first.
    pub async fn daily_spend_by_group(
        &self,
        scope: &str,
        group_by: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<GroupTotal>> {
        self.daily_rows(
            "group_key, sum(amount) AS amount",
            "GROUP BY group_key ORDER BY amount DESC",
            (scope, group_by),
            (from, to),
        )
        .await
    }

    /// `SELECT columns` over the spend rows (UnblendedCost) of one scope and grouping for days
    /// starting in `[from, to)`, then `tail`: the one filter every per-day spend read shares.
    async fn daily_rows<T>(
        &self,
        columns: &str,
        tail: &str,
        (scope, group_by): (&str, &str),
        (from, to): (i64, i64),
    ) -> StoreResult<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let sql = format!(
            "SELECT {columns} FROM costs
             WHERE granularity = 'DAILY' AND scope = ?1 AND group_by = ?2 AND metric = ?3
               AND period_start >= ?4 AND period_start < ?5
             {tail}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(scope)
            .bind(group_by)
            .bind(UNBLENDED)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Whether any day in `[from, to)` is still flagged as estimated.
    pub async fn any_estimated(&self, from: i64, to: i64) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM costs WHERE granularity = 'DAILY'
                 AND period_start >= ?1 AND period_start < ?2 AND estimated = 1)",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Every day's amount per group in `[from, to)` for one scope and grouping, oldest first.
    pub async fn daily_costs(
        &self,
        scope: &str,
        group_by: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<DailyCost>> {
        self.daily_rows(
            "period_start, group_key, amount, estimated",
            "ORDER BY period_start, group_key",
            (scope, group_by),
            (from, to),
        )
        .await
    }

    /// Cost and quantity per usage type in `[from, to)` within `scope`.
    pub async fn usage_totals(
        &self,
        scope: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<UsageTotal>> {
        Ok(sqlx::query_as(
            "SELECT group_key,
                    coalesce(sum(CASE WHEN metric = ?2 THEN amount END), 0.0) AS cost,
                    coalesce(sum(CASE WHEN metric = 'UsageQuantity' THEN amount END), 0.0) AS quantity
             FROM costs
             WHERE granularity = 'DAILY' AND scope = ?1 AND group_by = ?3
               AND period_start >= ?4 AND period_start < ?5
             GROUP BY group_key ORDER BY group_key",
        )
        .bind(scope)
        .bind(UNBLENDED)
        .bind(BY_USAGE_TYPE)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The (scope, grouping) pairs with daily costs stored, e.g. to list the tags one can group by.
    pub async fn cost_groupings(&self) -> StoreResult<Vec<StoredGrouping>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT scope, group_by FROM costs WHERE granularity = 'DAILY' AND metric = ?1
             ORDER BY scope, group_by",
        )
        .bind(UNBLENDED)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Alarms that went into ALARM in `[from, to)`, oldest first.
    pub async fn alarm_entries(&self, from: i64, to: i64) -> StoreResult<Vec<AlarmEntry>> {
        Ok(sqlx::query_as(
            "SELECT alarm_name, ts FROM alarm_history
             WHERE ts >= ?1 AND ts < ?2 AND new_state = 'ALARM' ORDER BY ts",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// When the newest successful sync that called `api` (Cost Explorer's GetCostAndUsage)
    /// started, if any: how fresh the stored costs are.
    pub async fn last_cost_fetch(&self, api: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT max(r.started_at) FROM sync_runs r JOIN sync_api_calls c ON c.run_id = r.id
             WHERE c.api = ?1 AND c.calls > 0 AND r.outcome = 'ok'",
        )
        .bind(api)
        .fetch_one(&self.pool)
        .await?)
    }
}

//! Metric series and their datapoints, with hourly rollups kept in step.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};

/// What identifies a series: metric, dimensions, statistic and period.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::FromRow)]
pub struct SeriesKey {
    /// CloudWatch namespace, e.g. `AWS/ECS`.
    pub namespace: String,
    /// Metric name, e.g. `CPUUtilization`.
    pub metric_name: String,
    /// Canonical JSON object of dimensions (see [`super::canonical_dimensions`]).
    pub dimensions: String,
    /// Statistic, e.g. `Maximum`.
    pub statistic: String,
    /// Period in seconds.
    pub period: i64,
}

/// A stored series with its id (read straight from its `metric_series` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredSeries {
    /// Row id.
    pub id: i64,
    /// Identity.
    #[sqlx(flatten)]
    pub key: SeriesKey,
    /// Unit, if known.
    pub unit: Option<String>,
    /// Owning service, if any.
    pub service_id: Option<i64>,
}

/// Rows a point write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Datapoints inserted or whose value changed.
    pub changed: u64,
}

/// A series' points over a range: times (epoch seconds, ascending, unique) and values, same length.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SeriesPoints {
    /// Epoch seconds, ascending.
    pub ts: Vec<i64>,
    /// The value at each time in `ts`.
    pub values: Vec<f64>,
}

impl SeriesPoints {
    /// Splits (time, value) pairs that are already in time order.
    pub fn from_pairs(pairs: Vec<(i64, f64)>) -> Self {
        let (ts, values) = pairs.into_iter().unzip();
        Self { ts, values }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The points as (time, value) pairs, oldest first.
    pub fn pairs(&self) -> Vec<(i64, f64)> {
        self.ts
            .iter()
            .copied()
            .zip(self.values.iter().copied())
            .collect()
    }
}

/// Datapoints per statement: large enough to amortize the call, small enough to keep memory flat.
const CHUNK: usize = 50_000;

impl Store {
    /// Returns the id of a series, creating it if new.
    pub async fn upsert_series(
        &self,
        key: &SeriesKey,
        unit: Option<&str>,
        service_id: Option<i64>,
    ) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO metric_series (namespace, metric_name, dimensions, statistic, period, unit, service_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (namespace, metric_name, dimensions, statistic, period) DO UPDATE SET
                 unit = coalesce(excluded.unit, unit),
                 service_id = coalesce(excluded.service_id, service_id)
             RETURNING id",
        )
        .bind(&key.namespace)
        .bind(&key.metric_name)
        .bind(&key.dimensions)
        .bind(&key.statistic)
        .bind(key.period)
        .bind(unit)
        .bind(service_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Writes datapoints (epoch second, value) to a series and refreshes the hourly rollups they
    /// touch, all in one transaction. A point already stored with the same value is not counted;
    /// one with a new value replaces the old.
    pub async fn write_points(
        &self,
        series_id: i64,
        points: &[(i64, f64)],
    ) -> StoreResult<WriteStats> {
        if points.is_empty() {
            return Ok(WriteStats::default());
        }
        let mut tx = self.pool.begin().await?;
        let mut stats = WriteStats::default();
        let mut json = String::with_capacity(CHUNK.min(points.len()) * 24);
        for chunk in points.chunks(CHUNK) {
            json.clear();
            json.push('[');
            for (i, (ts, v)) in chunk.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                if i > 0 && json.len() > 1 {
                    json.push(',');
                }
                let _ = write!(json, "[{ts},{v:?}]");
            }
            json.push(']');
            let done = sqlx::query(
                "INSERT INTO datapoints (series_id, ts, value)
                 SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2) WHERE true
                 ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value
                 WHERE value IS NOT excluded.value",
            )
            .bind(series_id)
            .bind(&json)
            .execute(&mut *tx)
            .await?;
            stats.changed += done.rows_affected();
        }
        let (lo, hi) = points
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), (t, _)| {
                (lo.min(*t), hi.max(*t))
            });
        refresh_hourly(&mut tx, series_id, lo, hi).await?;
        tx.commit().await?;
        Ok(stats)
    }

    /// Writes a regular series: `values[i]` at `start + i * step` (non-finite values are gaps).
    /// The bulk-load form of [`Store::write_points`], with the same upsert and rollup semantics:
    /// times are implied, so the statement reads a plain array of numbers.
    pub async fn write_regular_points(
        &self,
        series_id: i64,
        start: i64,
        step: i64,
        values: &[f64],
    ) -> StoreResult<WriteStats> {
        if values.is_empty() {
            return Ok(WriteStats::default());
        }
        let mut tx = self.pool.begin().await?;
        let mut stats = WriteStats::default();
        let mut json = String::with_capacity(CHUNK.min(values.len()) * 8);
        for (c, chunk) in values.chunks(CHUNK).enumerate() {
            json.clear();
            json.push('[');
            for (i, v) in chunk.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                if v.is_finite() {
                    let _ = write!(json, "{v:?}");
                } else {
                    json.push_str("null");
                }
            }
            json.push(']');
            let chunk_start = start + (c * CHUNK) as i64 * step;
            let done = sqlx::query(
                "INSERT INTO datapoints (series_id, ts, value)
                 SELECT ?1, ?2 + key * ?3, value FROM json_each(?4) WHERE value IS NOT NULL
                 ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value
                 WHERE value IS NOT excluded.value",
            )
            .bind(series_id)
            .bind(chunk_start)
            .bind(step)
            .bind(&json)
            .execute(&mut *tx)
            .await?;
            stats.changed += done.rows_affected();
        }
        let last = start + (values.len() as i64 - 1) * step;
        refresh_hourly(&mut tx, series_id, start, last).await?;
        tx.commit().await?;
        Ok(stats)
    }

    /// Every series, optionally only those of one service.
    pub async fn list_series(&self, service_id: Option<i64>) -> StoreResult<Vec<StoredSeries>> {
        Ok(sqlx::query_as(
            "SELECT id, namespace, metric_name, dimensions, statistic, period, unit, service_id
             FROM metric_series WHERE ?1 IS NULL OR service_id = ?1 ORDER BY id",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Points of a series in `[from, to)`, oldest first, as two parallel arrays: the one series
    /// read every analysis (sizing, alarm backtest, scaling replay) goes through, so none of them
    /// depends on how points are laid out on disk.
    pub async fn read_points(
        &self,
        series_id: i64,
        from: i64,
        to: i64,
    ) -> StoreResult<SeriesPoints> {
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(ts, value)) FROM
                 (SELECT ts, value FROM datapoints WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts)",
        )
        .bind(series_id)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        let pairs: Vec<(i64, f64)> = serde_json::from_str(&json)?;
        Ok(SeriesPoints::from_pairs(pairs))
    }

    /// Values of a series in `[from, to)`, oldest first, without their times. Gathered into one
    /// JSON array inside SQLite: far fewer round trips than a row each.
    pub async fn read_values(&self, series_id: i64, from: i64, to: i64) -> StoreResult<Vec<f64>> {
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(value) FROM
                 (SELECT value FROM datapoints WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts)",
        )
        .bind(series_id)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(serde_json::from_str(&json)?)
    }

    /// A series over `[from, to)` grouped into buckets of `width` seconds aligned to `from`:
    /// (bucket start, min, max, sum, count), oldest first, empty buckets left out. Reads hourly
    /// rollups when `hourly` (long ranges), raw points otherwise; either way the grouping runs
    /// inside SQLite and only the buckets come back.
    pub async fn read_buckets(
        &self,
        series_id: i64,
        from: i64,
        to: i64,
        width: i64,
        hourly: bool,
    ) -> StoreResult<Vec<(i64, f64, f64, f64, i64)>> {
        let sql = if hourly {
            "SELECT json_group_array(json_array(b, lo, hi, total, n)) FROM
                 (SELECT ?2 + ((max(hour, ?2) - ?2) / ?4) * ?4 AS b, min(min) AS lo, max(max) AS hi,
                         sum(sum) AS total, sum(count) AS n
                  FROM datapoints_hourly WHERE series_id = ?1 AND hour > ?2 - 3600 AND hour < ?3
                  GROUP BY b ORDER BY b)"
        } else {
            "SELECT json_group_array(json_array(b, lo, hi, total, n)) FROM
                 (SELECT ?2 + ((ts - ?2) / ?4) * ?4 AS b, min(value) AS lo, max(value) AS hi,
                         sum(value) AS total, count(*) AS n
                  FROM datapoints WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3
                  GROUP BY b ORDER BY b)"
        };
        let json: String = sqlx::query_scalar(sql)
            .bind(series_id)
            .bind(from)
            .bind(to)
            .bind(width.max(1))
            .fetch_one(&self.pool)
            .await?;
        Ok(serde_json::from_str(&json)?)
    }

    /// Records that a series has been fetched up to `until` (never moves backwards).
    pub async fn mark_fetched(&self, series_id: i64, until: i64) -> StoreResult<()> {
        sqlx::query("UPDATE metric_series SET fetched_until = max(coalesce(fetched_until, 0), ?2) WHERE id = ?1")
            .bind(series_id)
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How far a metric (all periods of it) is known: its newest datapoint; for a metric that has
    /// none (a silent metric), how far it has been fetched. None when it was never fetched.
    pub async fn metric_known_until(
        &self,
        namespace: &str,
        metric_name: &str,
        dimensions: &str,
        statistic: &str,
    ) -> StoreResult<Option<i64>> {
        let (last_point, fetched): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT max((SELECT max(ts) FROM datapoints d WHERE d.series_id = s.id)), max(s.fetched_until)
             FROM metric_series s
             WHERE namespace = ?1 AND metric_name = ?2 AND dimensions = ?3 AND statistic = ?4",
        )
        .bind(namespace)
        .bind(metric_name)
        .bind(dimensions)
        .bind(statistic)
        .fetch_one(&self.pool)
        .await?;
        // Late datapoints land behind what was fetched, so a metric with data resumes from its
        // newest point (the caller subtracts an overlap), never from the fetch cursor.
        Ok(last_point.or(fetched))
    }
}

impl Store {
    /// How many datapoints are stored, summed from the hourly rollups (kept in step with every
    /// write) so a scrape of /metrics never counts hundreds of millions of raw rows.
    pub async fn count_datapoints(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT coalesce(sum(count), 0) FROM datapoints_hourly")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// Recomputes the hourly buckets covering `[lo, hi]` from raw points.
async fn refresh_hourly(
    tx: &mut sqlx::SqliteConnection,
    series_id: i64,
    lo: i64,
    hi: i64,
) -> StoreResult<()> {
    let from = lo.div_euclid(3600) * 3600;
    let to = hi.div_euclid(3600) * 3600 + 3600;
    sqlx::query(
        "INSERT INTO datapoints_hourly (series_id, hour, min, max, sum, count)
         SELECT ?1, (ts / 3600) * 3600 AS h, min(value), max(value), sum(value), count(*)
         FROM datapoints WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY h
         ON CONFLICT (series_id, hour) DO UPDATE SET
             min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count",
    )
    .bind(series_id)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

//! Metric series and their datapoints, with hourly rollups kept in step.

use serde::{Deserialize, Serialize};

use super::{chunks, Store, StoreResult};

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
    /// touch, all in one transaction. A point already stored with the same value (bit for bit) is
    /// not counted; one with a new value replaces the old; of two points given for one time the
    /// later wins. NaN or an infinity anywhere refuses the whole write
    /// ([`StoreError::NonFinite`](super::StoreError::NonFinite)).
    pub async fn write_points(
        &self,
        series_id: i64,
        points: &[(i64, f64)],
    ) -> StoreResult<WriteStats> {
        let sorted = chunks::checked_sorted(series_id, points)?;
        self.write_sorted(series_id, &sorted).await
    }

    /// Writes a regular series: `values[i]` at `start + i * step`, where NaN marks a gap (no
    /// point); an infinity refuses the write. The bulk-load form of [`Store::write_points`], with
    /// the same upsert and rollup semantics.
    pub async fn write_regular_points(
        &self,
        series_id: i64,
        start: i64,
        step: i64,
        values: &[f64],
    ) -> StoreResult<WriteStats> {
        let points: Vec<(i64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .map(|(i, v)| (start + i as i64 * step, *v))
            .collect();
        let sorted = chunks::checked_sorted(series_id, &points)?;
        self.write_sorted(series_id, &sorted).await
    }

    /// Merges sorted, checked points into the series' chunks in one transaction.
    async fn write_sorted(&self, series_id: i64, sorted: &[(i64, f64)]) -> StoreResult<WriteStats> {
        if sorted.is_empty() {
            return Ok(WriteStats::default());
        }
        let rounded;
        let sorted = match self.round_digits {
            Some(digits) => {
                rounded = chunks::rounded(sorted, digits);
                &rounded
            }
            None => sorted,
        };
        let mut tx = crate::store::begin_write(&self.pool).await?;
        let changed = chunks::write_sorted(&mut tx, series_id, sorted).await?;
        tx.commit().await?;
        Ok(WriteStats { changed })
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

    /// The series of one metric (namespace, name and canonical dimensions), every statistic and
    /// period, by id: what [`Store::list_series`] filtered to the metric would give, through the
    /// series' unique index instead of reading every series.
    pub async fn series_of_metric(
        &self,
        namespace: &str,
        metric_name: &str,
        dimensions: &str,
    ) -> StoreResult<Vec<StoredSeries>> {
        Ok(sqlx::query_as(
            "SELECT id, namespace, metric_name, dimensions, statistic, period, unit, service_id
             FROM metric_series WHERE namespace = ?1 AND metric_name = ?2 AND dimensions = ?3
             ORDER BY id",
        )
        .bind(namespace)
        .bind(metric_name)
        .bind(dimensions)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Points of a series in `[from, to)`, oldest first, as two parallel arrays: the one series
    /// read every analysis (sizing, alarm backtest, scaling replay) goes through, so none of them
    /// depends on how points are laid out on disk (compressed daily chunks, decoded here).
    pub async fn read_points(
        &self,
        series_id: i64,
        from: i64,
        to: i64,
    ) -> StoreResult<SeriesPoints> {
        chunks::read_range(&self.pool, series_id, from, to).await
    }

    /// Values of a series in `[from, to)`, oldest first, without their times.
    pub async fn read_values(&self, series_id: i64, from: i64, to: i64) -> StoreResult<Vec<f64>> {
        Ok(self.read_points(series_id, from, to).await?.values)
    }

    /// A series over `[from, to)` grouped into buckets of `width` seconds aligned to `from`:
    /// (bucket start, min, max, sum, count), oldest first, empty buckets left out. Reads hourly
    /// rollups when `hourly` (long ranges: a day's hours are one small row), raw points otherwise.
    pub async fn read_buckets(
        &self,
        series_id: i64,
        from: i64,
        to: i64,
        width: i64,
        hourly: bool,
    ) -> StoreResult<Vec<(i64, f64, f64, f64, i64)>> {
        let width = width.max(1);
        if !hourly {
            let points = self.read_points(series_id, from, to).await?;
            return Ok(buckets(&points, from, width));
        }
        chunks::hourly_buckets(&self.pool, series_id, from, to, width).await
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
            "SELECT max((SELECT last_ts FROM series_chunks c WHERE c.series_id = s.id ORDER BY day DESC LIMIT 1)),
                    max(s.fetched_until)
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

/// Groups points (ascending, all at or after `from`) into buckets of `width` seconds aligned to
/// `from`: (bucket start, min, max, sum, count), empty buckets left out.
fn buckets(points: &SeriesPoints, from: i64, width: i64) -> Vec<(i64, f64, f64, f64, i64)> {
    let mut out: Vec<(i64, f64, f64, f64, i64)> = Vec::new();
    for (&t, &v) in points.ts.iter().zip(&points.values) {
        let b = from + (t - from).div_euclid(width) * width;
        match out.last_mut() {
            Some(last) if last.0 == b => {
                last.1 = last.1.min(v);
                last.2 = last.2.max(v);
                last.3 += v;
                last.4 += 1;
            }
            _ => out.push((b, v, v, v, 1)),
        }
    }
    out
}

impl Store {
    /// How many datapoints are stored, summed from the daily rollup rows (kept in step with every
    /// write) so a scrape of /metrics never counts hundreds of millions of raw points.
    pub async fn count_datapoints(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(COUNT_DATAPOINTS_SQL)
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Sums the day rows' counts; read through `series_hourly_counts`, not the rows and their blobs.
const COUNT_DATAPOINTS_SQL: &str = "SELECT coalesce(sum(count), 0) FROM series_hourly";

#[cfg(test)]
mod tests {
    use super::COUNT_DATAPOINTS_SQL;
    use crate::store::test_helpers::query_plan;

    #[tokio::test]
    async fn the_datapoint_count_reads_only_the_counts_index() {
        let plan = query_plan(COUNT_DATAPOINTS_SQL).await;
        assert!(
            plan.contains("COVERING INDEX series_hourly_counts"),
            "{plan}"
        );
    }
}

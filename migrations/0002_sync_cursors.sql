-- How far each series has been fetched, even where CloudWatch had no datapoints, so a metric
-- that is silent (a stopped service) is not fetched again from the start of the lookback.
ALTER TABLE metric_series ADD COLUMN fetched_until INTEGER;

-- The stored datapoint count (/metrics, after every sync) sums series_hourly.count: without an
-- index that reads every day row with its encoded hours (over 2 GB on a year of 200 services,
-- 2-3 s a scrape from a cold cache); this index holds only the counts and the key.
CREATE INDEX series_hourly_counts ON series_hourly(count);

-- Compact series storage (issue 9: at most 4 bytes a point with rollups and indexes).
--
-- 1. series_chunks becomes a rowid table with a unique (series_id, day) index. Its rows are
--    5-7 KB, larger than a 4 KB page: in a WITHOUT ROWID table SQLite keeps at most ~1 KB of such
--    a row on its leaf page and leaves the leaves a third empty (0.34 bytes a point of slack,
--    measured), while a rowid table packs its leaves and fills overflow pages whole (0.11).
-- 2. Hourly rollups move from a row per series per hour (datapoints_hourly, 0.57 bytes a point)
--    to one row per series per day holding the day's hours encoded (series_hourly, 0.23): see
--    app/src/store/chunks/codec.rs. SQL cannot run the encoder, so Store::open moves the rows of
--    datapoints_hourly right after this migration, in one transaction, and drops that table.
CREATE TABLE series_chunks_rowid (
    series_id   INTEGER NOT NULL,
    day         INTEGER NOT NULL,          -- UTC day number: ts / 86400
    count       INTEGER NOT NULL,          -- points in the chunk
    last_ts     INTEGER NOT NULL,          -- newest point's time (sync resumes from it)
    ts_blob     BLOB    NOT NULL,          -- ascending epoch seconds, encoded
    values_blob BLOB    NOT NULL           -- the values at those times, encoded losslessly
);
INSERT INTO series_chunks_rowid (series_id, day, count, last_ts, ts_blob, values_blob)
    SELECT series_id, day, count, last_ts, ts_blob, values_blob FROM series_chunks
    ORDER BY series_id, day;
DROP TABLE series_chunks;
ALTER TABLE series_chunks_rowid RENAME TO series_chunks;
CREATE UNIQUE INDEX series_chunks_by_day ON series_chunks (series_id, day);

CREATE TABLE series_hourly (
    series_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,           -- UTC day number
    count      INTEGER NOT NULL,           -- points that day (the sum of its hours' counts)
    hours_blob BLOB    NOT NULL,           -- the day's hours: min, max, sum, count, encoded
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;

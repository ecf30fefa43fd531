-- Compressed series storage: a series' points grouped by UTC day, times and values each encoded
-- in one blob (see app/src/store/chunks/codec.rs). A row per point cost about 20 bytes a point;
-- a chunk costs what its encoded numbers do.
-- Moving the rows of `datapoints` into chunks needs the codec, which SQL cannot run: Store::open
-- does it right after this migration, in one transaction, and drops `datapoints` at its end.
CREATE TABLE series_chunks (
    series_id   INTEGER NOT NULL,
    day         INTEGER NOT NULL,          -- UTC day number: ts / 86400
    count       INTEGER NOT NULL,          -- points in the chunk
    last_ts     INTEGER NOT NULL,          -- newest point's time (sync resumes from it)
    ts_blob     BLOB    NOT NULL,          -- ascending epoch seconds, encoded
    values_blob BLOB    NOT NULL,          -- the values at those times, encoded losslessly
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;

#!/usr/bin/env python3
"""Benchmark helper: the points of a Spendwatch database as a row per point, timed.

    rows.py SRC.db ROWS.db

Decodes every chunk of SRC (pcodec's Python package reads the same stream the Rust `pco` crate
writes; see app/src/store/chunks/codec.rs for the blob layout), then inserts the points into
ROWS.db the bare way: a (series_id, ts, value) WITHOUT ROWID table, one prepared statement
(executemany), one transaction. Then copies that table into a second one inside the engine
(INSERT ... SELECT), SQLite's own bulk-insert rate with no driver in between.
Prints `key value` lines; ROWS.db is what bench/recommend_numpy.py reads.
"""
import sqlite3
import struct
import sys
import time

import numpy as np
from pcodec import standalone

PCO, REGULAR = 1, 2


def decode_times(blob, count):
    if blob[0] == REGULAR:
        first, step = struct.unpack("<qq", blob[1:17])
        return np.arange(count, dtype=np.int64) * step + first
    return standalone.simple_decompress(blob[1:]) if count else np.empty(0, np.int64)


def decode_values(blob, count):
    return standalone.simple_decompress(blob[1:]) if count else np.empty(0)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    source = sqlite3.connect(src)
    rows = sqlite3.connect(dst, isolation_level=None)
    rows.execute("PRAGMA journal_mode = WAL")
    rows.execute("PRAGMA synchronous = NORMAL")
    schema = "(series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
    rows.execute(f"CREATE TABLE points {schema}")
    rows.execute(f"CREATE TABLE points_copy {schema}")
    decode = insert = 0.0
    points = 0
    rows.execute("BEGIN")
    series = [r[0] for r in source.execute("SELECT DISTINCT series_id FROM series_chunks ORDER BY series_id")]
    for sid in series:
        t = time.perf_counter()
        ts, vs = [], []
        for count, tb, vb in source.execute(
            "SELECT count, ts_blob, values_blob FROM series_chunks WHERE series_id = ? ORDER BY day", (sid,)
        ):
            ts.append(decode_times(tb, count))
            vs.append(decode_values(vb, count))
        ts, vs = np.concatenate(ts).tolist(), np.concatenate(vs).tolist()
        decode += time.perf_counter() - t
        batch = list(zip([sid] * len(ts), ts, vs))
        t = time.perf_counter()
        rows.executemany("INSERT INTO points (series_id, ts, value) VALUES (?, ?, ?)", batch)
        insert += time.perf_counter() - t
        points += len(batch)
    t = time.perf_counter()
    rows.execute("COMMIT")
    insert += time.perf_counter() - t
    t = time.perf_counter()
    rows.execute("BEGIN")
    rows.execute("INSERT INTO points_copy SELECT * FROM points ORDER BY series_id, ts")
    rows.execute("COMMIT")
    engine = time.perf_counter() - t
    rows.execute("DROP TABLE points_copy")
    print(f"points {points}")
    print(f"python_decode_points_per_s {points / decode:.0f}")
    print(f"bare_insert_rows_per_s {points / insert:.0f}")
    print(f"engine_insert_rows_per_s {points / engine:.0f}")


if __name__ == "__main__":
    main()

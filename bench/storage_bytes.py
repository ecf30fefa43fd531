#!/usr/bin/env python3
"""Bytes per point of a Spendwatch database, split by what they hold (SQLite's dbstat table).

    storage_bytes.py DB

values / timestamps: the encoded blobs of series_chunks; chunk keys and slack: the rest of that
table's pages (keys, counts, cell headers, unused page space); rollups: series_hourly (a row per
series per day, its hours encoded; datapoints_hourly, a row per hour, before migration 0005);
indexes: separate indexes on those tables (series_chunks' (series_id, day) since 0005).
"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
points, values, times = db.execute(
    "SELECT sum(count), sum(length(values_blob)), sum(length(ts_blob)) FROM series_chunks"
).fetchone()
pages = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
rollup_table = "series_hourly" if "series_hourly" in pages else "datapoints_hourly"
indexes = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('series_chunks', ?)", (rollup_table,))]
page_size = db.execute("PRAGMA page_size").fetchone()[0]
page_count = db.execute("PRAGMA page_count").fetchone()[0]
free = db.execute("PRAGMA freelist_count").fetchone()[0]
chunk_pages = pages.get("series_chunks", 0)
rows = [
    ("values", values),
    ("timestamps", times),
    ("chunk keys and page slack", chunk_pages - values - times),
    (f"rollups (hourly, {rollup_table})", pages.get(rollup_table, 0)),
    ("indexes", sum(pages.get(i, 0) for i in indexes)),
    ("everything else (services, alarms, costs...)", (page_count - free) * page_size
     - chunk_pages - pages.get(rollup_table, 0) - sum(pages.get(i, 0) for i in indexes)),
]
print(f"   {points:,} points in {page_count * page_size / 1e9:.2f} GB ({free} free pages)")
for name, b in rows:
    print(f"   {name:48} {b / points:6.2f} bytes/point")
series = chunk_pages + pages.get(rollup_table, 0) + sum(pages.get(i, 0) for i in indexes)
print(f"   {'series total (chunks + rollups + indexes)':48} {series / points:6.2f} bytes/point   (target <= 4; rows: 20.2)")
print(f"   {'whole file':48} {page_count * page_size / points:6.2f} bytes/point")

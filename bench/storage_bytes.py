#!/usr/bin/env python3
"""Bytes per point of a Spendwatch database, split by what they hold (SQLite's dbstat table).

    storage_bytes.py DB

values / timestamps: the encoded blobs of series_chunks; chunk keys and slack: the rest of that
table's pages (keys, counts, cell headers, unused page space); rollups: datapoints_hourly;
indexes: separate indexes on those two tables (none: both are WITHOUT ROWID, the key is the table).
"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
points, values, times = db.execute(
    "SELECT sum(count), sum(length(values_blob)), sum(length(ts_blob)) FROM series_chunks"
).fetchone()
pages = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
indexes = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('series_chunks', 'datapoints_hourly')")]
page_size = db.execute("PRAGMA page_size").fetchone()[0]
page_count = db.execute("PRAGMA page_count").fetchone()[0]
free = db.execute("PRAGMA freelist_count").fetchone()[0]
chunk_pages = pages.get("series_chunks", 0)
rows = [
    ("values", values),
    ("timestamps", times),
    ("chunk keys and page slack", chunk_pages - values - times),
    ("rollups (hourly)", pages.get("datapoints_hourly", 0)),
    ("indexes", sum(pages.get(i, 0) for i in indexes)),
    ("everything else (services, alarms, costs...)", (page_count - free) * page_size
     - chunk_pages - pages.get("datapoints_hourly", 0) - sum(pages.get(i, 0) for i in indexes)),
]
print(f"   {points:,} points in {page_count * page_size / 1e9:.2f} GB ({free} free pages)")
for name, b in rows:
    print(f"   {name:48} {b / points:6.2f} bytes/point")
series = values + times + chunk_pages - values - times + pages.get("datapoints_hourly", 0)
print(f"   {'series total (chunks + rollups + indexes)':48} {series / points:6.2f} bytes/point   (target <= 4; rows: 20.2)")
print(f"   {'whole file':48} {page_count * page_size / points:6.2f} bytes/point")

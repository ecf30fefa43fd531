#!/usr/bin/env python3
"""What a team keeping its own copy of the metrics would write: `recommend`'s usage figures from
a row-per-point SQLite table, read with Python's sqlite3 and computed with numpy.

    recommend_numpy.py ROWS.db SOURCE.db AT

ROWS.db holds `points(series_id, ts, value)` (made by bench/rows.rs from SOURCE.db); SOURCE.db
gives the services and which series is which. AT is `recommend --at`'s time (epoch seconds).
Prints, per current service, the figures `recommend --format json` prints under `usage`, rounded
the same way, as JSON lines sorted by service name.
"""
import json
import sqlite3
import sys

import numpy as np

LOOKBACK_DAYS = 14
PERCENTILE = 95.0


def series_id(db, service_id, metric, statistic):
    row = db.execute(
        "SELECT id FROM src.metric_series WHERE service_id = ? AND metric_name = ? AND statistic = ?"
        " ORDER BY period LIMIT 1",
        (service_id, metric, statistic),
    ).fetchone()
    return row[0] if row else None


def values(db, sid, start, end):
    if sid is None:
        return np.empty(0)
    rows = db.execute(
        "SELECT value FROM points WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
        (sid, start, end),
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.float64)


def main():
    rows_db, source_db, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = sqlite3.connect(rows_db)
    db.execute("ATTACH DATABASE ? AS src", (source_db,))
    end = at - at % 3600
    start = end - LOOKBACK_DAYS * 86400
    services = db.execute(
        "SELECT id, name, cpu_units, memory_mib, desired_count FROM src.services"
        " WHERE removed_at IS NULL ORDER BY name"
    ).fetchall()
    for sid, name, cpu_units, memory_mib, desired in services:
        vcpu = cpu_units / 1024.0
        cpu = values(db, series_id(db, sid, "CPUUtilization", "Maximum"), start, end) / 100.0 * vcpu
        mem = values(db, series_id(db, sid, "MemoryUtilization", "Maximum"), start, end) / 100.0 * memory_mib
        tasks = values(db, series_id(db, sid, "RunningTaskCount", "Average"), start, end)
        if tasks.size == 0:
            tasks = np.array([float(desired)])
        print(json.dumps({
            "service": name,
            "cpu_sized_percentile_vcpu": round(float(np.percentile(cpu, PERCENTILE)), 3) if cpu.size else 0.0,
            "cpu_max_vcpu": round(float(cpu.max(initial=0.0)), 3),
            "memory_max_mib": round(float(mem.max(initial=0.0)), 1),
            "mean_tasks": round(float(tasks.mean()), 2),
        }))


if __name__ == "__main__":
    main()

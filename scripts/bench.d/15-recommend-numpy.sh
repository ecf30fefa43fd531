# `recommend` (chunked store, whole process) against bench/recommend_numpy.py over the same points
# kept as a row per point in SQLite (read with Python's sqlite3): 5 paired runs, medians.
# Target: recommend >= 10x faster. Both print the same usage figures (checked below).
type bench_rows >/dev/null 2>&1 || source scripts/bench.d/05-storage.sh >/dev/null
bench_rows
at=$(date -u -d "$end" +%s)
echo "== recommend vs numpy over rows, 50 services, 5 paired runs"
python3 - "$bin" "$big" "$work/rows.db" "$bench_venv/bin/python" "$end" "$at" <<'PY'
import json, statistics, subprocess, sys, time
bin_, big, rows, py, end, at = sys.argv[1:]
def run(cmd):
    t = time.perf_counter(); out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out
ours, theirs = [], []
for _ in range(5):
    t, rec = run([bin_, "--db", big, "recommend", "--format", "json", "--at", end]); ours.append(t)
    t, num = run([py, "bench/recommend_numpy.py", rows, big, at]); theirs.append(t)
a, b = statistics.median(ours), statistics.median(theirs)
print(f"   recommend {a:.3f} s, numpy over rows {b:.3f} s: {b / a:.1f}x faster (target >= 10x)")
keys = ["cpu_sized_percentile_vcpu", "cpu_max_vcpu", "memory_max_mib", "mean_tasks"]
ours_by = {r["service"]: [r["usage"][k] for k in keys] for r in json.loads(rec)}
theirs_by = {r["service"]: [r[k] for k in keys] for r in map(json.loads, num.splitlines())}
same = sum(1 for s, v in theirs_by.items() if ours_by.get(s) == v)
print(f"   same usage figures for {same} of {len(theirs_by)} services ({', '.join(keys)})")
PY

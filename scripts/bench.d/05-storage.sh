# Series storage (issue 9): bytes per point of the big demo, and its ingest rate against a bare
# SQLite bulk insert of the same points as rows.
# Anchors: a row per point was 20.2 bytes/point with rollups; a bare SQLite bulk insert of the
# same points (one prepared statement, one transaction) through the C API and from Python.
bench_venv="${XDG_CACHE_HOME:-$HOME/.cache}/spendwatch-bench-venv"
bench_rows() { # a Python venv with numpy and pcodec, then $work/rows.db (the row-per-point copy)
  [ -x "$bench_venv/bin/python" ] || python3 -m venv "$bench_venv"
  "$bench_venv/bin/python" -c 'import numpy, pcodec' 2>/dev/null || "$bench_venv/bin/pip" install -q numpy pcodec
  [ -f "$work/rows.txt" ] || "$bench_venv/bin/python" bench/rows.py "$big" "$work/rows.db" >"$work/rows.txt"
}
# The native anchor: the same rows inserted through SQLite's C API (server/examples/bare_insert.rs,
# the SQLite Spendwatch bundles). Its first build compiles the dev-dependencies' release profile.
bare_native() {
  grep -q native_insert_rows_per_s "$work/rows.txt" && return 0
  cargo build --release --locked --example bare_insert
  "$CARGO_TARGET_DIR/release/examples/bare_insert" "$work/rows.db" "$work/native.db" >>"$work/rows.txt"
  rm -f "$work/native.db"*
}

echo "== storage of $big (dbstat)"
python3 bench/storage_bytes.py "$big"

echo "== the same demo with [storage] round_significant_digits = 6 (off by default)"
printf '[storage]\nround_significant_digits = 6\n' >"$work/round6.toml"
time "$bin" --config "$work/round6.toml" --db "$work/round6.db" demo --services 50 --days 90 --end "$end" >/dev/null
python3 bench/storage_bytes.py "$work/round6.db" | grep -E "values|series total"
rm -f "$work/round6.db"*

echo "== ingest: demo generation (its sync run) vs bare SQLite rows"
bench_rows
bare_native
python3 - "$big" "$work/rows.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
points, started, finished = db.execute(
    "SELECT datapoints_written, started_at, finished_at FROM sync_runs WHERE trigger = 'demo' ORDER BY id DESC LIMIT 1").fetchone()
f = dict(line.split() for line in open(sys.argv[2]))
bare, engine = float(f["bare_insert_rows_per_s"]), float(f["engine_insert_rows_per_s"])
native = float(f["native_insert_rows_per_s"])
# Whole seconds from the run's record: rounds the demo's rate down, never up.
demo = points / max(finished - started, 1)
print(f"   demo generation (simulate + encode + write, whole run) {demo:>12,.0f} points/s")
print(f"   bare SQLite bulk insert of the same points, C API (SQLite {f['native_sqlite_version']})"
      f" {native:>12,.0f} rows/s    ours = {demo / native:.2f}x (target >= 2x)")
print(f"   the same from Python (executemany)                       {bare:>12,.0f} rows/s    ours = {demo / bare:.2f}x")
print(f"   SQLite copying those rows inside the engine              {engine:>12,.0f} rows/s    ours = {demo / engine:.2f}x")
print(f"   ({int(f['points']):,} points; Python decodes the chunks at {float(f['python_decode_points_per_s']):,.0f} points/s)")
PY
echo "   row-per-point copy: $(du -h "$work/rows.db" | cut -f1)"

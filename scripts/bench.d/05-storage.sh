# Series storage (issue 9): bytes per point of the big demo, ingest against a bare SQLite bulk
# insert of the same points, and decode speed of the series API.
# Anchors: a row per point was 20.2 bytes/point with rollups; bare SQLite inserts ~1.5 M rows/s.
bench_rows_bin="$CARGO_TARGET_DIR/release/examples/bench_rows"
bench_rows() { # builds the helper once, then makes $work/rows.db (the row-per-point copy)
  [ -x "$bench_rows_bin" ] && [ "$bench_rows_bin" -nt "$bin" ] ||
    cargo build --release --locked -p app --example bench_rows 2>&1 | tail -1
  [ -f "$work/rows.txt" ] || "$bench_rows_bin" "$big" "$work/rows.db" "$work/copy.db" >"$work/rows.txt"
}

echo "== storage of $big (dbstat)"
python3 bench/storage_bytes.py "$big"

echo "== ingest: demo generation (its sync run) vs bare SQLite rows"
bench_rows
python3 - "$big" "$work/rows.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
points, started, finished = db.execute(
    "SELECT datapoints_written, started_at, finished_at FROM sync_runs WHERE trigger = 'demo' ORDER BY id DESC LIMIT 1").fetchone()
f = dict(line.split() for line in open(sys.argv[2]))
bare = float(f["bare_insert_rows_per_s"])
demo = points / max(finished - started, 1)
write = float(f["write_points_per_s"])
print(f"   demo generation (simulate + write, whole run) {demo:>12,.0f} points/s  = {demo / bare:.2f}x bare insert")
print(f"   write_points (the sync's write path)         {write:>12,.0f} points/s  = {write / bare:.2f}x bare insert")
print(f"   bare SQLite bulk insert, same points         {bare:>12,.0f} rows/s    (target: ours >= 2x)")
print(f"   read_points (decode, whole series)           {float(f['read_points_per_s']):>12,.0f} points/s")
print(f"   ({int(f['points']):,} points)")
PY
echo "   row-per-point copy: $(du -h "$work/rows.db" | cut -f1); chunked copy written by write_points: $(du -h "$work/copy.db" | cut -f1)"

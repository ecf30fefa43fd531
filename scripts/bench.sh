#!/usr/bin/env bash
# Benchmarks on a release build (figures, never assertions):
#   - demo generation: the default (2 services x 90 days) and 50 services x 90 days, and the
#     database size;
#   - `recommend` for all 50 services;
#   - page latency under load: wrk, 8 connections on loopback, 20 s per page: Overview, Services,
#     a Service page with 90 days of charts, Tiers.
#
#   ./scripts/bench.sh            (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spendwatch-target}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin spendwatch
bin="$CARGO_TARGET_DIR/release/spendwatch"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
end=$(date -u +%Y-%m-%dT%H:00)
TIMEFORMAT="   %R s wall"

echo "== demo, default (2 services x 90 days)"
time "$bin" --db "$work/default.db" demo --end "$end"
echo "   database: $(du -h "$work/default.db" | cut -f1)"

echo "== demo, 50 services x 90 days"
time "$bin" --db "$work/big.db" demo --services 50 --days 90 --end "$end"
echo "   database: $(du -h "$work/big.db" | cut -f1)"

echo "== recommend, 50 services (5 runs)"
for _ in 1 2 3 4 5; do
  time "$bin" --db "$work/big.db" recommend --format json --at "$end" >/dev/null
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --db "$work/big.db" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/style.css" >/dev/null && break; sleep 0.2; done
sleep 2 # the server sizes every service in the background as it starts

service="/services/mangu-publishing-cluster-production/mangu-publishing-server-production?range=90d"
for page in "/" "/services" "$service" "/tiers"; do
  echo "== wrk -t2 -c8 -d20s --latency $page"
  curl -s -o /dev/null -w "   first request: %{time_total} s\n" "http://127.0.0.1:$port$page"
  wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port$page" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done

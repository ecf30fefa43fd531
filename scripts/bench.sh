#!/usr/bin/env bash
# Benchmarks on a release build: figures printed beside their anchors, never assertions.
# Each section lives in scripts/bench.d/NN-name.sh and is sourced in order; they share:
#   $bin   the release binary          $work  a scratch folder, removed at exit
#   $end   the demo's end hour         $big   the 50 services x 90 days demo database
#   serve_db DB  -> starts `serve` on DB at a free loopback port, sets $port and $server
#   stop_server  -> stops it
#
#   ./scripts/bench.sh              every section
#   ./scripts/bench.sh alarms costs only the sections whose file names contain these words
#                                   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spendwatch-target}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin spendwatch
bin="$CARGO_TARGET_DIR/release/spendwatch"
work=$(mktemp -d)
server=""
trap 'stop_server; rm -rf "$work"' EXIT
end=$(date -u +%Y-%m-%dT%H:00)
big="$work/big.db"
TIMEFORMAT="   %R s wall"

serve_db() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" --db "$1" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/style.css" >/dev/null && break; sleep 0.2; done
  sleep 2 # the server sizes every service in the background as it starts
}

stop_server() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  server=""
  return 0
}

# The big demo is shared by most sections: made once.
echo "== demo, 50 services x 90 days"
time "$bin" --db "$big" demo --services 50 --days 90 --end "$end"
echo "   database: $(du -h "$big" | cut -f1)"

for section in scripts/bench.d/*.sh; do
  if [ $# -gt 0 ]; then
    wanted=no
    for word in "$@"; do [[ "$section" == *"$word"* ]] && wanted=yes; done
    [ "$wanted" = yes ] || continue
  fi
  echo
  echo "#### $(basename "$section" .sh)"
  # shellcheck source=/dev/null
  source "$section"
done

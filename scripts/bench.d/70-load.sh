# Load (issue 13): wrk at 64 connections for 60 s on every page of the 50-service demo, behind the
# token (so the access check is in the measured path): errors, p99, and the server's RSS before
# and after each page, right after and once freed memory has been handed back (it should stay
# flat, within 10%).
load_token="bench-$(date +%s)"
load_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SPENDWATCH_TOKEN="$load_token" "$bin" --db "$big" serve --bind "127.0.0.1:$load_port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$load_port/healthz" >/dev/null && break; sleep 0.2; done
sleep 2 # the server sizes every service in the background as it starts
load_auth="Authorization: Bearer $load_token"
rss_kib() { ps -o rss= -p "$server" | tr -d ' '; }
load_service="/services/mangu-publishing-cluster-production/mangu-publishing-server-production?range=90d"
for page in "/" "/services" "$load_service" "/tiers" "/sync" "/costs" "/alarms"; do
  curl -sf -o /dev/null -H "$load_auth" "http://127.0.0.1:$load_port$page" || echo "   (warming $page failed)"
  before=$(rss_kib)
  echo "== wrk -t2 -c64 -d60s --latency $page"
  out=$(wrk -t2 -c64 -d60s --timeout 30s --latency -H "$load_auth" "http://127.0.0.1:$load_port$page")
  after=$(rss_kib)
  # The server hands freed memory back every 5 s: what the last requests freed is still held
  # right after the load; 6 s later is what the page keeps.
  sleep 6
  kept=$(rss_kib)
  echo "$out" | grep -E "Latency |99%|Requests/sec" | sed 's/^/   /'
  # No error lines is the good case: grep's status 1 must not end the script (set -e, pipefail).
  errors=$(echo "$out" | { grep -E "Socket errors|Non-2xx" || true; } | sed 's/^ *//' | paste -sd';' -)
  echo "   errors: ${errors:-0}"
  echo "   server RSS: $((before / 1024)) MiB before, $((after / 1024)) MiB right after, $((kept / 1024)) MiB 6 s later"
done
stop_server

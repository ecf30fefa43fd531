# A year of history (issue 9): every page at 14 and at 365 days, p50/p99 with 8 connections,
# beside a static file served by the same server (the floor: routing, access check, headers), then
# the server's RSS after all that load.
# Targets: every page p99 < 50 ms; Service page at 365 d <= 1.5x at 14 d; RSS < 150 MB.
# Builds 200 services x 365 days (about 6 minutes, 4 GB) unless YEAR_DB names an existing demo
# database (made with `demo --end` at YEAR_END, default $end); YEAR_SECONDS sets wrk's duration.
year="${YEAR_DB:-$work/year.db}"
year_end="${YEAR_END:-$end}"
if [ -z "${YEAR_DB:-}" ]; then
  echo "== demo, 200 services x 365 days"
  time "$bin" --db "$year" demo --services 200 --days 365 --end "$year_end" </dev/null
  python3 bench/storage_bytes.py "$year"
fi
serve_db "$year"
# The page of the first service and first alarm the database lists (any demo has both).
svc=$(curl -sf "http://127.0.0.1:$port/api/services" | python3 -c 'import json,sys; s=json.load(sys.stdin)["rows"][0]; print("/services/" + s["cluster"] + "/" + s["service"])')
alarm=$(curl -sf "http://127.0.0.1:$port/api/alarms" | python3 -c 'import json,sys; print("/alarms/" + json.load(sys.stdin)["rows"][0]["alarm"]["name"])')
end_day=$(date -u -d "${year_end/T/ } UTC" +%F)
days_ago() { date -u -d "$end_day - $1 days" +%F; }
# 14 days and 365 days, both as whole days ending with the demo's last day.
range14="range=custom&from=$(days_ago 14)&to=$(days_ago 1)"
range365="range=custom&from=$(days_ago 365)&to=$(days_ago 1)"
costs14="from=$(days_ago 14)&to=$end_day"
costs365="from=$(days_ago 365)&to=$end_day"
seconds="${YEAR_SECONDS:-10}"
# wrk's p50 and p99 in ms, requests/s, and how many answers were not 2xx.
measure() {
  wrk -t2 -c8 -d"${seconds}s" --timeout 30s --latency "http://127.0.0.1:$port$1" | python3 -c '
import re, sys
out = sys.stdin.read()
def ms(q):
    found = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not found:  # no request finished in time
        return float("nan")
    v, unit = found.groups()
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{ms(50):.1f} {ms(99):.1f} {rps} {bad.group(1) if bad else 0}")'
}
# Waits (at most 2 minutes) until the server has used no CPU for a second: requests wrk gave up
# on at the end of one page (a page slower than its run) still run, and would be counted
# against the next page.
settle() {
  local before after
  for _ in $(seq 120); do
    before=$(awk '{print $14 + $15}' "/proc/$server/stat")
    sleep 1
    after=$(awk '{print $14 + $15}' "/proc/$server/stat")
    [ "$before" = "$after" ] && return 0
  done
}
# The first request of a page, in ms (a page that keeps computed data per data version computes
# it here: its cold time).
first() {
  settle
  curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$1" | python3 -c 'import sys; print(f"{float(sys.stdin.read()) * 1000:.0f}")'
}
row() { # name, then the path at 14 days and at 365 days (one path: the page has no range)
  local a b fa fb
  fa=$(first "$2")
  settle
  a=($(measure "$2"))
  if [ $# -ge 3 ]; then
    fb=$(first "$3")
    settle
    b=($(measure "$3"))
    printf "   %-22s %8s %8s %8s   %8s %8s %8s   %5.1fx %s\n" "$1" "$fa" "${a[0]}" "${a[1]}" "$fb" "${b[0]}" "${b[1]}" \
      "$(python3 -c "print(${b[1]} / max(${a[1]}, 0.001))")" \
      "$([ "${a[3]}${b[3]}" = 00 ] || echo "NON-2xx: ${a[3]} / ${b[3]}")"
  else
    printf "   %-22s %8s %8s %8s   %8s %8s %8s   %6s %s\n" "$1" "$fa" "${a[0]}" "${a[1]}" "" "" "" "" \
      "$([ "${a[3]}" = 0 ] || echo "NON-2xx: ${a[3]}")"
  fi
}
echo "== wrk -t2 -c8 -d${seconds}s --latency, ms; service $svc, alarm $alarm"
echo "   (first: the page's first request after the previous page's load settled; p50/p99 under load)"
echo "   page                   14 d first    p50      p99  365 d first   p50      p99   p99 365/14"
row "static /style.css" "/style.css"
row "/" "/"
row "/services" "/services"
row "service" "$svc?$range14" "$svc?$range365"
row "scaling" "$svc/scaling?$range14" "$svc/scaling?$range365"
row "/costs" "/costs?$costs14" "/costs?$costs365"
row "/alarms" "/alarms?$range14" "/alarms?$range365"
row "alarm" "$alarm?$range14" "$alarm?$range365"
row "/alarms/history" "/alarms/history"
row "/tiers" "/tiers"
row "/sync" "/sync"
echo "   server RSS after the load: $(($(ps -o rss= -p "$server") / 1024)) MB (target < 150)"
stop_server
[ -n "${YEAR_DB:-}" ] || rm -f "$year" "$year-wal" "$year-shm"

# Scaling what-if on the big demo's server service: a 90-day replay and an 11-target sweep through
# the CLI (each figure includes reading 90 days of 4 series and starting the process), then the
# Scaling page under load.
svc=mangu-publishing-server-production
echo "== whatif --service $svc --range 90d --timings: the read, one replay and an 11-target sweep apart (5 runs)"
for _ in 1 2 3 4 5; do
  "$bin" --db "$big" whatif --service "$svc" --range 90d --timings --format json 2>&1 >/dev/null | grep timings
done
for args in "--range 90d" "--range 90d --sweep target-cpu" "--range 14d"; do
  echo "== whatif --service $svc $args (5 runs, wall each)"
  for _ in 1 2 3 4 5; do
    time "$bin" --db "$big" whatif --service "$svc" $args --format json >/dev/null
  done
done
serve_db "$big"
base="/services/mangu-publishing-cluster-production/$svc/scaling"
for page in "$base" "$base?target_cpu=60&max=12" "$base?range=90d" "$base?sweep=target-cpu"; do
  echo "== wrk -t2 -c8 -d20s --latency $page"
  curl -s -o /dev/null -w "   first request: %{time_total} s\n" "http://127.0.0.1:$port$page"
  wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port$page" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done
# Every request a new CPU target (500 values, more than the replays a baseline keeps): the cost of
# a query never asked before, on a warm baseline.
cat >"$work/new-target.lua" <<'LUA'
request = function()
  return wrk.format(nil, wrk.path .. "&target_cpu=" .. string.format("%.1f", 40 + math.random(0, 499) / 10))
end
LUA
echo "== wrk -t2 -c8 -d20s --latency $base?range=90d, a new target_cpu each request"
wrk -t2 -c8 -d20s --latency -s "$work/new-target.lua" "http://127.0.0.1:$port$base?range=90d" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
stop_server

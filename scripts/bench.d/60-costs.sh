# Costs: 14 months of daily costs for 30 services (by AWS service, usage type and the service
# tag), 30 days of minutes. /costs latency under load in two groupings, and `costs explain`.
costs_db="$work/costs30.db"
echo "== demo, 30 services x 30 days of minutes, 14 months of costs"
time "$bin" --db "$costs_db" demo --services 30 --days 30 --end "$end"
echo "   cost rows: $(sqlite3 "$costs_db" 'SELECT count(*) FROM costs')"
echo "== costs explain, 30 services (5 runs)"
for _ in 1 2 3 4 5; do
  time "$bin" --db "$costs_db" costs explain --format json >/dev/null
done
echo "== costs --format json, 30 services (5 runs)"
for _ in 1 2 3 4 5; do
  time "$bin" --db "$costs_db" costs --format json >/dev/null
done
serve_db "$costs_db"
for page in "/costs" "/costs?group_by=tag:aws:ecs:serviceName" "/api/costs/explain"; do
  echo "== wrk -t2 -c8 -d20s --latency $page"
  curl -s -o /dev/null -w "   first request: %{time_total} s\n" "http://127.0.0.1:$port$page"
  wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port$page" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done
stop_server

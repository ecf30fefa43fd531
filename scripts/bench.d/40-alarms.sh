# Alarms (issue 10): the backtest of one alarm over 90 days of 1-minute data (target < 50 ms), a
# sweep of 50 thresholds (< 250 ms), and the Alarms and History pages' p99 with 100,000 history
# items (< 50 ms). Its own database: the seed's 2 services x 90 days plus 100,000 synthetic items.
alarms_db="$work/alarms.db"
echo "== demo, 2 services x 90 days + 100,000 alarm history items"
time "$bin" --db "$alarms_db" demo --services 2 --days 90 --end "$end" --alarm-history 100000 >/dev/null
echo "== backtest alb-5xx-errors at a 60 s period (90 days = 129,600 periods): parts, 5 runs"
for _ in 1 2 3 4 5; do
  "$bin" --db "$alarms_db" backtest --alarm alb-5xx-errors --period 60 --timings --no-sweep --format json 2>&1 >/dev/null | grep timings
done
echo "== backtest server-cpu-high (Average, 300 s) with the sweep: parts, 3 runs"
for _ in 1 2 3; do
  "$bin" --db "$alarms_db" backtest --alarm server-cpu-high --timings --format json 2>&1 >/dev/null | grep timings
done
echo "== backtest alb-5xx-errors, whole process with the sweep (5 runs)"
for _ in 1 2 3 4 5; do
  time "$bin" --db "$alarms_db" backtest --alarm alb-5xx-errors --format json >/dev/null
done
serve_db "$alarms_db"
for page in "/alarms" "/alarms?range=90d" "/alarms/history" "/alarms/history?alarm=bench-composite-07&type=StateUpdate" "/api/alarms/alb-5xx-errors/backtest?period=60&sweep=off" "/alarms/alb-5xx-errors"; do
  echo "== wrk -t2 -c8 -d20s --latency $page"
  curl -s -o /dev/null -w "   first request: %{time_total} s\n" "http://127.0.0.1:$port$page"
  wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port$page" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done
# A page deep in the history: the cursor of the 1,000th item.
cursor=$(curl -s "http://127.0.0.1:$port/api/alarms/history?limit=1000" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
echo "== wrk -t2 -c8 -d20s --latency /alarms/history?before=$cursor"
wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port/alarms/history?before=$cursor" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
stop_server

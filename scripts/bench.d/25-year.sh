# A year of 200 services (issue 9): build it, then page latency at 14 and 365 days against a static
# file served by the same server, and the server's RSS after the load.
# Targets: every page p99 < 50 ms with 8 connections; Service page 365d <= 1.5x 14d; RSS < 150 MB.
year="$work/year.db"
echo "== demo, 200 services x 365 days"
time "$bin" --db "$year" demo --services 200 --days 365 --end "$end" </dev/null
python3 bench/storage_bytes.py "$year"
serve_db "$year"
svc="/services/mangu-publishing-cluster-production/mangu-publishing-server-production"
end_day=$(date -u -d "${end/T/ }" +%F)
year_from=$(date -u -d "$end_day - 365 days" +%F); year_to=$(date -u -d "$end_day - 1 day" +%F)
for page in "/style.css" "/" "/services" "$svc?range=14d" "$svc?range=custom&from=$year_from&to=$year_to" "/tiers" "/sync"; do
  echo "== wrk -t2 -c8 -d10s --latency $page"
  wrk -t2 -c8 -d10s --latency "http://127.0.0.1:$port$page" | grep -E "Latency  |50%|99%|Requests/sec|Non-2xx"
done
echo "   server RSS after the load: $(($(ps -o rss= -p "$server") / 1024)) MB"
stop_server
rm -f "$year" "$year-wal" "$year-shm"

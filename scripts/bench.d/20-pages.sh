# Page latency under load: wrk, 8 connections on loopback, 20 s per page.
serve_db "$big"
service="/services/mangu-publishing-cluster-production/mangu-publishing-server-production?range=90d"
for page in "/" "/services" "$service" "/tiers" "/sync"; do
  echo "== wrk -t2 -c8 -d20s --latency $page"
  curl -s -o /dev/null -w "   first request: %{time_total} s\n" "http://127.0.0.1:$port$page"
  wrk -t2 -c8 -d20s --latency "http://127.0.0.1:$port$page" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done
stop_server

# `recommend` for all 50 services of the big demo, whole process, 5 runs.
echo "== recommend, 50 services (5 runs)"
for _ in 1 2 3 4 5; do
  time "$bin" --db "$big" recommend --format json --at "$end" >/dev/null
done

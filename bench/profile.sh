#!/usr/bin/env bash
# Profiles of the checkAuth hot path (bench/README.md, "Document cache"), on release binaries:
#   bench/profile.sh instructions [mimql|ceiling]  user-space instructions per request under
#       valgrind --tool=callgrind (repeatable whatever else the machine does): counters zeroed
#       after a warm-up, then 15 s of wrk with 4 keep-alive connections;
#   bench/profile.sh split [mimql|ceiling]  where the two cores' time goes under run.sh's load
#       (wrk, 64 connections): perf record -a for 8 s, by process and by binary/kernel.
# BIN=dir measures the binaries in dir (default: this checkout's target/release, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?instructions or split}; kind=${2:-mimql}
PORT=15761; ADMIN_PORT=15751; METRICS_PORT=15791
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
if [ "$what" = instructions ]; then command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null; fi
if [ "$what" = split ]; then command -v perf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null; fi
[ -n "${BIN:-}" ] || cargo build --release -q -p mimql -p mimql-bench-ceiling
bin=${BIN:-$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')/release}

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=bench/checkauth.sh
. bench/checkauth.sh
checkauth_config m $PORT $ADMIN_PORT $METRICS_PORT 1024
case "$kind" in
  mimql) server=("$bin/mimql" serve --config "$work/m.toml") ;;
  ceiling) server=("$bin/mimql-bench-ceiling" "127.0.0.1:$PORT") ;;
  *) echo "mimql or ceiling" >&2; exit 2 ;;
esac
if [ "$what" = instructions ]; then
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "${server[@]}" >"$work/server.log" 2>&1 & pids+=($!)
else
  "${server[@]}" >"$work/server.log" 2>&1 & pids+=($!)
fi
checkauth_wait $PORT
if [ "$kind" = mimql ]; then checkauth_register $ADMIN_PORT; fi
url=http://127.0.0.1:$PORT/api/graphql
if [ "$what" = instructions ]; then
  wrk -t1 -c4 -d5s -s "$work/post.lua" "$url" >/dev/null
  callgrind_control -z >/dev/null
  n=$(wrk -t1 -c4 -d15s -s "$work/post.lua" "$url" | awk '/requests in/ { print $1 }')
  callgrind_control -d >/dev/null
  sleep 2
  total=$(callgrind_annotate "$work"/cg.out.* 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  echo "$kind: $total instructions for $n requests: $((total / n)) per request"
else
  wrk -t1 -c64 -d3s -s "$work/post.lua" "$url" >/dev/null
  wrk -t1 -c64 -d12s -s "$work/post.lua" "$url" > "$work/wrk.txt" &
  load=$!
  sleep 2
  perf record -a -F 499 -o "$work/perf.data" -- sleep 8 >/dev/null 2>&1
  wait "$load"
  echo "$kind: $(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt") req/s; time on the two cores:"
  perf report -i "$work/perf.data" --sort comm,dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
fi

#!/usr/bin/env bash
# Benchmark: authenticated checkAuth on mimql against the actix-web + async-graphql ceiling,
# measured in the same run, alternating rounds; medians are reported. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
# One wrk thread: on a 2-core machine a second one takes CPU from the server under test.
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
MIMQL_PORT=15561
ADMIN_PORT=15551
METRICS_PORT=15591
CEILING_PORT=15600
# A second mimql with the prepared-document cache off, for the cache's effect in the same run.
NOCACHE_PORT=15562
NOCACHE_ADMIN_PORT=15552
NOCACHE_METRICS_PORT=15592

# PIN=1: the servers on CPU 1, wrk on CPU 0, so each server's rate is what its own work on one
# core allows (without it, wrk, the kernel's loopback path and the server share both cores).
if [ -n "${PIN:-}" ]; then srv=(taskset -c 1); load=(taskset -c 0); else srv=(); load=(); fi

command -v wrk >/dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
# PREBUILT=1: measure the binaries already in target/release (built from an earlier commit).
# BIN=dir: measure the binaries in dir (e.g. copies of an earlier build, for before/after).
[ -n "${PREBUILT:-}${BIN:-}" ] || cargo build --release -q -p mimql -p mimql-bench-ceiling
bin=${BIN:-$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')/release}

work=$(mktemp -d)
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  if [ -n "${ej_pid:-}" ]; then
    su ejabberd -s /bin/sh -c "ejabberdctl --ctl-config $work/ej/ejabberdctl.cfg --node mimqlbench@localhost stop" >/dev/null 2>&1 || kill "$ej_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
pids=()
trap cleanup EXIT

# shellcheck source=bench/checkauth.sh
. bench/checkauth.sh
checkauth_config mimql $MIMQL_PORT $ADMIN_PORT $METRICS_PORT 1024
checkauth_config nocache $NOCACHE_PORT $NOCACHE_ADMIN_PORT $NOCACHE_METRICS_PORT 0

"${srv[@]}" "$bin/mimql" serve --config "$work/mimql.toml" 2>"$work/mimql.log" & pids+=($!)
"${srv[@]}" "$bin/mimql" serve --config "$work/nocache.toml" 2>"$work/nocache.log" & pids+=($!)
"${srv[@]}" "$bin/mimql-bench-ceiling" "127.0.0.1:$CEILING_PORT" & pids+=($!)
checkauth_wait $MIMQL_PORT $NOCACHE_PORT $CEILING_PORT
checkauth_register $ADMIN_PORT
checkauth_register $NOCACHE_ADMIN_PORT
auth=$checkauth_auth

# Sanity: both answer the query, mimql as the authenticated user.
for port in $MIMQL_PORT $NOCACHE_PORT; do
  curl -sf -H 'content-type: application/json' -H "Authorization: Basic $auth" -d '{"query":"{ checkAuth { username authStatus } }"}' "http://127.0.0.1:$port/api/graphql" | grep -q '"AUTHORIZED"'
done
curl -sf -H 'content-type: application/json' -d '{"query":"{ checkAuth { username authStatus } }"}' "http://127.0.0.1:$CEILING_PORT/api/graphql" | grep -q '"AUTHORIZED"'

# wrk prints latency percentiles with --latency; convert the p99 to milliseconds.
run() {
  local out rps p99
  out=$("${load[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/post.lua" "http://127.0.0.1:$1/api/graphql")
  echo "$out" | grep -qE 'Non-2xx|Socket errors' && { echo "errors during the run:" >&2; echo "$out" >&2; }
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }')
  echo "$rps $p99"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Warm-up (caches the credential, fills connection pools).
for port in $MIMQL_PORT $NOCACHE_PORT $CEILING_PORT; do
  "${load[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$work/post.lua" "http://127.0.0.1:$port/api/graphql" >/dev/null
done

: > "$work/mimql.txt"; : > "$work/nocache.txt"; : > "$work/ceiling.txt"
for i in $(seq 1 "$ROUNDS"); do
  run $MIMQL_PORT >> "$work/mimql.txt"
  run $NOCACHE_PORT >> "$work/nocache.txt"
  run $CEILING_PORT >> "$work/ceiling.txt"
  echo "round $i: mimql $(tail -n1 "$work/mimql.txt") | cache off $(tail -n1 "$work/nocache.txt") | ceiling $(tail -n1 "$work/ceiling.txt")  (req/s p99-ms)"
done
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^mimql_document_cache' | sed 's/^/  /' || true

m_rps=$(awk '{ print $1 }' "$work/mimql.txt" | median)
m_p99=$(awk '{ print $2 }' "$work/mimql.txt" | median)
n_rps=$(awk '{ print $1 }' "$work/nocache.txt" | median)
n_p99=$(awk '{ print $2 }' "$work/nocache.txt" | median)
c_rps=$(awk '{ print $1 }' "$work/ceiling.txt" | median)
c_p99=$(awk '{ print $2 }' "$work/ceiling.txt" | median)
ratio=$(awk -v a="$m_rps" -v b="$c_rps" 'BEGIN { printf "%.2f", a / b }')
n_ratio=$(awk -v a="$n_rps" -v b="$c_rps" 'BEGIN { printf "%.2f", a / b }')

echo
echo "checkAuth, $CONNECTIONS keep-alive connections, $ROUNDS x $DURATION rounds${PIN:+, servers pinned to CPU 1 and wrk to CPU 0}, medians:"
printf '  mimql (Basic auth):            %10.0f req/s   p99 %6.2f ms\n' "$m_rps" "$m_p99"
printf '  mimql, document cache off:     %10.0f req/s   p99 %6.2f ms\n' "$n_rps" "$n_p99"
printf '  ceiling (no auth):             %10.0f req/s   p99 %6.2f ms\n' "$c_rps" "$c_p99"
echo "  ratio mimql/ceiling: $ratio (target >= 1.2, p99 no worse than the ceiling's); cache off: $n_ratio"

# PEERS=1: the same comparison against ejabberd 23.01 (Debian's package, bench/ejabberd.sh):
# its HTTP API's `check_password` for the same account, against mimql's checkAuth, alternating
# rounds.
if [ -n "${PEERS:-}" ]; then
  EJABBERD=1
  # shellcheck source=bench/ejabberd.sh
  . bench/ejabberd.sh
  curl -sf -H 'content-type: application/json' -d '{"user":"bench","host":"localhost","password":"bench-pass"}' "$EJABBERD_API/register" >/dev/null
  curl -sf -H 'content-type: application/json' -d '{"user":"bench","host":"localhost","password":"bench-pass"}' "$EJABBERD_API/check_password" | grep -q '^0$'
  cat > "$work/ej.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"user":"bench","host":"localhost","password":"bench-pass"}'
wrk.headers["Content-Type"] = "application/json"
LUA
  ej_run() {
    local out
    out=$("${load[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/ej.lua" "$EJABBERD_API/check_password")
    echo "$out" | grep -qE 'Non-2xx|Socket errors' && { echo "errors during the run:" >&2; echo "$out" >&2; }
    echo "$out" | awk '/Requests\/sec/ { print $2 }'
  }
  "${load[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$work/ej.lua" "$EJABBERD_API/check_password" >/dev/null
  : > "$work/ej.txt"; : > "$work/mimql2.txt"
  for i in $(seq 1 "$ROUNDS"); do
    run $MIMQL_PORT >> "$work/mimql2.txt"
    ej_run >> "$work/ej.txt"
    echo "peers round $i: mimql $(tail -n1 "$work/mimql2.txt") | ejabberd check_password $(tail -n1 "$work/ej.txt") req/s"
  done
  m2=$(awk '{ print $1 }' "$work/mimql2.txt" | median)
  e=$(awk '{ print $1 }' "$work/ej.txt" | median)
  printf '  mimql checkAuth %10.0f req/s, ejabberd %s check_password %10.0f req/s: %s x\n' "$m2" "$(dpkg-query -W -f='${Version}' ejabberd)" "$e" "$(awk -v a="$m2" -v b="$e" 'BEGIN { printf "%.2f", a / b }')"
fi

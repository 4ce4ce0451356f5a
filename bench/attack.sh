#!/usr/bin/env bash
# Benchmark: authenticated checkAuth load with and without an attacker sending the documents
# of the hardening issue, in alternating rounds; medians and the ratio are reported. See
# bench/README.md ("Under attack").
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
# The attacker: its own wrk with a few connections, cycling through the bad documents.
ATTACK_CONNECTIONS=${ATTACK_CONNECTIONS:-4}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
# Which bad documents the attacker cycles through (numbers below), e.g. "1 2" to measure two alone.
ATTACK_DOCS=${ATTACK_DOCS:-0 1 2 3}
# Where the attacker runs. `own` (the default, with two or more CPUs): the attacker's wrk on the
# last CPU, mimql and the checkAuth load on the others, as with an attacker on a machine of its
# own, so that the ratio measures what refusing costs the server rather than what the
# attacker's generator costs the machine. `shared`: every process on every CPU.
ATTACKER_CPU=${ATTACKER_CPU:-own}
# Bodies refused with 413 a source may send per minute before its connections are cut (mimql's
# default); 0 turns the budget off, as before it existed (every refused body read and discarded).
REFUSED_BYTES_PER_SOURCE=${REFUSED_BYTES_PER_SOURCE:-16777216}
# `release` for figures; `debug` only to check that the script works.
PROFILE=${PROFILE:-release}
MIMQL_PORT=15661
ADMIN_PORT=15651
METRICS_PORT=15691

command -v wrk >/dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
# MIMQL_BIN: a mimql binary to measure instead of building this checkout's (e.g. an older build).
if [ -n "${MIMQL_BIN:-}" ]; then
  :
elif [ "$PROFILE" = release ]; then
  cargo build --release -q -p mimql
else
  cargo build -q -p mimql
fi
cpus=$(nproc)
if [ "$ATTACKER_CPU" = own ] && [ "$cpus" -ge 2 ]; then
  server_cpus=(taskset -c "0-$((cpus - 2))")
  attacker_cpus=(taskset -c "$((cpus - 1))")
else
  ATTACKER_CPU=shared
  server_cpus=()
  attacker_cpus=()
fi
bin=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')/$PROFILE

work=$(mktemp -d)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
pids=()
trap cleanup EXIT

cat > "$work/mimql.toml" <<TOML
[general]
hosts = ["localhost"]
log_level = "error"
[database]
url = "sqlite://$work/bench.db?mode=rwc"
[listen.user]
address = "127.0.0.1:$MIMQL_PORT"
[listen.admin]
address = "127.0.0.1:$ADMIN_PORT"
username = "admin"
password = "secret"
[listen.metrics]
address = "127.0.0.1:$METRICS_PORT"
[listen.c2s]
enabled = false
[limits]
refused_bytes_per_source = $REFUSED_BYTES_PER_SOURCE
TOML

"${server_cpus[@]}" "${MIMQL_BIN:-$bin/mimql}" serve --config "$work/mimql.toml" 2>"$work/mimql.log" & pids+=($!)
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$MIMQL_PORT) 2>/dev/null && break; sleep 0.1; done

api="http://127.0.0.1:$MIMQL_PORT/api/graphql"
for user in bench attacker; do
  curl -sf -u admin:secret -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { account { registerUser(domain: \\\"localhost\\\", username: \\\"$user\\\", password: \\\"$user-pass\\\") { message } } }\"}" \
    "http://127.0.0.1:$ADMIN_PORT/api/graphql" >/dev/null
done
auth=$(printf 'bench@localhost:bench-pass' | base64)
attacker=$(printf 'attacker@localhost:attacker-pass' | base64)

# The attacker stores a 1 MB private element to read back many times.
python3 - "$work/big.json" <<'PY'
import json, sys
element = "<big xmlns='ns:big'>" + "x" * 1_000_000 + "</big>"
json.dump({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }",
           "variables": {"x": element}}, open(sys.argv[1], "w"))
PY
curl -sf -H 'content-type: application/json' -H "Authorization: Basic $attacker" --data-binary @"$work/big.json" "$api" | grep -q setPrivate

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"query":"{ checkAuth { username authStatus } }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $auth"
LUA

# The bad documents, one after the other on every attacker connection:
# 1. 25 levels of three-fold fragment fan-out, anonymous (3^25 fields if expanded);
# 2. a 953 KB XmlElement of 65,000 attributes, anonymous, for a protected field (413: too large without credentials);
# 3. the 1 MB private element read back by 2,000 aliases (authenticated);
# 4. one 40,000-contact variable used by 1,000 addContacts aliases (authenticated).
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
doc = "{...F0}"
for i in range(25):
    doc += " fragment F%d on UserQuery{...F%d ...F%d ...F%d}" % (i, i + 1, i + 1, i + 1)
doc += " fragment F25 on UserQuery{__typename}"
bodies = [
    ("", {"query": doc}),
    ("", {"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }",
          "variables": {"x": "<x xmlns='ns:big'" + "".join(" a%d='v'" % i for i in range(65000)) + "/>"}}),
    ("attacker", {"query": "{ private {" + "".join(' a%d: getPrivate(element: "big", nameSpace: "ns:big")' % i for i in range(2000)) + " } }"}),
    ("attacker", {"query": "mutation($c: [ContactInput!]!) { roster {" + "".join(" a%d: addContacts(contacts: $c)" % i for i in range(1000)) + " } }",
                  "variables": {"c": [{"jid": "c%d@localhost" % i, "name": "n"} for i in range(40000)]}}),
]
for i, (who, body) in enumerate(bodies):
    open("%s/attack%d.json" % (work, i), "w").write(json.dumps(body))
    open("%s/attack%d.who" % (work, i), "w").write(who)
PY

cat > "$work/attack.lua" <<LUA
local bodies, who = {}, {}
for i in string.gmatch("$ATTACK_DOCS", "%d+") do
  local f = io.open("$work/attack" .. i .. ".json"); bodies[#bodies + 1] = f:read("*a"); f:close()
  f = io.open("$work/attack" .. i .. ".who"); who[#who + 1] = f:read("*a"); f:close()
end
-- Built once: an attacker does not pay for formatting a megabyte per request, and neither
-- should the machine the server shares with it.
local requests = {}
for i = 1, #bodies do
  -- wrk.format at load time knows no Host: without one every request got 400 unparsed.
  local headers = { ["Host"] = "127.0.0.1:$MIMQL_PORT", ["Content-Type"] = "application/json" }
  if who[i] == "attacker" then headers["Authorization"] = "Basic $attacker" end
  requests[i] = wrk.format("POST", "/api/graphql", headers, bodies[i])
end
local n = 0
request = function()
  n = n % #requests + 1
  return requests[n]
end
LUA

# Sanity: the normal request works, every attack document is refused with its code.
curl -sf -H 'content-type: application/json' -H "Authorization: Basic $auth" -d '{"query":"{ checkAuth { username authStatus } }"}' "$api" | grep -q '"AUTHORIZED"'
for i in 0 1 2 3; do
  hdr=()
  [ "$(cat "$work/attack$i.who")" = attacker ] && hdr=(-H "Authorization: Basic $attacker")
  reply=$(curl -s -m 5 -w ' %{http_code} %{time_total}s' -H 'content-type: application/json' "${hdr[@]}" --data-binary @"$work/attack$i.json" "$api")
  echo "attack document $i: ${reply: -40}"
done

# CPU seconds (user + system) a process has used so far.
cpu() { awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }

run() {
  local out rps p99
  out=$("${server_cpus[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/post.lua" "$api")
  echo "$out" | grep -qE 'Non-2xx|Socket errors' && { echo "errors during the run:" >&2; echo "$out" >&2; }
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }')
  echo "$rps $p99"
}

attack() {
  local TIMEFORMAT='%U %S'
  { time "${attacker_cpus[@]}" wrk -t1 -c"$ATTACK_CONNECTIONS" -d"$DURATION" --timeout 30s -s "$work/attack.lua" "$api" > "$work/attack.out" 2>&1; } 2> "$work/attack.cpu"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

"${server_cpus[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$work/post.lua" "$api" >/dev/null

: > "$work/quiet.txt"; : > "$work/attacked.txt"; : > "$work/attacks.txt"
for i in $(seq 1 "$ROUNDS"); do
  c0=$(cpu "${pids[0]}")
  run >> "$work/quiet.txt"
  c1=$(cpu "${pids[0]}")
  attack & apid=$!
  run >> "$work/attacked.txt"
  wait "$apid"
  c2=$(cpu "${pids[0]}")
  sent=$(awk '/requests in/ { print $1 }' "$work/attack.out")
  echo "${sent:-0}" >> "$work/attacks.txt"
  attacker_cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$work/attack.cpu")
  echo "round $i: quiet $(tail -n1 "$work/quiet.txt") | under attack $(tail -n1 "$work/attacked.txt")  (req/s p99-ms); attacker sent ${sent:-0} requests; CPU s: mimql $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }') quiet, $(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.1f", b - a }') under attack, attacker's wrk $attacker_cpu"
done
kill -0 "${pids[0]}" || { echo "mimql died:"; cat "$work/mimql.log"; exit 1; }

q_rps=$(awk '{ print $1 }' "$work/quiet.txt" | median)
q_p99=$(awk '{ print $2 }' "$work/quiet.txt" | median)
a_rps=$(awk '{ print $1 }' "$work/attacked.txt" | median)
a_p99=$(awk '{ print $2 }' "$work/attacked.txt" | median)
sent=$(median < "$work/attacks.txt")
ratio=$(awk -v a="$a_rps" -v b="$q_rps" 'BEGIN { printf "%.2f", a / b }')
rss=$(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/${pids[0]}/status")

echo
echo "checkAuth, $CONNECTIONS keep-alive connections, $ROUNDS x $DURATION rounds ($PROFILE build, attacker CPU: $ATTACKER_CPU), medians:"
printf '  quiet:        %10.0f req/s   p99 %8.2f ms\n' "$q_rps" "$q_p99"
printf '  under attack: %10.0f req/s   p99 %8.2f ms   (attacker: %s connections, %s bad requests a round)\n' "$a_rps" "$a_p99" "$ATTACK_CONNECTIONS" "$sent"
echo "  ratio under attack / quiet: $ratio (target > 0.8); mimql peak RSS $rss"

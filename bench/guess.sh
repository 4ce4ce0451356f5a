#!/usr/bin/env bash
# Benchmark: other users' logins while a password-guessing attacker floods one account with
# wrong passwords from one address, in alternating quiet / attacked rounds; medians and the
# ratios are reported. See bench/README.md ("Password guessing").
set -euo pipefail
cd "$(dirname "$0")/.."

# The cached baseline: wrk, authenticated checkAuth of one user whose login is cached.
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
# The uncached baseline: first logins of fresh users (one slow hash each), from another
# address (127.0.0.2), UNCACHED_CLIENTS at a time, UNCACHED_LOGINS a phase.
UNCACHED_CLIENTS=${UNCACHED_CLIENTS:-4}
UNCACHED_LOGINS=${UNCACHED_LOGINS:-100}
# The attacker: its own wrk, GUESSERS connections, each request a different wrong password
# for victim@localhost, all from 127.0.0.1.
GUESSERS=${GUESSERS:-200}
# `own` (default with two or more CPUs): the attacker's wrk on the last CPU; `shared`: anywhere.
ATTACKER_CPU=${ATTACKER_CPU:-own}
# `release` for figures; `debug` only to check that the script works.
PROFILE=${PROFILE:-release}
MIMQL_PORT=15761
ADMIN_PORT=15751
METRICS_PORT=15791

command -v wrk >/dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
if [ "$PROFILE" = release ]; then
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

# [auth] keeps its defaults: the throttle (10 failures per account, then one a minute; 100 per
# address, then one per 10 s) and the hash slots (half the cores, half of them per address).
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
TOML

"${server_cpus[@]}" "$bin/mimql" serve --config "$work/mimql.toml" 2>"$work/mimql.log" & pids+=($!)
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$MIMQL_PORT) 2>/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$MIMQL_PORT/api/graphql"

# Users: bench (cached), victim (attacked), and fresh users for every uncached phase.
fresh=$((ROUNDS * 2 * UNCACHED_LOGINS))
echo "registering $((fresh + 2)) users"
python3 - "$ADMIN_PORT" "$fresh" <<'PY'
import base64, json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, fresh = sys.argv[1], int(sys.argv[2])
auth = "Basic " + base64.b64encode(b"admin:secret").decode()
def register(name):
    body = json.dumps({"query": 'mutation($n: UserName) { account { registerUser(domain: "localhost", '
                       'username: $n, password: "pass") { message } } }', "variables": {"n": name}})
    req = urllib.request.Request("http://127.0.0.1:%s/api/graphql" % port, body.encode(),
                                 {"content-type": "application/json", "authorization": auth})
    reply = json.load(urllib.request.urlopen(req, timeout=60))
    assert not reply.get("errors"), reply
with ThreadPoolExecutor(4) as pool:
    list(pool.map(register, ["bench", "victim"] + ["fresh%d" % i for i in range(fresh)]))
PY
auth=$(printf 'bench@localhost:pass' | base64)

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"query":"{ checkAuth { username authStatus } }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $auth"
LUA

# The attacker: 10,000 different wrong passwords for victim@localhost, built once.
# (wrk.format at load time knows no Host: a request without one would get 400 unparsed.)
python3 - "$work/guess.lua" "$MIMQL_PORT" <<'PY'
import base64, sys
headers = ['"Basic %s"' % base64.b64encode(b"victim@localhost:guess%d" % i).decode() for i in range(10000)]
open(sys.argv[1], "w").write("""
local auths = {%s}
local requests = {}
for i = 1, #auths do
  requests[i] = wrk.format("POST", "/api/graphql",
    { ["Host"] = "127.0.0.1:PORT", ["Content-Type"] = "application/json", ["Authorization"] = auths[i] },
    '{"query":"{ checkAuth { username } }"}')
end
local n = 0
request = function()
  n = n %% #requests + 1
  return requests[n]
end
""".replace("PORT", sys.argv[2]) % ",".join(headers))
PY

# The uncached phase: UNCACHED_LOGINS first logins of fresh users from 127.0.0.2; prints
# "logins/s p99-ms failures".
cat > "$work/uncached.py" <<'PY'
import base64, http.client, json, sys, time
from concurrent.futures import ThreadPoolExecutor
port, first, count, clients = (int(a) for a in sys.argv[1:5])
body = json.dumps({"query": "{ checkAuth { username authStatus } }"})
def login(i):
    auth = "Basic " + base64.b64encode(b"fresh%d@localhost:pass" % i).decode()
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=("127.0.0.2", 0))
    c.request("POST", "/api/graphql", body, {"content-type": "application/json", "authorization": auth})
    r = c.getresponse()
    ok = r.status == 200 and b"AUTHORIZED" in r.read()
    c.close()
    return time.monotonic() - t, ok
start = time.monotonic()
with ThreadPoolExecutor(clients) as pool:
    results = list(pool.map(login, range(first, first + count)))
elapsed = time.monotonic() - start
lat = sorted(r[0] for r in results)
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
print("%.1f %.1f %d" % (count / elapsed, p99, sum(1 for r in results if not r[1])))
PY

# Sanity: the cached login works, a wrong guess is refused.
curl -sf -H 'content-type: application/json' -H "Authorization: Basic $auth" -d '{"query":"{ checkAuth { username authStatus } }"}' "$api" | grep -q '"AUTHORIZED"'
code=$(curl -s -o /dev/null -w '%{http_code}' -u victim@localhost:nope -H 'content-type: application/json' -d '{"query":"{ checkAuth { username } }"}' "$api")
[ "$code" = 401 ] || { echo "a wrong password got $code"; exit 1; }

run() {
  local out rps p99
  out=$("${server_cpus[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/post.lua" "$api")
  echo "$out" | grep -qE 'Non-2xx|Socket errors' && { echo "errors during the run:" >&2; echo "$out" >&2; }
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }')
  echo "$rps $p99"
}

# One phase: the cached load and the uncached logins at the same time.
phase() {
  local first=$1 cached uncached
  python3 "$work/uncached.py" "$MIMQL_PORT" "$first" "$UNCACHED_LOGINS" "$UNCACHED_CLIENTS" > "$work/uncached.out" &
  local upid=$!
  cached=$(run)
  wait "$upid"
  uncached=$(cat "$work/uncached.out")
  echo "$cached $uncached"
}

attack() {
  "${attacker_cpus[@]}" wrk -t1 -c"$GUESSERS" -d"$DURATION" --timeout 30s -s "$work/guess.lua" "$api" > "$work/attack.out" 2>&1
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

"${server_cpus[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$work/post.lua" "$api" >/dev/null

: > "$work/quiet.txt"; : > "$work/attacked.txt"; : > "$work/attacks.txt"
first=0
for i in $(seq 1 "$ROUNDS"); do
  phase "$first" >> "$work/quiet.txt"; first=$((first + UNCACHED_LOGINS))
  attack & apid=$!
  sleep 1
  phase "$first" >> "$work/attacked.txt"; first=$((first + UNCACHED_LOGINS))
  wait "$apid"
  sent=$(awk '/requests in/ { print $1 }' "$work/attack.out")
  refused=$(awk '/Non-2xx/ { print $5 }' "$work/attack.out")
  echo "${sent:-0} ${refused:-0}" >> "$work/attacks.txt"
  echo "round $i: quiet $(tail -n1 "$work/quiet.txt") | attacked $(tail -n1 "$work/attacked.txt")  (cached req/s p99-ms, uncached logins/s p99-ms failures); attacker sent ${sent:-0}, ${refused:-0} answered 401 or 429"
done
kill -0 "${pids[0]}" || { echo "mimql died:"; cat "$work/mimql.log"; exit 1; }
throttle=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^mimql_login_throttle_total' || true)

col() { awk -v c="$2" '{ print $c }' "$work/$1.txt" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "Password guessing: $GUESSERS connections guessing victim@localhost from 127.0.0.1; $ROUNDS x $DURATION rounds ($PROFILE build, attacker CPU: $ATTACKER_CPU), medians:"
printf '  cached checkAuth (%s conns):     quiet %8.0f req/s p99 %8.2f ms | attacked %8.0f req/s p99 %8.2f ms | ratio %s\n' \
  "$CONNECTIONS" "$(col quiet 1)" "$(col quiet 2)" "$(col attacked 1)" "$(col attacked 2)" "$(ratio "$(col attacked 1)" "$(col quiet 1)")"
printf '  uncached first logins (%s clients): quiet %8.1f /s    p99 %8.1f ms | attacked %8.1f /s    p99 %8.1f ms | ratio %s; failures quiet %s, attacked %s\n' \
  "$UNCACHED_CLIENTS" "$(col quiet 3)" "$(col quiet 4)" "$(col attacked 3)" "$(col attacked 4)" "$(ratio "$(col attacked 3)" "$(col quiet 3)")" \
  "$(awk '{ s += $5 } END { print s + 0 }' "$work/quiet.txt")" "$(awk '{ s += $5 } END { print s + 0 }' "$work/attacked.txt")"
echo "  attacker: $(awk '{ print $1 }' "$work/attacks.txt" | median) requests a round, $(awk '{ print $2 }' "$work/attacks.txt" | median) of them answered 401 or 429 (the rest timed out or were cut at the round's end)"
echo "  throttle: $(echo "$throttle" | tr '\n' ' ')"

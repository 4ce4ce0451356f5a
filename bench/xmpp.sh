#!/usr/bin/env bash
# Benchmark: XMPP clients against mimql and ejabberd (Debian's package, 23.01 on bookworm) on
# the same machine, configured alike: STARTTLS required, SASL PLAIN, MAM on (every chat message
# archived), no traffic shaping. See bench/README.md ("XMPP clients").
# Knobs: ROUNDS (3), DURATION (seconds, 10), LOGIN_CLIENTS (16), IDLE (10,000), PAIRS (64),
# WINDOW (32), LISTENERS (1,000), MESSAGES (1,000), FRESH (2,000 first-login users); EJABBERD=0
# measures mimql alone. VARIANTS measures several mimql configurations in one run, each on a
# copy of the seeded database: `name|TOML appended to the config (\n for newlines)|LD_PRELOAD`
# separated by `;`, e.g. VARIANTS='nocache|[limits]\naccount_id_cache_entries = 0;default'.
set -euo pipefail
cd "$(dirname "$0")/.."
export ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10}
ulimit -n "$(ulimit -Hn)"

# `release` for figures; `debug` only to check that the script works.
PROFILE=${PROFILE:-release}
# PREBUILT=1: measure the binaries already in target/$PROFILE (built from an earlier commit).
if [ -n "${PREBUILT:-}" ]; then
  :
elif [ "$PROFILE" = release ]; then
  cargo build --release -q -p mimql -p mimql-bench-messaging
else
  cargo build -q -p mimql -p mimql-bench-messaging
fi
target=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')/$PROFILE

work=$(mktemp -d)
cleanup() {
  if [ -n "${ej_pid:-}" ]; then
    su ejabberd -s /bin/sh -c "ejabberdctl --ctl-config $work/ej/ejabberdctl.cfg --node mimqlbench@localhost stop" >/dev/null 2>&1 || kill "$ej_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "${EJABBERD:-1}" != 0 ]; then
  command -v ejabberdctl >/dev/null || { echo "installing ejabberd"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q ejabberd >/dev/null; }
  ej_c2s=15222; ej_http=15280
  mkdir -p "$work/ej/spool" "$work/ej/logs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$work/ej/key.pem" -out "$work/ej/cert.pem" 2>/dev/null
  cat "$work/ej/key.pem" >> "$work/ej/cert.pem"
  cat > "$work/ej/ejabberd.yml" <<YML
hosts: ["localhost"]
loglevel: warning
certfiles: ["$work/ej/cert.pem"]
auth_method: internal
listen:
  - port: $ej_c2s
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 65536
  - port: $ej_http
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
acl:
  loopback:
    ip: ["127.0.0.0/8"]
api_permissions:
  "benchmark registration":
    who:
      ip: "127.0.0.0/8"
    what: ["register"]
modules:
  mod_disco: {}
  mod_http_api: {}
  mod_mam:
    default: always
  mod_ping: {}
  mod_roster: {}
  mod_stream_mgmt: {}
YML
  # Our own ejabberdctl.cfg: the package's names /etc/ejabberd/ejabberd.yml, over --config.
  echo 'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"' > "$work/ej/ejabberdctl.cfg"
  chown -R ejabberd: "$work/ej"; chmod 755 "$work"
  su ejabberd -s /bin/sh -c "ulimit -n $(ulimit -Hn); ejabberdctl --config $work/ej/ejabberd.yml --ctl-config $work/ej/ejabberdctl.cfg --spool $work/ej/spool --logs $work/ej/logs --node mimqlbench@localhost foreground" >"$work/ej/out.log" 2>&1 &
  ej_pid=$!
  for _ in $(seq 1 300); do (echo > /dev/tcp/127.0.0.1/$ej_http) 2>/dev/null && break; sleep 0.2; done
  beam=$(pgrep -f 'mimqlbench@localhost' | while read -r p; do [ "$(cat /proc/$p/comm)" = beam.smp ] && echo "$p"; done | head -n1)
  [ -n "$beam" ] || { echo "ejabberd did not start:"; cat "$work/ej/out.log"; exit 1; }
  echo "ejabberd $(dpkg-query -W -f='${Version}' ejabberd) running (beam pid $beam)"
  export EJABBERD=127.0.0.1:$ej_c2s EJABBERD_API=http://127.0.0.1:$ej_http/api EJABBERD_PID=$beam
else
  unset EJABBERD
fi
"$target/mimql-bench-messaging" "$target/mimql" xmpp

#!/usr/bin/env bash
# Benchmark: XMPP clients against mimql and ejabberd (Debian's package, 23.01 on bookworm) on
# the same machine, configured alike: STARTTLS required, SASL PLAIN, MAM on (every chat message
# archived), no traffic shaping. See bench/README.md ("XMPP clients").
# Knobs: ROUNDS (3), DURATION (seconds, 10), LOGIN_CLIENTS (16), IDLE (10,000), PAIRS (64),
# WINDOW (32), LISTENERS (1,000), MESSAGES (1,000), FRESH (2,000 first-login users); EJABBERD=0
# measures mimql alone; MODE=presence runs bench/presence.sh's benchmark instead. VARIANTS
# measures several mimql configurations in one run, each on a
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

# shellcheck source=bench/ejabberd.sh
. bench/ejabberd.sh
"$target/mimql-bench-messaging" "$target/mimql" "${MODE:-xmpp}"

#!/usr/bin/env bash
# Benchmark: many subscriptions on one node (bench/README.md, "Many subscriptions"). Release
# build; the layout comes from SSE_CONNECTIONS, WS_CONNECTIONS, WS_SUBSCRIPTIONS_PER_CONNECTION
# (defaults: 50,000 SSE and 50,000 WebSocket connections, one subscription each).
set -euo pipefail
cd "$(dirname "$0")/.."

# Client and server each hold one descriptor per connection: raise the soft limit as far as the
# hard one allows (raising the hard limit needs CAP_SYS_RESOURCE, e.g. `ulimit -Hn 300000` as a
# privileged root, or LimitNOFILE in a systemd unit).
ulimit -n "$(ulimit -Hn)"
need=$(( ${SSE_CONNECTIONS:-50000} + ${WS_CONNECTIONS:-${SSE_CONNECTIONS:-50000}} + ${HEAVY_SESSIONS:-1000} + 200 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "the open-file limit ($(ulimit -n)) is below the $need connections asked for: lower SSE_CONNECTIONS/WS_CONNECTIONS or raise ulimit -Hn" >&2
  exit 1
fi
# PREBUILT=1: measure the binaries already in target/release (built from an earlier commit).
[ -n "${PREBUILT:-}" ] || cargo build --release -q -p mimql -p mimql-bench-messaging
target=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')/release
"$target/mimql-bench-messaging" "$target/mimql" subscriptions

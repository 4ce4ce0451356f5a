#!/usr/bin/env bash
# Interop with an unmodified third-party XMPP client: slixmpp (PyPI, pinned in
# requirements.txt) in a virtual environment of its own, against the debug `mimql` binary.
# Idempotent: the environment is made once (target/interop-venv, or $MIMQL_INTEROP_VENV) and
# reinstalled only when requirements.txt changes. Two nodes too when PostgreSQL
# ($MIMQL_INTEROP_PG_URL, default postgres://postgres@127.0.0.1:5432) answers and nats-server
# is installed. The last line is the summary; the exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

here=tests/interop
venv=${MIMQL_INTEROP_VENV:-target/interop-venv}
python=${PYTHON:-python3}
stamp="$venv/.requirements"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "interop: FAILED: no $python (Python 3 with venv is needed)"
  exit 1
fi
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
  echo "== interop: making $venv"
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" || ! "$venv/bin/pip" install -q --disable-pip-version-check \
      -r "$here/requirements.txt"; then
    echo "interop: FAILED: cannot install $(grep -v '^#' "$here/requirements.txt")"
    exit 1
  fi
  cp "$here/requirements.txt" "$stamp"
fi

if ! cargo build -q --bin mimql; then
  echo "interop: FAILED: cannot build mimql"
  exit 1
fi

args=(--mimql target/debug/mimql)
pg=${MIMQL_INTEROP_PG_URL:-postgres://postgres@127.0.0.1:5432}
if command -v nats-server >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 \
    && psql "$pg/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  args+=(--postgres "$pg" --nats-server "$(command -v nats-server)")
fi
exec "$venv/bin/python" "$here/slixmpp_scenarios.py" "${args[@]}" "$@"

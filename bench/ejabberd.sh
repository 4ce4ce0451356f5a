# Sourced by bench/xmpp.sh (and so bench/presence.sh): unless EJABBERD=0, starts ejabberd (Debian's package, installed if
# missing) in "$work/ej" with its own config (STARTTLS required, PLAIN, MAM always on, roster
# versioning, the HTTP API for registration and roster items) and exports EJABBERD,
# EJABBERD_API and EJABBERD_PID for mimql-bench-messaging. The caller's EXIT trap stops it
# (ej_pid).
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
    what: ["register", "add_rosteritem", "check_password"]
modules:
  mod_admin_extra: {}
  mod_disco: {}
  mod_http_api: {}
  mod_mam:
    default: always
  mod_ping: {}
  mod_roster:
    versioning: true
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

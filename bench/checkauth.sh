# Sourced by bench/run.sh and bench/profile.sh: the checkAuth benchmark's server config, its
# account and wrk's request, written once. Needs $work (a scratch directory).

checkauth_config() { # name user-port admin-port metrics-port cache-entries
  cat > "$work/$1.toml" <<TOML
[general]
hosts = ["localhost"]
log_level = "warn"
[database]
url = "sqlite://$work/$1.db?mode=rwc"
[listen.user]
address = "127.0.0.1:$2"
[listen.admin]
address = "127.0.0.1:$3"
username = "admin"
password = "secret"
[listen.metrics]
address = "127.0.0.1:$4"
[listen.c2s]
enabled = false
[limits]
document_cache_entries = $5
TOML
}

checkauth_wait() { # port...: until each accepts connections (60 s at most: valgrind starts slowly)
  local port
  for port in "$@"; do
    for _ in $(seq 1 600); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  done
}

checkauth_register() { # admin-port: registers bench@localhost through the admin API
  curl -sf -u admin:secret -H 'content-type: application/json' \
    -d '{"query":"mutation { account { registerUser(domain: \"localhost\", username: \"bench\", password: \"bench-pass\") { message } } }"}' \
    "http://127.0.0.1:$1/api/graphql" >/dev/null
}

# wrk's request: checkAuth with bench@localhost's Basic credentials.
checkauth_auth=$(printf 'bench@localhost:bench-pass' | base64)
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"query":"{ checkAuth { username authStatus } }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $checkauth_auth"
LUA

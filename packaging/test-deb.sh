#!/bin/bash
# Builds the Debian package and tries it on this machine, as an operator would: lintian, install,
# the server started the way the systemd unit starts it (as the mimql user), a user registered
# and logged in, an upgrade to a rebuilt package with a bumped version that keeps a locally
# edited config and the data, then remove and purge.
#
# Needs root (dpkg), cargo-deb (`cargo install cargo-deb --locked`), lintian, curl and setpriv;
# not systemd. The ports of the packaged config (5561, 5551, 9091) must be free, and mimql must
# not be installed. Run from anywhere: packaging/test-deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root: it installs the package with dpkg"
for tool in lintian curl setpriv dpkg-deb; do
    command -v "$tool" >/dev/null || fail "$tool is missing"
done
cargo deb --version >/dev/null 2>&1 || fail "cargo-deb is missing: cargo install cargo-deb --locked"
if dpkg-query -W -f='${Status}' mimql 2>/dev/null | grep -q 'installed'; then
    fail "mimql is already installed here (dpkg --purge mimql first)"
fi
for port in 5561 5551 9091; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is in use: the packaged config listens there"
    fi
done

version=$(cargo pkgid -p mimql | sed 's/.*[#@]//')
out=target/debian-test
rm -rf "$out"
mkdir -p "$out"
first="$out/mimql_${version}-1_amd64.deb"
second="$out/mimql_${version}-2_amd64.deb"
config=/etc/mimql/mimql.toml
log="$out/server.log"
server=""

stop_server() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        local status=0
        wait "$server" || status=$?
        server=""
        [ "$status" = 0 ] || fail "the server exited with status $status on SIGTERM"
    fi
    server=""
}
# Whatever happens, the server does not outlive the script.
trap 'if [ -n "$server" ]; then kill -KILL "$server" 2>/dev/null || true; fi' EXIT

step "build: cargo deb (release)"
cargo deb --output "$first"
ls -l "$first"

step "lintian"
lintian --fail-on error --display-info "$first" || fail "lintian reports errors"
echo "lintian: no errors"

step "install: dpkg -i"
dpkg -i "$first" </dev/null
getent passwd mimql || fail "no mimql user"
getent group mimql || fail "no mimql group"
[ "$(stat -c '%a %U:%G' /var/lib/mimql)" = "750 mimql:mimql" ] ||
    fail "/var/lib/mimql is $(stat -c '%a %U:%G' /var/lib/mimql)"
[ "$(stat -c '%a %U:%G' "$config")" = "640 root:mimql" ] ||
    fail "$config is $(stat -c '%a %U:%G' "$config")"
dpkg-query -W -f='${Conffiles}\n' mimql | grep -q " $config " || fail "$config is not a conffile"
unit=$(dpkg -L mimql | grep '/mimql\.service$') || fail "no mimql.service in the package"
echo "unit: $unit"
grep -E '^(ExecStartPre|ExecStart|ExecReload|User|Group|WorkingDirectory|LimitNOFILE|NoNewPrivileges|ProtectSystem|ReadWritePaths|ProtectHome|PrivateTmp|Restart)=' "$unit"

# A key of the unit's [Service] section.
unit_key() { sed -n "s/^$1=//p" "$unit"; }
# A command line run as the unit runs it: its user and group, working directory, file limit,
# no new privileges and a clean environment.
# Replaces the current (sub)shell, so that a backgrounded `( unit_exec ... ) &` has the server's
# pid.
unit_exec() {
    cd "$(unit_key WorkingDirectory)"
    ulimit -n "$nofile"
    exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        setpriv --reuid="$(unit_key User)" --regid="$(unit_key Group)" --init-groups \
        --no-new-privs "$@"
}
as_unit() { (unit_exec "$@"); }
# LimitNOFILE, or this machine's hard limit when that is lower (systemd, as PID 1, may raise it;
# a process here may not).
nofile=$(unit_key LimitNOFILE)
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$nofile" ]; then
    echo "note: LimitNOFILE=$nofile is over this machine's hard limit; using $(ulimit -Hn)"
    nofile=$(ulimit -Hn)
fi
start_server() {
    step "start: ExecStartPre, then ExecStart, as $(unit_key User)"
    # shellcheck disable=SC2046 # the unit's command lines, split into words as systemd does
    as_unit $(unit_key ExecStartPre)
    # shellcheck disable=SC2046
    (unit_exec $(unit_key ExecStart)) >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        if curl -sf http://127.0.0.1:5561/health >/dev/null; then
            echo "serving (pid $server)"
            return
        fi
        kill -0 "$server" 2>/dev/null || {
            cat "$log"
            fail "the server exited"
        }
        sleep 0.2
    done
    cat "$log"
    fail "the server did not answer /health"
}
# Whether the API on this port authorizes these credentials (checkAuth); prints the answer.
authorized() {
    local answer
    answer=$(curl -s -u "$2" -H 'content-type: application/json' \
        -d '{"query":"{ checkAuth { authStatus } }"}' "http://127.0.0.1:$1/api/graphql")
    echo "checkAuth on :$1 as ${2%%:*}: $answer"
    [[ $answer == *'"authStatus":"AUTHORIZED"'* ]]
}

start_server
if grep -q $'\e' "$log"; then fail "colour codes in the log"; fi
password_file=/var/lib/mimql/admin-password
grep -F "$password_file" "$log" || fail "the log does not say where the admin password is"
[ "$(stat -c '%a %U:%G' "$password_file")" = "600 mimql:mimql" ] ||
    fail "$password_file is $(stat -c '%a %U:%G' "$password_file")"
admin_password=$(cat "$password_file")
authorized 5551 "admin:$admin_password" ||
    fail "the admin API refuses the generated password"
if authorized 5551 admin:secret; then
    fail "the admin API takes admin:secret"
fi

step "register a user: mimql user add --config $config"
printf 'pw-before-upgrade\n' | as_unit mimql user add alice@localhost --config "$config"
authorized 5561 alice@localhost:pw-before-upgrade ||
    fail "alice cannot log in"
echo

step "upgrade to ${version}-2 with a locally edited config"
sed -i 's/^log_level = "info"$/log_level = "info,mimql=debug"/' "$config"
grep -q 'mimql=debug' "$config" || fail "the local edit did not apply"
cargo deb --no-build --deb-version "${version}-2" --output "$second"
# As with systemd's restart-after-upgrade, the old server runs while dpkg replaces the files.
dpkg -i "$second" </dev/null
dpkg-query -W -f='${Version}\n' mimql | grep -qx "${version}-2" || fail "not upgraded"
grep -q 'mimql=debug' "$config" || fail "the upgrade lost the local edit of $config"
[ "$(cat "$password_file")" = "$admin_password" ] || fail "the admin password changed"
stop_server
start_server
authorized 5561 alice@localhost:pw-before-upgrade ||
    fail "alice cannot log in after the upgrade"
echo
authorized 5551 "admin:$admin_password" ||
    fail "the admin password is not taken after the upgrade"
stop_server
if pgrep -u mimql >/dev/null; then fail "a process of the mimql user still runs"; fi
echo "stopped"

step "remove: the data and the config stay"
dpkg -r mimql </dev/null
[ -f /var/lib/mimql/mimql.db ] || fail "remove deleted the database"
[ -f "$config" ] || fail "remove deleted the config"
getent passwd mimql >/dev/null || fail "remove deleted the user"

step "purge: the data, the config and the user go"
dpkg -P mimql </dev/null
[ ! -e /var/lib/mimql ] || fail "/var/lib/mimql is still there"
[ ! -e /etc/mimql ] || fail "/etc/mimql is still there"
! getent passwd mimql >/dev/null || fail "the mimql user is still there"
! getent group mimql >/dev/null || fail "the mimql group is still there"

step "PASS"

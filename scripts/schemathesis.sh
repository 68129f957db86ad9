#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document (issue #11): schemathesis, installed with pip
# into a throwaway virtualenv, against the real binary serving the demo's data on a free loopback
# port, signed in as the demo's admin. Fails on any 5xx answer and on any panic in the server's
# log. docs/api-fuzzing.md records what a run covers and what it found.
#
#   scripts/schemathesis.sh                 # 25 examples per operation, fixed seed
#   SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=random scripts/schemathesis.sh
#
# Environment: NIANJIAN_BIN (default target/debug/nianjian, built if missing),
# SCHEMATHESIS_VENV (default target/tmp/schemathesis-venv, reused when its version matches),
# SCHEMATHESIS_EXAMPLES, SCHEMATHESIS_SEED. Extra arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

version=4.32.5
examples=${SCHEMATHESIS_EXAMPLES:-25}
seed=${SCHEMATHESIS_SEED:-20171127}
venv=${SCHEMATHESIS_VENV:-$root/target/tmp/schemathesis-venv}
bin=${NIANJIAN_BIN:-$root/target/debug/nianjian}
password=nianjian-demo-2017 # the demo's (src/cli/demo.rs)

log() { printf '\n== %s ==\n' "$*"; }

if [ ! -x "$bin" ]; then
    log "building nianjian"
    cargo build --bin nianjian
fi

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    log "installing schemathesis $version into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

log "demo data in a fresh directory"
cp -r imports "$work/imports"
run_nianjian() {
    (cd "$work" && env -u DATABASE_URL -u NIANJIAN_CONFIG NIANJIAN_LOG=warn "$bin" "$@")
}
run_nianjian demo --no-serve >"$work/demo.log" 2>&1 || {
    cat "$work/demo.log" >&2
    exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd "$work" && exec env -u DATABASE_URL -u NIANJIAN_CONFIG NIANJIAN_LOG=warn \
    NIANJIAN_ADDRESS=127.0.0.1 NIANJIAN_PORT="$port" "$bin" serve) >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.5
done
curl -sf "$base/healthz" >/dev/null

log "an admin session"
# Admins get no API tokens (they are for department systems), so the run signs in as the demo's
# admin and sends the session cookie, with its CSRF token on state-changing requests.
session=$(curl -sf -c "$work/cookies" -H 'Content-Type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$password\"}" "$base/api/v1/session")
csrf=$(printf '%s' "$session" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
cookie=$(awk '$6 == "nianjian_session" { print $7 }' "$work/cookies")
[ -n "$csrf" ] && [ -n "$cookie" ]
# The credentials of the document's security schemes (components.securitySchemes).
cat >"$work/schemathesis.toml" <<TOML
[auth.openapi.sessionCookie]
api_key = "$cookie"

[auth.openapi.csrfToken]
api_key = "$csrf"
TOML

seed_args=()
if [ "$seed" != "random" ]; then seed_args=(--seed "$seed"); fi

# Two operations end the run's own session when they hit it (resetting the password of user 1,
# the admin; signing out), after which every request would only test the 401 answer: they run
# last, each on its own.
passes=(
    "--exclude-operation-id postUsersIdResetPassword --exclude-operation-id deleteSession"
    "--include-operation-id postUsersIdResetPassword"
    "--include-operation-id deleteSession"
)

status=0
for filter in "${passes[@]}"; do
    log "schemathesis $version, $examples examples per operation: $filter"
    # From the scratch directory, so that schemathesis' cache (.schemathesis/) goes with it.
    (cd "$work" && "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" \
        run "$base/api/v1/openapi.json" \
        --checks not_a_server_error \
        --max-examples "$examples" \
        "${seed_args[@]}" \
        $filter \
        --request-timeout 30 \
        "$@") || status=$?
done

if grep -n 'panicked' "$work/server.log" >&2; then
    echo "the server panicked (above)" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "--- the server's log (last 40 lines) ---" >&2
    tail -n 40 "$work/server.log" >&2
fi
exit "$status"

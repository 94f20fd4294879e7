#!/usr/bin/env bash
# Audited reads (benchmark, not a pass/fail test). Every read of patient
# data writes a hash-chained audit row in the request's transaction, under
# the hospital's chain lock (sql/0011_audit_chain.sql). This measures what
# that costs, against a reference of the same shape measured in the same
# run on the same server:
#
#   audited    wrk -> GET /api/v1/patients/{id}   (session, one read, one
#                                                  audit row, COMMIT)
#   reference  wrk -> GET /api/v1/me              (session, two reads, no
#                                                  audit row)
#
# and prints req/s, p99 and the ratio audited/reference, then checks the
# chain is intact after the load. BENCH_SRC builds another checkout (e.g. an
# older commit in a git worktree) with this same script, for before/after.
#
# Environment (all optional): BENCH_DURATION (10s), BENCH_WARMUP (3s),
# BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), BENCH_WRK_THREADS (2),
# BENCH_THREADS (4), BENCH_BUILD_DIR (<checkout>/build-bench), BENCH_SRC.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${BENCH_SRC:-$(cd "$here/../.." && pwd)}
build=${BENCH_BUILD_DIR:-$src/build-bench}
secs=${BENCH_DURATION:-10s}
warm=${BENCH_WARMUP:-3s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-16}
wrk_threads=${BENCH_WRK_THREADS:-2}
threads=${BENCH_THREADS:-4}

# shellcheck source=lib.sh
. "$here/lib.sh"
bench_deps
bench_build

work=$(mktemp -d /tmp/concerto-bench-audit-XXXXXX)
srv_pid='' pgdir='' pg_started=''
cleanup() {
  set +e
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  [ -n "$pg_started" ] && pg_stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_pg_db concerto_bench_audit
port=$(free_port)
cat >"$work/concerto.json" <<EOF
{"listen": "127.0.0.1:$port", "database_url": "$dburl", "data_dir": "$work/data",
 "threads": $threads, "db_pool_size": $threads, "argon2_t_cost": 1,
 "argon2_m_kib": 8192, "log": {"access": false, "level": "warn"}}
EOF
CONCERTO_ADMIN_PASSWORD=Bench-Regione-2026 "$build/core/concerto" --config "$work/concerto.json" \
  2>"$work/server.log" &
srv_pid=$!
wait_http "http://127.0.0.1:$port/healthz"
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.1
done

api() { # api COOKIEJAR METHOD PATH [JSON]
  local csrf
  csrf=$(cat "$1.csrf" 2>/dev/null || true)
  curl -fsS -b "$1" -c "$1" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
    -X "$2" "http://127.0.0.1:$port$3" ${4:+-d "$4"}
}
login() { # login COOKIEJAR USER PASSWORD
  curl -fsS -c "$1" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$2\",\"password\":\"$3\"}" "http://127.0.0.1:$port/api/v1/auth/login" |
    sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' >"$1.csrf"
}
login "$work/admin" admin Bench-Regione-2026
api "$work/admin" POST /api/v1/tenants '{"code":"HUB1","name":"Hub","kind":"AOU"}' >/dev/null
api "$work/admin" POST /api/v1/tenants/HUB1/users \
  '{"username":"doc","display_name":"Doc","password":"Bench-Medico-2026","roles":["specialist"]}' >/dev/null
login "$work/doc" doc Bench-Medico-2026
patient=$(api "$work/doc" POST /api/v1/patients \
  '{"fiscal_code":"RSSMRA80A01H501U","surname":"Rossi","given_name":"Mario","birth_date":"1980-01-01","sex":"M"}' |
  sed -n 's/.*"id":"\([0-9]*\)".*/\1/p')
cookie=$(awk '$6 == "concerto_session" {print $7}' "$work/doc")

# measure PATH: prints "req/s p99_ms".
measure() {
  wrk -t "$wrk_threads" -c "$conns" -d "$warm" -H "Cookie: concerto_session=$cookie" \
    "http://127.0.0.1:$port$1" >/dev/null
  wrk -t "$wrk_threads" -c "$conns" -d "$secs" --latency -H "Cookie: concerto_session=$cookie" \
    "http://127.0.0.1:$port$1" >"$work/wrk.txt"
  awk '/Requests\/sec/ {r = $2} /^ +99%/ {p = $2} END {print r, p}' "$work/wrk.txt"
}

echo "==> audited reads, $rounds rounds of $secs, $conns connections ($(git -C "$src" rev-parse --short HEAD))"
ratios=() audited=() reference=()
for i in $(seq "$rounds"); do
  read -r ref ref_p99 < <(measure /api/v1/me)
  read -r aud aud_p99 < <(measure "/api/v1/patients/$patient")
  r=$(ratio "$aud" "$ref")
  ratios+=("$r") audited+=("$aud") reference+=("$ref")
  printf 'round %d: audited %8.0f req/s (p99 %s)  reference %8.0f req/s (p99 %s)  ratio %s\n' \
    "$i" "$aud" "$aud_p99" "$ref" "$ref_p99" "$r"
done
printf 'median: audited %.0f req/s, reference %.0f req/s, ratio %s\n' \
  "$(median "${audited[@]}")" "$(median "${reference[@]}")" "$(median "${ratios[@]}")"
rows=$(psql -h "$pghost" -U concerto -d concerto_bench_audit -tAc \
  "SELECT count(*) FROM concerto.audit_log WHERE action = 'patient.read'")
echo "audit rows written: $rows"
api "$work/admin" GET /api/v1/audit/verify
echo

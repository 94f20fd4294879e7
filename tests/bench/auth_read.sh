#!/usr/bin/env bash
# Authenticated JSON read (benchmark, not a pass/fail test), paired in the
# same run with the bare libmicrohttpd + libpq program (bare_mhd_pq.c, mode
# "auth") doing the same SQL over the same kind of connection:
#
#   concerto  wrk (session cookie) -> GET /api/v1/bench_notes/notes/1: the
#             session check (concerto.auth_session, which also sets the
#             hospital for row-level security), one primary-key SELECT
#             under RLS, COMMIT; the module tests/bench/bench_notes is
#             built out of tree with pkg-config, like a vendor's
#   bare      wrk -> the bare server sending the same three messages:
#             "BEGIN; SELECT * FROM concerto.auth_session(...)", the
#             prepared SELECT, COMMIT, as the application role
#
# Prints req/s, p99 and the ratio concerto/bare per round and the medians
# (target >= 0.80, docs/performance.md). BENCH_SRC builds another checkout
# (e.g. an older commit in a git worktree) with this same script, for
# before/after; the module and the bare program come from this script's
# checkout.
#
# Environment (all optional): BENCH_DURATION (10s), BENCH_WARMUP (3s),
# BENCH_ROUNDS (3), BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (2),
# BENCH_THREADS (4: Concerto's threads and db_pool_size, the bare server's
# threads and connections), BENCH_BUILD_DIR (<checkout>/build-bench),
# BENCH_SRC.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${BENCH_SRC:-$(cd "$here/../.." && pwd)}
build=${BENCH_BUILD_DIR:-$src/build-bench}
secs=${BENCH_DURATION:-10s}
warm=${BENCH_WARMUP:-3s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
threads=${BENCH_THREADS:-4}

# shellcheck source=lib.sh
. "$here/lib.sh"
bench_deps
bench_build

work=$(mktemp -d /tmp/concerto-bench-auth-XXXXXX)
srv_pid='' bare_pid='' pgdir='' pg_started=''
cleanup() {
  set +e
  for p in $srv_pid $bare_pid; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -f "$work/server.log" ] && cp "$work/server.log" "$build/bench-auth-server.log"
  [ -n "$pg_started" ] && pg_stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_pg_db concerto_bench_auth
bench_install "$work/prefix"
mkdir -p "$moduledir/bench_notes"
# shellcheck disable=SC2046
cc -O2 -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags concerto-plugin) \
  -o "$moduledir/bench_notes.so" "$here/bench_notes/bench_notes.c" \
  $(pkg-config --libs concerto-plugin jansson)
cp -r "$here/bench_notes/sql" "$moduledir/bench_notes/"

port=$(free_port)
cat >"$work/concerto.json" <<JSON
{"listen": "127.0.0.1:$port", "database_url": "$dburl", "data_dir": "$work/data",
 "modules_dir": "$moduledir", "modules": ["bench_notes"],
 "threads": $threads, "db_pool_size": $threads, "argon2_t_cost": 1,
 "argon2_m_kib": 8192, "log": {"access": false, "level": "warn"}}
JSON
admin() { "$work/prefix/bin/concerto" admin --config "$work/concerto.json" "$@"; }
CONCERTO_ADMIN_PASSWORD=Bench-Regione-2026 "$work/prefix/bin/concerto" \
  --config "$work/concerto.json" 2>"$work/server.log" &
srv_pid=$!
base=http://127.0.0.1:$port
wait_http "$base/healthz" || { tail -20 "$work/server.log" >&2; exit 1; }
admin create-hospital BENCH "Benchmark hospital" AO >/dev/null
admin enable-module BENCH bench_notes >/dev/null
CONCERTO_NEW_PASSWORD=Bench-Medico-2026 admin create-user BENCH doc "Doc" specialist >/dev/null
psql -q -h "$pghost" -U concerto -d concerto_bench_auth -c \
  "INSERT INTO bench_notes.notes (id, tenant_id, text) SELECT 1, id, 'Nota' FROM concerto.tenants WHERE code = 'BENCH'"

curl -fsS -c "$work/jar" -H 'Content-Type: application/json' \
  -d '{"username":"doc","password":"Bench-Medico-2026","tenant":"BENCH"}' \
  "$base/api/v1/auth/login" >/dev/null
cookie=$(awk '$6 == "concerto_session" {print $7}' "$work/jar")
hash=$(psql -h "$pghost" -U concerto -d concerto_bench_auth -tAc \
  "SELECT token_hash FROM concerto.sessions ORDER BY id DESC LIMIT 1")
case $hash in *[!0-9a-f]* | '') echo "unexpected token hash" >&2; exit 1 ;; esac
url=$base/api/v1/bench_notes/notes/1
# The hospital cache learns of enable-module from a notification: poll.
for _ in $(seq 100); do
  body=$(curl -fsS -H "Cookie: concerto_session=$cookie" "$url" 2>/dev/null) && break
  sleep 0.1
done
case ${body:-} in *Nota*) ;; *) echo "unexpected answer: ${body:-none}" >&2; tail -5 "$work/server.log" >&2; exit 1 ;; esac

# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -o "$work/bare" "$here/bare_mhd_pq.c" \
  $(pkg-config --cflags --libs libmicrohttpd libpq) -lpthread
bport=$(free_port)
"$work/bare" "$bport" "$threads" "$dburl user=concerto_app" auth "$hash" 2>"$work/bare.log" &
bare_pid=$!
bare_url=http://127.0.0.1:$bport/
wait_http "$bare_url" || { cat "$work/bare.log" >&2; exit 1; }
case $(curl -fsS "$bare_url") in *Nota*) ;; *) echo "bare server: unexpected answer" >&2; exit 1 ;; esac

# measure URL: prints "req/s p99 non2xx".
measure() {
  wrk -t "$wrk_threads" -c "$conns" -d "$warm" -H "Cookie: concerto_session=$cookie" "$1" >/dev/null
  wrk -t "$wrk_threads" -c "$conns" -d "$secs" --latency -H "Cookie: concerto_session=$cookie" \
    "$1" >"$work/wrk.txt"
  awk '/Requests\/sec/ {r = $2} /^ +99%/ {p = $2} /Non-2xx/ {e = $NF} END {print r, p, e + 0}' "$work/wrk.txt"
}

echo "==> authenticated read, $rounds rounds of $secs, $conns connections, threads $threads" \
  "($(git -C "$src" describe --always --dirty 2>/dev/null || echo '?'))"
ratios=() ours=() bares=() errs=0
for i in $(seq "$rounds"); do
  # Every other round the other order, so drift is not charged to one side.
  if [ $((i % 2)) = 1 ]; then
    read -r c c99 ce < <(measure "$url")
    read -r b b99 be < <(measure "$bare_url")
  else
    read -r b b99 be < <(measure "$bare_url")
    read -r c c99 ce < <(measure "$url")
  fi
  errs=$((errs + ce + be))
  r=$(ratio "$c" "$b")
  ratios+=("$r") ours+=("$c") bares+=("$b")
  printf 'round %d: concerto %8.0f req/s (p99 %s)  bare %8.0f req/s (p99 %s)  ratio %s\n' \
    "$i" "$c" "$c99" "$b" "$b99" "$r"
done
printf 'median: concerto %.0f req/s, bare %.0f req/s, ratio %s (target >= 0.80); non-2xx: %d\n' \
  "$(median "${ours[@]}")" "$(median "${bares[@]}")" "$(median "${ratios[@]}")" "$errs"

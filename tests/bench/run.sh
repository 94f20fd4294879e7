#!/usr/bin/env bash
# Concerto benchmark (not a pass/fail test): each Concerto measurement is
# paired, in the same run and with identical load parameters, with a
# reference measured on the same machine:
#
#   healthz   wrk -> nginx serving a 2-byte static file   vs  wrk -> concerto GET /healthz
#   db read   pgbench -M prepared running the same SELECT  vs  wrk -> concerto GET
#             /api/v1/hello_vendor/greetings/it (one prepared-statement read,
#             from the out-of-tree example plugin tests/vendor-plugin)
#
# Prints req/s (tps for pgbench), p99 latency and the ratio concerto/reference;
# the lines also go to <builddir>/bench-results.txt. See docs/performance.md.
#
# Environment (all optional):
#   BENCH_DURATION     length of each measurement, e.g. 10s, 30s, 1m (default 10s)
#   BENCH_WARMUP       warm-up per target before measuring (default 3s)
#   BENCH_ROUNDS       rounds of every pair (default 3); the summary gives the
#                      medians and the median of the per-round ratios
#   BENCH_CONNECTIONS  wrk connections (default 64); BENCH_WRK_THREADS (default 2)
#   BENCH_THREADS      concerto "threads" (default 4)
#   BENCH_DB_POOL      concerto "db_pool_size" = pgbench clients (default 4)
#   BENCH_BUILD_DIR    build directory (default <repo>/build-bench)
#   BENCH_INFO=0       skip the informational yardsticks (default 1: run them):
#                      a bare libmicrohttpd+libpq server (bare_mhd_pq.c) doing
#                      one prepared SELECT / Concerto's 3-round-trip transaction
#                      per request, and pgbench running that transaction
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BENCH_BUILD_DIR:-$src/build-bench}
threads=${BENCH_THREADS:-4}
pool=${BENCH_DB_POOL:-4}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
rounds=${BENCH_ROUNDS:-3}
info=${BENCH_INFO:-1}

# "10s" / "10" / "1m" -> seconds (pgbench -T takes whole seconds).
to_seconds() {
  case $1 in
    *[0-9]s) echo "${1%s}" ;;
    *[0-9]m) echo $((${1%m} * 60)) ;;
    *[0-9]) echo "$1" ;;
    *) echo "bad duration: $1" >&2; return 1 ;;
  esac
}
secs=$(to_seconds "${BENCH_DURATION:-10s}")
warm=$(to_seconds "${BENCH_WARMUP:-3s}")
[ "$secs" -ge 1 ] || { echo "BENCH_DURATION must be at least 1s" >&2; exit 1; }

# shellcheck source=lib.sh
. "$src/tests/bench/lib.sh"
bench_deps
bench_build

work=$(mktemp -d /tmp/concerto-bench-XXXXXX)
results=$build/bench-results.txt
srv_pid='' nginx_pid='' pgdir='' pg_started=''
bare_pids=()
cleanup() {
  set +e
  for p in "${bare_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
  for p in $srv_pid $nginx_pid "${bare_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [ -f "$work/server.log" ] && cp "$work/server.log" "$build/bench-server.log"
  [ -n "$pg_started" ] && pg_stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL: the bench cluster and database ---------------------------
bench_pg_db concerto_bench

# --- Concerto installed into a scratch prefix, the plugin built out of tree
bench_install "$work/prefix"
cp -r "$src/tests/vendor-plugin" "$work/vendor"
rm -f "$work/vendor"/*.so
make -s -C "$work/vendor" install >/dev/null

port=$(free_port)
cat >"$work/concerto.json" <<JSON
{
  "listen": "127.0.0.1:$port",
  "database_url": "$dburl",
  "modules_dir": "$moduledir",
  "modules": ["hello_vendor"],
  "threads": $threads,
  "db_pool_size": $pool,
  "log": {"level": "warn", "access": false}
}
JSON
"$work/prefix/bin/concerto" --config "$work/concerto.json" 2>"$work/server.log" &
srv_pid=$!
base=http://127.0.0.1:$port
wait_http "$base/healthz" || { tail -20 "$work/server.log" >&2; exit 1; }
db_url=$base/api/v1/hello_vendor/greetings/it
body=$(curl -fsS "$db_url") || { tail -20 "$work/server.log" >&2; exit 1; }
case $body in *Buongiorno*) ;; *) echo "unexpected greeting: $body" >&2; exit 1 ;; esac

# --- nginx: its own prefix, config and port; never /etc/nginx or port 80 ---
ngx=$work/nginx
mkdir -p "$ngx/html" "$ngx/tmp" "$ngx/logs"
printf ok >"$ngx/html/ok"
# Workers run as nobody: they must be able to read the file.
chmod 755 "$work" "$ngx" "$ngx/html" && chmod 644 "$ngx/html/ok"
nport=$(free_port)
cat >"$ngx/nginx.conf" <<NGINX
worker_processes 2;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type text/plain;
  # Keep connections open as long as Concerto does (nginx's default closes
  # after 1000 requests): both sides serve wrk over persistent connections.
  keepalive_requests 1000000;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  server {
    listen 127.0.0.1:$nport;
    root $ngx/html;
  }
}
NGINX
nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" -g 'daemon off;' &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/ok" || { cat "$ngx/logs/error.log" >&2; exit 1; }
[ "$(curl -fsS "http://127.0.0.1:$nport/ok")" = ok ]

# --- informational yardsticks (BENCH_INFO=1) ------------------------------
# A bare libmicrohttpd + libpq server (bare_mhd_pq.c) with Concerto's
# threading model, once with one prepared SELECT per request and once with
# Concerto's per-request transaction; and pgbench running that transaction.
if [ "$info" = 1 ]; then
  # shellcheck disable=SC2046
  cc -O2 -std=c11 -D_GNU_SOURCE -o "$work/bare" "$src/tests/bench/bare_mhd_pq.c" \
    $(pkg-config --cflags --libs libmicrohttpd libpq) -lpthread
  bport1=$(free_port) bport2=$(free_port)
  "$work/bare" "$bport1" "$threads" "$dburl" single 2>>"$work/bare.log" &
  bare_pids+=($!)
  "$work/bare" "$bport2" "$threads" "$dburl" tx 2>>"$work/bare.log" &
  bare_pids+=($!)
  wait_http "http://127.0.0.1:$bport1/" && wait_http "http://127.0.0.1:$bport2/"
fi

# --- pgbench scripts ----------------------------------------------------
printf '%s\n' "SELECT text FROM hello_vendor.greetings WHERE lang = 'it';" >"$work/select.sql"
# What Concerto sends per request (3 round trips), for pgbench: BEGIN and
# SET LOCAL as one simple-protocol message like Concerto's PQexec, then the
# SELECT and the COMMIT. -M simple, since pgbench cannot prepare the first.
cat >"$work/tx.sql" <<'SQL'
BEGIN \; SET LOCAL search_path TO hello_vendor, public;
SELECT text FROM greetings WHERE lang = 'it';
COMMIT;
SQL
pgb_jobs=$((pool < 2 ? pool : 2))

# --- measurement helpers ------------------------------------------------
# run_wrk URL SECONDS OUT: wrk with the same parameters for every target.
# The subshells record the CPU time of the finished client (their children's
# time, /proc/PID/stat fields 16-17) in OUT.client.
run_wrk() {
  (
    timeout $(($2 + 60)) wrk -t"$wrk_threads" -c"$conns" -d"$2s" --latency "$1" >"$3" 2>&1 || true
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$3.client"
  )
}
# run_pgbench SCRIPT MODE SECONDS OUT: clients = Concerto's DB pool size;
# latencies from a 10 % sample of the per-transaction log.
run_pgbench() {
  rm -f "$work"/pgblog*
  (
    timeout $(($3 + 60)) pgbench -n -M "$2" -c "$pool" -j "$pgb_jobs" -T "$3" \
      -f "$1" -l --log-prefix="$work/pgblog" --sampling-rate=0.1 \
      -h "$pghost" -U concerto concerto_bench >"$4" 2>&1 || true
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$4.client"
  )
  # p99 in ms (log column 3: latency in us).
  cat "$work"/pgblog* 2>/dev/null | awk '{print $3}' | sort -n |
    awk '{a[NR] = $1} END {if (NR) {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", a[i] / 1000} else print "n/a"}' >"$4.p99"
}
# CPU accounting, in clock ticks: a noisy shared machine moves req/s a lot,
# CPU time per request much less.
# proc_cpu PID...: user + system time of the processes and their children.
proc_cpu() {
  local p kids
  for p in "$@"; do
    kids=$(pgrep -P "$p" || true)
    # shellcheck disable=SC2086
    for k in $p $kids; do awk '{print $14 + $15}' "/proc/$k/stat" 2>/dev/null || true; done
  done | awk '{s += $1} END {print s + 0}'
}
# pg_cpu: all CPU PostgreSQL has used: the postmaster, its live children and
# (cutime/cstime) the children it has reaped, e.g. pgbench's backends.
pg_cpu() {
  local pm
  pm=$(head -n 1 "$pgdir/data/postmaster.pid")
  echo $(($(awk '{print $16 + $17}' "/proc/$pm/stat") + $(proc_cpu "$pm")))
}
server_pids() {
  case $1 in
    nginx) echo "$nginx_pid" ;;
    healthz | dbroute) echo "$srv_pid" ;;
    bare1) echo "${bare_pids[0]}" ;;
    baretx) echo "${bare_pids[1]}" ;;
  esac
}
# measure NAME SECONDS OUT: one measurement of the named target; writes OUT
# (the tool's report) and OUT.cpu ("client server postgres" in us/request).
measure() {
  local sp=() s0 s1 g0 g1 n
  read -ra sp <<<"$(server_pids "$1")"
  s0=$(proc_cpu "${sp[@]}") g0=$(pg_cpu)
  run_target "$@"
  sleep 0.2 # let the postmaster reap pgbench's backends
  s1=$(proc_cpu "${sp[@]}") g1=$(pg_cpu)
  n=$(awk '/requests in/ {n = $1} /actually processed:/ {n = $NF} END {print n + 0}' "$3")
  awk -v c="$(cat "$3.client" 2>/dev/null || echo 0)" -v s=$((s1 - s0)) -v g=$((g1 - g0)) \
    -v n="$n" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {f = n > 0 ? 1e6 / hz / n : 0; printf "%.1f %.1f %.1f\n", c * f, s * f, g * f}' >"$3.cpu"
}
run_target() {
  case $1 in
    nginx) run_wrk "http://127.0.0.1:$nport/ok" "$2" "$3" ;;
    healthz) run_wrk "$base/healthz" "$2" "$3" ;;
    dbroute) run_wrk "$db_url" "$2" "$3" ;;
    pgbench) run_pgbench "$work/select.sql" prepared "$2" "$3" ;;
    bare1) run_wrk "http://127.0.0.1:$bport1/" "$2" "$3" ;;
    baretx) run_wrk "http://127.0.0.1:$bport2/" "$2" "$3" ;;
    pgbtx) run_pgbench "$work/tx.sql" simple "$2" "$3" ;;
  esac
}
# rate OUT: req/s (wrk) or tps (pgbench), as an integer; 0 if missing.
rate() {
  awk '/^Requests\/sec:/ {r = $2} /^tps = / {r = $3} END {printf "%d", r + 0}' "$1"
}
# p99 OUT: in ms; wrk prints us/ms/s units.
p99() {
  if [ -f "$1.p99" ]; then cat "$1.p99"; return; fi
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; printf "%.2f", v * f; found = 1 }
       END { if (!found) printf "n/a" }' "$1"
}
# errors OUT: wrk non-2xx responses + socket errors, or pgbench failures and
# aborted clients; a run that printed no rate counts as one error.
errors() {
  awk '/Non-2xx or 3xx responses:/ {n += $NF}
       /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
       /number of failed transactions:/ {n += $5}
       /aborted|error:/ && !/Socket errors/ {n++}
       /^Requests\/sec:|^tps = / {ok = 1}
       END {print n + (ok ? 0 : 1)}' "$1"
}
out() { echo "$*" | tee -a "$results"; }

targets=(nginx healthz pgbench dbroute)
[ "$info" = 1 ] && targets+=(bare1 baretx pgbtx)
: >"$results"
out "# Concerto benchmark $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), commit $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?')"
out "# wrk -t$wrk_threads -c$conns -d${secs}s --latency; pgbench -n -M prepared -c$pool -j$pgb_jobs -T$secs;" \
  "concerto threads=$threads db_pool_size=$pool; $rounds round(s)"
out "# nginx $(nginx -v 2>&1 | sed 's/.*\///'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $(wrk -v 2>&1 | awk 'NR==1 {print $1, $2}')"

echo "==> warming up (${warm}s per target)"
for t in "${targets[@]}"; do measure "$t" "$warm" "$work/warm"; done

declare -A runs_rate runs_p99 runs_cc runs_cs runs_cg runs_ct
h_ratios=() d_ratios=() errs=0
for r in $(seq "$rounds"); do
  echo "==> round $r/$rounds (${secs}s per measurement)"
  # Every other round in reverse order, so drift on a shared machine is not
  # always charged to the same side of a pair.
  order=("${targets[@]}")
  if [ $((r % 2)) = 0 ]; then
    order=()
    for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done
  fi
  for t in "${order[@]}"; do
    f=$work/$t.$r
    measure "$t" "$secs" "$f"
    e=$(errors "$f")
    errs=$((errs + e))
    [ "$e" = 0 ] || { echo "warning: $t round $r: $e errors" >&2; tail -n 5 "$f" >&2; }
    runs_rate[$t]+=" $(rate "$f")"
    runs_p99[$t]+=" $(p99 "$f")"
    read -r cc cs cg <"$f.cpu"
    runs_cc[$t]+=" $cc" runs_cs[$t]+=" $cs" runs_cg[$t]+=" $cg"
    runs_ct[$t]+=" $(awk -v a="$cc" -v b="$cs" -v c="$cg" 'BEGIN {printf "%.1f", a + b + c}')"
  done
  rr() { rate "$work/$1.$r"; }
  pp() { p99 "$work/$1.$r"; }
  h_ratios+=("$(ratio "$(rr healthz)" "$(rr nginx)")")
  d_ratios+=("$(ratio "$(rr dbroute)" "$(rr pgbench)")")
  out "round $r healthz: nginx $(rr nginx) req/s (p99 $(pp nginx) ms), concerto $(rr healthz) req/s" \
    "(p99 $(pp healthz) ms), ratio $(ratio "$(rr healthz)" "$(rr nginx)")"
  out "round $r db read: pgbench $(rr pgbench) tps (p99 $(pp pgbench) ms), concerto $(rr dbroute) req/s" \
    "(p99 $(pp dbroute) ms), ratio $(ratio "$(rr dbroute)" "$(rr pgbench)")"
done

# med NAME / medp NAME: medians over the rounds.
med() { # shellcheck disable=SC2086
  median ${runs_rate[$1]}; }
medp() { # shellcheck disable=SC2086
  median ${runs_p99[$1]}; }

metrics=$(curl -fsS "$base/metrics" 2>/dev/null || true)
waits=$(echo "$metrics" | awk '$1 == "concerto_db_pool_waits_total" {print $2}')
timeouts=$(echo "$metrics" | awk '$1 == "concerto_db_pool_timeouts_total" {print $2}')
logged=$(grep -c . "$work/server.log" || true)
out ""
out "summary (medians over $rounds rounds; ratio = median of the per-round ratios; p99 in ms):"
out "healthz: nginx $(med nginx) req/s (p99 $(medp nginx)), concerto $(med healthz) req/s (p99 $(medp healthz)), ratio $(median "${h_ratios[@]}") (target >= 0.80)"
out "db read: pgbench $(med pgbench) tps (p99 $(medp pgbench)), concerto $(med dbroute) req/s (p99 $(medp dbroute)), ratio $(median "${d_ratios[@]}") (target >= 0.80)"
if [ "$info" = 1 ]; then
  out "info (same wrk load; not targets):"
  out "  bare libmicrohttpd+libpq, 1 prepared SELECT/request:       $(med bare1) req/s (p99 $(medp bare1)), ratio to pgbench $(ratio "$(med bare1)" "$(med pgbench)")"
  out "  bare libmicrohttpd+libpq, Concerto's 3-round-trip tx:       $(med baretx) req/s (p99 $(medp baretx)), ratio to pgbench $(ratio "$(med baretx)" "$(med pgbench)")"
  out "  pgbench -M simple running Concerto's 3-round-trip tx:       $(med pgbtx) tps (p99 $(medp pgbtx)), ratio to pgbench $(ratio "$(med pgbtx)" "$(med pgbench)")"
  out "  concerto db route / bare tx server: $(ratio "$(med dbroute)" "$(med baretx)"); bare tx / bare single: $(ratio "$(med baretx)" "$(med bare1)")"
fi
out "CPU time per request, us (median; client = wrk or pgbench, server = nginx/concerto/bare, postgres = all backends):"
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  out "$(printf '  %-8s client %6s  server %6s  postgres %6s  total %6s' "$t" \
    "$(median ${runs_cc[$t]})" "$(median ${runs_cs[$t]})" "$(median ${runs_cg[$t]})" "$(median ${runs_ct[$t]})")"
done
out "concerto: db pool waits ${waits:-?}, acquire timeouts ${timeouts:-?}; server log lines (level warn): $logged;" \
  "non-2xx responses, socket errors, failed transactions over all runs: $errs"
if [ "$logged" != 0 ]; then
  echo "--- server log (last 10 lines, full log in $build/bench-server.log):"
  tail -n 10 "$work/server.log"
fi
echo "results written to $results"

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
#   BENCH_ROUNDS       rounds of every pair; the summary is the median (default 3)
#   BENCH_CONNECTIONS  wrk connections (default 64); BENCH_WRK_THREADS (default 2)
#   BENCH_THREADS      concerto "threads" (default 4)
#   BENCH_DB_POOL      concerto "db_pool_size" = pgbench clients (default 4)
#   BENCH_BUILD_DIR    build directory (default <repo>/build-bench)
#   BENCH_INFO=0       skip the extra informational pgbench run of Concerto's
#                      whole per-request transaction (default 1: run it)
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

# shellcheck source=../../scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"
deps_install $CONCERTO_BUILD_PACKAGES $CONCERTO_BENCH_PACKAGES
# shellcheck source=../../scripts/lib/pg.sh
. "$src/scripts/lib/pg.sh"

echo "==> building (Release) in $build"
# CONCERTO_WERROR=OFF: GCC's -O3 emits a -Wstringop-overflow warning that the
# default RelWithDebInfo build does not; a benchmark must not stop on it.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCONCERTO_WERROR=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" -- --no-print-directory >/dev/null 2>&1 ||
  cmake --build "$build" -j1 -- --no-print-directory

work=$(mktemp -d /tmp/concerto-bench-XXXXXX)
results=$build/bench-results.txt
srv_pid= nginx_pid= pgdir= pg_started=
cleanup() {
  set +e
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
  for p in $srv_pid $nginx_pid; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [ -f "$work/server.log" ] && cp "$work/server.log" "$build/bench-server.log"
  [ -n "$pg_started" ] && pg_stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_http URL: up to 10 s for a 200.
wait_http() {
  for _ in $(seq 100); do
    curl -fs -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

# --- PostgreSQL: the bench cluster and database ---------------------------
pgdir=$(pg_pick_dir "$build/bench-pg")
pg_init "$pgdir"
pg_start "$pgdir"
pg_started=1
pghost=$pgdir/run
psql -q -h "$pghost" -U concerto -d postgres \
  -c 'DROP DATABASE IF EXISTS concerto_bench WITH (FORCE)' >/dev/null
pg_createdb "$pgdir" concerto_bench
dburl=$(pg_url "$pgdir" concerto_bench)

# --- Concerto installed into a scratch prefix, the plugin built out of tree
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name concerto-plugin.pc | head -n 1)
[ -n "$pc" ] || { echo "concerto-plugin.pc was not installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cp -r "$src/tests/vendor-plugin" "$work/vendor"
rm -f "$work/vendor"/*.so
make -s -C "$work/vendor" install >/dev/null
moduledir=$(pkg-config --variable=moduledir concerto-plugin)

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

# --- pgbench scripts ----------------------------------------------------
printf '%s\n' "SELECT text FROM hello_vendor.greetings WHERE lang = 'it';" >"$work/select.sql"
# Informational: what Concerto sends per request (3 round trips), written
# for pgbench: the BEGIN + SET LOCAL pair as one simple-protocol message,
# like Concerto's PQexec, the SELECT and COMMIT as further messages.
cat >"$work/tx.sql" <<'SQL'
BEGIN \; SET LOCAL search_path TO hello_vendor, public;
SELECT text FROM greetings WHERE lang = 'it';
COMMIT;
SQL
pgb_jobs=$((pool < 2 ? pool : 2))

# --- measurement helpers ------------------------------------------------
# run_wrk URL SECONDS OUT: wrk with the same parameters for every target.
run_wrk() {
  timeout $(($2 + 60)) wrk -t"$wrk_threads" -c"$conns" -d"$2s" --latency "$1" >"$3" 2>&1
}
wrk_rps() { awk '/^Requests\/sec:/ {printf "%d", $2}' "$1"; }
# p99 in ms, converted from wrk's us/ms/s units.
wrk_p99() {
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; printf "%.2f", v * f }' "$1"
}
# Non-2xx responses and socket errors, "0" when wrk reported none.
wrk_errors() {
  awk '/Non-2xx or 3xx responses:/ {n += $NF}
       /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
       END {print n + 0}' "$1"
}
# run_pgbench SCRIPT MODE SECONDS OUT: clients = Concerto's DB pool size.
run_pgbench() {
  rm -f "$work"/pgblog*
  timeout $(($3 + 60)) pgbench -n -M "$2" -c "$pool" -j "$pgb_jobs" -T "$3" \
    -f "$1" -l --log-prefix="$work/pgblog" --sampling-rate=0.1 \
    -h "$pghost" -U concerto concerto_bench >"$4" 2>&1
}
pgb_tps() { awk '/^tps = / {printf "%d", $3}' "$1"; }
pgb_fail() { awk '/number of failed transactions:/ {print $5; f=1} END {if (!f) print 0}' "$1"; }
# p99 in ms from the sampled per-transaction log (column 3: latency in us).
pgb_p99() {
  cat "$work"/pgblog* 2>/dev/null | awk '{print $3}' | sort -n |
    awk '{a[NR] = $1} END {if (NR) {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", a[i] / 1000} else print "n/a"}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

out() { echo "$*" | tee -a "$results"; }
: >"$results"

out "# Concerto benchmark $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname), $(nproc) cores"
out "# $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
out "# wrk -t$wrk_threads -c$conns -d${secs}s; pgbench -n -M prepared -c$pool -j$pgb_jobs -T$secs;" \
  "concerto threads=$threads db_pool_size=$pool; $rounds round(s), summary = median"
out "# nginx $(nginx -v 2>&1 | sed 's/.*\///'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}')"

echo "==> warming up (${warm}s per target)"
run_wrk "http://127.0.0.1:$nport/ok" "$warm" "$work/warm"
run_wrk "$base/healthz" "$warm" "$work/warm"
run_wrk "$db_url" "$warm" "$work/warm"
run_pgbench "$work/select.sql" prepared "$warm" "$work/warm"

h_ratios=() d_ratios=() h_ref=() h_con=() d_ref=() d_con=() errs=0
for r in $(seq "$rounds"); do
  echo "==> round $r/$rounds (${secs}s per measurement)"
  # Alternate which side goes first so drift on a shared machine is not
  # always charged to the same side.
  if [ $((r % 2)) = 1 ]; then order="ref con"; else order="con ref"; fi
  for side in $order; do
    if [ "$side" = ref ]; then
      run_wrk "http://127.0.0.1:$nport/ok" "$secs" "$work/h_ref.$r"
    else
      run_wrk "$base/healthz" "$secs" "$work/h_con.$r"
    fi
  done
  for side in $order; do
    if [ "$side" = ref ]; then
      run_pgbench "$work/select.sql" prepared "$secs" "$work/d_ref.$r"
      pgb_p99 >"$work/d_ref.$r.p99"
    else
      run_wrk "$db_url" "$secs" "$work/d_con.$r"
    fi
  done
  hr=$(wrk_rps "$work/h_ref.$r") hc=$(wrk_rps "$work/h_con.$r")
  dr=$(pgb_tps "$work/d_ref.$r") dc=$(wrk_rps "$work/d_con.$r")
  he=$(wrk_errors "$work/h_con.$r") de=$(wrk_errors "$work/d_con.$r")
  ne=$(wrk_errors "$work/h_ref.$r") pe=$(pgb_fail "$work/d_ref.$r")
  errs=$((errs + he + de + ne + pe))
  out "round $r healthz: nginx $hr req/s (p99 $(wrk_p99 "$work/h_ref.$r") ms), concerto $hc req/s" \
    "(p99 $(wrk_p99 "$work/h_con.$r") ms), ratio $(ratio "$hc" "$hr"); errors nginx $ne, concerto $he"
  out "round $r db read: pgbench $dr tps (p99 $(cat "$work/d_ref.$r.p99") ms), concerto $dc req/s" \
    "(p99 $(wrk_p99 "$work/d_con.$r") ms), ratio $(ratio "$dc" "$dr"); errors pgbench $pe, concerto $de"
  h_ref+=("$hr") h_con+=("$hc") d_ref+=("$dr") d_con+=("$dc")
  h_ratios+=("$(ratio "$hc" "$hr")") d_ratios+=("$(ratio "$dc" "$dr")")
done

if [ "$info" = 1 ]; then
  run_pgbench "$work/tx.sql" simple "$secs" "$work/info_tx"
  out "info: pgbench -M simple, Concerto's per-request transaction (BEGIN+SET LOCAL; SELECT; COMMIT):" \
    "$(pgb_tps "$work/info_tx") tps (p99 $(pgb_p99) ms)"
fi

metrics=$(curl -fsS "$base/metrics" 2>/dev/null || true)
waits=$(echo "$metrics" | awk '$1 == "concerto_db_pool_waits_total" {print $2}')
timeouts=$(echo "$metrics" | awk '$1 == "concerto_db_pool_timeouts_total" {print $2}')
logged=$(grep -c . "$work/server.log" || true)
out "concerto: db pool waits ${waits:-?}, acquire timeouts ${timeouts:-?}; server log lines at warn+: $logged;" \
  "non-2xx/socket errors over all runs: $errs"

hm=$(median "${h_ratios[@]}") dm=$(median "${d_ratios[@]}")
out ""
out "summary (median of $rounds):"
out "healthz: nginx $(median "${h_ref[@]}") req/s, concerto $(median "${h_con[@]}") req/s, ratio $hm (target >= 0.80)"
out "db read: pgbench $(median "${d_ref[@]}") tps, concerto $(median "${d_con[@]}") req/s, ratio $dm (target >= 0.80)"
[ "$logged" = 0 ] || { echo "--- server log (last 10 lines):"; tail -n 10 "$work/server.log"; }
echo "results written to $results"

#!/usr/bin/env bash
# Concerto upload benchmark (not a pass/fail test): streamed uploads into the
# blob store (docs/blobs.md). Every Concerto upload is paired, in the same
# round and with the same file, with references on the same machine:
#
#   concerto   curl -T FILE -X POST /api/v1/files/upload with a bearer token
#              (the test module tests/modules/files, built out of tree): the
#              body streamed to a temp file and hashed, fsynced, renamed into
#              the store, its row inserted and the upload audited
#   nginx      the same curl -T FILE as a PUT to nginx's dav module: an HTTP
#              server streaming a body to disk (no hash, no fsync)
#   sha256sum  the same file: the hashing cost alone (one process hashing the
#              file repeatedly, at least 64 MiB, so its start-up does not count)
#   (BENCH_INFO=1, informational) openssl dgst -sha256, the library the
#              server hashes with, and dd conv=fsync, a copy made durable
#
# Each upload is new content (a per-round label overwrites the first bytes
# of a random file), so the server really writes a blob. Prints MB/s (10^6
# bytes per second) and ms per upload, server CPU per upload, the ratio
# concerto/nginx, checks every SHA-256 the server answers against
# sha256sum's (and once per size the stored bytes), and reports the server's
# peak RSS (VmHWM) after each size. The lines also go to
# <builddir>/bench-upload-results.txt. See docs/performance.md, "Uploads".
#
# Environment (all optional):
#   BENCH_UPLOAD_SIZES  file sizes in MiB (default "1 16 128")
#   BENCH_ROUNDS        rounds per size (default 3); the summary gives medians
#                       and the median of the per-round ratios
#   BENCH_THREADS       concerto "threads" and "db_pool_size" (default 4)
#   BENCH_BUILD_DIR     build directory (default <repo>/build-bench)
#   BENCH_INFO=0        skip the informational openssl / dd measurements
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BENCH_BUILD_DIR:-$src/build-bench}
read -ra sizes <<<"${BENCH_UPLOAD_SIZES:-1 16 128}"
rounds=${BENCH_ROUNDS:-3}
threads=${BENCH_THREADS:-4}
info=${BENCH_INFO:-1}
[ ${#sizes[@]} -gt 0 ] || { echo "BENCH_UPLOAD_SIZES is empty" >&2; exit 1; }
max_mib=0
for s in "${sizes[@]}"; do
  case $s in '' | *[!0-9]* | 0*) echo "bad size in BENCH_UPLOAD_SIZES: $s (whole MiB)" >&2; exit 1 ;; esac
  if [ "$s" -gt "$max_mib" ]; then max_mib=$s; fi
done
[ "$rounds" -ge 1 ] 2>/dev/null || { echo "BENCH_ROUNDS must be at least 1" >&2; exit 1; }

# shellcheck source=lib.sh
. "$src/tests/bench/lib.sh"
bench_deps
bench_build

work=$(mktemp -d /tmp/concerto-bench-upload-XXXXXX)
results=$build/bench-upload-results.txt
srv_pid='' nginx_pid='' pgdir='' pg_started=''
cleanup() {
  set +e
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
  for p in $srv_pid $nginx_pid; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [ -f "$work/server.log" ] && cp "$work/server.log" "$build/bench-upload-server.log"
  [ -n "$pg_started" ] && pg_stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL, Concerto in a scratch prefix, module "files" out of tree --
bench_pg_db concerto_bench_upload
bench_install "$work/prefix"
# Built the way tests/vendor-plugin's Makefile builds a vendor's module:
# from a copy of the source, with nothing but pkg-config concerto-plugin.
mkdir -p "$work/files"
cp "$src/tests/modules/files/files.c" "$work/files/"
# shellcheck disable=SC2046 # pkg-config prints word lists
cc -O2 -g -Wall -Wextra -Werror -std=c11 $(pkg-config --cflags concerto-plugin) \
  -o "$work/files/files.so" "$work/files/files.c" $(pkg-config --libs concerto-plugin jansson)
install -m 0755 "$work/files/files.so" "$moduledir/"

# Uploads are bounded by max_upload_bytes: twice the largest file, at least
# the default 64 MiB, at most the 16 GiB the server accepts.
limit=$((max_mib * 2 * 1048576))
[ "$limit" -ge $((64 * 1048576)) ] || limit=$((64 * 1048576))
[ "$limit" -le $((16 * 1073741824)) ] || limit=$((16 * 1073741824))
port=$(free_port)
cat >"$work/concerto.json" <<JSON
{
  "listen": "127.0.0.1:$port",
  "database_url": "$dburl",
  "modules_dir": "$moduledir",
  "modules": ["files"],
  "data_dir": "$work/data",
  "threads": $threads,
  "db_pool_size": $threads,
  "limits": {"max_upload_bytes": $limit},
  "log": {"level": "warn", "access": false}
}
JSON
"$work/prefix/bin/concerto" --config "$work/concerto.json" 2>"$work/server.log" &
srv_pid=$!
base=http://127.0.0.1:$port
wait_http "$base/healthz" || { tail -20 "$work/server.log" >&2; exit 1; }
blobs=$work/data/blobs

# A hospital with the module enabled and an API token for it. The upload
# route requires the role "authenticated", which every valid bearer token
# has; the token's own role is free text, a staff role is used here.
admin() { "$work/prefix/bin/concerto" admin --config "$work/concerto.json" "$@"; }
admin create-hospital BENCH "Benchmark hospital" AO
admin enable-module BENCH files
token=$(admin create-api-token BENCH upload-bench hospital_it)
[ -n "$token" ] || { echo "no API token" >&2; exit 1; }

# --- nginx: its own prefix, config and port; never /etc/nginx or port 80 ---
ngx=$work/nginx
mkdir -p "$ngx/dav/up" "$ngx/tmp" "$ngx/logs"
printf ok >"$ngx/dav/ok"
# Workers run as nobody when started as root: they read the root folder
# and write the PUT folder (their temp folders nginx creates for them).
chmod 755 "$work" "$ngx" "$ngx/dav" && chmod 644 "$ngx/dav/ok" && chmod 777 "$ngx/dav/up"
nport=$(free_port)
cat >"$ngx/nginx.conf" <<NGINX
worker_processes 2;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  client_max_body_size $limit;
  # The body goes to a temp file here, then is renamed to its name under
  # root: the same filesystem as Concerto's blob store.
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  server {
    listen 127.0.0.1:$nport;
    root $ngx/dav;
    location /up/ {
      dav_methods PUT;
    }
  }
}
NGINX
nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" -g 'daemon off;' &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/ok" || { cat "$ngx/logs/error.log" >&2; exit 1; }

# --- files and measurement helpers ---------------------------------------
# mkfile MIB LABEL OUT: the size's random base file with LABEL written over
# its first bytes, so every upload is new content.
mkfile() {
  local b=$work/base-$1.bin
  [ -f "$b" ] || head -c $(($1 * 1048576)) /dev/urandom >"$b"
  cp "$b" "$3"
  printf '%-47s\n' "concerto upload bench $1 MiB $2" | dd of="$3" conv=notrunc status=none
}
# cpu_ms PID...: CPU time (ms) of every thread of the processes and their
# children (nginx's workers), to the microsecond (/proc/*/task/*/sched).
cpu_ms() {
  local p tasks=()
  for p in "$@" $(pgrep -P "$(echo "$@" | tr ' ' ,)" || true); do
    tasks+=("/proc/$p/task/"*/sched)
  done
  # A thread may end between the listing and the reading.
  { cat "${tasks[@]}" 2>/dev/null || true; } |
    awk '/^se.sum_exec_runtime/ {s += $3} END {printf "%.3f\n", s}'
}
secs_now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6f", b - a}'; }
mbps() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", (t > 0 ? n / t / 1e6 : 0)}'; }
ms() { awk -v t="$1" 'BEGIN {printf "%.1f", t * 1000}'; }
sub_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
rss_kib() { awk -v k="$2" '$1 == k ":" {print $2}' "/proc/$1/status"; }
out() { echo "$*" | tee -a "$results"; }
fail() {
  echo "FAIL: $*" >&2
  tail -n 20 "$work/server.log" >&2
  exit 1
}

# The same client for both servers: one fresh connection per upload, the
# body streamed from the file, no "Expect: 100-continue" round trip (a
# browser sends none). Writes "HTTP_CODE SECONDS" to stdout.
put_concerto() {
  curl -sS -o "$2" -w '%{http_code} %{time_total}\n' -H 'Expect:' \
    -H "Authorization: Bearer $token" -X POST -T "$1" "$base/api/v1/files/upload"
}
put_nginx() {
  curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect:' \
    -T "$1" "http://127.0.0.1:$nport/up/$2"
}
json_field() { sed -n "s/.*\"$2\": *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$1"; }

# The first upload after enable-module waits for the server's hospital
# cache (refreshed on a notification): up to 10 s.
mkfile 1 warm-up "$work/warm.bin"
for _ in $(seq 100); do
  read -r code _ < <(put_concerto "$work/warm.bin" "$work/warm.json" || echo "000 0")
  [ "$code" = 201 ] && break
  sleep 0.1
done
[ "$code" = 201 ] || fail "upload answered $code: $(cat "$work/warm.json" 2>/dev/null)"
read -r code _ < <(put_nginx "$work/warm.bin" warm.bin)
[ "$code" = 201 ] || { cat "$ngx/logs/error.log" >&2; fail "nginx PUT answered $code"; }
rm -f "$ngx/dav/up/warm.bin"

targets=(concerto nginx sha256sum)
[ "$info" = 1 ] && targets+=(openssl dd)
rss_start=$(rss_kib "$srv_pid" VmHWM)
: >"$results"
out "# Concerto upload benchmark $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), commit $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?')"
out "# sizes ${sizes[*]} MiB, $rounds round(s) each; curl -T (no Expect), one connection per upload;" \
  "concerto threads=$threads, max_upload_bytes=$limit; MB/s = 10^6 bytes/s"
out "# nginx $(nginx -v 2>&1 | sed 's/.*\///') (dav PUT), $(curl --version | awk 'NR==1 {print $1, $2}'), $(sha256sum --version | head -n 1), $(openssl version | awk '{print $1, $2}'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
out "# filesystem of the blob store and nginx's root: $(df -T "$work" | awk 'NR==2 {print $2, $1}'); concerto peak RSS before the uploads: $((rss_start / 1024)) MiB"

# measure TARGET FILE NAME: one timed run (NAME: nginx's file name); sets m_secs and m_cpu
# (server CPU ms, concerto and nginx only) and checks the outcome.
measure() {
  local code t0 t1 c0 c1
  sync # nobody's dirty pages are written back during the measurement
  case $1 in
    concerto)
      c0=$(cpu_ms "$srv_pid")
      read -r code m_secs < <(put_concerto "$2" "$work/resp.json" || echo "000 0")
      c1=$(cpu_ms "$srv_pid")
      [ "$code" = 201 ] || fail "concerto upload answered $code: $(cat "$work/resp.json")"
      m_cpu=$(sub_ms "$c0" "$c1")
      ;;
    nginx)
      c0=$(cpu_ms "$nginx_pid")
      read -r code m_secs < <(put_nginx "$2" "$3" || echo "000 0")
      c1=$(cpu_ms "$nginx_pid")
      [ "$code" = 201 ] || { tail -n 5 "$ngx/logs/error.log" >&2; fail "nginx PUT answered $code"; }
      m_cpu=$(sub_ms "$c0" "$c1")
      ;;
    sha256sum | openssl)
      # One process hashes the file `hash_reps` times (at least 64 MiB), so
      # its start-up does not count; m_secs is the time for one pass.
      local args=()
      for _ in $(seq "$hash_reps"); do args+=("$2"); done
      t0=$(secs_now)
      if [ "$1" = sha256sum ]; then
        sha256sum "${args[@]}" >"$work/sum"
      else
        openssl dgst -sha256 -r "${args[@]}" >"$work/sum"
      fi
      t1=$(secs_now)
      m_secs=$(awk -v t="$(elapsed "$t0" "$t1")" -v n="$hash_reps" 'BEGIN {printf "%.6f", t / n}') m_cpu=''
      ;;
    dd)
      t0=$(secs_now)
      dd if="$2" of="$work/dd.bin" bs=1M conv=fsync status=none
      t1=$(secs_now)
      m_secs=$(elapsed "$t0" "$t1") m_cpu=''
      rm -f "$work/dd.bin"
      ;;
  esac
}

declare -A r_mbps r_ms r_cpu
declare -A s_ratio secs
mismatches=0
for size in "${sizes[@]}"; do
  bytes=$((size * 1048576))
  hash_reps=$(((64 + size - 1) / size))
  # Correctness, once per size, outside the timed rounds: the hash the
  # server answers is sha256sum's, and both servers stored the same bytes.
  f=$work/check-$size.bin
  mkfile "$size" check "$f"
  read -r code _ < <(put_concerto "$f" "$work/resp.json" || echo "000 0")
  [ "$code" = 201 ] || fail "concerto upload answered $code: $(cat "$work/resp.json")"
  want=$(sha256sum "$f" | cut -d' ' -f1)
  got=$(json_field "$work/resp.json" sha256)
  len=$(sed -n 's/.*"length": *\([0-9]*\).*/\1/p' "$work/resp.json")
  stored=$blobs/${got:0:2}/${got:2:2}/$got
  if [ "$got" != "$want" ] || [ "$len" != "$bytes" ] || ! cmp -s "$f" "$stored"; then
    out "MISMATCH $size MiB: concerto answered sha256 $got length $len, sha256sum $want, $bytes bytes;" \
      "stored file $([ -f "$stored" ] && echo differs || echo missing)"
    mismatches=$((mismatches + 1))
  fi
  read -r code _ < <(put_nginx "$f" "check-$size.bin")
  cmp -s "$f" "$ngx/dav/up/check-$size.bin" || fail "nginx stored other bytes for $size MiB"
  rm -f "$f" "$ngx/dav/up/check-$size.bin"

  ratios=()
  for r in $(seq "$rounds"); do
    f=$work/round.bin
    mkfile "$size" "round $r" "$f"
    want=$(sha256sum "$f" | cut -d' ' -f1)
    # Every other round in reverse order, so drift on a shared machine is
    # not always charged to the same side of a pair.
    order=("${targets[@]}")
    if [ $((r % 2)) = 0 ]; then
      order=()
      for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done
    fi
    line="round $r $size MiB:"
    for t in "${order[@]}"; do
      measure "$t" "$f" "$size-$r.bin"
      k=$t.$size
      secs[$t]=$m_secs
      r_mbps[$k]+=" $(mbps "$bytes" "$m_secs")"
      r_ms[$k]+=" $(ms "$m_secs")"
      if [ -n "$m_cpu" ]; then r_cpu[$k]+=" $m_cpu"; fi
      line+=" $t $(mbps "$bytes" "$m_secs") MB/s ($(ms "$m_secs") ms${m_cpu:+, server CPU $m_cpu ms}),"
      case $t in
        concerto)
          got=$(json_field "$work/resp.json" sha256)
          if [ "$got" != "$want" ]; then
            out "MISMATCH $size MiB round $r: concerto answered sha256 $got, sha256sum $want"
            mismatches=$((mismatches + 1))
          fi
          ;;
        sha256sum | openssl)
          [ "$(cut -d' ' -f1 "$work/sum" | sort -u)" = "$want" ] || fail "$t: another SHA-256 than sha256sum's" ;;
      esac
    done
    # concerto MB/s / nginx MB/s = nginx's time / concerto's
    ratios+=("$(ratio "${secs[nginx]}" "${secs[concerto]}")")
    out "${line%,}; ratio concerto/nginx ${ratios[-1]}"
    rm -f "$f" "$ngx/dav/up/$size-$r.bin"
  done
  s_ratio[$size]=$(median "${ratios[@]}")
  hwm=$(rss_kib "$srv_pid" VmHWM) rss=$(rss_kib "$srv_pid" VmRSS)
  out "concerto after the $size MiB uploads: peak RSS (VmHWM) $((hwm / 1024)) MiB, RSS now $((rss / 1024)) MiB"
done

# med KEY / medms KEY / medcpu KEY: medians over the rounds.
med() { # shellcheck disable=SC2086
  median ${r_mbps[$1]}; }
medms() { # shellcheck disable=SC2086
  median ${r_ms[$1]}; }
medcpu() { # shellcheck disable=SC2086
  [ -n "${r_cpu[$1]:-}" ] && median ${r_cpu[$1]} || echo -; }

logged=$(grep -c . "$work/server.log" || true)
out ""
out "summary (medians over $rounds rounds; MB/s = 10^6 bytes/s; ratio = median of the per-round ratios):"
hdr=$(printf '%-8s %14s %14s %16s %8s %18s %18s' size "concerto MB/s" "nginx MB/s" "sha256sum MB/s" ratio "concerto ms (CPU)" "nginx ms (CPU)")
[ "$info" = 1 ] && hdr+=$(printf ' %13s %14s' "openssl MB/s" "dd fsync MB/s")
out "$hdr"
for size in "${sizes[@]}"; do
  row=$(printf '%-8s %14s %14s %16s %8s %18s %18s' "$size MiB" "$(med "concerto.$size")" "$(med "nginx.$size")" \
    "$(med "sha256sum.$size")" "${s_ratio[$size]}" \
    "$(medms "concerto.$size") ($(medcpu "concerto.$size"))" "$(medms "nginx.$size") ($(medcpu "nginx.$size"))")
  [ "$info" = 1 ] && row+=$(printf ' %13s %14s' "$(med "openssl.$size")" "$(med "dd.$size")")
  out "$row"
done
hwm=$(rss_kib "$srv_pid" VmHWM)
out "concerto peak RSS (VmHWM) $((hwm / 1024)) MiB after all uploads (largest $max_mib MiB; $((rss_start / 1024)) MiB before);" \
  "SHA-256 mismatches: $mismatches; server log lines (level warn): $logged"
if [ "$logged" != 0 ]; then
  echo "--- server log (last 10 lines, full log in $build/bench-upload-server.log):"
  tail -n 10 "$work/server.log"
fi
echo "results written to $results"
[ "$mismatches" = 0 ] || { echo "the server answered a wrong SHA-256 or stored other bytes" >&2; exit 1; }

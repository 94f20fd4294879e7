# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # src/build come from, pgdir etc. go to the caller
# Shared by the benchmark scripts (run.sh, upload.sh): the build, the
# private PostgreSQL database, the scratch install and small helpers.
# The caller sets `src` (the checkout) and `build` (the build directory)
# before calling these, and stops what it started in its own EXIT trap.

# shellcheck source=../../scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"
# shellcheck source=../../scripts/lib/pg.sh
. "$src/scripts/lib/pg.sh"

# bench_deps: installs what is missing to build Concerto and run the
# references (nginx-light, wrk, pgbench).
bench_deps() {
  # shellcheck disable=SC2086 # word lists
  deps_install $CONCERTO_BUILD_PACKAGES $CONCERTO_BENCH_PACKAGES
}

# bench_build: Concerto in Release, without the tests, into $build.
bench_build() {
  echo "==> building (Release) in $build"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DCONCERTO_WERROR=ON \
    >/dev/null
  cmake --build "$build" -j "$(nproc)" -- --no-print-directory >/dev/null 2>&1 ||
    cmake --build "$build" -j1 -- --no-print-directory
}

# bench_pg_db NAME: starts the bench cluster ($build/bench-pg) and creates
# database NAME afresh. Sets pgdir, pg_started (for the caller's cleanup,
# which calls pg_stop "$pgdir"), pghost and dburl.
bench_pg_db() {
  pgdir=$(pg_pick_dir "$build/bench-pg")
  pg_init "$pgdir"
  pg_start "$pgdir"
  pg_started=1
  pghost=$pgdir/run
  psql -q -h "$pghost" -U concerto -d postgres -c 'SET client_min_messages TO warning' \
    -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  pg_createdb "$pgdir" "$1"
  dburl=$(pg_url "$pgdir" "$1")
}

# bench_install PREFIX: installs the build into PREFIX and points
# PKG_CONFIG_PATH (exported) at its concerto-plugin.pc, so that modules
# build out of tree the way a vendor builds them. Sets moduledir.
bench_install() {
  local pc
  cmake --install "$build" --prefix "$1" >/dev/null
  pc=$(find "$1" -name concerto-plugin.pc | head -n 1)
  [ -n "$pc" ] || { echo "concerto-plugin.pc was not installed" >&2; return 1; }
  PKG_CONFIG_PATH=$(dirname "$pc")
  export PKG_CONFIG_PATH
  moduledir=$(pkg-config --variable=moduledir concerto-plugin)
}

free_port() {
  # Without python: the first port nobody answers on, from one derived from our PID.
  local p=$((20000 + ($$ + RANDOM) % 30000))
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

#!/usr/bin/env bash
# Command 2 of the README: installs what is missing, builds, and runs the
# whole suite - unit tests (cmocka), integration tests against a private
# PostgreSQL and the running server over HTTP, the out-of-tree vendor plugin,
# valgrind - then the same suite again in an ASan+UBSan build, then the
# libFuzzer targets for a bounded time each (CONCERTO_FUZZ_SECONDS, 20).
# CONCERTO_TEST_QUICK=1 skips the sanitizer and fuzz passes (fast local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
. scripts/lib/build.sh

deps_install $CONCERTO_BUILD_PACKAGES $CONCERTO_TEST_PACKAGES

run_suite() {
  local dir=$1 label=$2
  shift 2
  echo "==> building ($label)"
  build_concerto "$dir" -DBUILD_TESTING=ON "$@"
  echo "==> testing ($label)"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
}

run_suite build "RelWithDebInfo"
if [ "${CONCERTO_TEST_QUICK:-0}" != 1 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-asan "ASan+UBSan" -DCONCERTO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  run_suite build-fuzz "libFuzzer" -DCONCERTO_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=Debug -DCONCERTO_FUZZ_SECONDS="${CONCERTO_FUZZ_SECONDS:-20}"
fi
echo "==> all tests passed"

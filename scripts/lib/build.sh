# shellcheck shell=bash
# build_concerto DIR [cmake args...]: configures (once) and builds.
build_concerto() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >/dev/null ||
    cmake --build "$dir" -j1 -- --no-print-directory # show the error
}

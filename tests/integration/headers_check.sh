#!/usr/bin/env bash
# Every public header compiles alone, as C11 and as C++17, with nothing from
# core/ on the include path: the plugin API stands on its own, and so does
# each shared library's header (libs/<name>/include) with only its own
# folder on the path.
set -euo pipefail
check() { # include-dir header
  local inc=$1 name=concerto/$(basename "$2")
  echo "#include <$name>" | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only \
    -I"$inc" $(pkg-config --cflags jansson) -x c - || { echo "C: $name"; exit 1; }
  echo "#include <$name>" | c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
    -I"$inc" $(pkg-config --cflags jansson) -x c++ - || { echo "C++: $name"; exit 1; }
}
inc=$1/plugins-api/include
for h in "$inc"/concerto/*.h; do
  check "$inc" "$h"
done
for lib in "$1"/libs/*/include; do
  for h in "$lib"/concerto/*.h; do
    check "$lib" "$h"
  done
done
echo "headers: all compile alone as C11 and C++17"

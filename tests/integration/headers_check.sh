#!/usr/bin/env bash
# Every public header compiles alone, as C11 and as C++17, with nothing from
# core/ on the include path: the plugin API stands on its own.
set -euo pipefail
inc=$1/plugins-api/include
for h in "$inc"/concerto/*.h; do
  name=concerto/$(basename "$h")
  echo "#include <$name>" | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only \
    -I"$inc" $(pkg-config --cflags jansson) -x c - || { echo "C: $name"; exit 1; }
  echo "#include <$name>" | c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
    -I"$inc" $(pkg-config --cflags jansson) -x c++ - || { echo "C++: $name"; exit 1; }
done
echo "headers: all compile alone as C11 and C++17"

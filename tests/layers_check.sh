#!/usr/bin/env bash
# layers_check.sh SOURCE_DIR LIB_DIR LAYER...: the core's layers (lowest
# first, as core/CMakeLists.txt lists them) may use only themselves and the
# layers below. Include paths already stop an upward #include by name; this
# checks what they cannot: no undefined symbol of a layer's objects is
# defined by a higher layer (a prototype copied by hand, or a relative
# include), and no source includes a header through a relative path.
set -euo pipefail
src=$1 libdir=$2
shift 2
layers=("$@")
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

fail=0
if grep -rnE '#include "\.\./' "$src"/core --include=*.c --include=*.h; then
  echo "relative includes above: name the header, the include path decides" >&2
  fail=1
fi

# Which layer defines each global symbol.
declare -A owner
for l in "${layers[@]}"; do
  while read -r sym; do
    owner[$sym]=$l
  done < <(nm -g --defined-only "$libdir/libconcerto_$l.a" 2>/dev/null |
           awk 'NF == 3 && $2 ~ /[TDBRCV]/ {print $3}')
done
[ "${#owner[@]}" -gt 100 ] || { echo "no symbols read from $libdir" >&2; exit 1; }

for l in "${layers[@]}"; do
  while read -r sym; do
    o=${owner[$sym]:-}
    [ -n "$o" ] || continue # libc, libpq, ...: outside the core
    if [ "${rank[$o]}" -gt "${rank[$l]}" ]; then
      echo "layer $l uses $sym from the higher layer $o" >&2
      fail=1
    fi
  done < <(nm -u "$libdir/libconcerto_$l.a" | awk '$1 == "U" {print $2}' | sort -u)
done
[ "$fail" -eq 0 ] && echo "core layers: ${layers[*]} (no upward use)"
exit "$fail"

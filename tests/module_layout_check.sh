#!/usr/bin/env bash
# module_layout_check.sh SOURCE_DIR: every module folder and shared library
# keeps to the module template (docs/plugin-guide.md, "Module template"):
#   - modules/<m>/README.md has the headings a reader looks for;
#   - modules/<m>/CMakeLists.txt registers its tests with
#     concerto_module_tests, and none of its tests live under tests/;
#   - no C source of a module or library includes anything of core/ (the
#     include path already stops <...> names; this catches relative paths);
#   - a module's pages take the console only through the versioned kit
#     (/static/js/kit/v1.js, /static/css/kit/v1.css and app.css);
#   - libs/<l>/ has its public header include/concerto/<l>.h and a line in
#     libs/README.md.
set -euo pipefail
src=$1
fail=0
say() {
  echo "$*" >&2
  fail=1
}

headings=(Roles Routes Settings Rules Events Services Tests)
for dir in "$src"/modules/*/; do
  m=$(basename "$dir")
  [ -f "$dir/CMakeLists.txt" ] || continue
  if [ ! -f "$dir/README.md" ]; then
    say "modules/$m: no README.md"
  else
    for hd in "${headings[@]}"; do
      grep -qE "^## $hd\b" "$dir/README.md" || say "modules/$m/README.md: no '## $hd' section"
    done
  fi
  grep -q 'concerto_module_tests(' "$dir/CMakeLists.txt" ||
    say "modules/$m/CMakeLists.txt: tests not registered with concerto_module_tests"
  for f in "$src"/tests/integration/test_"$m"*.c "$src"/tests/browser/"$m"*.test.mjs; do
    [ -e "$f" ] && say "${f#"$src"/}: a test of module $m belongs in modules/$m/tests/"
  done
  if [ -d "$dir/web" ]; then
    while IFS= read -r hit; do
      say "$hit: a module page imports the console only through /static/js/kit/v1.js"
    done < <(grep -rnoE "(from|import\()[[:space:]]*['\"\`]/static/[^'\"\`]+" "$dir/web" --include=*.js |
             grep -v "/static/js/kit/v1\.js$" || true)
    while IFS= read -r hit; do
      say "$hit: a module page links only /static/css/app.css and /static/css/kit/v1.css"
    done < <(grep -rnoE 'href="/static/css/[^"]+"' "$dir/web" --include=*.html |
             grep -vE 'href="/static/css/(app\.css|kit/v1\.css)"$' || true)
  fi
done

while IFS= read -r hit; do
  say "$hit: modules and libraries build against plugins-api/ and libs/, never core/"
done < <(grep -rnE '#include[[:space:]]*["<][^">]*(\.\./)*core/' "$src"/modules "$src"/libs \
           --include=*.c --include=*.h || true)

for dir in "$src"/libs/*/; do
  l=$(basename "$dir")
  [ -f "$dir/CMakeLists.txt" ] || continue
  [ -f "$dir/include/concerto/$l.h" ] || say "libs/$l: no public header include/concerto/$l.h"
  grep -qE "^\| \[?\`?$l\b" "$src/libs/README.md" || say "libs/README.md: no line for $l"
done

[ "$fail" = 0 ] && echo "module layout: modules and libraries keep to the template"
exit "$fail"

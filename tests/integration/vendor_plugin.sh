#!/usr/bin/env bash
# The vendor path end to end: install Concerto into a scratch prefix, build
# tests/vendor-plugin out of tree with pkg-config only, install the module,
# start the *installed* server with it and call its routes.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d /tmp/concerto-vendor-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
# The test modules' part (the notebook, whose service header a vendor
# builds against), installed the same way a shipped module's is.
cmake --install "$build" --prefix "$work/prefix" --component concerto-test >/dev/null
[ -f "$work/prefix/include/concerto/notebook_v1.h" ] || fail "service header not installed"
pc=$(find "$work/prefix" -name concerto-plugin.pc | head -n 1)
[ -n "$pc" ] || fail "concerto-plugin.pc was not installed"
export PKG_CONFIG_PATH=$(dirname "$pc")

# Out of tree: a copy of the plugin folder, nothing of the source tree.
cp -r "$src/tests/vendor-plugin" "$work/vendor"
make -s -C "$work/vendor" install >/dev/null
moduledir=$(pkg-config --variable=moduledir concerto-plugin)
[ -f "$moduledir/hello_vendor.so" ] || fail "module not installed in $moduledir"

for so in hello_vendor vendor_notes; do
  exports=$(nm -D --defined-only "$moduledir/$so.so" | awk '$2 ~ /[TDBR]/ {print $3}')
  [ "$exports" = "concerto_module_descriptor_v" ] || fail "$so exports more than its descriptor: $exports"
done

# A database of its own in the test cluster.
pghost="$(cat "$build/test-pg.location")/run"
psql -q -h "$pghost" -U concerto -d postgres -c 'DROP DATABASE IF EXISTS it_vendor WITH (FORCE)' 2>/dev/null
psql -q -h "$pghost" -U concerto -d postgres -c 'CREATE DATABASE it_vendor'
# A port below the ephemeral range (32768-60999), so the kernel does not
# hand it to another test's outgoing connection; taken anyway between the
# check and the bind (another test's server), the start fails with "cannot
# listen on" and the next port is tried.
start_server() {
  port=$((20000 + RANDOM % 12000))
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  cat >"$work/concerto.json" <<JSON
{
  "listen": "127.0.0.1:$port",
  "database_url": "host=$pghost user=concerto dbname=it_vendor",
  "modules_dir": "$moduledir",
  "module_settings": {"hello_vendor": {"signature": "firmato dal fornitore"}}
}
JSON
  "$work/prefix/bin/concerto" --config "$work/concerto.json" 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
  pid=
  grep -q 'cannot listen on' "$work/server.log" && return 1
  fail "server did not start"
}
for attempt in 1 2 3 4 5; do
  start_server && break
  [ "$attempt" -lt 5 ] || fail "no free port after 5 tries"
done

body=$(curl -fs "http://127.0.0.1:$port/api/v1/hello_vendor/greetings/it") || fail "greeting route"
echo "$body" | grep -q '"text":"Buongiorno"' || fail "unexpected greeting: $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/hello_vendor/greetings/xx")
[ "$code" = 404 ] || fail "unknown language gave $code"
body=$(curl -fs "http://127.0.0.1:$port/api/v1/hello_vendor/about") || fail "about route"
echo "$body" | grep -q 'firmato dal fornitore' || fail "module setting not applied: $body"
# The out-of-tree consumer reached the installed provider's service.
body=$(curl -fs "http://127.0.0.1:$port/api/v1/vendor_notes/count") || fail "service route"
echo "$body" | grep -q '"count":0' || fail "unexpected count: $body"
echo "$body" | grep -q '"table_size":16' || fail "unexpected service table: $body"
body=$(curl -fs "http://127.0.0.1:$port/readyz")
echo "$body" | grep -q '"vendor":"Example Vendor S.r.l."' || fail "module list: $body"
grep -q 'applied core migration' "$work/server.log" || fail "installed server did not find its core migrations"

kill -TERM "$pid"
wait "$pid" || fail "server exit status $?"
pid=
echo "vendor plugins: built out of tree, loaded, served their routes, one through another module's service"

#!/usr/bin/env bash
# pg_fixture.sh start|stop|restart BASE: a private PostgreSQL cluster for the
# integration tests. The cluster's folder (BASE/test-pg, or a short fallback
# when that path is too long or unreachable) is written to
# BASE/test-pg.location for the tests to read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../scripts/lib/pg.sh
. "$here/../../scripts/lib/pg.sh"
action=$1 base=$2
mkdir -p "$base"
if [ -f "$base/test-pg.location" ]; then
  dir=$(cat "$base/test-pg.location")
else
  dir=$(pg_pick_dir "$base/test-pg")
  echo "$dir" >"$base/test-pg.location"
fi
export PG_FSYNC=off # test data is disposable; durability is not under test
case "$action" in
  start) pg_init "$dir" && pg_start "$dir" ;;
  stop) pg_stop "$dir" ;;
  restart) pg_stop "$dir" && pg_start "$dir" ;;
  *) echo "usage: $0 start|stop|restart BASE" >&2; exit 2 ;;
esac

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
# The role the server's requests run as is cluster-wide, but each test
# migrates its own database and the migrations' advisory lock is per
# database: two first migrations at once would both try to create it.
# Create it once here, as a first deployment's single migration would.
app_role() {
  "$PG_BIN/psql" -h "$dir/run" -U "$PG_SUPERUSER" -d postgres -q -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'concerto_app') THEN
    CREATE ROLE concerto_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
SQL
}
case "$action" in
  start) pg_init "$dir" && pg_start "$dir" && app_role ;;
  stop) pg_stop "$dir" ;;
  restart) pg_stop "$dir" && pg_start "$dir" ;;
  *) echo "usage: $0 start|stop|restart BASE" >&2; exit 2 ;;
esac

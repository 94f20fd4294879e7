# shellcheck shell=bash
# A private PostgreSQL cluster for development and tests: unix socket only,
# no TCP listener, trust authentication limited by a 0700 socket directory.
# PostgreSQL refuses to run as root, so as root the cluster belongs to a
# system user "concerto" created on demand.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_SUPERUSER=concerto

pg_os_user() {
  if [ "$(id -u)" = 0 ]; then echo concerto; else id -un; fi
}

# Runs a command as the cluster's OS user.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u concerto -- "$@"
  else
    "$@"
  fi
}

pg_ensure_os_user() {
  if [ "$(id -u)" = 0 ] && ! id concerto >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin concerto
  fi
}

# pg_pick_dir WANTED: echoes WANTED if the cluster owner can reach it and the
# socket path fits in sockaddr_un, else a short folder under /var/tmp.
pg_pick_dir() {
  local wanted=$1 parent
  pg_ensure_os_user
  parent=$(dirname "$wanted")
  mkdir -p "$parent"
  if [ ${#wanted} -lt 80 ] && pg_as_owner test -x "$parent" 2>/dev/null; then
    echo "$wanted"
  else
    echo "/var/tmp/concerto-$(echo -n "$wanted" | sha256sum | cut -c1-12)"
  fi
}

# pg_init DIR: creates the cluster in DIR on first use.
pg_init() {
  local dir=$1
  [ -n "$PG_BIN" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  pg_ensure_os_user
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data" "$dir/run"
    [ "$(id -u)" = 0 ] && chown -R concerto: "$dir"
    chmod 700 "$dir/data" "$dir/run"
    pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U "$PG_SUPERUSER" \
      --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; return 1; }
  fi
}

# pg_start DIR: starts the cluster if it is not running (waits until ready).
pg_start() {
  local dir
  dir=$(cd "$1" && pwd) # the socket path must be absolute
  if pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 \
    -o "-k $dir/run -c listen_addresses='' -c unix_socket_permissions=0700 -c max_connections=200 -c fsync=${PG_FSYNC:-on}" \
    start >/dev/null || { tail -n 20 "$dir/postgresql.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_createdb DIR NAME: creates the database if missing.
pg_createdb() {
  local dir=$1 name=$2
  if ! "$PG_BIN/psql" -h "$dir/run" -U "$PG_SUPERUSER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    "$PG_BIN/psql" -h "$dir/run" -U "$PG_SUPERUSER" -d postgres -q \
      -c "CREATE DATABASE \"$name\"" >/dev/null
  fi
}

# pg_url DIR NAME: the libpq connection string for database NAME.
pg_url() {
  echo "host=$1/run user=$PG_SUPERUSER dbname=$2"
}

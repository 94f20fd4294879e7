#!/usr/bin/env bash
# Command 1 of the README: installs what is missing, builds, starts a private
# PostgreSQL under var/ (unix socket only) and the demo's mail catcher
# (its page on http://127.0.0.1:8025), and runs Concerto on
# http://127.0.0.1:8080 until Ctrl-C. Set CONCERTO_DATABASE_URL to use an
# existing database instead of the private cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
. scripts/lib/pg.sh
. scripts/lib/build.sh

deps_install $CONCERTO_BUILD_PACKAGES
echo "==> building"
build_concerto build -DBUILD_TESTING=OFF

pgdir=
if [ -z "${CONCERTO_DATABASE_URL:-}" ]; then
  pgdir=$(pg_pick_dir "$PWD/var/pg")
  echo "==> PostgreSQL (private cluster in $pgdir)"
  pg_init "$pgdir"
  pg_start "$pgdir"
  pg_createdb "$pgdir" concerto
  export CONCERTO_DATABASE_URL=$(pg_url "$pgdir" concerto)
fi
mkdir -p var/data

echo "==> demo region (idempotent)"
build/core/concerto admin --config config/concerto.dev.json demo

server=
mailer=
stop_all() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$mailer" ] && kill -TERM "$mailer" 2>/dev/null && wait "$mailer" 2>/dev/null || true
  [ -n "$pgdir" ] && pg_stop "$pgdir"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

# The demo's mail catcher (scripts/demo-mail): Concerto's mailer is pointed
# at it (config/concerto.dev.json, smtp_url), so the invitations a
# teleconsult sends arrive on a page instead of nowhere. Without node it is
# skipped and the mails stay in the outbox, retried and then marked failed,
# as the participants page then says.
deps_install nodejs
command -v npm >/dev/null || deps_install npm
if (cd scripts/demo-mail && { test -d node_modules/mailparser || npm install --no-audit --no-fund --silent; }); then
  node scripts/demo-mail/catcher.mjs --smtp 2525 --http 8025 --dir var/demo-mail &
  mailer=$!
else
  echo "warning: the demo mail catcher could not be installed (npm); mails will not be delivered" >&2
fi

echo "==> Concerto on http://${CONCERTO_LISTEN:-127.0.0.1:8080} (Ctrl-C stops it)"
[ -n "$mailer" ] && echo "==> the demo's outgoing mail: http://127.0.0.1:8025"
build/core/concerto --config config/concerto.dev.json &
server=$!
wait "$server"

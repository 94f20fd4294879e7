# shellcheck shell=bash
# The Debian packages Concerto needs to build, run and test, installed when
# missing (as root directly, otherwise through sudo when available).

CONCERTO_BUILD_PACKAGES="build-essential cmake pkg-config libmicrohttpd-dev
  libpq-dev libjansson-dev libltdl-dev libssl-dev libcurl4-openssl-dev
  libargon2-dev libldap-dev liblua5.4-dev libjs-bootstrap5 libjs-pdf libjs-chart.js
  libjwt-dev libhpdf-dev
  postgresql postgresql-client curl
  ca-certificates"
CONCERTO_TEST_PACKAGES="libcmocka-dev valgrind clang libclang-rt-14-dev clang-format git
  slapd ldap-utils chromium fonts-liberation poppler-utils qpdf nodejs
  json-schema-test-suite"
CONCERTO_BENCH_PACKAGES="nginx-light wrk postgresql-contrib"

# deps_install PACKAGES...: installs the ones not installed yet.
deps_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || {
      echo "missing packages (${missing[*]}) and no sudo: install them as root" >&2
      return 1
    }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

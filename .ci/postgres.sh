#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (Debian's package, installed if missing):
# a temp data dir, 127.0.0.1 on a free port, password auth over TCP. Prints the variables the
# tests read; `stop <data-dir>` ends it. Usage: eval "$(bash .ci/postgres.sh start)"
# `install` only installs the package (scripts/test.sh, run by `npm test`, then starts the server).
set -euo pipefail
cd /tmp # runuser -u postgres cannot enter the caller's folder (root-only), and says so

pgbin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_pg() {
  if [ -z "$(pgbin)" ]; then
    echo "installing PostgreSQL from Debian packages..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
}

case "${1:-start}" in
  install)
    install_pg
    ;;
  start)
    install_pg
    bin=$(pgbin)
    dir=$(mktemp -d /tmp/zapjobs-pg.XXXXXX)
    chown postgres "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 \
      --auth-local=trust --auth-host=scram-sha-256 >&2
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >&2
    runuser -u postgres -- "$bin/psql" -h "$dir" -p "$port" -U postgres -q \
      -c "CREATE ROLE zapjobs LOGIN SUPERUSER PASSWORD 'zapjobs'" -c "CREATE DATABASE zapjobs OWNER zapjobs" >&2
    echo "export ZAPJOBS_TEST_PG_URL=postgres://zapjobs:zapjobs@127.0.0.1:$port/zapjobs"
    # For the test that restarts the server under running workers.
    echo "export ZAPJOBS_TEST_PG_CTL='runuser -u postgres -- $bin/pg_ctl -D $dir/data'"
    echo "export ZAPJOBS_TEST_PG_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop <dir>}
    runuser -u postgres -- "$(pgbin)/pg_ctl" -D "$dir/data" -m immediate stop >&2 || true
    rm -rf "$dir"
    ;;
esac

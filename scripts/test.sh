#!/usr/bin/env bash
# `npm test`: the folder-cycle check, then every suite this machine can run. PostgreSQL suites need a
# server: ZAPJOBS_TEST_PG_URL when exported; else, when Debian's PostgreSQL binaries are installed, a
# throwaway server started here (.ci/postgres.sh, needs root for runuser) and stopped on exit; else they
# are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Cheap and structural, so first: no import cycle between the folders of lib/.
node scripts/check-cycles.mjs

# The URL without its password, for the log.
shown() { sed -E 's#(//[^:/@]*):[^@]*@#\1:***@#' <<<"$ZAPJOBS_TEST_PG_URL"; }

if [ -n "${ZAPJOBS_TEST_PG_URL:-}" ]; then
  echo "PostgreSQL suites: on ZAPJOBS_TEST_PG_URL ($(shown))"
elif ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "PostgreSQL suites skipped: no server. To run them: apt-get install postgresql (then npm test starts one), or export ZAPJOBS_TEST_PG_URL=postgres://user:password@host:port/database"
elif [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL suites skipped: starting the throwaway server needs root (runuser -u postgres); run as root, or export ZAPJOBS_TEST_PG_URL"
else
  eval "$(bash .ci/postgres.sh start)"
  trap 'bash .ci/postgres.sh stop "$ZAPJOBS_TEST_PG_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo "PostgreSQL suites: on a throwaway server ($(shown)), stopped at exit"
fi

npm run build
npm run build:test
npm run jest
# The sample app's own spec, on the Jest configuration the README gives applications.
npm run test:sample
npm run jest:disruptive

#!/usr/bin/env bash
# Fault-injection tests (SECURITY.md, R11/R12): `kill -9` of a deadline job mid-run and a
# PostgreSQL restart under load. They restart the database server, so they never run against a
# shared cluster: without PG_DATA_DIR this script starts its own throwaway PostgreSQL and Redis
# (scripts/services.sh, ports FAULTS_PGPORT=54339 / FAULTS_REDIS_PORT=63809) and stops them after.
#   scripts/faults.sh [pytest args]
# Inside `make test` (scripts/ci.sh) the services already run and PG_DATA_DIR is exported; there
# the step is simply: .venv/bin/pytest -m faults -rfEs tests/security/faults
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
SCRATCH=""
cleanup() {
  if [ -n "$SCRATCH" ]; then
    PGPORT=$FAULTS_PGPORT REDIS_PORT=$FAULTS_REDIS_PORT bash scripts/services.sh stop "$SCRATCH" || true
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT
if [ -z "${PG_DATA_DIR:-}" ]; then
  FAULTS_PGPORT=${FAULTS_PGPORT:-54339} FAULTS_REDIS_PORT=${FAULTS_REDIS_PORT:-63809}
  SCRATCH=$(mktemp -d -t hq-faults.XXXXXX)
  eval "$(PGPORT=$FAULTS_PGPORT REDIS_PORT=$FAULTS_REDIS_PORT bash scripts/services.sh start "$SCRATCH")"
  echo "故障注入用的临时 PostgreSQL：端口 $FAULTS_PGPORT（$SCRATCH）"
fi
unset DJANGO_SETTINGS_MODULE
.venv/bin/pytest -m faults -rfEs tests/security/faults "$@"

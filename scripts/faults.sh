#!/usr/bin/env bash
# Fault-injection tests (SECURITY.md, R11/R12): `kill -9` of a deadline job mid-run and a
# PostgreSQL restart under load (tests/security/faults), then R11 on real Celery workers (pool
# child / whole worker killed with kill -9, SIGTERM mid-sweep: tests/deadlines/test_worker_killed.py,
# which start their own workers on Redis database 15 against the migrated DATABASE_URL). They
# restart the database server, so they never run against a shared cluster: without PG_DATA_DIR
# this script starts its own throwaway PostgreSQL and Redis (scripts/services.sh, ports
# FAULTS_PGPORT=54339 / FAULTS_REDIS_PORT=63809) and stops them after.
#   scripts/faults.sh [pytest args for the tests/security/faults run]
# Inside `make test` (scripts/ci.sh) the services already run and PG_DATA_DIR is exported; there
# the steps are simply: .venv/bin/pytest -m faults -rfEs tests/security/faults, and (after the
# migrate step) .venv/bin/pytest -m "realworker and faults" -rfEs tests/deadlines/test_worker_killed.py
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
rc=0
.venv/bin/pytest -m faults -rfEs tests/security/faults "$@" || rc=$?
# R11 on real workers: the workers (production settings) use the migrated DATABASE_URL.
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
env DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY="faults-$SECRET-$SECRET" \
  ALLOWED_HOSTS=127.0.0.1,localhost .venv/bin/python manage.py migrate --noinput -v 0 || rc=$?
.venv/bin/pytest -m "realworker and faults" -rfEs tests/deadlines/test_worker_killed.py || rc=$?
exit "$rc"

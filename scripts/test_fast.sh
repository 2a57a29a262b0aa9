#!/usr/bin/env bash
# `make test-fast`: the suite on an in-memory SQLite test database, without browser tests, the
# real-worker test or PostgreSQL-only tests. Extra pytest arguments: make test-fast ARGS="-x tests/foo".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
unset DATABASE_URL DJANGO_SETTINGS_MODULE
# shellcheck disable=SC2086  # ARGS is split on purpose
exec .venv/bin/pytest -m "not browser and not realworker and not postgres" -rfEs ${ARGS:-}

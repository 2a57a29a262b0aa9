#!/usr/bin/env bash
# `make run`: the local demo on an embedded SQLite database, with no server to install.
#   1. .venv with pyproject's pinned dependencies (scripts/bootstrap.sh; instant when up to date)
#   2. manage.py migrate, seed_demo, collectstatic       (config.settings.local, var/db.sqlite3)
#   3. web (gunicorn) + Celery worker + Celery beat together (scripts/devserver.py) until Ctrl-C
# DATABASE_URL, CELERY_BROKER_URL and CELERY_RESULT_BACKEND are ignored: the demo always uses
# SQLite and kombu's filesystem transport under var/. PORT (default 8000) and
# DEADLINES_INTERVAL_SECONDS (default 60) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

export DJANGO_SETTINGS_MODULE=config.settings.local
unset DATABASE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND
export DEADLINES_INTERVAL_SECONDS=${DEADLINES_INTERVAL_SECONDS:-60}
export HOST=127.0.0.1 PORT=${PORT:-8000}
PY=.venv/bin/python

if ! "$PY" -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$HOST', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "错误：端口 $HOST:$PORT 已被占用：先停止占用它的程序，或用 PORT=8001 make run。" >&2
  exit 1
fi

echo "==> 迁移数据库（SQLite：var/db.sqlite3）"
"$PY" manage.py migrate --noinput -v 0
if ! "$PY" manage.py help seed_demo >/dev/null 2>&1; then
  echo "错误：缺少 manage.py seed_demo 命令（SPEC §9 的演示数据），无法准备演示数据。" >&2
  exit 1
fi
echo "==> 载入演示数据（manage.py seed_demo）"
"$PY" manage.py seed_demo
echo "==> 收集静态文件"
"$PY" manage.py collectstatic --noinput -v 0
# A fresh beat schedule file makes the deadline jobs fire as soon as beat starts.
rm -f var/celerybeat-schedule var/celerybeat-schedule.*
echo "==> 启动 web、worker、beat（Ctrl-C 停止）"
exec "$PY" scripts/devserver.py

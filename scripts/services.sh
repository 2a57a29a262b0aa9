#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL 15 cluster and Redis on 127.0.0.1, without systemd.
#   scripts/services.sh start DIR   -> prints export lines (DATABASE_URL, CELERY_BROKER_URL, ...)
#   scripts/services.sh stop DIR
# Ports come from PGPORT (default 54329) and REDIS_PORT (default 63799) so the machine's own
# PostgreSQL cluster (5432), if someone started it, never clashes. `start` refuses a port that is
# already taken (another cluster would answer in its place) and fails if a server does not come up.
# As root, PostgreSQL runs as the postgres user (initdb and pg_ctl refuse root).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?scratch dir}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=${PGPORT:-54329}; REDIS_PORT=${REDIS_PORT:-63799}
if [ "$(id -u)" = 0 ]; then RUN=(runuser -u postgres --); else RUN=(); fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
start)
  for port in "$PGPORT" "$REDIS_PORT"; do
    if port_busy "$port"; then
      echo "错误：127.0.0.1:$port 已被占用（设置 PGPORT / REDIS_PORT 换一个端口）" >&2
      exit 1
    fi
  done
  mkdir -p "$dir/pg" "$dir/redis"; chmod 755 "$dir"   # mktemp -d is 0700: postgres must traverse it
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir/pg"; fi
  if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
    "${RUN[@]}" "$PGBIN/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $PGPORT -k $dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
    echo "错误：PostgreSQL 没有启动：" >&2; tail -20 "$dir/pg/log" >&2 || true; exit 1
  fi
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -q -tc "SELECT 1 FROM pg_roles WHERE rolname='app'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -q -c "CREATE ROLE app LOGIN PASSWORD 'app' CREATEDB SUPERUSER" -c "CREATE DATABASE app OWNER app"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir/redis" \
    --logfile "$dir/redis/redis.log" --save '' --appendonly no --pidfile "$dir/redis/redis.pid"
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  if ! redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    echo "错误：Redis 没有启动：" >&2; tail -20 "$dir/redis/redis.log" >&2 || true; exit 1
  fi
  echo "export DATABASE_URL=postgres://app:app@127.0.0.1:$PGPORT/app"
  echo "export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export PG_DATA_DIR=$dir/pg/data PGBIN=$PGBIN"
  ;;
stop)
  if ! redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && [ -f "$dir/redis/redis.pid" ]; then
    kill -TERM "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
  fi
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 \
      || kill -QUIT "$(head -1 "$dir/pg/data/postmaster.pid")" 2>/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2;;
esac

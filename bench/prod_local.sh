#!/usr/bin/env bash
# The production stack on this machine, started for real (issue 16):
#   PostgreSQL (the local server), Redis (the shared rate-limit store), the migrations,
#   gunicorn with wsgi:app (config/gunicorn.py) and the scheduler process, all with
#   DUIDINGSPOOL_CONFIG=production.
#
#   bench/prod_local.sh            start, wait until /readyz answers, stay in the foreground
#                                  (Ctrl-C stops gunicorn and the scheduler)
#   bench/prod_local.sh start      the same, but return once ready (processes keep running)
#   bench/prod_local.sh stop       stop what `start` started
#
# Settings (environment): DATABASE_URL (default: the national data set of bench/national.py),
# SECRET_KEY (default: the one bench/national.py encrypted the TOTP secrets with),
# REDIS_URL (default redis://127.0.0.1:6379/12), GUNICORN_BIND (default 127.0.0.1:8000),
# GUNICORN_WORKERS / GUNICORN_THREADS (default: config/gunicorn.py). Logs and pid files go
# to $RUN_DIR (default ./instance/prod-local).
#
# There is no TLS terminator on this machine: the app runs as behind a reverse proxy
# (DUIDINGSPOOL_TRUSTED_PROXIES=1), so a client that speaks for the proxy sends
# X-Forwarded-Proto: https, as bench/load.py does; the production cookies stay Secure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BIN:-$ROOT/.venv/bin}
RUN_DIR=${RUN_DIR:-$ROOT/instance/prod-local}
mkdir -p "$RUN_DIR"

export DUIDINGSPOOL_CONFIG=production
export DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/duidingspool_national}
export SECRET_KEY=${SECRET_KEY:-prod-local-secret-key-not-for-real-use}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/12}
export DUIDINGSPOOL_RATELIMIT_STORAGE_URI=$REDIS_URL
export DUIDINGSPOOL_TRUSTED_PROXIES=${DUIDINGSPOOL_TRUSTED_PROXIES:-1}
export GUNICORN_BIND=${GUNICORN_BIND:-127.0.0.1:8000}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-https://duidingspool.local}
export DUIDINGSPOOL_INSTANCE_PATH=$RUN_DIR

stop() {
    for name in web scheduler; do
        if [[ -f $RUN_DIR/$name.pid ]]; then
            pid=$(cat "$RUN_DIR/$name.pid")
            if kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid"
                for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            fi
            rm -f "$RUN_DIR/$name.pid"
        fi
    done
    echo "prod-local: stopped"
}

if [[ ${1:-} == stop ]]; then
    stop
    exit 0
fi

# 1. PostgreSQL: the local server (started with the system's own tools when it is down).
pg_host=$("$BIN/python" -c "from sqlalchemy.engine import make_url; import os; u = make_url(os.environ['DATABASE_URL']); print(u.host or '127.0.0.1', u.port or 5432)")
read -r PGHOST_ PGPORT_ <<<"$pg_host"
if ! pg_isready -q -h "$PGHOST_" -p "$PGPORT_"; then
    echo "prod-local: PostgreSQL is down; starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(pg_lsclusters -h | awk 'NR==1 {print $1, $2}')" start
    for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST_" -p "$PGPORT_" && break; sleep 1; done
fi
echo "prod-local: PostgreSQL ready at $PGHOST_:$PGPORT_"

# 2. Redis: the rate-limit store every web process shares.
redis_port=$("$BIN/python" -c "import os; from urllib.parse import urlparse; print(urlparse(os.environ['REDIS_URL']).port or 6379)")
if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    echo "prod-local: Redis is down; starting redis-server on port $redis_port"
    redis-server --port "$redis_port" --daemonize yes --save "" --dir "$RUN_DIR"
    for _ in $(seq 1 20); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "prod-local: Redis ready ($REDIS_URL)"

# 3. Migrations before the code that needs them.
"$BIN/duidingspool" db upgrade

# 4. The scheduler (one process) and gunicorn (workers x threads from config/gunicorn.py).
stop >/dev/null
"$BIN/duidingspool" scheduler >>"$RUN_DIR/scheduler.log" 2>&1 &
echo $! >"$RUN_DIR/scheduler.pid"
"$BIN/gunicorn" -c config/gunicorn.py --pid "$RUN_DIR/web.pid" wsgi:app >>"$RUN_DIR/web.log" 2>&1 &
web_launcher=$!

for _ in $(seq 1 60); do
    if curl -fsS "http://$GUNICORN_BIND/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$web_launcher" 2>/dev/null; then
        echo "prod-local: gunicorn exited; see $RUN_DIR/web.log" >&2
        tail -20 "$RUN_DIR/web.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS "http://$GUNICORN_BIND/readyz"; echo
echo "prod-local: serving http://$GUNICORN_BIND (gunicorn pid $(cat "$RUN_DIR/web.pid"), scheduler pid $(cat "$RUN_DIR/scheduler.pid")); logs in $RUN_DIR"

if [[ ${1:-} == start ]]; then
    exit 0
fi
trap 'stop; exit 0' INT TERM
wait "$web_launcher"

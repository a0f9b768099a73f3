"""gunicorn settings for production: `gunicorn -c config/gunicorn.py wsgi:app`.

Why these numbers. A request here is mostly Python (Jinja rendering, SQLAlchemy building
and reading rows) with short waits on PostgreSQL in between. Python runs one thread at a
time per process (the GIL), so parallel work needs processes: one worker per core, plus one
so that a core is never idle while a worker sits in a long request (the year report, a CSV
download). Within a worker, the gthread worker class runs 4 threads, which fill the waits on
the database and on slow clients; more threads would only queue for the same GIL. On the
2-core reference machine that is 3 workers x 4 threads = 12 requests in flight, and at most
12 database connections from the web processes (each worker's pool opens only what its
threads use; PostgreSQL's default max_connections of 100 leaves room for a second host, the
scheduler and psql).

Two settings come from the load test on the national data set (README, "Capacity"):
- keepalive 75 s: longer than the reverse proxy keeps an idle upstream connection (nginx's
  upstream `keepalive_timeout` is 60 s), so the proxy, not gunicorn, closes idle ones.
  With gunicorn closing first (it was 5 s), a request the proxy sent on a connection at
  the moment gunicorn closed it failed (a read error; nginx does not retry a POST).
- switch interval 0.5 ms (post_fork below): a thread back from the database waits for the
  interpreter lock while another thread of its worker renders; Python hands the lock over
  every 5 ms by default, so a page of a dozen queries could wait 60 ms beside a report.

Every value can be set from the environment (GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_SWITCH_INTERVAL,
GUNICORN_ACCESSLOG). Health probes (/healthz, /readyz)
are left out of the access log; calendar feed URLs are written with their token redacted by
the app's log filter (duidingspool/ical/views.py).
"""

import os

from gunicorn.glogging import Logger

_cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", _cores + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Requests longer than this are cut off (the year report takes well under a second).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Keep-alive for the reverse proxy's connections.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
# Recycle a worker now and then so that memory never creeps (jitter: not all at once).
max_requests = 5000
max_requests_jitter = 500
# The app is created in each worker (no preload): no database pool crosses a fork.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
# The reverse proxy on this host sets X-Forwarded-*; the app reads them itself
# (DUIDINGSPOOL_TRUSTED_PROXIES), so gunicorn only trusts them from localhost.
forwarded_allow_ips = "127.0.0.1"
proc_name = "duidingspool-web"
# No control socket (gunicornc): a second gunicorn on the host would share its default path.
control_socket_disable = True

# Probes a load balancer sends every few seconds: never written to the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class QuietProbeLogger(Logger):
    """gunicorn's logger without the access lines of the health probes."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") in QUIET_PATHS:
            return
        super().access(resp, req, environ, request_time)


logger_class = QuietProbeLogger


def post_fork(server, worker):
    """The worker's switch interval (see above)."""
    import sys

    sys.setswitchinterval(float(os.environ.get("GUNICORN_SWITCH_INTERVAL", 0.0005)))

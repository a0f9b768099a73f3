"""The load balancer's probes: /healthz (the process answers) and /readyz (database and
rate-limit store answer, else 503); no cookie, no rate limit, no access-log line."""

from __future__ import annotations

import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from duidingspool import create_app
from duidingspool.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_database_and_the_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "rate_limit_store": "ok"}


def test_readyz_answers_503_without_the_database(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failed"
    # The process itself is up.
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_answers_503_when_the_rate_limit_store_is_down(migrated):
    # Nothing listens on port 1: the Redis store cannot be reached.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=migrated,
                     RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/13")
    with app.app_context():
        response = app.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "rate_limit_store": "failed"}


def test_probes_are_exempt_from_rate_limits(migrated):
    # A default limit on every route (none is set today): the probes never count. Tried in
    # a process of its own: the limiter is one object per process, and a default limit given
    # to it stays for every app made after it (the rest of the suite).
    script = f"""
from duidingspool import create_app
app = create_app("testing", SQLALCHEMY_DATABASE_URI={migrated!r},
                 RATELIMIT_DEFAULT="2 per minute")
client = app.test_client()
with app.app_context():
    assert [client.get("/login").status_code for _ in range(3)][-1] == 429
    assert {{client.get("/healthz").status_code for _ in range(5)}} == {{200}}
    assert {{client.get("/readyz").status_code for _ in range(5)}} == {{200}}
print("exempt")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("exempt")


@pytest.mark.parametrize("path, logged", [("/healthz", False), ("/readyz", False),
                                          ("/login", True)])
def test_probes_stay_out_of_gunicorns_access_log(path, logged, tmp_path):
    from gunicorn.config import Config

    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    log_file = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log_file))
    logger = settings["logger_class"](config)
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[], method="GET", path=path, query="", version=(1, 1),
                              uri=path)
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "RAW_URI": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    logger.access(response, request, environ, timedelta(0))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = log_file.read_text() if log_file.exists() else ""
    assert (path in written) is logged

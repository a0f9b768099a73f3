"""Health endpoints for a load balancer: `/healthz` (the process answers) and `/readyz`
(it can do its work: the database and the rate-limit store answer; 503 otherwise).

Both are public, carry no data, set no cookie, are exempt from Flask-Limiter's limits and
are left out of gunicorn's access log (config/gunicorn.py), so a probe every few seconds
neither fills the log nor counts against anyone.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from duidingspool.accounts.access import public
from duidingspool.accounts.throttle import limiter
from duidingspool.extensions import db

bp = Blueprint("health", __name__)
PATHS = ("/healthz", "/readyz")
log = logging.getLogger(__name__)


def _no_store(response, status: int = 200):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    """The process is up and serving requests; asks nothing of the database."""
    return _no_store(jsonify({"status": "ok"}))


def _database_ok() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return False


def _store_ok() -> bool:
    """The rate-limit store (Redis in production) answers; memory:// always does."""
    try:
        return bool(limiter.storage.check())
    except Exception as exc:  # noqa: BLE001 (any storage error means: not ready)
        log.warning("readiness: rate-limit store unreachable: %s", type(exc).__name__)
        return False


@bp.get("/readyz")
@public
@limiter.exempt
def readyz():
    """Ready for traffic: the database and the rate-limit store answer (503 otherwise)."""
    checks = {"database": _database_ok(), "rate_limit_store": _store_ok()}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
            "config": current_app.config["CONFIG_NAME"]}
    return _no_store(jsonify(body), 200 if ready else 503)

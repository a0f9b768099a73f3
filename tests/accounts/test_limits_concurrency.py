"""Limits that hold under parallel requests: an attempt is counted before the slow check, so
of many parallel wrong passwords or codes at most the limit is evaluated; a TOTP code logs in
once, however many logins race with it.

Each thread has its own test client (and so its own app context and database connection); a
barrier releases all requests at once. The limits are also tried on a shared Redis store, as
production with several processes (TEST_REDIS_URL, default redis://127.0.0.1:6379/11).
"""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from duidingspool import create_app
from duidingspool.accounts import services, throttle, twofactor
from duidingspool.accounts.models import Role
from duidingspool.accounts.sessions import stamp
from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db
from tests import factories as f
from tests.accounts.helpers import code, enable_two_factor

# Project machines run Redis on 6379; these tests use database 11 of their own.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


class Counting:
    """Wraps a callable and counts its calls, from any thread."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
        return self.wrapped(*args, **kwargs)


class CountingHasher:
    """The password hasher, counting how many passwords reached the hash check."""

    def __init__(self, hasher):
        self._hasher = hasher
        self.verify = Counting(hasher.verify)

    def __getattr__(self, name):
        return getattr(self._hasher, name)


def _parallel(app, n: int, request) -> list[int]:
    """Run `request(client)` in `n` threads at once, each with a client of its own; the
    status codes."""
    barrier = threading.Barrier(n)
    statuses: list = [None] * n

    def worker(index: int):
        client = app.test_client()
        prepared = request(client, before=True)
        barrier.wait(timeout=60)
        statuses[index] = request(client, before=False, prepared=prepared).status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return statuses


def _loaded(user) -> SimpleNamespace:
    """What a session of `user` needs, read here (the threads must not load the user)."""
    return SimpleNamespace(id=user.id, session_version=user.session_version)


def _half_logged_in(client, who) -> None:
    """A session after the password, before the second factor."""
    with client.session_transaction() as session:
        session["_user_id"] = str(who.id)
        stamp(session, who, second_factor=False)


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, app):
    """The test's app (memory:// store), or one on the same database with a Redis store."""
    if request.param == "memory":
        yield app
        return
    shared = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                        RATELIMIT_STORAGE_URI=REDIS_URL)
    with shared.app_context():
        throttle.reset()
        yield shared
        throttle.reset()
        db.session.remove()
        db.engine.dispose()
    throttle.limiter.init_app(app)  # back to the test app's memory store


def test_parallel_wrong_passwords_evaluate_at_most_the_limit(limited_app, monkeypatch):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    hasher = CountingHasher(services._hasher)
    monkeypatch.setattr(services, "_hasher", hasher)

    email = user.email

    def wrong_password(client, before, prepared=None):
        if before:
            return None
        return client.post("/login", data={"email": email, "password": "wrong-guess-1"})

    statuses = _parallel(limited_app, 40, wrong_password)

    assert hasher.verify.calls <= 5
    assert sorted(statuses) == [401] * hasher.verify.calls + [429] * (40 - hasher.verify.calls)


def test_parallel_wrong_codes_evaluate_at_most_the_limit(limited_app, monkeypatch):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    enable_two_factor(user)
    who = _loaded(user)
    verify = Counting(twofactor.verify)
    monkeypatch.setattr(twofactor, "verify", verify)

    def wrong_code(client, before, prepared=None):
        if before:
            _half_logged_in(client, who)
            return None
        return client.post("/login/code", data={"code": "000000"})

    statuses = _parallel(limited_app, 30, wrong_code)

    assert verify.calls <= 5
    assert sorted(statuses) == [401] * verify.calls + [429] * (30 - verify.calls)


def test_one_totp_code_logs_in_once_however_many_logins_race(app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    secret, _codes = enable_two_factor(user)
    app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"] = "100 per 15 minutes"
    same = code(secret, 1)
    who = _loaded(user)

    def login(client, before, prepared=None):
        if before:
            _half_logged_in(client, who)
            return None
        return client.post("/login/code", data={"code": same})

    statuses = _parallel(app, 8, login)

    assert sorted(statuses) == [302] + [401] * 7
    db.session.expire_all()
    successes = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "login.two_factor_success"))
    assert successes == 1

"""Two web hosts, one truth (issue 16): two gunicorn servers on two ports, in production
configuration, against the same PostgreSQL database and the same Redis rate-limit store.

- a login limit reached on one host holds on the other (the counts live in Redis);
- logging out on one host ends the session on the other (the session cookie is signed, and
  every request checks its session version against the user's row, which logout raises);
- 30 concurrent accepts of one offer, spread over both hosts, give exactly one booking.

PostgreSQL and Redis (database 13, emptied first) are required: the test runs in the
PostgreSQL run of `make test`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from duidingspool.accounts import services as accounts
from duidingspool.bookings import services as bookings
from duidingspool.bookings.models import Booking, Offer, OfferStatus
from duidingspool.extensions import db
from tests.bookings.helpers import World

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET_KEY = "two-hosts-test-secret"
PASSWORD = "een-lang-wachtwoord-voor-de-test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCEPTS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _BehindTheProxy(httpx.HTTPTransport):
    """Speak plain http as the TLS proxy would: the Secure flag comes off the cookies."""

    def handle_request(self, request):
        response = super().handle_request(request)
        if "set-cookie" in response.headers:
            response.headers = httpx.Headers([
                (k, re.sub(r";\s*Secure", "", v, flags=re.I) if k.lower() == "set-cookie" else v)
                for k, v in response.headers.multi_items()])
        return response


def _browser(port: int, cookies=None) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=_BehindTheProxy(),
                        cookies=cookies, timeout=60, headers={
                            "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7",
                            "Referer": f"https://127.0.0.1:{port}/"})


def _token(client: httpx.Client, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


@pytest.fixture
def hosts(migrated):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    ports = [_free_port(), _free_port()]
    env = {**os.environ, "DUIDINGSPOOL_CONFIG": "production", "DATABASE_URL": migrated,
           "SECRET_KEY": SECRET_KEY, "DUIDINGSPOOL_RATELIMIT_STORAGE_URI": REDIS_URL,
           "DUIDINGSPOOL_TRUSTED_PROXIES": "1", "GUNICORN_WORKERS": "1",
           "GUNICORN_THREADS": "16", "GUNICORN_ACCESSLOG": "/dev/null"}
    servers = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "wsgi:app"],
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for port in ports]
    try:
        for server, port in zip(servers, ports, strict=True):
            for _ in range(120):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                try:  # wait for the process (it may exit), half a second at most
                    server.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
            else:
                pytest.fail(f"gunicorn on {port} never became ready")
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def expert_user(app):
    world = World()
    expert = world.expert()
    expert.user.password_hash = accounts.hash_password(PASSWORD)
    db.session.commit()
    return world, expert


def test_a_login_limit_reached_on_one_host_holds_on_the_other(app, expert_user, hosts):
    _world, expert = expert_user
    email = expert.user.email
    one, other = (_browser(port) for port in hosts)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        wrong = one.post("/login", data={"email": email, "password": "niet-het-wachtwoord",
                                         "csrf_token": _token(one, "/login")})
        assert wrong.status_code == 401
    # The right password, on the host that never saw a failure: still refused.
    right = other.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": _token(other, "/login")})
    assert right.status_code == 429
    assert "Retry-After" in right.headers


def test_logging_out_on_one_host_ends_the_session_on_the_other(app, expert_user, hosts):
    _world, expert = expert_user
    one = _browser(hosts[0])
    logged_in = one.post("/login", data={"email": expert.user.email, "password": PASSWORD,
                                         "csrf_token": _token(one, "/login")})
    assert logged_in.status_code == 302
    other = _browser(hosts[1], cookies=httpx.Cookies(one.cookies))
    assert other.get("/").status_code == 200  # the same session on the second host
    kept = httpx.Cookies(one.cookies)  # the cookie as it was before logging out

    assert one.post("/logout", data={"csrf_token": _token(one, "/")}).status_code == 302
    replayed = _browser(hosts[1], cookies=kept).get("/")
    assert replayed.status_code == 302
    assert "/login" in replayed.headers["Location"]


def test_thirty_concurrent_accepts_over_both_hosts_book_once(app, hosts):
    world = World()
    referral = world.request()
    expert = world.expert()
    [offer] = bookings.make_offers(actor=world.coordinator, referral=referral,
                                   expert_ids=[expert.id])
    _token_row, raw = accounts.create_token(actor=None, user=expert.user, name="two hosts")
    db.session.commit()

    barrier = threading.Barrier(ACCEPTS)
    statuses = [None] * ACCEPTS
    url = f"/api/v1/offers/{offer.id}/accept"

    def accept(i: int):
        with httpx.Client(base_url=f"http://127.0.0.1:{hosts[i % 2]}", timeout=60,
                          headers={"Authorization": f"Bearer {raw}",
                                   "X-Forwarded-Proto": "https"}) as client:
            barrier.wait(timeout=30)
            statuses[i] = client.post(url).status_code

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(ACCEPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(statuses) == [201] + [409] * (ACCEPTS - 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Booking)
                             .where(Booking.referral_id == referral.id)) == 1
    assert db.session.get(Offer, offer.id).status == OfferStatus.ACCEPTED

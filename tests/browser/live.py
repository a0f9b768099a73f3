"""The app served for a real browser: the browser tests' live server and `make screenshots`.

`serve` runs the app (the testing config, on an SQLite file migrated like tests/conftest.py
migrates) with werkzeug's `make_server` in a thread on a free port. `log_in` walks the login
form and, for coordinators and administrators, the second factor with a code made by pyotp
from the user's secret, as an authenticator app would make it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import pyotp
from flask_migrate import upgrade
from werkzeug.serving import make_server

from duidingspool import create_app
from duidingspool.accounts import twofactor
from duidingspool.accounts.services import get_by_email
from duidingspool.extensions import db

# Debian's Chromium (`apt-get install chromium`); no browser is ever downloaded.
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {
    "laptop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}


def app_for(database_url: str, **overrides):
    """The testing app on `database_url`, as a browser meets it: with CSRF tokens checked,
    without a fixed SERVER_NAME (the live server's host and port decide)."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None,
                "WTF_CSRF_ENABLED": True, "TESTING": False}
    return create_app("testing", **{**settings, **overrides})


def migrate(database_url: str) -> None:
    """Build the schema by running the migrations (as tests/conftest.py does)."""
    app = app_for(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@dataclass
class LiveServer:
    url: str
    app: object


@contextmanager
def serve(database_url: str, instance_path: str) -> Iterator[LiveServer]:
    """Serve the app on 127.0.0.1 at a free port until the block ends."""
    server = make_server("127.0.0.1", 0, None)  # bind first: the port decides the URLs
    port = server.server_port
    base = f"http://127.0.0.1:{port}"
    app = app_for(database_url, PUBLIC_BASE_URL=base)
    app.instance_path = instance_path
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=base, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def totp_secret(app, email: str) -> str:
    """The user's TOTP secret: the one being set up, read as the setup page shows it."""
    with app.test_request_context():
        user = get_by_email(email)
        secret = twofactor.pending_secret(user=user)
        db.session.commit()
        return secret


def enable_two_factor(app, email: str, password: str) -> str:
    """Turn two-factor login on for `email` (as its setup does) with a code of an hour ago,
    so that the codes of now are still unused; returns the secret."""
    with app.test_request_context():
        user = get_by_email(email)
        secret = twofactor.pending_secret(user=user)
        earlier = time.time() - 3600
        twofactor.enable(actor=user, password=password, code=pyotp.TOTP(secret).at(earlier),
                         now=earlier)
        db.session.commit()
        return secret


class Codes:
    """TOTP codes for a user, never the same time step twice (the app refuses a replay)."""

    def __init__(self, secret: str):
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def next(self) -> str:
        now_step = self.totp.timecode(_now())
        step = now_step
        if self.last_step is not None and step <= self.last_step:
            # The app accepts the next step too (clock drift), so a second login in the same
            # 30 seconds still gets a fresh code; the flows never need a third.
            step = self.last_step + 1
        assert step <= now_step + 1, "more than two codes for one user in one time step"
        self.last_step = step
        return self.totp.generate_otp(step)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# The Dutch labels of the login pages (the UI's default language).
EMAIL = re.compile(r"^e-?mail", re.I)
PASSWORD = re.compile(r"wachtwoord", re.I)
LOG_IN = re.compile(r"^inloggen$", re.I)
CODE = re.compile(r"code", re.I)
CONTINUE = re.compile(r"verder|doorgaan|inloggen|bevestigen", re.I)
TURN_ON = re.compile(r"tweestapsverificatie aanzetten|aanzetten|inschakelen", re.I)
CODES_SAVED = re.compile(r"codes.*(bewaard|opgeslagen)", re.I)


def log_in(visitor, email: str, password: str, *, codes: Codes | None = None,
           setup_secret=None) -> None:
    """Log in through the forms. `codes`: the user has two-factor login on; `setup_secret`:
    a function giving the secret while the user must set it up (admins on first login)."""
    page = visitor.page
    visitor.goto("/login")
    page.get_by_label(EMAIL).fill(email)
    page.get_by_label(PASSWORD).fill(password)
    # Each step's page is checked, except the role's home page at the end: the tests of
    # each role's pages visit and check it (tests/browser/test_pages.py).
    two_step = codes is not None or setup_secret is not None
    visitor.click(page.get_by_role("button", name=LOG_IN), check=two_step)
    if codes is not None:
        page.get_by_label(CODE).fill(codes.next())
        visitor.click(page.get_by_role("button", name=CONTINUE), check=False)
    elif setup_secret is not None:
        codes = Codes(setup_secret())
        page.get_by_label(re.compile(r"(huidig )?wachtwoord", re.I)).fill(password)
        page.get_by_label(re.compile(r"code uit de app|code", re.I)).fill(codes.next())
        visitor.click(page.get_by_role("button", name=TURN_ON))
        # The recovery codes, shown once; then on to the home page.
        visitor.click(page.get_by_role("link", name=CODES_SAVED), check=False)
    if "/login" in page.url or "two-factor" in page.url:
        raise AssertionError(f"logging in as {email} ended on {page.url}")

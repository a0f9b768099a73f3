"""Browser tests: the app served by a live server, walked in Debian's Chromium.

One server and one browser per session; each test opens a fresh browser context (cookies of
its role's login, its viewport) and walks its pages through a `Visitor`, which checks every
page that loads (tests/browser/checks.py). They run on SQLite only: the PostgreSQL run
deselects them (marker `sqlite_only`, tests/conftest.py).
"""

from __future__ import annotations

import pytest

from .checks import Visitor
from .live import CHROMIUM, VIEWPORTS, Codes, log_in, migrate, serve, totp_secret
from .world import EMAILS, PASSWORD, build

# A label or button that is not there fails the test after this long, not Playwright's 30 s.
TIMEOUT_MS = 8_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.sqlite_only)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's browser, started from Debian's chromium package (never a
    downloaded build)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'browser.sqlite3'}"
    migrate(database_url)
    with serve(database_url, str(folder)) as server:
        server.world = build(server.app)
        yield server


@pytest.fixture(scope="session")
def logins(browser, live_server):
    """Each role's logged-in cookies, from one walk through the login forms (with its second
    factor: the coordinator's code, the administrator's first-time setup)."""
    states = {}
    for role in ("requester", "coordinator", "expert", "admin"):
        context = browser.new_context(viewport=VIEWPORTS["laptop"], locale="nl-NL")
        context.set_default_timeout(TIMEOUT_MS)
        visitor = Visitor(context.new_page(), live_server.url, "laptop")
        if role == "coordinator":
            log_in(visitor, EMAILS[role], PASSWORD,
                   codes=Codes(live_server.world.secrets["coordinator"]))
        elif role == "admin":
            log_in(visitor, EMAILS[role], PASSWORD,
                   setup_secret=lambda: totp_secret(live_server.app, EMAILS["admin"]))
        else:
            log_in(visitor, EMAILS[role], PASSWORD)
        visitor.assert_all_checked()
        states[role] = context.storage_state()
        context.close()
    return states


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def open_as(browser, live_server, logins, viewport):
    """open_as(role) -> a Visitor on a new page, logged in as `role` (None: logged out), at
    the test's viewport."""
    opened = []

    def open_page(role):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nl-NL",
                                      storage_state=logins[role] if role else None)
        context.set_default_timeout(TIMEOUT_MS)
        visitor = Visitor(context.new_page(), live_server.url, viewport)
        opened.append((context, visitor))
        return visitor

    yield open_page
    for context, _visitor in opened:
        context.close()
    for _context, visitor in opened:
        visitor.assert_all_checked()


@pytest.fixture
def seeded(live_server):
    return live_server.world

"""Test fixtures: a migrated database per run, an app and client per test.

The schema is built by running the migrations once per session. The suite runs on SQLite by
default and on PostgreSQL with `--database=postgresql`, which needs TEST_DATABASE_URL: it
creates a database of its own there and drops it at the end, so runs never meet.
"""

from __future__ import annotations

import os
import uuid

import pytest
from flask import g
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import make_url

from duidingspool import create_app
from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from tests import factories as f
from tests.hours.helpers import Priced


def pytest_addoption(parser):
    parser.addoption("--database", choices=["sqlite", "postgresql"], default="sqlite",
                     help="postgresql needs TEST_DATABASE_URL")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: runs only with --database=postgresql")
    config.addinivalue_line("markers", "sqlite_only: left out of the --database=postgresql run "
                                       "(the browser tests in tests/browser)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Tests of PostgreSQL-only features (exclusion constraints, advisory locks) are left
    # out of the SQLite run; `make test` runs them in its PostgreSQL run. The browser tests
    # (marked sqlite_only by tests/browser/conftest.py) are left out of the PostgreSQL run:
    # they test pages, not the database, and `make test` runs them on SQLite.
    left_out = "sqlite_only" if config.getoption("--database") == "postgresql" else "postgresql_only"
    kept = [item for item in items if left_out not in item.keywords]
    deselected = [item for item in items if left_out in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    # The browser tests last: their browser (and Playwright's event loop) then stays open
    # for them alone, not through the rest of the suite.
    items[:] = sorted(kept, key=lambda item: "tests/browser/" in item.nodeid)


def _admin_connection(url):
    import psycopg

    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
        password=url.password, dbname=url.database, autocommit=True,
    )


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if request.config.getoption("--database") == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.exit("--database=postgresql needs TEST_DATABASE_URL", returncode=2)
    url = make_url(base)
    name = f"duidingspool_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(migrated, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=migrated)
    app.instance_path = str(tmp_path)

    @app.teardown_request
    def forget_logged_in_user(exc):
        # Test requests share the fixture's app context and so its `g`; without this,
        # Flask-Login would remember one request's user in the next.
        g.pop("_login_user", None)

    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _empty_all_tables():
    # DELETE is much quicker than TRUNCATE on a handful of rows per table.
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # audit_event is append-only (migration 0007: a trigger refuses UPDATE, DELETE
            # and TRUNCATE). Replica mode skips triggers for this transaction only; it
            # needs a superuser, which the test database user is and the app's never is.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        # On SQLite the triggers run while the rows above are deleted and may write the
        # tables they keep (tallies, feed stamps) again; those go last.
        for table in db.metadata.sorted_tables:
            if table.info.get("kept_by_triggers"):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log `user` in on the test client (or log out with None).

    The session is one of a completed login: it carries the user's current session version,
    a fresh activity time and the second factor as given, so coordinators and admins (who
    must use two-factor login) reach their pages. tests/accounts logs in through the forms
    to test the second factor itself.
    """
    from duidingspool.accounts.sessions import stamp

    def login(user):
        with client.session_transaction() as session:
            session.clear()
            if user is not None:
                session["_user_id"] = str(user.id)
                session["_fresh"] = True
                stamp(session, user, second_factor=True)
        return client

    return login


@pytest.fixture
def as_user(login_as):
    """Commit what the test built so the request sees it, and log `user` in."""

    def login(user):
        db.session.commit()
        return login_as(user)

    return login


@pytest.fixture
def admin(app):
    return f.user(Role.ADMIN, locale="en")


@pytest.fixture
def coordinator(app):
    return f.user(Role.COORDINATOR, locale="en")


@pytest.fixture
def english(app):
    """Messages in English, so assertions on texts survive the Dutch catalogue.

    A test package turns it on for all its tests by overriding it in its conftest.py as
    `@pytest.fixture(autouse=True) def english(english)`; a single module with
    `pytestmark = pytest.mark.usefixtures("english")`.
    """
    with force_locale("en"):
        yield


@pytest.fixture
def world(app):
    """The priced world of tests/hours/helpers.py: an expert with a rate change on 1 July
    2026 and a 2026 budget. Modules that need another world define their own `world`."""
    return Priced()

"""Fixtures of this test package: messages in English, so tests survive the Dutch catalogue."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from tests import factories as f


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def admin(app):
    return f.user(Role.ADMIN, locale="en")


@pytest.fixture
def coordinator(app):
    return f.user(Role.COORDINATOR, locale="en")


@pytest.fixture
def as_user(login_as):
    """Commit what the test built so the request sees it, and log `user` in."""

    def login(user):
        db.session.commit()
        return login_as(user)

    return login

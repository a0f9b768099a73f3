"""Messages in English, so tests survive the Dutch catalogue."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield

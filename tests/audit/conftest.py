"""Fixtures of the audit tests: messages in English."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield

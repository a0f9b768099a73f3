"""Messages in English, so tests survive the Dutch catalogue."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(english):
    """Every test of this package reads the messages in English (tests/conftest.py)."""

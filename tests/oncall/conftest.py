"""Messages in English, so assertions on texts survive the Dutch catalogue."""

import pytest


@pytest.fixture(autouse=True)
def english(english):
    """Every test of this package reads the messages in English (tests/conftest.py)."""

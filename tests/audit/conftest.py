"""Fixtures of the audit tests: messages in English."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(english):
    """Every test of this package reads the messages in English (tests/conftest.py)."""

"""Fixtures of the accounts tests: login rate-limit counts start empty in every test."""

from __future__ import annotations

import pytest

from duidingspool.accounts import throttle


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    throttle.reset()
    yield
    throttle.reset()

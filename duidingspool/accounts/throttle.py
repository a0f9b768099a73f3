"""Rate limits on guessing: failed logins per account and per address, failed second-factor
codes per account, failed password re-entries of a logged-in user per account, and requests
for a forgotten-password link per address and per e-mail address typed (every request
counts: each one may send an e-mail).

Counts live in Flask-Limiter's storage (RATELIMIT_STORAGE_URI: memory:// by default; in
production redis://... so that every process shares them). An attempt is counted before it
is checked and given back when it succeeds, so only failures stay counted, and parallel
attempts cannot all pass the limit while the first are still being checked. While a limit
is reached, even the right password is refused until the window has passed.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

# No default limits: only the checks below, called from the login views.
limiter = Limiter(key_func=get_remote_address)

_LOGIN_ACCOUNT = "LOGIN_LIMIT_PER_ACCOUNT"
_LOGIN_ADDRESS = "LOGIN_LIMIT_PER_ADDRESS"
_TWO_FACTOR = "TWO_FACTOR_LIMIT_PER_ACCOUNT"
_RESET_ACCOUNT = "PASSWORD_RESET_LIMIT_PER_ACCOUNT"
_RESET_ADDRESS = "PASSWORD_RESET_LIMIT_PER_ADDRESS"
_PASSWORD_CHECK = "PASSWORD_CHECK_LIMIT_PER_ACCOUNT"


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)


# Settings that fall back to another when None.
_FALLBACK = {_RESET_ACCOUNT: _LOGIN_ACCOUNT, _RESET_ADDRESS: _LOGIN_ADDRESS,
             _PASSWORD_CHECK: _LOGIN_ACCOUNT}


def _limit(setting: str) -> str:
    value = current_app.config.get(setting)
    return value if value is not None else current_app.config[_FALLBACK[setting]]


def _checks(names_and_keys):
    for setting, *identifiers in names_and_keys:
        yield parse(_limit(setting)), ("duidingspool", setting.lower(), *identifiers)


class Attempt:
    """One attempt, already counted against each of its limits (see `_attempt`).

    A failed attempt stays counted. `give_back()` uncounts one that turned out not to be a
    guess: a right password or code, or a form refused for another reason.
    """

    def __init__(self, taken: list[tuple[str, int]]):
        self._taken = taken

    def give_back(self) -> None:
        for key, expiry in self._taken:
            limiter.storage.incr(key, expiry, amount=-1)
        self._taken = []


def _attempt(checks) -> Attempt | int:
    """Count an attempt against every limit FIRST, then compare: the Attempt, or the seconds
    to wait when a limit was already reached (then nothing stays counted).

    Each count is one atomic increment in the shared store (Redis INCRBY, or under a lock in
    memory), so of parallel attempts at most the limit get through to the slow check; a
    check-then-count would let all of them through while the first ones are still checking.
    The window starts at the first counted attempt and lasts the limit's period.
    """
    taken: list[tuple[str, int]] = []
    wait = None
    for item, identifiers in checks:
        key, expiry = item.key_for(*identifiers), item.get_expiry()
        count = limiter.storage.incr(key, expiry)
        taken.append((key, expiry))
        if count > item.amount:
            seconds = max(1, math.ceil(limiter.storage.get_expiry(key) - time.time()))
            wait = max(wait or 0, seconds)
    if wait is not None:
        Attempt(taken).give_back()
        return wait
    return Attempt(taken)


def _login_checks(email: str, address: str | None):
    return list(_checks([(_LOGIN_ACCOUNT, email.strip().lower()),
                         (_LOGIN_ADDRESS, address or "unknown")]))


def login_attempt(*, email: str, address: str | None) -> Attempt | int:
    """A login attempt for this account from this address, counted before the password is
    checked; or the seconds to wait. Give it back when the password was right."""
    return _attempt(_login_checks(email, address))


def two_factor_attempt(*, user_id: int) -> Attempt | int:
    """A second-factor code attempt of this account, counted before the code is checked;
    or the seconds to wait. Give it back when the code was right."""
    return _attempt(list(_checks([(_TWO_FACTOR, str(user_id))])))


def password_check_attempt(*, user_id: int) -> Attempt | int:
    """A logged-in user's password re-entry (changing the password or the two-factor
    settings), counted before the password is checked; or the seconds to wait."""
    return _attempt(list(_checks([(_PASSWORD_CHECK, str(user_id))])))


def _reset_checks(email: str, address: str | None):
    return list(_checks([(_RESET_ACCOUNT, email.strip().lower()),
                         (_RESET_ADDRESS, address or "unknown")]))


def password_reset_attempt(*, email: str, address: str | None) -> Attempt | int:
    """A request for a forgotten-password link, counted (every one counts: each may send an
    e-mail); or the seconds to wait."""
    return _attempt(_reset_checks(email, address))


def reset() -> None:
    """Forget every count (tests)."""
    limiter.reset()

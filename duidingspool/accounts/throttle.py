"""Rate limits on guessing: failed logins per account and per address, failed second-factor
codes per account, and requests for a forgotten-password link per address and per e-mail
address typed (every request counts: each one may send an e-mail).

Counts live in Flask-Limiter's storage (RATELIMIT_STORAGE_URI: memory:// by default; in
production redis://... so that every process shares them). Only failures count; while a
limit is reached, even the right password is refused until the window has passed.
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


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)


# Settings that fall back to another when None.
_FALLBACK = {_RESET_ACCOUNT: _LOGIN_ACCOUNT, _RESET_ADDRESS: _LOGIN_ADDRESS}


def _limit(setting: str) -> str:
    value = current_app.config.get(setting)
    return value if value is not None else current_app.config[_FALLBACK[setting]]


def _checks(names_and_keys):
    for setting, *identifiers in names_and_keys:
        yield parse(_limit(setting)), ("duidingspool", setting.lower(), *identifiers)


def _blocked_for(checks) -> int | None:
    """Seconds until every limit allows another attempt, or None if none is reached."""
    wait = None
    for item, identifiers in checks:
        if not limiter.limiter.test(item, *identifiers):
            stats = limiter.limiter.get_window_stats(item, *identifiers)
            seconds = max(1, math.ceil(stats.reset_time - time.time()))
            wait = max(wait or 0, seconds)
    return wait


def _hit(checks) -> None:
    for item, identifiers in checks:
        limiter.limiter.hit(item, *identifiers)


def _login_checks(email: str, address: str | None):
    return list(_checks([(_LOGIN_ACCOUNT, email.strip().lower()),
                         (_LOGIN_ADDRESS, address or "unknown")]))


def login_blocked(*, email: str, address: str | None) -> int | None:
    """Seconds to wait before this account or address may try to log in again, or None."""
    return _blocked_for(_login_checks(email, address))


def login_failed(*, email: str, address: str | None) -> None:
    _hit(_login_checks(email, address))


def _two_factor_checks(user_id: int):
    return list(_checks([(_TWO_FACTOR, str(user_id))]))


def two_factor_blocked(*, user_id: int) -> int | None:
    """Seconds to wait before this account may try another code, or None."""
    return _blocked_for(_two_factor_checks(user_id))


def two_factor_failed(*, user_id: int) -> None:
    _hit(_two_factor_checks(user_id))


def _reset_checks(email: str, address: str | None):
    return list(_checks([(_RESET_ACCOUNT, email.strip().lower()),
                         (_RESET_ADDRESS, address or "unknown")]))


def password_reset_blocked(*, email: str, address: str | None) -> int | None:
    """Seconds to wait before this e-mail address or client address may ask for another
    forgotten-password link, or None."""
    return _blocked_for(_reset_checks(email, address))


def password_reset_requested(*, email: str, address: str | None) -> None:
    _hit(_reset_checks(email, address))


def reset() -> None:
    """Forget every count (tests)."""
    limiter.reset()

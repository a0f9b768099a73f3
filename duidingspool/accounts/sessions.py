"""What a login session carries besides Flask-Login's user id, and its idle expiry.

- `_sv`: the user's session version when the session started. Raising the version (logout,
  password change, deactivation) ends every session at once: the user loader refuses a
  session whose version differs. A remember-me cookie carries no version, so it never logs
  anyone in (the app offers no remember-me).
- `_2fa`: True once the second factor was given in this session. The access gate requires it
  of coordinators and admins and of every user who turned two-factor login on.
- `_seen`: the time (epoch seconds) of the session's last request; a session idle for longer
  than SESSION_IDLE_MINUTES is ended.
- `_born`: the time (epoch seconds) of the login; a session older than
  SESSION_MAX_HOURS is ended however active it is (a stolen cookie does not live forever).
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping

from flask import current_app, session

VERSION_KEY = "_sv"
SECOND_FACTOR_KEY = "_2fa"
SEEN_KEY = "_seen"
BORN_KEY = "_born"
NEXT_KEY = "_2fa_next"
# The interface language chosen with the language switch (duidingspool/i18n.py reads it).
LOCALE_KEY = "locale"


def clear() -> str | None:
    """Empty the session (login, logout, an ended session) but keep the interface language
    the user chose in this browser; returns that language, if any."""
    locale = session.get(LOCALE_KEY)
    session.clear()
    if locale:
        session[LOCALE_KEY] = locale
    return locale


def stamp(store: MutableMapping, user, *, second_factor: bool, now: float | None = None) -> None:
    """Mark `store` (a session) as a login of `user`; tests use this on the test client."""
    store[VERSION_KEY] = user.session_version or 0
    store[SECOND_FACTOR_KEY] = bool(second_factor)
    store[SEEN_KEY] = store[BORN_KEY] = int(time.time() if now is None else now)


def start(user, *, second_factor: bool) -> None:
    """Stamp the current session after login_user()."""
    stamp(session, user, second_factor=second_factor)


def second_factor_done() -> bool:
    return bool(session.get(SECOND_FACTOR_KEY))


def mark_second_factor_done() -> None:
    session[SECOND_FACTOR_KEY] = True


def version_matches(user) -> bool:
    return session.get(VERSION_KEY) == (user.session_version or 0)


def follow_version(user) -> None:
    """Keep this session alive after the user's version was raised on purpose (a password
    change ends the user's other sessions, not this one)."""
    session[VERSION_KEY] = user.session_version or 0


def idle_expired(now: float | None = None) -> bool:
    """True if the session belongs to a user and has been idle too long, or is older than
    its absolute lifetime (or carries no such time at all)."""
    if "_user_id" not in session:
        return False
    seen, born = session.get(SEEN_KEY), session.get(BORN_KEY)
    now = time.time() if now is None else now
    idle = float(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    lifetime = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
    if not isinstance(seen, (int, float)) or not isinstance(born, (int, float)):
        return True
    return now - seen > idle or now - born > lifetime


def touch(now: float | None = None) -> None:
    """Note activity; written only when the stored time is a minute old (fewer cookies)."""
    now = int(time.time() if now is None else now)
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, (int, float)) or now - seen >= 60:
        session[SEEN_KEY] = now

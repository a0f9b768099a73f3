"""Locale selection: Dutch by default, English on request (per user or per session).

An API client says which language it wants with `Accept-Language` (nl or en), which wins
over the user's stored language; without it, or on the HTML pages, the user's language
counts, then the one chosen in the session.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from duidingspool.accounts.access import is_api_request


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if request and is_api_request() and request.accept_languages:
        asked = request.accept_languages.best_match(supported)
        if asked:
            return asked
    if getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
        return current_user.locale
    chosen = session.get("locale") if request else None
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]

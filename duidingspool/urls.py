"""Absolute links that leave the app: calendar events, e-mails, subscription URLs.

They are built from the app's routes as `url_for(..., _external=True)` builds them, but
always under PUBLIC_BASE_URL: url_for takes the host of the request being served (or
SERVER_NAME outside one), while these links are read far from any request, are built by
jobs without one, and a feed's ETag promises the same bytes for the same PUBLIC_BASE_URL.
This module imports nothing of the app, so every package may use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def public_routes() -> MapAdapter:
    """The app's routes bound to PUBLIC_BASE_URL."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                    url_scheme=base.scheme or "https")


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint under PUBLIC_BASE_URL."""
    return public_routes().build(endpoint, values, force_external=True)

"""Absolute links that leave the app: calendar events, e-mails, subscription URLs.

They are built from the app's routes as `url_for(..., _external=True)` builds them, but
under PUBLIC_BASE_URL: these links are read far from any request, are built by jobs without
one, and a feed's ETag promises the same bytes for the same base. Where PUBLIC_BASE_URL is
not set (development), links default to DEVELOPMENT_BASE_URL, the address `make run` serves
on; a link that a page shows to the user who asked for it (a calendar subscription) may
take the host the browser asked for instead (behind a trusted proxy: the host and scheme it
forwarded). Never e-mails: a forged Host header must not steer the links they carry.
This module imports nothing of the app, so every package may use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from werkzeug.routing import MapAdapter

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def public_base_url(*, request_host: bool = False) -> str:
    """PUBLIC_BASE_URL; where it is unset, the request's own host if `request_host` (and
    there is a request), else the development server's address."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured
    if request_host and has_request_context():
        return request.host_url
    return DEVELOPMENT_BASE_URL


def public_routes(*, request_host: bool = False) -> MapAdapter:
    """The app's routes bound to the public base URL."""
    base = urlsplit(public_base_url(request_host=request_host))
    return current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                    url_scheme=base.scheme or "https")


def public_url(endpoint: str, *, request_host: bool = False, **values) -> str:
    """The absolute URL of an endpoint under the public base URL."""
    return public_routes(request_host=request_host).build(endpoint, values,
                                                          force_external=True)

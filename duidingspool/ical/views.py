"""Calendar feeds over HTTP, and the profile page where users manage their subscriptions."""

from __future__ import annotations

import re

from flask import (Blueprint, Response, abort, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import http_date

from duidingspool import logredaction
from duidingspool.accounts.access import login_required_any, public
from duidingspool.accounts.throttle import limiter
from duidingspool.db import utcnow
from duidingspool.extensions import db, read_only
from duidingspool.ical import services
from duidingspool.ical.schemas import FeedCreateSchema
from duidingspool.urls import public_url
from duidingspool.ui import confirm_step
from duidingspool.web import INPUT_ERRORS, load_form, rejected

bp = Blueprint("ical", __name__)

# --- keeping tokens out of the logs -----------------------------------------------------------

REDACTED_PATH = "/calendar/[redacted]"
# Access-log and error loggers of the servers we run under, and the app's own.
_LOGGERS = ("werkzeug", "waitress", "gunicorn.access", "gunicorn.error")


class FeedTokenFilter(logredaction.PathTokenFilter):
    """Rewrites log records that mention a feed URL, so its secret token is never written,
    also when the path was percent-encoded (`/calendar%2F<token>.ics`)."""

    def __init__(self):
        super().__init__("/calendar/")


def redact(text: str) -> str:
    """The text with any feed URL's token replaced."""
    return FeedTokenFilter().redact(text)


def install_log_redaction(app) -> None:
    """Attach the token filter to the request loggers and the app's logger (once each)."""
    logredaction.install(app, FeedTokenFilter, _LOGGERS)


bp.record_once(lambda state: install_log_redaction(state.app))


# --- the feed ---------------------------------------------------------------------------------

@limiter.request_filter
def _feed_is_not_rate_limited() -> bool:
    """Keep Flask-Limiter's per-request limits (defaults, decorators) off the feed URL.

    The app sets none today (logins are throttled by explicit checks), but the reasons hold
    for any added later: the URL's secret is a 256-bit token, so a limit would protect no
    guessable secret; calendar services (Google, Outlook.com, iCloud) fetch the feeds of all
    their users from a few shared addresses, so a per-address limit would cut off every
    subscriber of a service at once; and a flood of fetches is for the reverse proxy to
    stop. Filtered here, the limiter also skips resolving the blueprint's limits, which
    costs more than answering 304.
    """
    return request.endpoint == "ical.feed"


def _not_modified(state: services.FeedState) -> bool:
    if request.environ.get("HTTP_IF_NONE_MATCH") == f'"{state.etag}"':
        return True  # the usual poll: a calendar client sending back the one ETag it got
    # If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2), and is compared weakly
    # (13.1.2): a proxy that compresses the body may hand the client W/"..." instead.
    if request.if_none_match:
        return request.if_none_match.contains_weak(state.etag) or request.if_none_match.star_tag
    since = request.if_modified_since
    return since is not None and state.last_modified <= since


def _cache_headers(state: services.FeedState) -> list[tuple[str, str]]:
    return [("ETag", f'"{state.etag}"'), ("Last-Modified", http_date(state.last_modified)),
            ("Cache-Control", "private, no-cache"), ("Referrer-Policy", "no-referrer"),
            ("X-Robots-Tag", "noindex, nofollow")]


@bp.get("/calendar/<token>.ics")
@public
@read_only
def feed(token: str):
    """A secret calendar feed; 304 when unchanged, decided without building the calendar."""
    now = utcnow()
    # A plain connection, no ORM session: most fetches end here with a 304.
    with db.engine.connect() as connection:
        access, state = services.lookup(token, now=now, connection=connection)
    if access is None:
        abort(404)
    if _not_modified(state):
        return Response(status=304, headers=_cache_headers(state))
    body = services.feed_body(access, now=now)
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers=[*_cache_headers(state),
                             ("Content-Disposition", 'inline; filename="duidingspool.ics"')])


# --- the profile page -------------------------------------------------------------------------

def subscription_urls(token: str) -> tuple[str, str]:
    """The https and webcal:// subscription URLs of a feed token."""
    https_url = feed_url(token)
    if not re.match(r"^http://(127\.0\.0\.1|localhost)[:/]", https_url):
        # Feeds are only ever offered over https outside a developer's machine.
        https_url = re.sub(r"^http://", "https://", https_url)
    return https_url, re.sub(r"^https?://", "webcal://", https_url)


def _render_profile(*, new_feed=None, token: str | None = None, errors=None, status=200):
    https_url = webcal_url = None
    if token is not None:
        https_url, webcal_url = subscription_urls(token)
    response = render_template(
        "ical/profile.html", slots=services.feed_slots(current_user), new_feed=new_feed,
        https_url=https_url, webcal_url=webcal_url, errors=errors or {},
        cancelled_days=services.cancelled_days())
    return response, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def feed_url(token: str) -> str:
    """The subscription URL of a token, under PUBLIC_BASE_URL (where that is unset, under
    the host this page was asked for, which is where the feed is served too)."""
    return public_url("ical.feed", token=token, request_host=True)


@bp.get("/profiel")
@login_required_any
def profile():
    """The user's own page: calendar subscriptions their roles allow."""
    return _render_profile()


@bp.post("/profiel/kalenders")
@login_required_any
def create_feed():
    """Create or renew (rotate) a calendar subscription; the new URL is shown once."""
    try:
        data = load_form(FeedCreateSchema())
        # Making a new link revokes the live one: that needs a confirmation.
        if services.live_feed(current_user, scope=data["scope"],
                              case_table_id=data.get("case_table_id")) is not None:
            page = confirm_step(
                title=_("Make a new calendar link"),
                question=_("Are you sure you want to make a new link? The current link stops "
                           "working."),
                consequences=[_("Calendars subscribed with the current link stop showing "
                                "sessions until you subscribe them with the new link.")],
                button=_("Yes, make a new link"), back=url_for("ical.profile"),
                hidden=[("scope", data["scope"]), ("case_table_id", data.get("case_table_id"))],
                first_step_posts=True)
            if page:
                return page
        feed, token = services.create_feed(actor=current_user, scope=data["scope"],
                                           case_table_id=data.get("case_table_id"))
    except INPUT_ERRORS as exc:
        return _render_profile(**rejected(exc))
    # Rendered, not redirected: the token must not travel through the session cookie.
    return _render_profile(new_feed=feed, token=token)


@bp.route("/profiel/kalenders/<int:feed_id>/intrekken", methods=["GET", "POST"])
@login_required_any
def revoke_feed(feed_id: int):
    """Revoke a subscription after confirmation: its URL stops working at once."""
    services.get_own_feed(current_user, feed_id)
    page = confirm_step(
        title=_("Revoke a calendar link"),
        question=_("Are you sure you want to revoke this calendar link?"),
        consequences=[_("Calendars subscribed with it stop showing your sessions at once."),
                      _("You can make a new link afterwards; the old one stays revoked.")],
        button=_("Yes, revoke the link"), back=url_for("ical.profile"))
    if page:
        return page
    services.revoke_feed(actor=current_user, feed_id=feed_id)
    flash(_("The calendar link has been revoked."), "info")
    return redirect(url_for("ical.profile"))

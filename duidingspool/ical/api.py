"""JSON API for the caller's own calendar subscriptions: list, create, rotate, revoke.

The secret URL is in the answer of a create or rotate only; afterwards only its hash exists.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.errors import NotFound
from duidingspool.extensions import db
from duidingspool.ical import services
from duidingspool.ical.models import CalendarFeed
from duidingspool.ical.schemas import FeedCreatedSchema, FeedCreateSchema, FeedSlotSchema
from duidingspool.ical.views import subscription_urls

TAG = "calendar feeds"


def _created(feed: CalendarFeed, token: str):
    https_url, webcal_url = subscription_urls(token)
    return dump(FeedCreatedSchema(), {"id": feed.id, "scope": feed.scope,
                                      "case_table_id": feed.case_table_id,
                                      "created_at": feed.created_at, "url": https_url,
                                      "webcal_url": webcal_url}, 201)


@route("/feeds", roles=list(Role), tag=TAG,
       summary="The calendar feeds the caller's roles allow, each with its live subscription "
               "(never its URL)",
       response=FeedSlotSchema(many=True))
def feeds_list():
    return dump(FeedSlotSchema(many=True), services.feed_slots(current_user))


@route("/feeds", method="POST", roles=list(Role), tag=TAG,
       summary="Create a subscription (a live one of the same feed is revoked): the secret "
               "URL is in this answer only",
       body=FeedCreateSchema(), response=FeedCreatedSchema(), status=201)
def feeds_create():
    data = load_json(FeedCreateSchema())
    feed, token = services.create_feed(actor=current_user, scope=data["scope"],
                                       case_table_id=data.get("case_table_id"))
    return _created(feed, token)


def _own_live(feed_id: int) -> CalendarFeed:
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != current_user.id or feed.revoked_at is not None:
        raise NotFound(_("Calendar feed not found."))
    return feed


@route("/feeds/<int:feed_id>/rotate", method="POST", roles=list(Role), tag=TAG,
       summary="Replace a live subscription by a new one (the old URL stops working); the "
               "new secret URL is in this answer only",
       response=FeedCreatedSchema(), status=201)
def feeds_rotate(feed_id: int):
    old = _own_live(feed_id)
    feed, token = services.create_feed(actor=current_user, scope=old.scope,
                                       case_table_id=old.case_table_id)
    return _created(feed, token)


@route("/feeds/<int:feed_id>", method="DELETE", roles=list(Role), tag=TAG,
       summary="Revoke a live subscription: its URL answers 404 from now on", status=204)
def feeds_revoke(feed_id: int):
    services.revoke_feed(actor=current_user, feed_id=feed_id)
    return "", 204

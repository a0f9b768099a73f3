"""The trail is complete for the changes it missed before, free of case content, append-only."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from duidingspool.accounts.models import Role
from duidingspool.audit import queries
from duidingspool.audit.models import AuditEvent
from duidingspool.audit.services import record
from duidingspool.bookings import services as bookings
from duidingspool.bookings.models import OfferStatus
from duidingspool.extensions import db
from duidingspool.ical import services as ical
from tests import factories as f
from tests.bookings.helpers import World
from tests.factories import audit_actions

PACKAGE = Path(__file__).resolve().parents[2] / "duidingspool"


def test_no_code_path_updates_or_deletes_audit_events():
    pattern = re.compile(r"(update|delete)\(\s*AuditEvent|audit_event\b.*\b(UPDATE|DELETE)|"
                         r"session\.delete\(\s*event")
    offenders = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_release_referral_records_the_withdrawn_offers(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    bookings.make_offers(actor=w.coordinator, referral=referral,
                         expert_ids=[first.id, second.id])

    bookings.release_referral(actor=w.coordinator, referral=referral, reason="Afgesloten")

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer.withdraw_open")).one()
    assert (event.actor_id, event.object_type, event.object_id, event.details) == (
        w.coordinator.id, "referral", referral.id, {"count": 2})


def test_declined_offer_records_the_next_offer_sent(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    offers = bookings.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    bookings.decline(actor=first.user, offer=offers[0])

    assert offers[1].status == OfferStatus.PENDING
    assert audit_actions()[-2:] == ["offer.send", "offer.decline"] or audit_actions()[-2:] == [
        "offer.decline", "offer.send"]
    sent = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.send")).one()
    assert (sent.object_type, sent.object_id) == ("offer", offers[1].id)


def test_last_declined_offer_records_the_request_back_in_the_inbox(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    offers = bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    bookings.decline(actor=expert.user, offer=offers[0])

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.back_to_inbox")).one()
    assert (event.object_type, event.object_id) == ("referral", referral.id)


def test_revoking_every_feed_of_a_user_is_recorded(app):
    admin = f.user(Role.ADMIN)
    coordinator = f.user(Role.COORDINATOR)
    ical.create_feed(actor=coordinator, scope="all")

    revoked = ical.revoke_feeds_of(actor=admin, user=coordinator)

    assert revoked == 1
    assert audit_actions() == ["calendar_feed.create", "calendar_feed.revoke_all"]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.actor_id, event.object_type, event.object_id, event.details) == (
        admin.id, "user_account", coordinator.id, {"count": 1})


def test_search_filters_by_user_object_and_period(app):
    coordinator, other = f.user(Role.COORDINATOR), f.user(Role.ADMIN)
    area = f.expertise_area()
    wanted = AuditEvent(actor_id=coordinator.id, action="expertise_area.update",
                        object_type="expertise_area", object_id=area.id,
                        occurred_at=datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc))
    db.session.add(wanted)
    record(actor=coordinator, action="expertise_area.update", obj=area)  # today
    record(actor=other, action="expertise_area.update", obj=area)
    record(actor=coordinator, action="user.create", obj=other)

    page = queries.search({"user_id": coordinator.id, "object_type": "expertise_area",
                           "object_id": area.id, "date_from": datetime(2026, 3, 10).date(),
                           "date_to": datetime(2026, 3, 10).date(), "page": 1})

    assert [event.id for event, user in page.events] == [wanted.id]
    assert page.events[0][1].id == coordinator.id


def test_search_is_newest_first_and_paginated(app):
    user = f.user(Role.COORDINATOR)
    for _ in range(queries.PER_PAGE + 3):
        record(actor=user, action="user.password", obj=user)
    ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))

    first = queries.search({"page": 1})
    second = queries.search({"page": 2})

    assert (first.total, first.pages) == (queries.PER_PAGE + 3, 2)
    assert [e.id for e, _ in first.events] == ids[:queries.PER_PAGE]
    assert [e.id for e, _ in second.events] == ids[queries.PER_PAGE:]


@pytest.mark.postgresql_only
def test_database_refuses_to_update_an_audit_event(app):
    user = f.user(Role.COORDINATOR)
    event = record(actor=user, action="user.password", obj=user)
    db.session.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(update(AuditEvent).where(AuditEvent.id == event.id)
                           .values(action="user.create"))
    db.session.rollback()


@pytest.mark.postgresql_only
def test_database_refuses_to_delete_an_audit_event(app):
    user = f.user(Role.COORDINATOR)
    event = record(actor=user, action="user.password", obj=user)
    db.session.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id) is not None


@pytest.mark.postgresql_only
def test_database_refuses_to_truncate_the_audit_trail(app):
    user = f.user(Role.COORDINATOR)
    record(actor=user, action="user.password", obj=user)
    db.session.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_event CASCADE"))
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.id)) is not None

"""Hours follow reality: written only once the session has started, and never decided by
their own expert (a coordinator or admin with an expert profile)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from duidingspool.accounts.models import Role
from duidingspool.db import utcnow
from duidingspool.errors import Conflict
from duidingspool.experts.models import ExpertRate
from duidingspool.extensions import db
from duidingspool.hours import services
from duidingspool.hours.models import HourLine, HourStatus
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.hours.helpers import Priced

OWN = "You cannot approve or reject your own hours; another coordinator must decide on them."


@pytest.fixture
def world(app):
    return Priced()


def _upcoming(world, **kw):
    """A booking whose session starts in ten days (local wall time, whole hour)."""
    start = to_local(utcnow() + timedelta(days=10)).replace(hour=13, minute=0, second=0,
                                                              microsecond=0)
    return world.booking(start.replace(tzinfo=None).isoformat(timespec="minutes"), **kw)


def _not_yet(booking) -> str:
    start = to_local(booking.starts_at).strftime("%d-%m-%Y %H:%M")
    return f"Hours can be recorded once the session has started, from {start}."


def _lines() -> int:
    return db.session.scalar(select(func.count()).select_from(HourLine))


def _expert_with(*roles: Role, world: Priced):
    """A user holding `roles` who is also an expert with a rate."""
    expert = f.expert(user=f.user(*roles, locale="en"), home_municipality=world.town)
    db.session.add(ExpertRate(expert_id=expert.id, valid_from=date(2026, 1, 1),
                              hourly_rate=Decimal("80.00")))
    db.session.flush()
    return expert


# --- written only once the session has started -----------------------------------------------

def test_hour_line_before_the_session_is_refused_saying_from_when(world):
    booking = _upcoming(world)

    with pytest.raises(Conflict) as refused:
        services.add_line(actor=world.expert.user, booking=booking, category="preparation",
                          minutes=60)

    assert refused.value.message == _not_yet(booking)
    assert _lines() == 0


def test_existing_line_cannot_be_changed_or_submitted_before_the_session(world):
    booking = _upcoming(world)  # e.g. a session moved to a later date after a line was made
    line = world.line(booking, minutes=60, status="draft")

    with pytest.raises(Conflict, match="once the session has started"):
        services.update_line(actor=world.expert.user, line=line, category="attendance",
                             minutes=30)
    with pytest.raises(Conflict, match="once the session has started"):
        services.submit_line(actor=world.expert.user, line=line)

    assert (line.status, line.minutes) == (HourStatus.DRAFT, 60)


def test_hour_line_from_the_start_of_the_session_is_accepted(world):
    booking = _upcoming(world)

    line = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                             minutes=60, submit=True, now=booking.starts_at)

    assert line.status == HourStatus.SUBMITTED


def test_hours_form_before_the_session_shows_the_error_and_no_form(world, login_as):
    booking = _upcoming(world)
    db.session.commit()
    client = login_as(world.expert.user)

    page = client.get(f"/boekingen/{booking.id}/uren").get_data(as_text=True)
    refused = client.post(f"/boekingen/{booking.id}/uren",
                          data={"category": "preparation", "hours": "1", "action": "draft"})

    assert "You can record hours once the session has started." in page
    assert 'id="line-form"' not in page
    assert refused.status_code == 409
    assert _not_yet(booking) in refused.get_data(as_text=True)
    assert _lines() == 0


def test_hours_api_before_the_session_answers_409(world, login_as):
    booking = _upcoming(world)
    db.session.commit()

    response = login_as(world.expert.user).post(
        f"/api/v1/bookings/{booking.id}/hours", json={"category": "preparation", "hours": "1"})

    assert (response.status_code, response.json["error"]["message"]) == (409, _not_yet(booking))
    assert _lines() == 0


# --- nobody decides on their own hours -------------------------------------------------------

@pytest.mark.parametrize("roles", [(Role.COORDINATOR, Role.EXPERT),
                                   (Role.ADMIN, Role.COORDINATOR, Role.EXPERT)])
def test_coordinator_cannot_approve_or_reject_own_hours(world, roles):
    me = _expert_with(*roles, world=world)
    line = world.line(world.booking("2026-06-30T10:00", expert=me), minutes=60,
                      status="submitted", amount="80.00")

    with pytest.raises(Conflict) as approving:
        services.approve(actor=me.user, line=line)
    with pytest.raises(Conflict):
        services.reject(actor=me.user, line=line, reason="Te veel")
    with pytest.raises(Conflict) as in_bulk:
        services.decide_many(actor=me.user, line_ids=[line.id], approve_them=True)

    assert approving.value.message == OWN
    assert in_bulk.value.message == OWN
    db.session.refresh(line)
    assert line.status == HourStatus.SUBMITTED


def test_bulk_decision_with_one_own_line_decides_none(world):
    me = _expert_with(Role.COORDINATOR, Role.EXPERT, world=world)
    other = world.line(world.booking("2026-06-30T10:00"), minutes=60, status="submitted",
                       amount="80.00")
    own = world.line(world.booking("2026-07-30T10:00", expert=me), minutes=60,
                     status="submitted", amount="80.00")

    with pytest.raises(Conflict) as refused:
        services.decide_many(actor=me.user, line_ids=[other.id, own.id], approve_them=True)

    assert refused.value.fields == {"line_ids": [OWN]}
    assert [db.session.get(HourLine, i).status for i in (other.id, own.id)] == [
        HourStatus.SUBMITTED, HourStatus.SUBMITTED]


def test_api_refuses_own_hours_one_by_one_and_in_bulk_but_decides_others(world, login_as):
    me = _expert_with(Role.COORDINATOR, Role.EXPERT, world=world)
    own = world.line(world.booking("2026-07-30T10:00", expert=me), minutes=60,
                     status="submitted", amount="80.00")
    other = world.line(world.booking("2026-06-30T10:00"), minutes=60, status="submitted",
                       amount="80.00")
    db.session.commit()
    client = login_as(me.user)

    single = client.post(f"/api/v1/hours/{own.id}/approve")
    rejecting = client.post(f"/api/v1/hours/{own.id}/reject", json={"reason": "Dubbel"})
    bulk = client.post("/api/v1/hours/decisions",
                       json={"line_ids": [own.id, other.id], "decision": "approve"})
    others = client.post("/api/v1/hours/decisions",
                         json={"line_ids": [other.id], "decision": "approve"})

    assert [single.status_code, rejecting.status_code, bulk.status_code] == [409, 409, 409]
    assert bulk.json["error"]["fields"] == {"line_ids": [OWN]}
    assert others.status_code == 200
    assert [(line["id"], line["status"]) for line in others.json] == [(other.id, "approved")]


def test_approvals_page_offers_no_checkbox_for_own_lines_and_refuses_them(world, login_as):
    me = _expert_with(Role.COORDINATOR, Role.EXPERT, world=world)
    own = world.line(world.booking("2026-07-30T10:00", expert=me), minutes=60,
                     status="submitted", amount="80.00")
    db.session.commit()
    client = login_as(me.user)

    page = client.get("/uren/goedkeuren").get_data(as_text=True)
    refused = client.post("/uren/besluiten", data={"line_ids": str(own.id),
                                                   "decision": "approve"})

    assert f'value="{own.id}"' not in page and "your own" in page
    assert refused.status_code == 409
    assert OWN in refused.get_data(as_text=True)
    db.session.refresh(own)
    assert own.status == HourStatus.SUBMITTED


# --- hour lines in the API -------------------------------------------------------------------

def test_api_deletes_a_draft_line_but_not_a_submitted_one(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    draft = world.line(booking, minutes=60, status="draft")
    submitted = world.line(booking, minutes=60, status="submitted", amount="80.00")
    db.session.commit()
    client = login_as(world.expert.user)

    deleted = client.delete(f"/api/v1/hours/{draft.id}")
    refused = client.delete(f"/api/v1/hours/{submitted.id}")

    assert (deleted.status_code, refused.status_code) == (204, 409)
    db.session.expire_all()
    assert db.session.scalars(select(HourLine.id)).all() == [submitted.id]


def test_api_bulk_decision_rejects_with_a_reason_only(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    a = world.line(booking, minutes=60, status="submitted", amount="80.00")
    b = world.line(booking, minutes=30, status="submitted", amount="40.00")
    db.session.commit()
    client = login_as(world.coordinator)

    without = client.post("/api/v1/hours/decisions",
                          json={"line_ids": [a.id, b.id], "decision": "reject"})
    rejected = client.post("/api/v1/hours/decisions",
                           json={"line_ids": [a.id, b.id], "decision": "reject",
                                 "reason": "Dubbel geboekt"})

    assert without.status_code == 422
    assert [(line["status"], line["reject_reason"]) for line in rejected.json] == [
        ("rejected", "Dubbel geboekt")] * 2

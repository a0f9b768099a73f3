"""The tallies the database keeps (migration 0011) equal the sums recomputed from the hour
lines after every kind of change: lines added, submitted, approved, rejected, edited and
deleted (one at a time and in bulk), a session moved across a month and a year boundary,
a request moved to another municipality, and a booking's first-booked time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select, update

from duidingspool.bookings.models import Booking, Offer
from duidingspool.extensions import db
from duidingspool.hours import services
from duidingspool.hours.models import HourLine, HourTally, MoneyTally
from duidingspool.referrals.models import Referral
from duidingspool.timeutil import to_local
from tests import factories as f

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
ZERO = Decimal("0.00")


def _recomputed():
    """Hour and money sums straight from the lines, in Python."""
    hours = defaultdict(lambda: [0, 0, ZERO, 0, 0, ZERO])
    money = defaultdict(lambda: [ZERO, ZERO])
    rows = db.session.execute(
        select(HourLine.category, HourLine.status, HourLine.minutes, HourLine.amount,
               Booking.starts_at, Booking.expert_id, Referral.municipality_id)
        .join(Booking, Booking.id == HourLine.booking_id)
        .join(Referral, Referral.id == Booking.referral_id))
    for category, status, minutes, amount, starts_at, expert_id, municipality_id in rows:
        if status not in ("approved", "submitted"):
            continue
        local = to_local(starts_at)
        figures = hours[(local.year, expert_id, category)]
        offset = 0 if status == "approved" else 3
        figures[offset] += 1
        figures[offset + 1] += minutes
        figures[offset + 2] += amount
        money[(local.year, local.month, municipality_id)][0 if status == "approved" else 1] += amount
    return ({key: tuple(v) for key, v in hours.items()},
            {key: tuple(v) for key, v in money.items()})


def _tallies():
    """The tallies without rows that have dropped to zero."""
    db.session.flush()
    hours = {
        (t.year, t.expert_id, t.category): (t.approved_lines, t.approved_minutes,
                                            t.approved_amount, t.pending_lines,
                                            t.pending_minutes, t.pending_amount)
        for t in db.session.scalars(select(HourTally).execution_options(populate_existing=True))}
    money = {(t.year, t.month, t.municipality_id): (t.spent, t.pending)
             for t in db.session.scalars(
                 select(MoneyTally).execution_options(populate_existing=True))}
    return ({k: v for k, v in hours.items() if any(v)},
            {k: v for k, v in money.items() if any(v)})


def _assert_tallies_match():
    tallies = _tallies()
    assert all(v for v in tallies)  # something is being compared
    assert tallies == _recomputed()


def test_tallies_follow_every_line_change(world):
    booking = world.booking("2026-03-10T10:00")
    other = world.booking("2026-05-20T14:00", expert=world.new_expert())
    user, coordinator = world.expert.user, world.coordinator

    first = services.add_line(actor=user, booking=booking, category="attendance", minutes=90,
                              kilometres=Decimal("12"), submit=True, now=NOW)
    draft = services.add_line(actor=user, booking=booking, category="preparation", minutes=60)
    assert _tallies()[0][(2026, world.expert.id, "attendance")][3:5] == (1, 90)
    _assert_tallies_match()

    services.approve(actor=coordinator, line=first, now=NOW)
    _assert_tallies_match()
    services.submit_line(actor=user, line=draft, now=NOW)
    services.reject(actor=coordinator, line=draft, reason="Te veel", now=NOW)
    _assert_tallies_match()
    services.update_line(actor=user, line=draft, category="travel", minutes=45)
    services.submit_line(actor=user, line=draft, now=NOW)
    _assert_tallies_match()

    other_user = db.session.get(Booking, other.id).expert.user
    lines = [services.add_line(actor=other_user, booking=other, category=c, minutes=30,
                               submit=True, now=NOW)
             for c in ("preparation", "written_advice", "written_advice")]
    _assert_tallies_match()
    services.decide_many(actor=coordinator, line_ids=[draft.id, *(x.id for x in lines)],
                         approve_them=True, now=NOW)
    _assert_tallies_match()

    gone = services.add_line(actor=user, booking=booking, category="follow_up", minutes=30)
    services.delete_line(actor=user, line=gone)
    _assert_tallies_match()
    hours, money = _tallies()
    # 1.5 h x 80.00 + 12 km x 0.23 = 122.76, and 0.75 h x 80.00 = 60.00 (travel)
    assert money[(2026, 3, world.town.id)] == (Decimal("182.76"), ZERO)


def test_tallies_follow_a_moved_session_and_a_moved_request(world):
    booking = world.booking("2026-12-31T22:30")  # the last half hour of the year
    after = booking.ends_at + timedelta(hours=1)  # hours are written once the session began
    line = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                             minutes=120, submit=True, now=after)
    services.approve(actor=world.coordinator, line=line, now=after)
    assert (2026, 12, world.town.id) in _tallies()[1]

    # 23:30 UTC on 31 December is 00:30 on 1 January in Amsterdam: another year and month.
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(
        starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc),
        ends_at=datetime(2027, 1, 1, 1, 30, tzinfo=timezone.utc)))
    hours, money = _tallies()
    assert set(money) == {(2027, 1, world.town.id)}
    assert set(hours) == {(2027, world.expert.id, "attendance")}
    _assert_tallies_match()

    elsewhere = f.municipality()
    db.session.execute(update(Referral).where(Referral.id == booking.referral_id)
                       .values(municipality_id=elsewhere.id))
    assert set(_tallies()[1]) == {(2027, 1, elsewhere.id)}
    _assert_tallies_match()

    # Another expert takes the booking over: the hours move with it.
    stand_in = world.new_expert()
    db.session.execute(update(Booking).where(Booking.id == booking.id)
                       .values(expert_id=stand_in.id))
    assert set(_tallies()[0]) == {(2027, stand_in.id, "attendance")}
    _assert_tallies_match()


def test_first_booked_at_is_the_earliest_booking_of_the_request(world):
    booking = world.booking("2026-04-01T10:00")
    referral = db.session.get(Referral, booking.referral_id)
    db.session.refresh(referral)
    assert referral.first_booked_at == booking.created_at

    # A later booking of the same request (after a cancellation) leaves it alone.
    stand_in = world.new_expert()
    offer = Offer(referral_id=referral.id, expert_id=stand_in.id, status="accepted",
                  offered_at=NOW, expires_at=NOW, created_by_id=world.coordinator.id)
    db.session.add(offer)
    db.session.flush()
    later = Booking(referral_id=referral.id, offer_id=offer.id,
                    expert_id=stand_in.id, sitting_id=booking.sitting_id,
                    starts_at=booking.starts_at, ends_at=booking.ends_at, status="cancelled",
                    cancelled_at=NOW, estimated_minutes=60, case_table_id=booking.case_table_id,
                    calendar_uid="b" * 32, created_at=booking.created_at + timedelta(days=3))
    db.session.add(later)
    db.session.flush()
    db.session.refresh(referral)
    assert referral.first_booked_at == booking.created_at

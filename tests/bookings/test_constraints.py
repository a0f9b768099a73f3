"""The database itself refuses double bookings, whatever the application does."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from duidingspool.accounts.models import Role
from duidingspool.db import utcnow
from duidingspool.extensions import db
from tests import factories as f
from tests.bookings.helpers import World, direct_booking


def _booking(referral, expert, *, starts_at, minutes=120):
    return direct_booking(referral, expert, created_by=f.user(Role.COORDINATOR),
                          starts_at=starts_at, minutes=minutes)


def test_one_confirmed_booking_per_request(app):
    w = World()
    referral = w.request()
    start = referral.sitting.starts_at
    _booking(referral, w.expert(), starts_at=start)

    with pytest.raises(IntegrityError):
        _booking(referral, w.expert(), starts_at=start)


def test_cancelled_booking_leaves_room_for_a_new_one(app):
    w = World()
    referral = w.request()
    start = referral.sitting.starts_at
    first = _booking(referral, w.expert(), starts_at=start)
    first.status, first.cancelled_at = "cancelled", utcnow()
    db.session.flush()

    assert _booking(referral, w.expert(), starts_at=start).id != first.id


@pytest.mark.postgresql_only
def test_overlapping_bookings_of_one_expert_are_refused(app):
    w = World()
    expert = w.expert()
    one, two = w.request(), w.request()
    start = one.sitting.starts_at
    _booking(one, expert, starts_at=start)

    with pytest.raises(IntegrityError, match="ex_booking_expert_overlap"):
        _booking(two, expert, starts_at=start + timedelta(minutes=119))


@pytest.mark.postgresql_only
def test_back_to_back_bookings_of_one_expert_fit(app):
    w = World()
    expert = w.expert()
    one, two = w.request(), w.request()
    start = one.sitting.starts_at
    _booking(one, expert, starts_at=start)

    assert _booking(two, expert, starts_at=start + timedelta(minutes=120)).id

"""Concurrent accepts of a standing series and of a single date of the same table: the expert
is booked once per date, whoever wins (tests/bookings/test_concurrency.py's threads)."""

from collections import Counter

from sqlalchemy import select

from duidingspool.bookings import services
from duidingspool.bookings.models import Booking, BookingStatus, SeriesStatus, StandingSeries
from duidingspool.extensions import db
from tests import factories as f
from tests.bookings.standing_helpers import StandingWorld
from tests.bookings.test_concurrency import THREADS, _fire_calls


def test_concurrent_series_and_single_date_accepts_book_each_date_once(app):
    w = StandingWorld(sessions=3)
    single = f.referral(requester=w.requester, on=w.sittings[0], areas=[w.area])
    [offer] = services.make_offers(actor=w.coordinator, referral=single,
                                   expert_ids=[w.specialist.id])
    series = w.propose()
    half = THREADS // 2
    calls = [(w.specialist.user_id, f"/api/v1/standing/{series.id}/accept", {})] * half + [
        (w.specialist.user_id, f"/api/v1/offers/{offer.id}/accept", {})] * half
    db.session.commit()

    results = _fire_calls(app, calls)

    series_answers = sorted(status for status, _ in results[:half])
    offer_answers = sorted(status for status, _ in results[half:])
    assert series_answers == [200] + [409] * (half - 1), results
    assert offer_answers in ([201] + [409] * (half - 1), [409] * half), results
    db.session.expire_all()
    confirmed = db.session.scalars(select(Booking).where(
        Booking.expert_id == w.specialist.id, Booking.status == BookingStatus.CONFIRMED)).all()
    per_date = Counter(b.sitting_id for b in confirmed)
    assert per_date == {s.id: 1 for s in w.sittings}
    series = db.session.get(StandingSeries, series.id)
    assert series.status == SeriesStatus.ACCEPTED
    # The date of the contested session is the booking that exists, whichever won.
    [first] = [b for b in confirmed if b.sitting_id == w.sittings[0].id]
    assert series.dates[0].referral_id == first.referral_id

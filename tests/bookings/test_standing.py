"""A standing specialist per case table: the series, its dates and their bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from duidingspool.bookings import standing
from duidingspool.bookings.candidates import rank_request
from duidingspool.bookings.models import (
    Booking,
    BookingStatus,
    Offer,
    OfferStatus,
    SeriesStatus,
)
from duidingspool.casetables.services import cancel_sitting, move_sitting
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, PrivacyViolation, ValidationFailed
from duidingspool.experts.models import Absence
from duidingspool.extensions import db
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import run_job
from duidingspool.mail.models import OutboxMessage
from duidingspool.referrals import services as referrals
from duidingspool.referrals.models import ReferralStatus
from tests import factories as f
from tests.bookings.helpers import direct_booking
from tests.bookings.standing_helpers import StandingWorld


def _states(series):
    return [row.state.state for row in standing.series_dates(series)]


def _confirmed(series):
    return db.session.scalars(
        select(Booking).where(Booking.expert_id == series.expert_id,
                              Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.starts_at)).all()


def test_propose_offers_every_upcoming_session_of_the_period_in_one_email(app):
    w = StandingWorld(sessions=3)
    outside = f.sitting(w.table, starts_at=w.sittings[-1].starts_at + timedelta(days=90))

    series = w.propose()

    assert [item.sitting_id for item in series.dates] == [s.id for s in w.sittings]
    assert outside.id not in {item.sitting_id for item in series.dates}
    assert _states(series) == ["offered"] * 3
    [mail] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"standing-offer:{series.id}")).all()
    assert mail.to_address == w.specialist.user.email
    assert mail.body_text.count("\n  - ") == 3  # one line per session
    assert f.count(Booking) == 0


def test_propose_refuses_a_second_series_overlapping_the_period(app):
    w = StandingWorld()
    w.propose()
    with pytest.raises(Conflict):
        w.propose(expert_id=w.expert().id)


def test_propose_names_the_fields_of_bad_input(app):
    w = StandingWorld()
    starts_on, ends_on = w.period
    with pytest.raises(ValidationFailed) as refused:
        w.propose(starts_on=ends_on, ends_on=starts_on, estimated_minutes=5)
    assert set(refused.value.fields) == {"ends_on", "estimated_hours"}


def test_accept_whole_books_each_date_as_its_own_request_and_booking(app):
    w = StandingWorld(sessions=3)
    series = w.propose()

    standing.accept(actor=w.specialist.user, series=series)

    assert series.status == SeriesStatus.ACCEPTED
    assert _states(series) == ["booked"] * 3
    bookings = _confirmed(series)
    assert [b.sitting_id for b in bookings] == [s.id for s in w.sittings]
    assert len({b.referral_id for b in bookings}) == 3
    assert all(b.referral.status == ReferralStatus.BOOKED for b in bookings)
    assert all(b.estimated_minutes == 180 for b in bookings)
    # Each booking is an ordinary one: its invitation (iTIP) is queued per date.
    assert db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.booking_id == bookings[1].id, OutboxMessage.ics.is_not(None))) is not None


def test_accept_with_declined_dates_lists_them_as_needing_a_substitute(app):
    w = StandingWorld(sessions=3)
    series = w.propose()

    standing.accept(actor=w.specialist.user, series=series,
                    declined_session_ids=[w.sittings[1].id])

    assert _states(series) == ["booked", "declined", "booked"]
    declined = series.dates[1]
    assert declined.referral.status == ReferralStatus.SUBMITTED  # in the inbox
    assert [b.sitting_id for b in _confirmed(series)] == [w.sittings[0].id, w.sittings[2].id]


def test_accept_refuses_declining_a_session_outside_the_series(app):
    w = StandingWorld()
    series = w.propose()
    other = f.sitting(f.case_table())
    with pytest.raises(ValidationFailed) as refused:
        standing.accept(actor=w.specialist.user, series=series,
                        declined_session_ids=[other.id])
    assert "declined_session_ids" in refused.value.fields
    assert series.status == SeriesStatus.OFFERED


def test_a_conflicting_date_is_not_booked_but_needs_a_substitute(app):
    w = StandingWorld(sessions=3)
    second = w.sittings[1]
    db.session.add(Absence(expert_id=w.specialist.id, starts_at=second.starts_at - timedelta(hours=1),
                           ends_at=second.ends_at + timedelta(hours=1)))
    elsewhere = f.sitting(f.case_table(municipalities=[w.town]),
                          starts_at=w.sittings[2].ends_at + timedelta(minutes=30))
    other = f.referral(requester=w.requester, on=elsewhere, areas=[w.area])
    direct_booking(other, w.specialist, created_by=w.coordinator)  # inside the travel buffer
    series = w.propose()

    standing.accept(actor=w.specialist.user, series=series)

    assert _states(series) == ["booked", "needs_substitute", "needs_substitute"]
    assert [item.conflict for item in series.dates] == [None, "absent", "busy_with_booking"]
    assert series.dates[1].referral.status == ReferralStatus.SUBMITTED


def test_accept_links_a_date_the_expert_is_already_booked_for(app):
    w = StandingWorld(sessions=2)
    ordinary = f.referral(requester=w.requester, on=w.sittings[0], areas=[w.area])
    booking = direct_booking(ordinary, w.specialist, created_by=w.coordinator)
    series = w.propose()

    standing.accept(actor=w.specialist.user, series=series)

    assert series.dates[0].referral_id == ordinary.id
    assert _states(series) == ["booked", "booked"]
    assert [b.id for b in _confirmed(series)][0] == booking.id
    assert len(_confirmed(series)) == 2


def test_only_the_offered_expert_answers_and_only_once(app):
    w = StandingWorld()
    series = w.propose()
    with pytest.raises(NotFound):
        standing.accept(actor=w.expert().user, series=series)
    standing.accept(actor=w.specialist.user, series=series)
    with pytest.raises(Conflict):
        standing.accept(actor=w.specialist.user, series=series)
    with pytest.raises(Conflict):
        standing.decline(actor=w.specialist.user, series=series)


def test_decline_books_nothing(app):
    w = StandingWorld()
    series = w.propose()
    standing.decline(actor=w.specialist.user, series=series, reason="Te vol")
    assert series.status == SeriesStatus.DECLINED
    assert _states(series) == ["cancelled"] * 3
    assert f.count(Booking) == 0


def test_one_date_moves_or_is_cancelled_without_touching_the_rest(app):
    w = StandingWorld(sessions=3)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    first, second = w.sittings[0], w.sittings[1]

    move_sitting(actor=w.coordinator, sitting=first, starts_at=first.starts_at + timedelta(hours=1),
                 ends_at=first.ends_at + timedelta(hours=1))
    cancel_sitting(actor=w.coordinator, sitting=second, reason="Geen zaken")

    assert _states(series) == ["booked", "cancelled", "booked"]
    moved = series.dates[0].referral
    booking = db.session.scalar(select(Booking).where(Booking.referral_id == moved.id))
    assert (booking.starts_at, booking.sequence) == (first.starts_at, 1)
    assert len(_confirmed(series)) == 2


def test_a_date_is_handed_to_a_substitute_proposed_by_the_matcher(app):
    w = StandingWorld(sessions=3)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    item = series.dates[1]
    substitute = w.expert()
    ranking = rank_request(referral=item.referral)
    assert substitute.id in [c.expert_id for c in ranking.candidates]

    standing.substitute(actor=w.coordinator, series=series, item=item, expert_id=substitute.id)

    assert _states(series) == ["booked", "substitute", "booked"]
    assert standing.date_state(item).expert_name == substitute.user.name
    assert len(_confirmed(series)) == 2


def test_cancelling_the_series_cancels_future_dates_and_keeps_past_ones(app):
    w = StandingWorld(sessions=3)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    after_first = w.sittings[0].ends_at + timedelta(minutes=1)

    cancelled = standing.cancel(actor=w.coordinator, series=series, reason="Andere opzet",
                                now=after_first)

    assert cancelled == 2
    assert series.status == SeriesStatus.CANCELLED
    assert _states(series) == ["booked", "cancelled", "cancelled"]
    assert [b.sitting_id for b in _confirmed(series)] == [w.sittings[0].id]


def test_cancel_needs_a_reason_without_personal_data(app):
    w = StandingWorld()
    series = w.propose()
    with pytest.raises(ValidationFailed):
        standing.cancel(actor=w.coordinator, series=series, reason=" ")
    with pytest.raises(PrivacyViolation):
        standing.cancel(actor=w.coordinator, series=series,
                        reason="Bel j.jansen@example.org")
    assert series.status == SeriesStatus.OFFERED


def test_a_requesters_request_goes_to_the_standing_specialist_first(app):
    w = StandingWorld(sessions=2)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series,
                    declined_session_ids=[w.sittings[1].id])
    # The declined date: the specialist is free then, so the request is offered to them.
    referral = referrals.create(actor=w.requester, data={
        "session_id": w.sittings[1].id, "areas": [{"area_id": w.area.id, "min_level": 1}],
        "estimated_hours": 2, "question": "Duiding van uitingen op een forum."})

    [offer] = db.session.scalars(select(Offer).where(Offer.referral_id == referral.id)).all()
    assert (offer.expert_id, offer.status) == (w.specialist.id, OfferStatus.PENDING)
    assert referral.status == ReferralStatus.OFFERED


def test_a_request_for_a_date_the_specialist_attends_waits_in_the_inbox(app):
    w = StandingWorld(sessions=1)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    referral = referrals.create(actor=w.requester, data={
        "session_id": w.sittings[0].id, "areas": [{"area_id": w.area.id, "min_level": 1}],
        "estimated_hours": 2, "question": "Duiding van uitingen op een forum."})
    assert referral.status == ReferralStatus.SUBMITTED
    assert f.count(Offer) == 1  # the series date's own accepted offer only


def test_continuity_counts_the_standing_assignment(app):
    w = StandingWorld(sessions=1)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series,
                    declined_session_ids=[w.sittings[0].id])
    referral = f.referral(requester=w.requester, on=w.sittings[0], areas=[w.area])

    ranking = rank_request(referral=referral)

    parts = {c.expert_id: c.parts["continuity"] for c in ranking.candidates}
    assert parts[w.specialist.id] == 25.0


def test_the_job_adds_new_sessions_to_an_accepted_series_exactly_once(app):
    w = StandingWorld(sessions=2)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    added = f.sitting(w.table, starts_at=w.sittings[1].starts_at + timedelta(days=3))
    db.session.commit()

    run = run_job(JOBS["extend_standing_series"], slot="1", now=utcnow())
    again = run_job(JOBS["extend_standing_series"], slot="2", now=utcnow())

    db.session.expire_all()
    assert (run.processed, again.processed) == (1, 0)
    assert [item.sitting_id for item in series.dates][-1] == added.id
    assert _states(series) == ["booked"] * 3
    assert len(_confirmed(series)) == 3


def test_the_job_expires_an_unanswered_series_offer(app):
    w = StandingWorld()
    series = w.propose()
    db.session.commit()
    later = series.expires_at + timedelta(minutes=1)

    run = run_job(JOBS["extend_standing_series"], slot="1", now=later)

    db.session.expire_all()
    assert run.processed == 1
    assert series.status == SeriesStatus.EXPIRED
    with pytest.raises(Conflict):
        standing.accept(actor=w.specialist.user, series=series, now=later)


def test_the_series_commits_the_estimated_cost_of_its_booked_dates(app, as_user):
    from decimal import Decimal

    from duidingspool.budget.services import standing_commitments, year_figures
    from duidingspool.timeutil import to_local

    w = StandingWorld(sessions=2)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    years = sorted({to_local(s.starts_at).year for s in w.sittings})

    found = [c for year in years for c in standing_commitments(year=year)]

    # 3 hours x EUR 100 per date, two dates; all of the years' committed amount.
    assert {c.series.id for c in found} == {series.id}
    assert (sum(c.dates for c in found), sum(c.committed for c in found)) == (
        2, Decimal("600.00"))
    assert sum(year_figures(year=year).total.committed for year in years) == Decimal("600.00")
    client = as_user(w.coordinator)
    html = client.get(f"/budget/{years[0]}").get_data(as_text=True)
    assert 'id="standing-commitments"' in html

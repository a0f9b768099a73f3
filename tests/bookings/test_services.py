"""Offers, the queue cascade, accepting, expiry and cancellation."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from duidingspool.bookings import services
from duidingspool.casetables import services as casetables
from duidingspool.casetables.services import cancel_sitting, move_sitting
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.casetables.models import Sitting, SittingStatus
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.experts.models import Absence
from duidingspool.extensions import db
from duidingspool.mail.models import OutboxMessage
from duidingspool.referrals.models import Referral, ReferralStatus
from tests import factories as f
from tests.bookings.helpers import World, next_weekday_at


def _statuses(referral):
    return [o.status for o in db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id).order_by(Offer.queue_position))]


def test_offer_to_a_queue_sends_the_first_and_queues_the_rest(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()

    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    assert [o.status for o in offers] == [OfferStatus.PENDING, OfferStatus.QUEUED]
    assert offers[0].expires_at <= referral.sitting.starts_at
    assert referral.status == ReferralStatus.OFFERED


def test_offer_to_a_request_booked_meanwhile_is_refused_and_leaves_it_booked(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    # Another transaction (a direct booking) booked the request after this one loaded it.
    db.session.execute(update(Referral).where(Referral.id == referral.id)
                       .values(status=ReferralStatus.BOOKED)
                       .execution_options(synchronize_session=False))
    db.session.commit()

    with pytest.raises(Conflict):
        services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    db.session.rollback()  # what the request's unit of work does with a refusal
    assert db.session.scalar(
        select(Referral.status).where(Referral.id == referral.id)) == ReferralStatus.BOOKED
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


def test_accept_books_the_expert_and_withdraws_the_other_offers(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    booking = services.accept(actor=first.user, offer=offers[0])

    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.starts_at, booking.ends_at) == (referral.sitting.starts_at,
                                                    referral.sitting.ends_at)
    assert len(booking.calendar_uid) == 32
    assert _statuses(referral) == [OfferStatus.ACCEPTED, OfferStatus.WITHDRAWN]
    assert referral.status == ReferralStatus.BOOKED


def test_accept_twice_books_once(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    services.accept(actor=expert.user, offer=offer)

    with pytest.raises(Conflict, match="no longer open"):
        services.accept(actor=expert.user, offer=offer)

    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_decline_passes_the_request_to_the_next_in_queue(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    nxt = services.decline(actor=first.user, offer=offers[0], reason="Op vakantie")

    assert nxt.id == offers[1].id
    assert _statuses(referral) == [OfferStatus.DECLINED, OfferStatus.PENDING]
    assert offers[0].decline_reason == "Op vakantie"


def test_last_decline_returns_the_request_to_the_inbox(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    assert services.decline(actor=expert.user, offer=offer) is None

    assert referral.status == ReferralStatus.SUBMITTED


def test_expiry_cascades_to_the_next_expert(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])
    later = offers[0].expires_at + timedelta(seconds=1)

    assert services.expire_due_offers(now=later) == 1
    assert services.expire_due_offers(now=later) == 0

    assert _statuses(referral) == [OfferStatus.EXPIRED, OfferStatus.PENDING]


def test_expired_offer_cannot_be_accepted(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    with pytest.raises(Conflict, match="expired"):
        services.accept(actor=expert.user, offer=offer, now=offer.expires_at)


def test_accept_refused_when_expert_became_unavailable(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    db.session.add(Absence(expert_id=expert.id, starts_at=referral.sitting.starts_at - timedelta(days=1),
                           ends_at=referral.sitting.ends_at + timedelta(days=1)))
    db.session.flush()

    with pytest.raises(Conflict, match="absent"):
        services.accept(actor=expert.user, offer=offer)


def test_offer_to_an_excluded_expert_is_refused_with_the_rule(app):
    w = World()
    referral = w.request()
    expert = w.expert(is_active=False)

    with pytest.raises(ValidationFailed) as caught:
        services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    assert caught.value.fields == {str(expert.id): ["the expert is not active"]}
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


def test_expert_cannot_accept_someone_elses_offer(app):
    w = World()
    referral = w.request()
    expert, other = w.expert(), w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    with pytest.raises(NotFound):
        services.accept(actor=other.user, offer=offer)


def test_second_request_at_overlapping_time_cannot_book_the_same_expert(app):
    w = World()
    first = w.request()
    second = w.request(starts_at=first.sitting.starts_at + timedelta(minutes=30))
    expert = w.expert()
    [offer1] = services.make_offers(actor=w.coordinator, referral=first, expert_ids=[expert.id])
    [offer2] = services.make_offers(actor=w.coordinator, referral=second, expert_ids=[expert.id])
    services.accept(actor=expert.user, offer=offer1)

    with pytest.raises(Conflict, match="another booking"):
        services.accept(actor=expert.user, offer=offer2)


def test_cancel_booking_frees_the_expert_and_reopens_the_request(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)

    services.cancel_booking(actor=w.coordinator, booking=booking, reason="Zitting vervalt")

    assert booking.status == BookingStatus.CANCELLED
    assert booking.sequence == 1
    assert referral.status == ReferralStatus.SUBMITTED
    with pytest.raises(Conflict):
        services.cancel_booking(actor=w.coordinator, booking=booking, reason="Nogmaals")


def test_cancel_booking_needs_a_reason(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)

    with pytest.raises(ValidationFailed):
        services.cancel_booking(actor=w.coordinator, booking=booking, reason="  ")


def test_moved_session_moves_the_booking_and_flags_a_conflict(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)
    sitting = referral.sitting
    new_start = sitting.starts_at + timedelta(days=7)
    db.session.add(Absence(expert_id=expert.id, starts_at=new_start - timedelta(hours=1),
                           ends_at=new_start + timedelta(hours=5)))
    sitting.starts_at, sitting.ends_at = new_start, new_start + timedelta(hours=2)
    sitting.status = SittingStatus.MOVED

    assert services.follow_sitting(actor=w.coordinator, sitting=sitting) == 1

    assert booking.starts_at == new_start
    assert booking.sequence == 1
    assert booking.conflict == "absent"


def test_cancelled_session_cancels_its_requests_and_bookings(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)

    cancel_sitting(actor=w.coordinator, sitting=referral.sitting, reason="Geen casuïstiek")

    assert booking.status == BookingStatus.CANCELLED
    assert referral.status == ReferralStatus.CANCELLED


def test_moving_a_session_moves_its_booking(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)
    new_start = referral.sitting.starts_at + timedelta(hours=1)

    move_sitting(actor=w.coordinator, sitting=referral.sitting, starts_at=new_start,
                 ends_at=new_start + timedelta(hours=2))

    assert (booking.starts_at, booking.sequence, booking.conflict) == (new_start, 1, None)


def test_moving_a_session_to_another_place_raises_the_booking_sequence(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)

    move_sitting(actor=w.coordinator, sitting=referral.sitting,
                 starts_at=referral.sitting.starts_at, ends_at=referral.sitting.ends_at,
                 location="Raadhuisplein 3")

    assert booking.sequence == 1


def test_offer_for_a_started_session_is_refused(app):
    w = World()
    referral = w.request(starts_at=utcnow() - timedelta(minutes=5))
    expert = w.expert()

    with pytest.raises(Conflict, match="started"):
        services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])


def test_offer_deadline_after_the_session_start_is_refused(app):
    w = World()
    referral = w.request()
    expert = w.expert()

    with pytest.raises(ValidationFailed) as caught:
        services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id],
                             expires_at=referral.sitting.starts_at + timedelta(minutes=1))

    assert list(caught.value.fields) == ["expires_at"]


def test_close_past_completes_bookings_and_requests_after_the_session(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)
    after = referral.sitting.ends_at + timedelta(minutes=1)

    assert services.close_past(now=referral.sitting.ends_at - timedelta(minutes=1)) == 0
    assert services.close_past(now=after) == 1
    assert services.close_past(now=after) == 0

    assert (booking.status, referral.status, referral.completed_at) == (
        BookingStatus.COMPLETED, ReferralStatus.COMPLETED, after)


def test_close_past_marks_untaken_requests_unfilled_and_withdraws_offers(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    services.make_offers(actor=w.coordinator, referral=referral,
                         expert_ids=[first.id, second.id])

    assert services.close_past(now=referral.sitting.starts_at) == 1

    assert referral.status == ReferralStatus.UNFILLED
    assert _statuses(referral) == [OfferStatus.WITHDRAWN, OfferStatus.WITHDRAWN]


def test_a_new_address_or_duration_of_the_case_table_reaches_its_bookings(app):
    # Generated sessions nobody moved by hand take the case table's new address and length;
    # their bookings follow with a higher SEQUENCE and an updated invitation.
    w = World()
    first = next_weekday_at(12, days_ahead=7)
    w.table.rrule, w.table.first_session_start = "FREQ=WEEKLY;COUNT=2", first
    w.table.duration_minutes = 120
    casetables.generate_sessions(actor=None, case_table=w.table, now=first - timedelta(days=1))
    sitting = db.session.scalars(select(Sitting).where(Sitting.case_table_id == w.table.id)
                                 .order_by(Sitting.starts_at)).first()
    expert = w.expert()
    referral = f.referral(requester=w.requester, on=sitting, areas=[w.area])
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = services.accept(actor=expert.user, offer=offer)
    invitations = len(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)).all())

    w.table.address, w.table.duration_minutes = "Raadhuisplein 3, Hengelo", 90
    casetables.generate_sessions(actor=None, case_table=w.table, now=first - timedelta(days=1))
    db.session.refresh(booking)

    assert sitting.location == "Raadhuisplein 3, Hengelo"
    assert booking.sequence == 1
    assert booking.ends_at == first + timedelta(minutes=90)
    assert len(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)).all()) > invitations

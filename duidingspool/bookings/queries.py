"""Read-side queries for the offer and booking pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, false, not_, or_, select
from sqlalchemy.orm import selectinload

from duidingspool.accounts.models import User
from duidingspool.audit.models import AuditEvent
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.experts.models import Expert
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral, ReferralExpertise

# Offers an expert can still answer (a pending offer past its deadline awaits the expiry job).
ANSWERABLE = (OfferStatus.PENDING,)


def _with_request(*, expertise: bool = False):
    """What an offer's card or line shows of its request: the case table and the session
    (when, where), and with `expertise` the areas asked."""
    options = [selectinload(Offer.referral).selectinload(Referral.case_table),
               selectinload(Offer.referral).selectinload(Referral.sitting)]
    if expertise:
        options.append(selectinload(Offer.referral).selectinload(Referral.expertise)
                       .selectinload(ReferralExpertise.area))
    return options


def offers_of(referral: Referral) -> list[Offer]:
    """The request's offers in queue order, with their experts."""
    return list(db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id)
        .options(selectinload(Offer.expert).selectinload(Expert.user))
        .order_by(Offer.queue_position, Offer.id)
    ))


def confirmed_booking_of(referral: Referral) -> Booking | None:
    """The request's confirmed booking, if it has one (the database allows at most one)."""
    return db.session.scalar(
        select(Booking).where(Booking.referral_id == referral.id,
                              Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.expert).selectinload(Expert.user))
    )


def latest_booking_of(referral: Referral) -> Booking | None:
    """The request's confirmed booking, else its latest completed or cancelled one (the
    request page shows the expert's name and the booking's state)."""
    return db.session.scalar(
        select(Booking).where(Booking.referral_id == referral.id)
        .options(selectinload(Booking.expert).selectinload(Expert.user))
        .order_by(case((Booking.status == BookingStatus.CONFIRMED, 0), else_=1),
                  Booking.id.desc())
        .limit(1)
    )


def need_to_know(expert_id: int, *, now: datetime):
    """The condition on Referral for the requests an expert may read (question, case code):
    their offer waits for an answer before its deadline, or they are booked for it.
    Queued, declined, withdrawn and expired offers and cancelled bookings give no access."""
    offered = select(Offer.referral_id).where(
        Offer.expert_id == expert_id, Offer.status.in_(ANSWERABLE), Offer.expires_at > now)
    booked = select(Booking.referral_id).where(
        Booking.expert_id == expert_id, Booking.status == BookingStatus.CONFIRMED)
    return or_(Referral.id.in_(offered), Referral.id.in_(booked))


def answerable_offer(expert: Expert | None, referral: Referral, *,
                     now: datetime | None = None) -> Offer | None:
    """The expert's offer of the request that waits for their answer, if there is one."""
    if expert is None:
        return None
    now = now or utcnow()
    return db.session.scalar(
        select(Offer).where(Offer.expert_id == expert.id, Offer.referral_id == referral.id,
                            Offer.status.in_(ANSWERABLE), Offer.expires_at > now))


def _history_page(stmt, *, page: int, per_page: int):
    """One page of `stmt` (a Flask-SQLAlchemy pagination; `page` as web.page_number reads
    it): one past the last is the last."""
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if page > 1 and not pagination.items:
        pagination = db.paginate(stmt, page=max(pagination.pages, 1), per_page=per_page,
                                 error_out=False)
    return pagination


def _shown_offers(expert: Expert | None):
    # Queued offers are the coordinator's business and never shown to the expert.
    return select(Offer).where(Offer.expert_id == expert.id if expert is not None else false(),
                               Offer.status != OfferStatus.QUEUED)


def _is_open(now: datetime):
    # A pending offer past its deadline awaits the expiry job: it is past, and shown expired.
    return Offer.status.in_(ANSWERABLE) & (Offer.expires_at > now)


def expert_open_offers(expert: Expert | None, *, now: datetime | None = None,
                       expertise: bool = False) -> list[Offer]:
    """An expert's offers waiting for their answer, soonest deadline first (with
    `expertise`, each request's areas loaded too)."""
    if expert is None:
        return []
    now = now or utcnow()
    return list(db.session.scalars(
        _shown_offers(expert).where(_is_open(now))
        .options(*_with_request(expertise=expertise))
        .order_by(Offer.expires_at, Offer.id)
    ))


def expert_past_offers(expert: Expert | None, *, page: int = 1, per_page: int,
                       now: datetime | None = None):
    """One page of an expert's answered, withdrawn and expired offers, newest first."""
    now = now or utcnow()
    return _history_page(
        _shown_offers(expert).where(not_(_is_open(now)))
        .options(*_with_request())
        # Never sent (withdrawn from the queue): last, on PostgreSQL as on SQLite.
        .order_by(Offer.offered_at.desc().nulls_last(), Offer.id.desc()),
        page=page, per_page=per_page)


def _is_upcoming(now: datetime):
    return (Booking.status == BookingStatus.CONFIRMED) & (Booking.ends_at > now)


def _expert_bookings(expert: Expert | None):
    # What the booking lists show: the case table, and the place (the request's session).
    return select(Booking).where(
        Booking.expert_id == expert.id if expert is not None else false()
    ).options(
        selectinload(Booking.referral).selectinload(Referral.case_table),
        selectinload(Booking.referral).selectinload(Referral.sitting))


def expert_upcoming_bookings(expert: Expert | None, *, now: datetime | None = None
                             ) -> list[Booking]:
    """An expert's confirmed bookings that have not ended, soonest first."""
    if expert is None:
        return []
    now = now or utcnow()
    return list(db.session.scalars(
        _expert_bookings(expert).where(_is_upcoming(now))
        .order_by(Booking.starts_at, Booking.id)
    ))


def expert_past_bookings(expert: Expert | None, *, page: int = 1, per_page: int,
                         now: datetime | None = None):
    """One page of an expert's ended, completed and cancelled bookings, newest first."""
    now = now or utcnow()
    return _history_page(
        _expert_bookings(expert).where(not_(_is_upcoming(now)))
        .order_by(Booking.starts_at.desc(), Booking.id.desc()),
        page=page, per_page=per_page)


def _coordinator_bookings():
    return select(Booking).options(
        selectinload(Booking.expert).selectinload(Expert.user),
        selectinload(Booking.referral).selectinload(Referral.case_table),
        selectinload(Booking.referral).selectinload(Referral.municipality),
    ).order_by(Booking.starts_at, Booking.id)


def upcoming_bookings(*, now: datetime | None = None, limit: int = 500) -> list[Booking]:
    """Confirmed bookings that have not ended yet, soonest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        _coordinator_bookings().where(Booking.status == BookingStatus.CONFIRMED,
                                      Booking.ends_at > now).limit(limit)
    ))


def conflicted_bookings(*, now: datetime | None = None) -> list[Booking]:
    """Confirmed, not yet ended bookings whose session changed so the expert no longer fits."""
    now = now or utcnow()
    return list(db.session.scalars(
        _coordinator_bookings().where(Booking.status == BookingStatus.CONFIRMED,
                                      Booking.conflict.is_not(None),
                                      Booking.ends_at > now)
    ))


def history_of(referral: Referral) -> list[tuple[AuditEvent, str | None]]:
    """The request's history for the coordinator: the audit events of the request, its
    offers and its bookings, oldest first (urgent offers, expiries, escalation, alerts),
    each with its actor's name (None: the system)."""
    from_offers = select(Offer.id).where(Offer.referral_id == referral.id)
    from_bookings = select(Booking.id).where(Booking.referral_id == referral.id)
    return [tuple(row) for row in db.session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(or_((AuditEvent.object_type == "referral")
                   & (AuditEvent.object_id == referral.id),
                   (AuditEvent.object_type == "offer") & AuditEvent.object_id.in_(from_offers),
                   (AuditEvent.object_type == "booking")
                   & AuditEvent.object_id.in_(from_bookings)),
               AuditEvent.action != "referral.view_question")
        .order_by(AuditEvent.occurred_at, AuditEvent.id))]

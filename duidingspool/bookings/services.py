"""Offers, their cascade, and race-free bookings.

Every status change is a compare-and-swap (an UPDATE guarded by the expected status), so an
offer accepted twice is booked once. The database has the last word on double bookings: a
partial unique index allows one confirmed booking per request, and on PostgreSQL an
exclusion constraint forbids overlapping confirmed bookings of one expert. On PostgreSQL an
advisory lock per expert also serialises the checks that no constraint can express (the
travel buffer); on SQLite the accepting transaction writes first, which takes the
database's single write lock, so the checks after it run one transaction at a time.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select, text, true, update
from sqlalchemy.exc import IntegrityError

from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.bookings.queries import confirmed_booking_of, latest_booking_of, need_to_know
from duidingspool.casetables.models import Sitting, SittingStatus
from duidingspool.db import insert_once, utcnow
from duidingspool.errors import Conflict, DomainError, NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.matching.engine import Interval
from duidingspool.oncall.services import on_duty
from duidingspool.bookings.facts import MAX_BOOKING
from duidingspool.bookings.candidates import exclusion_of, rank_request
from duidingspool.referrals.models import OPEN_STATUSES, Referral, ReferralStatus
from duidingspool.referrals.services import acts_for
from duidingspool.privacy import check_privacy
from duidingspool.timeutil import to_local

# Advisory-lock namespaces for "booking an expert" and "booking a request" (PostgreSQL
# only); taken in that order: request first, then expert.
# Reasons (decline, cancel) are read by another person: checked for personal data.
MAX_REASON_LENGTH = 500
_EXPERT_LOCK = 7301
_REFERRAL_LOCK = 7302

RULE_MESSAGES = {
    "inactive": _l("the expert is not active"),
    "vetting_lapsed": _l("the expert's vetting (VOG or confidentiality declaration) has lapsed by then"),
    "conflict_of_interest": _l("the expert has a conflict of interest with this municipality"),
    "expertise_missing": _l("the expert lacks a required expertise area or level"),
    "language_missing": _l("the expert does not speak the requested language"),
    "too_far": _l("the place is beyond the expert's travel distance"),
    "not_available": _l("the time is outside the expert's availability"),
    "absent": _l("the expert is absent then"),
    "busy_with_booking": _l("the expert has another booking then (including travel time)"),
    "busy_elsewhere": _l("the expert's own calendar is busy then"),
    "over_monthly_hours": _l("the expert would exceed their monthly hours"),
}


def _cas(model, obj_id: int, *, expected: tuple[str, ...], values: dict, extra=()) -> bool:
    """Set `values` on the row if its status is still one of `expected`; True if it was."""
    result = db.session.execute(
        update(model)
        .where(model.id == obj_id, model.status.in_(expected), *extra)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _refresh(*objects) -> None:
    for obj in objects:
        db.session.refresh(obj)


def _advisory_lock(namespace: int, key: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"),
                           {"ns": namespace, "id": key})


def _lock_expert(expert_id: int) -> None:
    _advisory_lock(_EXPERT_LOCK, expert_id)


def _lock_referral(referral_id: int) -> None:
    """Serialise the ways a request gets booked (an accept, a direct booking): without it
    the two would each wait for the other's booking row and referral row (deadlock)."""
    _advisory_lock(_REFERRAL_LOCK, referral_id)


def _time_of(referral: Referral, offer: Offer | None = None) -> Interval | None:
    if referral.sitting is not None:
        return Interval(referral.sitting.starts_at, referral.sitting.ends_at)
    if offer is not None and offer.starts_at is not None:
        return Interval(offer.starts_at, offer.ends_at)
    return None


def default_expiry(referral: Referral, offer: Offer | None = None, *,
                   now: datetime) -> datetime:
    """An offer's answer deadline when the coordinator sets none: OFFER_EXPIRY_HOURS from
    now (an urgent request's answer hours, see URGENT_ANSWER_HOURS), but never after the
    session starts."""
    hours = referral.urgent_answer_hours or int(current_app.config["OFFER_EXPIRY_HOURS"])
    expires = now + timedelta(hours=hours)
    when = _time_of(referral, offer)
    if when is not None and when.starts_at > now:
        expires = min(expires, when.starts_at)
    return expires


def _check_length(when: Interval) -> None:
    """Bookings last at most MAX_BOOKING (the matcher's overlap search relies on it)."""
    if when.ends_at - when.starts_at > MAX_BOOKING:
        raise ValidationFailed(_("A booking can last at most 24 hours."),
                               fields={"ends_at": [_("At most 24 hours after the start.")]})


def _offer_visible_to(actor: User):
    """The condition on Offer for what `actor` may see: the coordinator every offer, an
    expert only their own that were sent (a queued offer is the coordinator's business)."""
    if actor.has_role(Role.COORDINATOR):
        return true()
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    if own is None:
        return false()
    return and_(Offer.expert_id == own.id, Offer.status != OfferStatus.QUEUED)


def visible_offers(actor: User):
    """A select of the offers the actor may see, newest first."""
    return (select(Offer).where(_offer_visible_to(actor))
            .order_by(Offer.offered_at.desc(), Offer.id.desc()))


def get_offer_for(actor: User, offer_id: int) -> Offer:
    """An offer the actor may see (`visible_offers`), or NotFound."""
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id,
                                                  _offer_visible_to(actor)))
    if offer is None:
        raise NotFound(_("Offer not found."))
    return offer


def _proposed_time(referral: Referral, *, starts_at: datetime | None,
                   ends_at: datetime | None, now: datetime) -> Interval | None:
    """The time proposed for a date-window request (None for a request with a session),
    after checking that it lies in the window, or that the session is not cancelled, and
    that it has not started yet."""
    if referral.sitting is None:
        if starts_at is None or ends_at is None or ends_at <= starts_at:
            raise ValidationFailed(
                _("This request has a date window: propose a start and end time."),
                fields={"starts_at": [_("Give a start and an end time within the window.")]})
        if not (referral.window_start <= to_local(starts_at).date() <= referral.window_end):
            raise ValidationFailed(_("The proposed time lies outside the request's window."),
                                   fields={"starts_at": [_("Outside the window.")]})
    elif referral.sitting.status == SittingStatus.CANCELLED:
        raise Conflict(_("The session of this request has been cancelled."))
    at = Interval(starts_at, ends_at) if referral.sitting is None else None
    _check_length(at or _time_of(referral))
    if (at or _time_of(referral)).starts_at <= now:
        raise Conflict(_("The session has already started."))
    return at


def make_offers(*, actor: User, referral: Referral, expert_ids: list[int],
                starts_at: datetime | None = None, ends_at: datetime | None = None,
                expires_at: datetime | None = None, now: datetime | None = None,
                budget_override_reason: str | None = None) -> list[Offer]:
    """Offer `referral` to the first expert and queue the others in the given order."""
    now = now or utcnow()
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("Only a submitted or offered request can be offered."))
    if not expert_ids or len(set(expert_ids)) != len(expert_ids):
        raise ValidationFailed(_("Choose one or more different experts."),
                               fields={"expert_ids": [_("Choose one or more different experts.")]})
    at = _proposed_time(referral, starts_at=starts_at, ends_at=ends_at, now=now)
    starts_at, ends_at = (at.starts_at, at.ends_at) if at else (None, None)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(_("The answer deadline must lie in the future."),
                               fields={"expires_at": [_("Must lie in the future.")]})
    if expires_at is not None and expires_at > (at or _time_of(referral)).starts_at:
        raise ValidationFailed(_("The answer deadline must lie before the session starts."),
                               fields={"expires_at": [_("Before the start of the session.")]})

    existing = {o.expert_id: o for o in db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id))}
    problems = {}
    for expert_id in expert_ids:
        if expert_id in existing:
            problems[str(expert_id)] = [_("This expert already has an offer for this request.")]
            continue
        exclusion = exclusion_of(referral=referral, expert_id=expert_id, at=at)
        if exclusion is not None:
            problems[str(expert_id)] = [str(RULE_MESSAGES[exclusion.rule])]
    if problems:
        raise ValidationFailed(_("Not every chosen expert can take this request."),
                               fields=problems)

    # Over budget without a reason: refused (BudgetExceeded); with one, recorded per offer.
    overrides = signals.ask(signals.offers_proposed, referral, actor=actor,
                            expert_ids=expert_ids, starts_at=starts_at,
                            override_reason=budget_override_reason, now=now)
    has_pending = any(o.status == OfferStatus.PENDING for o in existing.values())
    position = max((o.queue_position for o in existing.values()), default=0)
    offers = []
    for expert_id in expert_ids:
        position += 1
        # INSERT ... ON CONFLICT DO NOTHING on (request, expert): of concurrent offers of
        # the same request to the same expert one inserts, the others are told (no 500 from
        # a unique violation, and the session stays usable for the answer).
        offer_id = insert_once(db.session, Offer, unique=["referral_id", "expert_id"], values=dict(
            referral_id=referral.id, expert_id=expert_id, status=OfferStatus.QUEUED,
            queue_position=position, starts_at=starts_at, ends_at=ends_at,
            budget_override_reason=overrides[expert_id], created_by_id=actor.id))
        if offer_id is None:
            raise Conflict(_("This request was offered to this expert at the same moment by "
                             "someone else; nothing was changed."))
        offers.append(db.session.get(Offer, offer_id))
    if not has_pending:
        _send(offers[0], now=now, expires_at=expires_at)
    # Compare-and-swap: a direct booking of the same request at this moment wins, and this
    # offer is refused rather than turning the booked request back into an offered one.
    if not _cas(Referral, referral.id, expected=OPEN_STATUSES,
                values={"status": ReferralStatus.OFFERED, "updated_at": now}):
        raise Conflict(_("This request is no longer open."))
    _refresh(referral)
    record(actor=actor, action="offer.create", obj=referral,
           details={"experts": expert_ids, "offer_ids": [o.id for o in offers]})
    return offers


def _send(offer: Offer, *, now: datetime, expires_at: datetime | None = None) -> None:
    offer.status = OfferStatus.PENDING
    offer.offered_at = now
    offer.expires_at = expires_at or default_expiry(offer.referral, offer, now=now)
    db.session.flush()
    signals.offer_sent.send(offer, now=now)


def _cascade(referral: Referral, *, now: datetime) -> Offer | None:
    """Send the next queued offer of `referral`; with none left it goes back to the inbox."""
    while True:
        nxt = db.session.scalar(
            select(Offer).where(Offer.referral_id == referral.id,
                                Offer.status == OfferStatus.QUEUED)
            .order_by(Offer.queue_position, Offer.id).limit(1)
        )
        if nxt is None:
            if referral.is_urgent and referral.sitting_id is not None:
                # An urgent request passes down the ranking (availability respected).
                return escalate(referral, now=now)
            if referral.status == ReferralStatus.OFFERED:
                referral.status = ReferralStatus.SUBMITTED
                db.session.flush()
                record(actor=None, action="referral.back_to_inbox", obj=referral)
            return None
        if exclusion_of(referral=referral, expert_id=nxt.expert_id, at=_time_of(referral, nxt)):
            # No longer eligible (booked elsewhere, absent...): skip rather than pester them.
            _cas(Offer, nxt.id, expected=(OfferStatus.QUEUED,),
                 values={"status": OfferStatus.WITHDRAWN, "responded_at": now})
            _refresh(nxt)
            record(actor=None, action="offer.skip", obj=nxt)
            continue
        _send(nxt, now=now)
        record(actor=None, action="offer.send", obj=nxt)
        return nxt


def _confirm(*, referral: Referral, offer: Offer, when: Interval,
             now: datetime) -> tuple[Booking, int]:
    """Book `offer`'s expert on `referral` at `when` and withdraw the request's other open
    offers; the database's unique index and exclusion constraint decide a race (409).
    Returns the booking and how many offers were withdrawn."""
    booking = Booking(referral_id=referral.id, offer_id=offer.id, expert_id=offer.expert_id,
                      sitting_id=referral.sitting_id, starts_at=when.starts_at,
                      ends_at=when.ends_at, status=BookingStatus.CONFIRMED,
                      estimated_minutes=referral.estimated_minutes,
                      case_table_id=referral.case_table_id,
                      calendar_uid=secrets.token_hex(16))
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_("This request or this expert was booked at the same moment by "
                         "someone else; nothing was changed.")) from None
    withdrawn = db.session.execute(
        update(Offer)
        .where(Offer.referral_id == referral.id, Offer.id != offer.id,
               Offer.status.in_((OfferStatus.PENDING, OfferStatus.QUEUED)))
        .values(status=OfferStatus.WITHDRAWN, responded_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    return booking, withdrawn


def accept(*, actor: User, offer: Offer, now: datetime | None = None) -> Booking:
    """The expert accepts: book them, withdraw the request's other offers."""
    now = now or utcnow()
    own = actor.expert
    if own is None or offer.expert_id != own.id or offer.status == OfferStatus.QUEUED:
        raise NotFound(_("Offer not found."))
    _lock_referral(offer.referral_id)
    _lock_expert(offer.expert_id)
    # Write first: on SQLite this takes the write lock, serialising the checks below.
    swapped = _cas(Offer, offer.id, expected=(OfferStatus.PENDING,),
                   values={"status": OfferStatus.ACCEPTED, "responded_at": now},
                   extra=(Offer.expires_at > now,))
    if not swapped:
        _refresh(offer)
        if offer.status == OfferStatus.PENDING:
            raise Conflict(_("This offer has expired."))
        raise Conflict(_("This offer is no longer open: it was already answered or withdrawn."))
    _refresh(offer)
    referral = offer.referral
    db.session.refresh(referral)
    if referral.status != ReferralStatus.OFFERED:
        raise Conflict(_("This request is no longer open."))
    when = _time_of(referral, offer)
    if referral.sitting is not None and referral.sitting.status == SittingStatus.CANCELLED:
        raise Conflict(_("The session has been cancelled."))
    exclusion = exclusion_of(referral=referral, expert_id=own.id, at=when)
    if exclusion is not None:
        raise Conflict(_("You can no longer accept this offer: %(reason)s.",
                              reason=RULE_MESSAGES[exclusion.rule]))

    booking, _withdrawn = _confirm(referral=referral, offer=offer, when=when, now=now)
    referral.status = ReferralStatus.BOOKED
    db.session.flush()
    record(actor=actor, action="offer.accept", obj=offer, details={"booking_id": booking.id})
    signals.booking_changed.send(booking, now=now, actor=actor)
    return booking


# Offers a direct booking may take over: every state but accepted (whose booking exists).
_REUSABLE = (OfferStatus.PENDING, OfferStatus.QUEUED, OfferStatus.DECLINED,
             OfferStatus.EXPIRED, OfferStatus.WITHDRAWN)


def _accepted_offer(*, actor: User, referral: Referral, expert_id: int,
                    at: Interval | None, override_reason: str | None,
                    now: datetime) -> tuple[Offer, str | None]:
    """The offer a direct booking rests on, marked accepted: the expert's earlier offer of
    this request if there is one (returned with its former status), else a new one."""
    times = {"starts_at": at.starts_at if at else None, "ends_at": at.ends_at if at else None}
    offer = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id,
                                                  Offer.expert_id == expert_id))
    if offer is None:
        position = db.session.scalar(select(func.max(Offer.queue_position))
                                     .where(Offer.referral_id == referral.id)) or 0
        offer = Offer(referral_id=referral.id, expert_id=expert_id,
                      status=OfferStatus.ACCEPTED, queue_position=position + 1,
                      offered_at=now, expires_at=now, responded_at=now,
                      budget_override_reason=override_reason, created_by_id=actor.id,
                      **times)
        db.session.add(offer)
        db.session.flush()
        return offer, None
    former = offer.status
    if not _cas(Offer, offer.id, expected=_REUSABLE,
                values={"status": OfferStatus.ACCEPTED, "responded_at": now,
                        "offered_at": func.coalesce(Offer.offered_at, now),
                        "expires_at": func.coalesce(Offer.expires_at, now),
                        "budget_override_reason": override_reason, **times}):
        raise Conflict(_("This expert was booked for this request before and that booking "
                         "was cancelled; offer the request to someone else."))
    _refresh(offer)
    return offer, former


def book_directly(*, actor: User, referral: Referral, expert_id: int,
                  starts_at: datetime | None = None, ends_at: datetime | None = None,
                  budget_override_reason: str | None = None,
                  now: datetime | None = None) -> Booking:
    """The coordinator books an expert directly (agreed by phone, say): the hard rules and
    the budget check of an offer, the guarantees of an accept; the request's other pending
    and queued offers are withdrawn."""
    now = now or utcnow()
    if referral.status == ReferralStatus.BOOKED:
        raise Conflict(_("This request is already booked."))
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("Only a submitted or offered request can be booked."))
    at = _proposed_time(referral, starts_at=starts_at, ends_at=ends_at, now=now)
    expert = db.session.get(Expert, expert_id)
    if expert is None:
        raise ValidationFailed(_("There is no such expert."),
                               fields={"expert_id": [_("There is no such expert.")]})
    _lock_referral(referral.id)
    _lock_expert(expert_id)
    # Write first: on SQLite this takes the write lock, serialising the checks below; the
    # swap also decides a race with an accept of the same request.
    if not _cas(Referral, referral.id, expected=OPEN_STATUSES,
                values={"status": ReferralStatus.BOOKED, "updated_at": now}):
        _refresh(referral)
        if referral.status == ReferralStatus.BOOKED:
            raise Conflict(_("This request is already booked."))
        raise Conflict(_("This request is no longer open."))
    _refresh(referral)
    exclusion = exclusion_of(referral=referral, expert_id=expert_id, at=at)
    if exclusion is not None:
        reason = str(RULE_MESSAGES[exclusion.rule])
        raise ValidationFailed(_("%(name)s cannot be booked for this request: %(reason)s.",
                                 name=expert.user.name, reason=reason),
                               fields={"expert_id": [reason]})
    # Over budget without a reason: refused (BudgetExceeded); with one, kept on the offer.
    overrides = signals.ask(signals.offers_proposed, referral, actor=actor,
                            expert_ids=[expert_id], starts_at=at.starts_at if at else None,
                            override_reason=budget_override_reason, now=now)
    offer, former = _accepted_offer(actor=actor, referral=referral, expert_id=expert_id,
                                    at=at, override_reason=overrides[expert_id], now=now)
    booking, withdrawn = _confirm(referral=referral, offer=offer, when=at or _time_of(referral),
                                  now=now)
    db.session.flush()
    record(actor=actor, action="booking.direct", obj=booking,
           details={"request_id": referral.id, "expert_id": expert_id, "offer_id": offer.id,
                    "offer_was": former, "offers_withdrawn": withdrawn})
    signals.booking_changed.send(booking, now=now, actor=actor)
    return booking


def decline(*, actor: User, offer: Offer, reason: str | None = None,
            now: datetime | None = None) -> Offer | None:
    """The expert declines; the next queued expert gets the offer at once (returned)."""
    now = now or utcnow()
    own = actor.expert
    if own is None or offer.expert_id != own.id or offer.status == OfferStatus.QUEUED:
        raise NotFound(_("Offer not found."))
    reason = (reason or "").strip() or None
    # The coordinator reads it: no personal data.
    check_privacy(today=to_local(now).date(), limits={"reason": MAX_REASON_LENGTH}, reason=reason)
    if not _cas(Offer, offer.id, expected=(OfferStatus.PENDING,),
                values={"status": OfferStatus.DECLINED, "responded_at": now,
                        "decline_reason": reason}):
        raise Conflict(_("This offer is no longer open: it was already answered or withdrawn."))
    _refresh(offer)
    record(actor=actor, action="offer.decline", obj=offer)
    return _cascade(offer.referral, now=now)


def due_offer_ids(*, now: datetime) -> list[int]:
    """Pending offers past their answer deadline, soonest deadline first."""
    return list(db.session.scalars(
        select(Offer.id).where(Offer.status == OfferStatus.PENDING, Offer.expires_at <= now)
        .order_by(Offer.expires_at, Offer.id)))


def expire_offer(*, offer_id: int, now: datetime) -> bool:
    """Expire one pending offer past its deadline and cascade; False if it was answered."""
    if not _cas(Offer, offer_id, expected=(OfferStatus.PENDING,),
                values={"status": OfferStatus.EXPIRED, "responded_at": now},
                extra=(Offer.expires_at <= now,)):
        return False
    offer = db.session.get(Offer, offer_id)
    _refresh(offer)
    record(actor=None, action="offer.expire", obj=offer)
    _cascade(offer.referral, now=now)
    return True


def expire_due_offers(*, now: datetime | None = None) -> int:
    """Expire every pending offer past its deadline (one unit of work); how many expired.
    The scheduler's job expires them one unit of work each (`expire_offer`)."""
    now = now or utcnow()
    return sum(expire_offer(offer_id=offer_id, now=now) for offer_id in due_offer_ids(now=now))


def withdraw(*, actor: User, offer: Offer, now: datetime | None = None) -> None:
    """The coordinator withdraws a pending or queued offer (a pending one cascades)."""
    now = now or utcnow()
    was_pending = offer.status == OfferStatus.PENDING
    if not _cas(Offer, offer.id, expected=(OfferStatus.PENDING, OfferStatus.QUEUED),
                values={"status": OfferStatus.WITHDRAWN, "responded_at": now}):
        raise Conflict(_("This offer is no longer open."))
    _refresh(offer)
    record(actor=actor, action="offer.withdraw", obj=offer)
    if was_pending:
        _cascade(offer.referral, now=now)


def get_booking_for(actor: User, booking_id: int) -> Booking:
    """A booking the actor may see: coordinator all, requester their municipality's, expert own."""
    booking = db.session.get(Booking, booking_id)
    if booking is not None:
        if actor.has_role(Role.COORDINATOR):
            return booking
        if actor.has_role(Role.REQUESTER) and booking.referral.municipality_id == actor.municipality_id:
            return booking
        own = actor.expert if actor.has_role(Role.EXPERT) else None
        if own is not None and booking.expert_id == own.id:
            return booking
    raise NotFound(_("Booking not found."))


def visible_bookings(actor: User):
    """A select of the bookings the actor may see, soonest first."""
    query = select(Booking).order_by(Booking.starts_at, Booking.id)
    if actor.has_role(Role.COORDINATOR):
        return query
    conditions = []
    if actor.has_role(Role.REQUESTER) and actor.municipality_id is not None:
        conditions.append(Booking.referral_id.in_(
            select(Referral.id).where(Referral.municipality_id == actor.municipality_id)))
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    if own is not None:
        conditions.append(Booking.expert_id == own.id)
    if not conditions:
        return query.where(false())
    return query.where(or_(*conditions))


def booking_shown_on_request(actor: User, referral: Referral) -> Booking | None:
    """The booking the request page shows `actor`: to those who act for the request (its
    municipality, the coordinator) its confirmed booking, else its latest one with its
    state; to an expert only their own confirmed booking."""
    if acts_for(actor, referral):
        return latest_booking_of(referral)
    booking = confirmed_booking_of(referral)
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    return booking if booking is not None and own is not None and booking.expert_id == own.id \
        else None


def may_cancel_booking(actor: User, booking: Booking | None) -> bool:
    """Whether `actor` may cancel `booking` now: it is confirmed, and they act for its
    request (a coordinator, or a requester of its municipality)."""
    return (booking is not None and booking.status == BookingStatus.CONFIRMED
            and acts_for(actor, booking.referral))


def cancel_booking(*, actor: User | None, booking: Booking, reason: str,
                   reopen: bool = True, now: datetime | None = None) -> Booking:
    """Cancel a confirmed booking with a reason; the request goes back to the inbox."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for the cancellation."),
                               fields={"reason": [_("Give a reason.")]})
    # The expert (and the requester) read it: no personal data.
    check_privacy(today=to_local(now).date(), limits={"reason": MAX_REASON_LENGTH}, reason=reason)
    if not _cas(Booking, booking.id, expected=(BookingStatus.CONFIRMED,),
                values={"status": BookingStatus.CANCELLED, "cancelled_at": now,
                        "cancel_reason": reason, "sequence": Booking.sequence + 1,
                        "updated_at": now}):
        raise Conflict(_("Only a confirmed booking can be cancelled."))
    _refresh(booking)
    referral = booking.referral
    if reopen and referral.status == ReferralStatus.BOOKED:
        referral.status = ReferralStatus.SUBMITTED
    db.session.flush()
    record(actor=actor, action="booking.cancel", obj=booking)
    signals.booking_changed.send(booking, now=now, actor=actor)
    return booking


def release_referral(*, actor: User | None, referral: Referral, reason: str,
                     now: datetime | None = None) -> None:
    """A request was cancelled: withdraw its open offers and cancel its booking."""
    now = now or utcnow()
    withdrawn = db.session.execute(
        update(Offer)
        .where(Offer.referral_id == referral.id,
               Offer.status.in_((OfferStatus.PENDING, OfferStatus.QUEUED)))
        .values(status=OfferStatus.WITHDRAWN, responded_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if withdrawn:
        record(actor=actor, action="offer.withdraw_open", obj=referral,
               details={"count": withdrawn})
    for booking in db.session.scalars(
        select(Booking).where(Booking.referral_id == referral.id,
                              Booking.status == BookingStatus.CONFIRMED)
    ):
        cancel_booking(actor=actor, booking=booking, reason=reason, reopen=False, now=now)


def follow_sitting(*, actor: User | None, sitting: Sitting, now: datetime | None = None) -> int:
    """A session moved, changed place or was cancelled: its requests and bookings follow.

    Bookings take the new time with a higher sequence; one whose expert is no longer
    available gets `conflict` set to the rule that now fails, for the coordinator to
    resolve. A cancelled session cancels its open requests and their bookings and offers.
    Returns how many bookings changed.
    """
    now = now or utcnow()
    if sitting.status == SittingStatus.CANCELLED:
        reason = _("The session was cancelled.")
        changed = 0
        for referral in db.session.scalars(
            select(Referral).where(Referral.sitting_id == sitting.id,
                                   Referral.status.in_(OPEN_STATUSES + (ReferralStatus.BOOKED,)))
        ):
            changed += db.session.scalar(
                select(func.count()).select_from(Booking)
                .where(Booking.referral_id == referral.id,
                       Booking.status == BookingStatus.CONFIRMED))
            previous_status = referral.status
            referral.status = ReferralStatus.CANCELLED
            referral.cancelled_at = now
            referral.cancel_reason = reason
            db.session.flush()
            # Announced as referrals.cancel announces a cancelled request: the receiver
            # below releases it (offers withdrawn, booking cancelled), mail tells the
            # requester and the case table.
            signals.referral_cancelled.send(referral, actor=actor, reason=reason, now=now,
                                            previous_status=previous_status)
            record(actor=actor, action="referral.cancel", obj=referral,
                   details={"cause": "session_cancelled"})
        return changed

    changed = 0
    for booking in db.session.scalars(
        select(Booking).where(Booking.sitting_id == sitting.id,
                              Booking.status == BookingStatus.CONFIRMED)
    ):
        _check_length(Interval(sitting.starts_at, sitting.ends_at))
        booking.starts_at, booking.ends_at = sitting.starts_at, sitting.ends_at
        booking.sequence += 1
        booking.updated_at = now
        try:
            db.session.flush()
        except IntegrityError:
            # The new time overlaps another booking of this expert (PostgreSQL constraint).
            raise Conflict(_("The expert booked on this session has another booking at "
                                  "the new time; resolve that booking first.")) from None
        exclusion = exclusion_of(referral=booking.referral, expert_id=booking.expert_id,
                                 ignore_own_booking=True)
        booking.conflict = exclusion.rule if exclusion is not None else None
        db.session.flush()
        record(actor=actor, action="booking.follow_session", obj=booking,
               details={"conflict": booking.conflict})
        signals.booking_changed.send(booking, now=now, actor=actor)
        changed += 1
    return changed


def ended_booking_ids(*, now: datetime) -> list[int]:
    """Confirmed bookings whose session has ended."""
    return list(db.session.scalars(
        select(Booking.id).where(Booking.status == BookingStatus.CONFIRMED,
                                 Booking.ends_at <= now).order_by(Booking.id)))


def complete_booking(*, booking_id: int, now: datetime) -> bool:
    """A confirmed booking whose session has ended becomes completed, and so does its
    request (`completed_at`, which starts the retention period); False if it changed."""
    if not _cas(Booking, booking_id, expected=(BookingStatus.CONFIRMED,),
                values={"status": BookingStatus.COMPLETED, "updated_at": now},
                extra=(Booking.ends_at <= now,)):
        return False
    booking = db.session.get(Booking, booking_id)
    _refresh(booking)
    _cas(Referral, booking.referral_id, expected=(ReferralStatus.BOOKED,),
         values={"status": ReferralStatus.COMPLETED, "completed_at": now, "updated_at": now})
    _refresh(booking.referral)
    record(actor=None, action="booking.complete", obj=booking)
    return True


def overdue_referral_ids(*, now: datetime) -> list[int]:
    """Requests still submitted or offered when their session starts, or after the last
    day of their window."""
    today = to_local(now).date()
    return list(db.session.scalars(
        select(Referral.id)
        .outerjoin(Sitting, Sitting.id == Referral.sitting_id)
        .where(Referral.status.in_(OPEN_STATUSES),
               or_(Sitting.starts_at <= now,
                   (Referral.sitting_id.is_(None)) & (Referral.window_end < today)))
        .order_by(Referral.id)))


def mark_unfilled(*, referral_id: int, now: datetime) -> bool:
    """An overdue request becomes unfilled and its open offers are withdrawn; False if it
    was taken or cancelled meanwhile."""
    if not _cas(Referral, referral_id, expected=OPEN_STATUSES,
                values={"status": ReferralStatus.UNFILLED, "updated_at": now}):
        return False
    referral = db.session.get(Referral, referral_id)
    _refresh(referral)
    release_referral(actor=None, referral=referral,
                     reason=_("No expert accepted before the session."), now=now)
    record(actor=None, action="referral.unfilled", obj=referral)
    signals.referral_unfilled.send(referral, now=now)
    return True


def close_past(*, now: datetime | None = None) -> int:
    """Requests whose time has passed leave the open lists (one unit of work); returns how
    many were closed. The scheduler's job closes them one unit of work each."""
    now = now or utcnow()
    completed = sum(complete_booking(booking_id=booking_id, now=now)
                    for booking_id in ended_booking_ids(now=now))
    return completed + sum(mark_unfilled(referral_id=referral_id, now=now)
                           for referral_id in overdue_referral_ids(now=now))


# --- urgent requests: the expert on duty first, then down the ranking -----------------------

def _back_to_inbox(referral: Referral, *, now: datetime) -> None:
    if _cas(Referral, referral.id, expected=(ReferralStatus.OFFERED,),
            values={"status": ReferralStatus.SUBMITTED, "updated_at": now}):
        _refresh(referral)
        record(actor=None, action="referral.back_to_inbox", obj=referral)


def _alert_coordinators(referral: Referral, *, reason: str, now: datetime) -> None:
    """Nobody is left to offer an urgent request to automatically: back to the inbox, and
    the coordinators are told by e-mail (mail)."""
    _back_to_inbox(referral, now=now)
    offers = db.session.scalar(select(func.count()).select_from(Offer)
                               .where(Offer.referral_id == referral.id))
    record(actor=None, action="referral.urgent_alert", obj=referral,
           details={"reason": reason, "offers": offers})
    signals.urgent_unanswered.send(referral, now=now, reason=reason, offers=offers)


def escalate(referral: Referral, *, now: datetime, prefer: int | None = None) -> Offer | None:
    """Offer an urgent request to the best ranked candidate not asked before (`prefer`,
    the expert on duty, first when they are a candidate), with the urgent answer deadline;
    the ranking's hard rules keep out anyone unavailable. With nobody left, or when the
    offer would exceed the budget (which needs the coordinator's reason), the coordinators
    are alerted instead. Returns the offer sent, or None."""
    _refresh(referral)
    if referral.status not in OPEN_STATUSES or referral.sitting is None:
        return None
    if referral.sitting.starts_at <= now or referral.sitting.status == SittingStatus.CANCELLED:
        return None
    asked = set(db.session.scalars(select(Offer.expert_id)
                                   .where(Offer.referral_id == referral.id)))
    ranking = rank_request(referral=referral, now=now)
    ranked = [c.expert_id for c in ranking.candidates if c.expert_id not in asked]
    on_duty = prefer is not None and prefer in ranked
    if on_duty:
        ranked.remove(prefer)
        ranked.insert(0, prefer)
    if not ranked:
        _alert_coordinators(referral, reason="exhausted" if asked else "no_candidate", now=now)
        return None
    expert_id = ranked[0]
    try:
        overrides = signals.ask(signals.offers_proposed, referral, actor=None,
                                expert_ids=[expert_id], starts_at=None, override_reason=None,
                                now=now)
    except DomainError:
        # Over budget: only the coordinator may decide to go ahead (with a reason).
        _alert_coordinators(referral, reason="over_budget", now=now)
        return None
    position = db.session.scalar(select(func.max(Offer.queue_position))
                                 .where(Offer.referral_id == referral.id)) or 0
    # Made by no one in person: the request's own filer stands for its creator.
    offer = Offer(referral_id=referral.id, expert_id=expert_id, status=OfferStatus.QUEUED,
                  queue_position=position + 1, budget_override_reason=overrides[expert_id],
                  created_by_id=referral.created_by_id)
    db.session.add(offer)
    db.session.flush()
    _send(offer, now=now)
    if not _cas(Referral, referral.id, expected=OPEN_STATUSES,
                values={"status": ReferralStatus.OFFERED, "updated_at": now}):
        raise Conflict(_("This request is no longer open."))
    _refresh(referral)
    record(actor=None, action="offer.urgent", obj=offer,
           details={"request_id": referral.id, "expert_id": expert_id, "on_duty": on_duty,
                    "duty_expert_id": prefer, "answer_hours": referral.urgent_answer_hours,
                    "expires_at": offer.expires_at.isoformat()})
    return offer


def offer_urgent(referral: Referral, *, now: datetime) -> Offer | None:
    """A newly filed urgent request goes to the expert on duty first (when they have the
    expertise and are available), else to the best ranked candidate."""
    if not referral.is_urgent or referral.sitting is None:
        return None
    duty = on_duty(now)
    offer = escalate(referral, now=now, prefer=duty)
    if duty is not None and offer is not None and offer.expert_id != duty:
        record(actor=None, action="offer.duty_skipped", obj=referral,
               details={"duty_expert_id": duty})
    return offer


def due_urgent_offer_ids(*, now: datetime) -> list[int]:
    """Pending offers of urgent requests past their answer deadline, soonest first."""
    return list(db.session.scalars(
        select(Offer.id).join(Referral, Referral.id == Offer.referral_id)
        .where(Offer.status == OfferStatus.PENDING, Offer.expires_at <= now,
               Referral.urgent_answer_hours.is_not(None))
        .order_by(Offer.expires_at, Offer.id)))


# --- reactions to lower packages (duidingspool.signals) -------------------------------------

@signals.referrals_purged.connect
def _erase_free_text(_sender, *, ids: list[int], **_kwargs) -> None:
    """The retention purge erased these requests: their decline and cancel reasons go too."""
    db.session.execute(update(Offer).where(Offer.referral_id.in_(ids),
                                           Offer.decline_reason.is_not(None))
                       .values(decline_reason=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Booking).where(Booking.referral_id.in_(ids),
                                             Booking.cancel_reason.is_not(None))
                       .values(cancel_reason=None)
                       .execution_options(synchronize_session=False))


@signals.referral_cancelled.connect
def _release_cancelled_referral(referral: Referral, *, actor: User | None, reason: str,
                                now: datetime | None = None, **_kwargs) -> None:
    release_referral(actor=actor, referral=referral, reason=reason, now=now)


@signals.sitting_changed.connect
def _follow_changed_sitting(sitting: Sitting, *, actor: User | None,
                            now: datetime | None = None, **_kwargs) -> None:
    follow_sitting(actor=actor, sitting=sitting, now=now)


@signals.expert_scope_wanted.connect
def _requests_the_expert_needs(user: User, *, now: datetime, **_kwargs):
    own = user.expert if user.has_role(Role.EXPERT) else None
    return need_to_know(own.id, now=now) if own is not None else false()

"""Reminders to experts: of an offer whose answer deadline is near, before a booked session,
and to log hours after it.

Each reminder is one outbox message whose `dedupe_key` names the occasion, so running a
job twice, or two runs at once, queues it once: the unique key is the claim. An offer is
reminded of once; the key of a session reminder holds the session's start, so a moved
session gets a new reminder; the key of an hours reminder holds the week since the session,
so it comes at most once a week. No case details go into these mails: case table, time,
place, reference and a link only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import exists, select

from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine, HourStatus
from duidingspool.ical.services import event_for_booking
from duidingspool.mail.models import OutboxMessage
from duidingspool.mail.services import case_url, offer_key, queue_offer_mail, queue_once
from duidingspool.timeutil import to_local
from duidingspool.urls import public_url

# Hours that count as logged: the expert has handed them in.
_LOGGED = (HourStatus.SUBMITTED, HourStatus.APPROVED)
_HOURS_REMINDED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
_WEEK = timedelta(weeks=1)


def session_reminder_key(booking: Booking) -> str:
    """The outbox key of the reminder for the booking's current start time."""
    return f"reminder:booking:{booking.id}:{booking.starts_at.isoformat()}"


def hours_reminder_key(booking: Booking, week: int) -> str:
    """The outbox key of the `week`-th (0, 1, ...) reminder to log hours for the booking."""
    return f"hours-reminder:booking:{booking.id}:week-{week}"


def _queued(key: str) -> bool:
    return db.session.scalar(select(exists().where(OutboxMessage.dedupe_key == key)))


def _queue_once(*, key: str, booking: Booking, template: str, subject, now: datetime,
                **context) -> bool:
    """Queue the expert's message under `key` unless it is there; True if this call queued it."""
    if _queued(key):
        return False
    user = booking.expert.user
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    event = event_for_booking(booking, for_expert=True, locale=locale)
    referral = booking.referral
    with force_locale(locale):
        values = {"reference": referral.reference, "case_table": referral.case_table.name,
                  "when": to_local(booking.starts_at).strftime("%d-%m-%Y %H:%M")}
        subject_text = subject(values)
        body = current_app.jinja_env.get_template(template).render(
            event=event, reference=referral.reference, case_table=referral.case_table.name,
            starts_at=to_local(booking.starts_at), ends_at=to_local(booking.ends_at), **context)
    # The unique key is the claim: a concurrent run that queued it first wins.
    return queue_once(to_address=user.email, subject=subject_text, body_text=body,
                      booking_id=booking.id, dedupe_key=key, now=now)


def _offer_ahead() -> timedelta:
    return timedelta(hours=float(current_app.config.get("OFFER_REMINDER_BEFORE_HOURS", 12)))


def offer_reminder_ids(*, now: datetime) -> list[int]:
    """Offers waiting for an answer whose deadline lies within OFFER_REMINDER_BEFORE_HOURS,
    soonest first; only those sent before that time began (an offer sent later was just
    mailed, so a reminder would only repeat it)."""
    ahead = _offer_ahead()
    rows = db.session.execute(
        select(Offer.id, Offer.offered_at, Offer.expires_at)
        .where(Offer.status == OfferStatus.PENDING, Offer.expires_at > now,
               Offer.expires_at <= now + ahead)
        .order_by(Offer.expires_at, Offer.id)).all()
    return [offer_id for offer_id, offered_at, expires_at in rows
            if offered_at is None or expires_at - offered_at > ahead]


def remind_offer(*, offer_id: int, now: datetime) -> bool:
    """Queue the expert's one reminder of an unanswered offer; True if this call queued it."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.status != OfferStatus.PENDING or offer.expires_at <= now:
        return False
    if _queued(offer_key(offer, reminder=True)):
        return False
    # The unique key is the claim: a concurrent run that queued it first wins.
    return queue_offer_mail(offer=offer, now=now, reminder=True)


def queue_offer_reminders(*, now: datetime | None = None) -> int:
    """Queue every due offer reminder (one unit of work); how many this call queued.
    The scheduler's job queues them one unit of work each (`remind_offer`)."""
    now = now or utcnow()
    return sum(remind_offer(offer_id=offer_id, now=now)
               for offer_id in offer_reminder_ids(now=now))


def session_reminder_ids(*, now: datetime) -> list[int]:
    """Confirmed bookings whose session starts within REMINDER_BEFORE_HOURS."""
    ahead = timedelta(hours=float(current_app.config.get("REMINDER_BEFORE_HOURS", 24)))
    return list(db.session.scalars(
        select(Booking.id).where(Booking.status == BookingStatus.CONFIRMED,
                                 Booking.starts_at > now, Booking.starts_at <= now + ahead)
        .order_by(Booking.starts_at, Booking.id)))


def remind_session(*, booking_id: int, now: datetime) -> bool:
    """Queue the expert's reminder of a booked session once; True if this call queued it."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        return False
    return _queue_once(
        key=session_reminder_key(booking), booking=booking,
        template="mail/session_reminder.txt",
        subject=lambda v: gettext("Reminder: %(reference)s, %(case_table)s, %(when)s", **v),
        now=now, case_url=case_url(booking.referral))


def queue_session_reminders(*, now: datetime | None = None) -> int:
    """Queue every due session reminder (one unit of work); how many this call queued.
    The scheduler's job queues them one unit of work each (`remind_session`)."""
    now = now or utcnow()
    return sum(remind_session(booking_id=booking_id, now=now)
               for booking_id in session_reminder_ids(now=now))


def _hours_delay() -> timedelta:
    return timedelta(hours=float(current_app.config.get("HOURS_REMINDER_DELAY_HOURS", 12)))


def hours_reminder_ids(*, now: datetime) -> list[int]:
    """Bookings whose session ended without submitted hours, HOURS_REMINDER_DELAY_HOURS
    ago or longer, but less than HOURS_REMINDER_MAX_WEEKS weeks after that."""
    delay = _hours_delay()
    max_weeks = int(current_app.config.get("HOURS_REMINDER_MAX_WEEKS", 8))
    logged = exists().where(HourLine.booking_id == Booking.id, HourLine.status.in_(_LOGGED))
    return list(db.session.scalars(
        select(Booking.id).where(Booking.status.in_(_HOURS_REMINDED),
                                 Booking.ends_at <= now - delay,
                                 Booking.ends_at > now - delay - max_weeks * _WEEK,
                                 ~logged)
        .order_by(Booking.ends_at, Booking.id)))


def remind_hours(*, booking_id: int, now: datetime) -> bool:
    """Queue this week's reminder to log the booking's hours once; True if this call did."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return False
    # Weeks since the first reminder was due: a new key (and so a new mail) comes only
    # every seven days, however often the job runs.
    number = (now - booking.ends_at - _hours_delay()) // _WEEK
    return _queue_once(
        key=hours_reminder_key(booking, number), booking=booking,
        template="mail/hours_reminder.txt",
        subject=lambda v: gettext("Log your hours: %(reference)s, %(case_table)s, %(when)s", **v),
        now=now,
        hours_url=public_url("hours.booking_hours", booking_id=booking.id))


def queue_hours_reminders(*, now: datetime | None = None) -> int:
    """Queue every due reminder to log hours (one unit of work); how many this call queued.
    The scheduler's job queues them one unit of work each (`remind_hours`)."""
    now = now or utcnow()
    return sum(remind_hours(booking_id=booking_id, now=now)
               for booking_id in hours_reminder_ids(now=now))

"""E-mail about results: the requester is asked to evaluate a session held; the expert hears
of a complaint about their booking and both hear its outcome; the coordinators are alerted
to a complaint without a decision. No case details and no complaint text in these mails:
reference, case table, date, the kind of complaint and a link only.

Each message has a dedupe key naming its occasion, so a job run twice queues it once.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select

from duidingspool import signals
from duidingspool.accounts.models import Role, User, UserRole
from duidingspool.bookings.models import Booking
from duidingspool.extensions import db
from duidingspool.mail.services import queue_once
from duidingspool.results.models import Complaint, ComplaintStatus
from duidingspool.results.services import kind_labels
from duidingspool.timeutil import to_local
from duidingspool.urls import public_url


def _locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _send(user: User, *, key: str, subject: str, lines: list[str], url: str,
          booking: Booking, now: datetime | None) -> bool:
    body = "\n".join([*lines, "", url, "", "-- ", "Duidingspool", ""])
    return queue_once(to_address=user.email, subject=subject, body_text=body, dedupe_key=key,
                      booking_id=booking.id, now=now)


def _facts(booking: Booking) -> list[str]:
    return [f"{gettext('Request')}: {booking.referral.reference}",
            f"{gettext('Case table')}: {booking.referral.case_table.name}",
            f"{gettext('When')}: {to_local(booking.starts_at).strftime('%d-%m-%Y %H:%M')}"]


def ask_evaluation(booking_id: int, *, now: datetime) -> bool:
    """Ask the requester who filed the request to evaluate its session; once per booking."""
    booking = db.session.get(Booking, booking_id)
    requester = booking.referral.created_by
    if not requester.is_enabled:
        return False
    with force_locale(_locale(requester)):
        return _send(
            requester, key=f"evaluation:booking:{booking.id}", booking=booking, now=now,
            subject=gettext("How did the session of %(reference)s go?",
                            reference=booking.referral.reference),
            lines=[gettext("The session with an interpretation specialist has taken place. "
                           "Please tell us in a minute whether it was useful: your answers "
                           "help the pool account for its results."), "", *_facts(booking)],
            url=public_url("results.evaluate", booking_id=booking.id))


def _kind(complaint: Complaint) -> str:
    return kind_labels()[complaint.kind]


@signals.complaint_filed.connect
def _tell_expert(complaint: Complaint, *, now: datetime | None = None, **_kwargs) -> None:
    booking = complaint.booking
    expert = booking.expert.user
    with force_locale(_locale(expert)):
        _send(expert, key=f"complaint:{complaint.id}:filed", booking=booking, now=now,
              subject=gettext("A complaint about your booking %(reference)s",
                              reference=booking.referral.reference),
              lines=[gettext("A complaint has been filed about your booking (%(kind)s). You "
                             "may answer it; the coordinator decides.", kind=_kind(complaint)),
                     "", *_facts(booking)],
              url=public_url("results.complaint", complaint_id=complaint.id))


@signals.complaint_decided.connect
def _tell_outcome(complaint: Complaint, *, now: datetime | None = None, **_kwargs) -> None:
    booking = complaint.booking
    for who, user in (("requester", db.session.get(User, complaint.filed_by_id)),
                      ("expert", booking.expert.user)):
        with force_locale(_locale(user)):
            outcome = (gettext("upheld") if complaint.status == ComplaintStatus.UPHELD
                       else gettext("not upheld"))
            _send(user, key=f"complaint:{complaint.id}:decided:{who}", booking=booking, now=now,
                  subject=gettext("Decision on the complaint about %(reference)s",
                                  reference=booking.referral.reference),
                  lines=[gettext("The coordinator has decided the complaint (%(kind)s): "
                                 "%(outcome)s.", kind=_kind(complaint), outcome=outcome),
                         "", *_facts(booking)],
                  url=public_url("results.complaint", complaint_id=complaint.id))


@signals.complaint_flagged.connect
def _alert_coordinators(complaint: Complaint, *, now: datetime | None = None, **_kwargs) -> None:
    booking = complaint.booking
    coordinators = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.is_enabled.is_(True)).order_by(User.id))
    for user in coordinators:
        with force_locale(_locale(user)):
            _send(user, key=f"complaint:{complaint.id}:flagged:{user.id}", booking=booking,
                  now=now,
                  subject=gettext("A complaint about %(reference)s has no decision yet",
                                  reference=booking.referral.reference),
                  lines=[gettext("This complaint (%(kind)s) was filed %(days)s days ago and "
                                 "still waits for a decision.", kind=_kind(complaint),
                                 days=current_app.config["COMPLAINT_FLAG_DAYS"]),
                         "", *_facts(booking)],
                  url=public_url("results.complaint", complaint_id=complaint.id))

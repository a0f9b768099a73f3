"""The outbox: messages are queued in the caller's transaction and sent later.

Nothing is sent inside a web request: a change and its messages are committed together
(or not at all), and `sending` (the background job) delivers them through SMTP when
SMTP_HOST is set. Without SMTP_HOST messages stay queued, readable by the coordinator and
by tests. An SMTP failure keeps the message queued with a later retry time; only after
MAIL_MAX_ATTEMPTS failures is it marked failed.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formataddr, format_datetime, make_msgid

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from sqlalchemy import or_, select

from duidingspool.accounts.models import Role, User, UserRole
from duidingspool.bookings.models import Booking, BookingStatus, DateStatus, Offer, StandingSeries
from duidingspool.casetables.models import SittingStatus
from duidingspool.db import insert_once, utcnow
from duidingspool.errors import NotFound
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.ical import builder
from duidingspool.ical.services import event_for_booking, place_of
from duidingspool.mail.models import MailStatus, OutboxMessage
from duidingspool.referrals.models import Referral, ReferralStatus
from duidingspool.referrals.services import by_requester
from duidingspool.timeutil import to_local
from duidingspool.urls import public_url

# Minutes to wait after the 1st, 2nd, 3rd ... failure; the last value repeats.
DEFAULT_RETRY_MINUTES = (1, 5, 30, 60)
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def queue(*, to_address: str, subject: str, body_text: str, ics: str | None = None,
          ics_method: str | None = None, booking_id: int | None = None,
          dedupe_key: str | None = None, sensitive: bool = False,
          now: datetime | None = None) -> OutboxMessage:
    """Put a message in the outbox (flushed, not committed); queued once per `dedupe_key`.
    A `sensitive` message's text (a single-use link) is never shown in the outbox and is
    blanked once sent."""
    now = now or utcnow()
    if dedupe_key is not None:
        existing = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    message = OutboxMessage(to_address=to_address, subject=one_line(subject)[:250],
                            body_text=body_text,
                            ics=ics, ics_method=ics_method, booking_id=booking_id,
                            dedupe_key=dedupe_key, status=MailStatus.QUEUED, attempts=0,
                            sensitive=sensitive, created_at=now, next_attempt_at=now)
    db.session.add(message)
    db.session.flush()
    return message


def one_line(text: str) -> str:
    """`text` on one line: line breaks and other control characters become single spaces
    (a subject is an e-mail header, which cannot hold them; names stored before they were
    refused may still carry one)."""
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch
                            for ch in text).split())


def queue_once(*, to_address: str, subject: str, body_text: str, dedupe_key: str,
               booking_id: int | None = None, now: datetime | None = None) -> bool:
    """Put a message in the outbox unless one with `dedupe_key` exists; True if this call did.

    INSERT ... ON CONFLICT DO NOTHING: of two concurrent callers exactly one inserts (the
    other waits for its commit on PostgreSQL, or for the write lock on SQLite) and neither
    fails, so no savepoint is needed around it.
    """
    now = now or utcnow()
    inserted = insert_once(db.session, OutboxMessage, unique=["dedupe_key"], values=dict(
        to_address=to_address, subject=one_line(subject)[:250], body_text=body_text,
        booking_id=booking_id, dedupe_key=dedupe_key, status=MailStatus.QUEUED,
        attempts=0, created_at=now, next_attempt_at=now))
    return inserted is not None


# --- invitations ------------------------------------------------------------------------------

def _key(*parts) -> str:
    digest = hashlib.sha256(parts[-1].lower().encode()).hexdigest()[:24]
    return ":".join([*map(str, parts[:-1]), digest])


def _recipients(booking: Booking) -> list[tuple[str, str | None, str | None, bool]]:
    """(address, name, locale, is_expert) of everyone who gets the booking's invitations."""
    user = booking.expert.user
    people = [(user.email, user.name, user.locale, True)]
    contact = booking.referral.case_table.contact_email
    if contact and contact.lower() != user.email.lower():
        people.append((contact, booking.referral.case_table.name, None, False))
    return people


def queue_invitations(*, booking: Booking, now: datetime | None = None) -> list[OutboxMessage]:
    """Queue the iTIP e-mail for the booking's current state to the expert and the case
    table contact: METHOD:CANCEL for a cancelled booking, METHOD:REQUEST otherwise (a new
    booking, or a change with a higher SEQUENCE). Same UID and SEQUENCE as the feeds."""
    now = now or utcnow()
    method = CANCEL if booking.status == BookingStatus.CANCELLED else REQUEST
    config = current_app.config
    default_locale = config["BABEL_DEFAULT_LOCALE"]
    messages = []
    for address, name, locale, is_expert in _recipients(booking):
        locale = locale or default_locale
        event = event_for_booking(booking, for_expert=is_expert, locale=locale)
        calendar = builder.build_itip(
            event, method=method, organizer_email=config["MAIL_FROM"],
            organizer_name="Duidingspool",
            attendees=[builder.Attendee(email=address, name=name, accepted=is_expert)], now=now)
        with force_locale(locale):
            subject = _subject(method, booking, event)
            # Not render_template: no request (and so no page context) is needed here.
            body = current_app.jinja_env.get_template("mail/invitation.txt").render(
                method=method, event=event, starts_at=to_local(event.starts_at),
                ends_at=to_local(event.ends_at), first=booking.sequence == 0,
                is_expert=is_expert, expert_name=booking.expert.user.name,
                # The expert reads the question and case code there while booked.
                case_url=case_url(booking.referral)
                if is_expert and method == REQUEST else None)
        messages.append(queue(
            to_address=address, subject=subject, body_text=body,
            ics=calendar.to_ical().decode(), ics_method=method, booking_id=booking.id,
            dedupe_key=_key("itip", booking.calendar_uid, booking.sequence, method, address),
            now=now))
    return messages


def _subject(method: str, booking: Booking, event: builder.FeedEvent) -> str:
    reference = booking.referral.reference
    table = booking.referral.case_table.name
    when = to_local(event.starts_at).strftime("%d-%m-%Y %H:%M")
    if method == CANCEL:
        return gettext("Cancelled: %(reference)s, %(case_table)s, %(when)s",
                       reference=reference, case_table=table, when=when)
    if booking.sequence == 0:
        return gettext("Booked: %(reference)s, %(case_table)s, %(when)s",
                       reference=reference, case_table=table, when=when)
    return gettext("Changed: %(reference)s, %(case_table)s, %(when)s",
                   reference=reference, case_table=table, when=when)


# --- account links -----------------------------------------------------------------------------

_LINK_MAILS = {"invite": "mail/account_invitation.txt", "reset": "mail/password_reset.txt"}
# What a sensitive message's text becomes once it has been sent (or given up on).
BLANKED_TEXT = "-"


@signals.account_link_issued.connect
def _mail_account_link(user, *, purpose: str, token: str, expires_at: datetime,
                       **_kwargs) -> OutboxMessage:
    """Queue the invitation or forgotten-password e-mail with its single-use link, in the
    user's language, marked sensitive: the outbox pages never show its text."""
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = (gettext("Welcome to Duidingspool: choose your password")
                   if purpose == "invite" else gettext("Duidingspool: choose a new password"))
        body = current_app.jinja_env.get_template(_LINK_MAILS[purpose]).render(
            name=user.name, email=user.email, url=public_url("accounts.open_link", token=token),
            forgot_url=public_url("accounts.forgot_password"),
            until=to_local(expires_at).strftime("%d-%m-%Y %H:%M"),
            two_factor=user.requires_two_factor)
    return queue(to_address=user.email, subject=subject, body_text=body, sensitive=True)


def _blank_if_sensitive(message: OutboxMessage) -> None:
    """A sent (or abandoned) message's single-use link leaves the database."""
    if message.sensitive:
        message.body_text = BLANKED_TEXT


def case_url(referral: Referral) -> str:
    """The request's page: its question and case code, for an expert while it is offered to
    them or booked for them (e-mails never carry them)."""
    return public_url("referrals.detail", referral_id=referral.id)


def _render(template: str, **context) -> str:
    # Not render_template: no request (and so no page context) is needed here.
    return current_app.jinja_env.get_template(template).render(**context)


def _locale_of(user: User | None) -> str:
    return (user.locale if user is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _place(referral: Referral) -> str:
    sitting = referral.sitting
    where = place_of(mode=referral.mode, sitting_location=sitting.location if sitting else None,
                     sitting_online=sitting.is_online if sitting else None,
                     address=referral.case_table.address)
    return gettext("Online") if where == "Online" else where  # place_of speaks to feeds


def _areas(referral: Referral, locale: str) -> str:
    items = sorted(referral.expertise, key=lambda item: item.area.name_nl)
    return ", ".join(gettext("%(area)s (level %(level)s)", area=item.area.display_name(locale),
                             level=item.min_level) for item in items)


def _short(value: datetime) -> str:
    return to_local(value).strftime("%d-%m-%Y %H:%M")


# --- offers to experts ------------------------------------------------------------------------

def offer_key(offer: Offer, *, reminder: bool = False) -> str:
    """The outbox key of an offer's e-mail, or of its one reminder."""
    return f"offer-reminder:offer:{offer.id}" if reminder else f"offer:{offer.id}"


def queue_offer_mail(*, offer: Offer, now: datetime | None = None,
                     reminder: bool = False) -> bool:
    """Queue, once, the e-mail that asks the expert to answer `offer` (or the reminder that
    its deadline is near): case table, time, place, expertise asked, estimated hours, the
    deadline and links; never the question or case code. True if this call queued it."""
    now = now or utcnow()
    user = offer.expert.user
    locale = _locale_of(user)
    referral = offer.referral
    sitting = referral.sitting
    starts_at = sitting.starts_at if sitting is not None else offer.starts_at
    ends_at = sitting.ends_at if sitting is not None else offer.ends_at
    with force_locale(locale):
        values = {"reference": referral.reference, "case_table": referral.case_table.name,
                  "when": _short(starts_at), "deadline": _short(offer.expires_at)}
        subject = (gettext("Please answer before %(deadline)s: %(reference)s, %(case_table)s, "
                           "%(when)s", **values) if reminder else
                   gettext("Offer: %(reference)s, %(case_table)s, %(when)s", **values))
        body = _render("mail/offer.txt", reminder=reminder, case_table=referral.case_table.name,
                       starts_at=starts_at, ends_at=ends_at, place=_place(referral),
                       areas=_areas(referral, locale), minutes=referral.estimated_minutes,
                       expires_at=offer.expires_at,
                       offer_url=public_url("bookings.my_offers") + f"#offer-{offer.id}",
                       case_url=case_url(referral))
    return queue_once(to_address=user.email, subject=subject, body_text=body,
                      dedupe_key=offer_key(offer, reminder=reminder), now=now)


def queue_standing_offer_mail(*, series: StandingSeries, now: datetime | None = None) -> bool:
    """Queue, once, the e-mail that asks the expert to answer a standing series: the case
    table, the period and its sessions, the place, the hours per session, the deadline and
    the link to answer; no case details. True if this call queued it."""
    now = now or utcnow()
    user = series.expert.user
    table = series.case_table
    sessions = [item.starts_at for item in series.dates if item.status == DateStatus.OFFERED]
    with force_locale(_locale_of(user)):
        subject = gettext("Standing specialist offer: %(case_table)s, %(first)s to %(last)s",
                          case_table=table.name, first=series.starts_on.strftime("%d-%m-%Y"),
                          last=series.ends_on.strftime("%d-%m-%Y"))
        body = _render("mail/standing_offer.txt", case_table=table.name,
                       starts_on=series.starts_on, ends_on=series.ends_on, sessions=sessions,
                       place=gettext("Online") if series.mode == "online" else table.address,
                       minutes=series.estimated_minutes, expires_at=series.expires_at,
                       offer_url=public_url("bookings.standing_offer", series_id=series.id))
    return queue_once(to_address=user.email, subject=subject, body_text=body,
                      dedupe_key=f"standing-offer:{series.id}", now=now)


# --- telling the requester --------------------------------------------------------------------

BOOKED, MOVED, BOOKING_CANCELLED = "booked", "moved", "booking_cancelled"
CANCELLED, UNFILLED = "cancelled", "unfilled"


def _notice_recipients(referral: Referral, *, contact_informed: bool
                       ) -> list[tuple[str, str]]:
    """(address, locale) of the requester (while their account is enabled) and the case
    table's contact address; without the contact when the same change already sent it the
    calendar invitation or cancellation, which says as much (one e-mail per change)."""
    requester = referral.created_by
    contact = referral.case_table.contact_email
    people: dict[str, str] = {}
    if requester.is_enabled:
        people[requester.email.lower()] = _locale_of(requester)
    if contact:
        people.setdefault(contact.lower(), _locale_of(None))
    if contact_informed and contact:
        people.pop(contact.lower(), None)
    return list(people.items())


def queue_request_notice(*, referral: Referral, kind: str, booking: Booking | None = None,
                         contact_informed: bool = False,
                         now: datetime | None = None) -> list[str]:
    """Tell the requester (and the case table's contact) that their request was booked,
    moved, had its booking cancelled by the pool, was cancelled by the pool, or became
    unfilled; once per change and address. No question text or case code. Returns the
    addresses this call queued a message for."""
    now = now or utcnow()
    sitting = referral.sitting
    if booking is not None:
        starts_at, ends_at = booking.starts_at, booking.ends_at
    elif sitting is not None:
        starts_at, ends_at = sitting.starts_at, sitting.ends_at
    else:
        starts_at = ends_at = None
    queued = []
    for address, locale in _notice_recipients(referral, contact_informed=contact_informed):
        with force_locale(locale):
            when = (_short(starts_at) if starts_at is not None
                    else referral.window_start.strftime("%d-%m-%Y"))
            subject = _notice_subject(kind, reference=referral.reference,
                                      case_table=referral.case_table.name, when=when)
            body = _render(
                "mail/request_notice.txt", kind=kind, reference=referral.reference,
                case_table=referral.case_table.name, starts_at=starts_at, ends_at=ends_at,
                window_start=referral.window_start, window_end=referral.window_end,
                place=_place(referral) if kind in (BOOKED, MOVED) else None,
                expert=booking.expert.user.name if booking is not None else None,
                session_cancelled=sitting is not None
                and sitting.status == SittingStatus.CANCELLED,
                url=public_url("referrals.detail", referral_id=referral.id))
        key = (_key("notice", kind, booking.calendar_uid, booking.sequence, address)
               if booking is not None else _key("notice", kind, referral.id, address))
        if queue_once(to_address=address, subject=subject, body_text=body, dedupe_key=key,
                      booking_id=booking.id if booking is not None else None, now=now):
            queued.append(address)
    return queued


def _notice_subject(kind: str, **values) -> str:
    if kind == BOOKED:
        return gettext("Booked: %(reference)s, %(case_table)s, %(when)s", **values)
    if kind == MOVED:
        return gettext("Changed: %(reference)s, %(case_table)s, %(when)s", **values)
    if kind == BOOKING_CANCELLED:
        return gettext("Booking cancelled: %(reference)s, %(case_table)s, %(when)s", **values)
    if kind == CANCELLED:
        return gettext("Cancelled: %(reference)s, %(case_table)s, %(when)s", **values)
    return gettext("Not filled: %(reference)s, %(case_table)s, %(when)s", **values)


def booking_notice(booking: Booking, *, actor: User | None) -> str | None:
    """What the requester hears of a booking's change: booked, moved, or (when the pool
    cancelled it and the request is open again) booking cancelled. A booking cancelled with
    its request is told as the request's cancellation; one the requester's municipality
    cancelled itself is not told back to it."""
    referral = booking.referral
    if booking.status == BookingStatus.CONFIRMED:
        return BOOKED if booking.sequence == 0 else MOVED
    if (booking.status == BookingStatus.CANCELLED and referral.is_open
            and not by_requester(actor, referral)):
        return BOOKING_CANCELLED
    return None


# --- sending ----------------------------------------------------------------------------------

def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure (1, 5, 30 minutes, then hourly)."""
    steps = current_app.config.get("MAIL_RETRY_MINUTES") or DEFAULT_RETRY_MINUTES
    return timedelta(minutes=steps[min(attempts, len(steps)) - 1])


def to_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The MIME message: plain text, with the iTIP calendar as text/calendar alternative."""
    email = EmailMessage()
    email["From"] = formataddr(("Duidingspool", sender))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.body_text)
    if message.ics:
        email.add_alternative(message.ics, subtype="calendar",
                              params={"method": message.ics_method})
        email.add_attachment(message.ics.encode(), maintype="application", subtype="ics",
                             filename="invite.ics")
    return email


def _connect(smtp_factory):
    config = current_app.config
    smtp = smtp_factory(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                        timeout=int(config.get("SMTP_TIMEOUT_SECONDS", 20)))
    if config.get("SMTP_STARTTLS") and str(config["SMTP_STARTTLS"]).lower() not in ("0", "false"):
        smtp.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USERNAME"):
        smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    return smtp


def _failed(message: OutboxMessage, error: Exception, now: datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if message.attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 10)):
        message.status = MailStatus.FAILED
        message.next_attempt_at = None
        _blank_if_sensitive(message)
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)


def _unbuildable(message: OutboxMessage, error: Exception, now: datetime) -> None:
    message.attempts += 1
    message.last_error = f"cannot be built: {type(error).__name__}"[:500]
    message.status = MailStatus.FAILED
    message.next_attempt_at = None
    _blank_if_sensitive(message)


def send_due(*, now: datetime | None = None, smtp_factory=None) -> tuple[int, int]:
    """Send queued messages whose time has come, in one unit of work; returns (sent, failed
    attempts). The scheduler's job commits after each message instead (`sending`)."""
    outcomes = list(sending(now=now, smtp_factory=smtp_factory))
    return outcomes.count(True), outcomes.count(False)


def sending(*, now: datetime | None = None, smtp_factory=None) -> Iterator[bool]:
    """Send queued messages whose time has come, yielding after each message's outcome
    (True sent, False a failed attempt, retried later): the caller may commit there, so a
    crash after a send repeats at most that one message. Without SMTP_HOST nothing is sent.
    """
    now = now or utcnow()
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return
    due = list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.QUEUED,
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id).limit(int(config.get("MAIL_BATCH_SIZE", 100)))))
    if not due:
        return
    try:
        smtp = _connect(smtp_factory or smtplib.SMTP)
    except (smtplib.SMTPException, OSError) as exc:
        for message in due:
            _failed(message, exc, now)
        db.session.flush()
        yield from [False] * len(due)
        return
    try:
        for message in due:
            try:
                email = to_email(message, sender=config["MAIL_FROM"])
            except (ValueError, TypeError, UnicodeError, MessageError) as exc:
                # It can never be built (retrying will not help): failed at once, and the
                # messages after it still go out.
                _unbuildable(message, exc, now)
                db.session.flush()
                yield False
                continue
            try:
                refused = smtp.send_message(email)
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
            except (smtplib.SMTPException, OSError) as exc:
                _failed(message, exc, now)
                db.session.flush()
                yield False
                # SMTPException is an OSError too; a plain OSError means the socket failed.
                if (isinstance(exc, smtplib.SMTPServerDisconnected)
                        or not isinstance(exc, smtplib.SMTPException)):
                    break  # the connection is gone: the rest waits for the next run
            else:
                message.status = MailStatus.SENT
                message.sent_at = now
                message.attempts += 1
                message.next_attempt_at = None
                message.last_error = None
                _blank_if_sensitive(message)
                db.session.flush()
                yield True
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


@signals.booking_changed.connect
def _invite_for_booking(booking: Booking, *, now: datetime | None = None,
                        actor: User | None = None, **_kwargs) -> None:
    queue_invitations(booking=booking, now=now)
    kind = booking_notice(booking, actor=actor)
    if kind is not None:
        # The case table's contact has just been sent the invitation or cancellation.
        queue_request_notice(referral=booking.referral, kind=kind, booking=booking,
                             contact_informed=True, now=now)


@signals.offer_sent.connect
def _ask_the_expert(offer: Offer, *, now: datetime | None = None, **_kwargs) -> None:
    queue_offer_mail(offer=offer, now=now)


@signals.standing_offer_sent.connect
def _ask_the_standing_expert(series: StandingSeries, *, now: datetime | None = None,
                             **_kwargs) -> None:
    queue_standing_offer_mail(series=series, now=now)


@signals.referral_cancelled.connect
def _tell_cancelled(referral: Referral, *, actor: User | None = None,
                    now: datetime | None = None, previous_status: str | None = None,
                    **_kwargs) -> None:
    if by_requester(actor, referral):
        return  # the requester's municipality cancelled it itself
    # A booked request's contact gets the calendar cancellation of its booking instead.
    queue_request_notice(referral=referral, kind=CANCELLED, now=now,
                         contact_informed=previous_status == ReferralStatus.BOOKED)


@signals.referral_unfilled.connect
def _tell_unfilled(referral: Referral, *, now: datetime | None = None, **_kwargs) -> None:
    queue_request_notice(referral=referral, kind=UNFILLED, now=now)


# --- urgent requests nobody took ---------------------------------------------------------------

def queue_urgent_alert(*, referral: Referral, reason: str, offers: int,
                       now: datetime | None = None) -> list[str]:
    """Alert every enabled coordinator that an urgent request has nobody left to be offered
    to automatically (everyone ranked was asked, nobody is eligible, or the next offer
    would exceed the budget); once per request, reason and number of offers. Reference,
    case table, time and a link only. Returns the addresses queued for."""
    now = now or utcnow()
    coordinators = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.is_enabled.is_(True))
        .order_by(User.id))
    queued = []
    for user in coordinators:
        with force_locale(_locale_of(user)):
            values = {"reference": referral.reference, "case_table": referral.case_table.name,
                      "when": _short(referral.sitting.starts_at)}
            subject = gettext("Urgent request unanswered: %(reference)s, %(case_table)s, "
                              "%(when)s", **values)
            body = _render("mail/urgent_alert.txt", reason=reason, offers=offers,
                           reference=referral.reference, case_table=referral.case_table.name,
                           starts_at=referral.sitting.starts_at,
                           ends_at=referral.sitting.ends_at,
                           url=public_url("referrals.detail", referral_id=referral.id))
        if queue_once(to_address=user.email, subject=subject, body_text=body,
                      dedupe_key=_key("urgent-alert", referral.id, reason, offers, user.email),
                      now=now):
            queued.append(user.email)
    return queued


@signals.urgent_unanswered.connect
def _alert_urgent(referral: Referral, *, now: datetime | None = None, reason: str,
                  offers: int, **_kwargs) -> None:
    queue_urgent_alert(referral=referral, reason=reason, offers=offers, now=now)


# --- reading the outbox -----------------------------------------------------------------------

def list_messages(*, page: int = 1, per_page: int = 50):
    """One page of the outbox, newest first (a Flask-SQLAlchemy pagination; a page past the
    last one is empty)."""
    return db.paginate(select(OutboxMessage).order_by(OutboxMessage.id.desc()),
                       page=max(page, 1), per_page=per_page, error_out=False)


def get_message(message_id: int) -> OutboxMessage:
    """One message, or NotFound."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("Message not found."))
    return message

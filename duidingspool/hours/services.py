"""Hour lines: the expert records, saves and submits them; the coordinator decides.

Cost of a line = minutes / 60 x the expert's hourly rate valid on the session's local date
+ kilometres x the km rate of the session year's budget, computed exactly in Decimal and
rounded to the cent once per line (half up). The amount is fixed when the line is
submitted and computed again when it is approved; an approved line never changes.

Every status change is a compare-and-swap (an UPDATE guarded by the expected status), so
two coordinators deciding the same line at once change it once.

Hours follow reality: lines are written (recorded, changed, submitted) only once the
booking's session has started. Cancelled bookings: an expert may still record and submit
preparation and travel on a booking that was cancelled, also before its session would have
started (work done before the cancellation still costs); attendance, written advice and
follow-up coaching are refused there, since the session did not take place with this
expert. The coordinator's approval remains the check.

Segregation of duties: nobody approves or rejects lines of which they are the expert, whatever
their roles (a coordinator or admin with an expert profile), one by one or in bulk.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, or_, select, update

from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.bookings.models import Booking, BookingStatus
from duidingspool.experts.services import hourly_rate_on
from duidingspool.db import to_money, utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.hours.models import HourCategory, HourLine, HourStatus
from duidingspool.privacy import check_privacy
from duidingspool.timeutil import to_local

EDITABLE = (HourStatus.DRAFT, HourStatus.REJECTED)
# Notes and reject reasons (the columns hold 500 characters).
MAX_TEXT_LENGTH = 500
ON_CANCELLED = (HourCategory.PREPARATION, HourCategory.TRAVEL)


def line_cost(*, booking: Booking, minutes: int, kilometres: Decimal | None) -> Decimal:
    """The cost of `minutes` and `kilometres` on `booking`, rounded to the cent once."""
    day = to_local(booking.starts_at).date()
    rate = hourly_rate_on(booking.expert_id, day)
    if rate is None:
        raise Conflict(_("The expert has no hourly rate valid on %(date)s; the "
                              "coordinator must add one first.", date=day.isoformat()))
    cost = Decimal(minutes) * rate / 60
    if kilometres:
        km_rate = signals.ask(signals.km_rate_wanted, day.year)
        if km_rate is None:
            raise Conflict(_("No kilometre rate is set for %(year)s; the coordinator "
                                  "must set up that year's budget first.", year=day.year))
        cost += Decimal(kilometres) * km_rate
    return to_money(cost)


def _own_booking(actor: User, booking: Booking) -> None:
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    if own is None or booking.expert_id != own.id:
        raise NotFound(_("Booking not found."))


def get_booking_for_hours(actor: User, booking_id: int) -> Booking:
    """A booking whose hours the actor may see: the coordinator all, an expert their own."""
    booking = db.session.get(Booking, booking_id)
    if booking is not None:
        if actor.has_role(Role.COORDINATOR):
            return booking
        own = actor.expert if actor.has_role(Role.EXPERT) else None
        if own is not None and booking.expert_id == own.id:
            return booking
    raise NotFound(_("Booking not found."))


def get_line_for(actor: User, line_id: int) -> HourLine:
    """An hour line the actor may see: the coordinator all, an expert their own."""
    line = db.session.get(HourLine, line_id)
    if line is not None:
        if actor.has_role(Role.COORDINATOR):
            return line
        own = actor.expert if actor.has_role(Role.EXPERT) else None
        if own is not None and line.booking.expert_id == own.id:
            return line
    raise NotFound(_("Hour line not found."))


def lines_of(booking: Booking) -> list[HourLine]:
    """The booking's hour lines in the order they were recorded."""
    return list(db.session.scalars(
        select(HourLine).where(HourLine.booking_id == booking.id).order_by(HourLine.id)))


def may_record(booking: Booking, *, now: datetime | None = None) -> bool:
    """Whether hours can be written on `booking` now: its session has started, or it was
    cancelled (preparation and travel done before that)."""
    return booking.status == BookingStatus.CANCELLED or booking.starts_at <= (now or utcnow())


def _check_started(booking: Booking, *, now: datetime | None) -> None:
    if not may_record(booking, now=now):
        start = to_local(booking.starts_at).strftime("%d-%m-%Y %H:%M")
        raise Conflict(_("Hours can be recorded once the session has started, from "
                         "%(start)s.", start=start))


def _check_category(booking: Booking, category: str) -> None:
    if category not in {c.value for c in HourCategory}:
        raise ValidationFailed(_("Choose a category."),
                               fields={"category": [_("Choose a category.")]})
    if booking.status == BookingStatus.CANCELLED and category not in ON_CANCELLED:
        message = _("This booking was cancelled: only preparation and travel can be "
                         "recorded on it.")
        raise ValidationFailed(message, fields={"category": [message]})


def _check_note(note: str | None, *, now: datetime | None) -> None:
    """A note is read by the coordinator: no personal data, at most MAX_TEXT_LENGTH."""
    check_privacy(today=to_local(now or utcnow()).date(), limits={"note": MAX_TEXT_LENGTH},
                  note=(note or "").strip() or None)


def add_line(*, actor: User, booking: Booking, category: str, minutes: int,
             kilometres: Decimal | None = None, note: str | None = None,
             submit: bool = False, now: datetime | None = None) -> HourLine:
    """Record an hour line on the expert's own booking, as a draft or submitted at once."""
    _own_booking(actor, booking)
    _check_started(booking, now=now)
    _check_category(booking, category)
    _check_note(note, now=now)
    line = HourLine(booking_id=booking.id, category=category, minutes=minutes,
                    kilometres=kilometres, note=(note or "").strip() or None,
                    status=HourStatus.DRAFT)
    db.session.add(line)
    db.session.flush()
    record(actor=actor, action="hours.create", obj=line,
           details={"booking_id": booking.id, "category": category, "minutes": minutes})
    if submit:
        submit_line(actor=actor, line=line, now=now)
    return line


def update_line(*, actor: User, line: HourLine, category: str, minutes: int,
                kilometres: Decimal | None = None, note: str | None = None,
                now: datetime | None = None) -> HourLine:
    """Change a draft or rejected line; a rejected line becomes a draft again."""
    _own_booking(actor, line.booking)
    _check_started(line.booking, now=now)
    _check_category(line.booking, category)
    _check_note(note, now=now)
    swapped = db.session.execute(
        update(HourLine)
        .where(HourLine.id == line.id, HourLine.status.in_(EDITABLE))
        .values(category=category, minutes=minutes, kilometres=kilometres,
                note=(note or "").strip() or None, status=HourStatus.DRAFT, amount=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(line)
    if not swapped:
        raise Conflict(_("Only a draft or rejected line can be changed."))
    record(actor=actor, action="hours.update", obj=line,
           details={"category": category, "minutes": minutes})
    return line


def delete_line(*, actor: User, line: HourLine) -> None:
    """Delete a draft or rejected line of the expert's own booking."""
    _own_booking(actor, line.booking)
    line_id = line.id
    deleted = db.session.execute(
        delete(HourLine).where(HourLine.id == line_id, HourLine.status.in_(EDITABLE))
        .execution_options(synchronize_session=False)).rowcount == 1
    if not deleted:
        db.session.refresh(line)
        raise Conflict(_("Only a draft or rejected line can be deleted."))
    db.session.expunge(line)
    record(actor=actor, action="hours.delete", object_type="hour_line", object_id=line_id)


def submit_line(*, actor: User, line: HourLine, now: datetime | None = None) -> HourLine:
    """Submit a draft (or rejected) line for approval; its amount is fixed now."""
    now = now or utcnow()
    _own_booking(actor, line.booking)
    _check_started(line.booking, now=now)
    _check_category(line.booking, line.category)
    amount = line_cost(booking=line.booking, minutes=line.minutes, kilometres=line.kilometres)
    # Guarded by the values priced, so an edit in between cannot slip past the price.
    swapped = db.session.execute(
        update(HourLine)
        .where(HourLine.id == line.id, HourLine.status.in_(EDITABLE),
               HourLine.minutes == line.minutes, HourLine.category == line.category)
        .values(status=HourStatus.SUBMITTED, amount=amount, submitted_at=now,
                decided_at=None, decided_by_id=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(line)
    if not swapped:
        raise Conflict(_("This line has already been submitted or changed."))
    record(actor=actor, action="hours.submit", obj=line, details={"amount": str(amount)})
    return line


def submit_booking(*, actor: User, booking: Booking, now: datetime | None = None) -> int:
    """Submit every draft and rejected line of the expert's booking; returns how many."""
    _own_booking(actor, booking)
    lines = [line for line in lines_of(booking) if line.status in EDITABLE]
    if not lines:
        raise Conflict(_("There are no draft lines to submit."))
    for line in lines:
        submit_line(actor=actor, line=line, now=now)
    return len(lines)


def _coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR):
        raise NotFound(_("Hour line not found."))


def is_own_line(actor: User, line: HourLine) -> bool:
    """Whether `actor` is the expert of the line's booking (whatever roles they hold)."""
    own = actor.expert
    return own is not None and line.booking.expert_id == own.id


def _not_own(actor: User, lines: list[HourLine]) -> None:
    """Segregation of duties: nobody decides on their own hours."""
    if any(is_own_line(actor, line) for line in lines):
        message = _("You cannot approve or reject your own hours; another coordinator "
                    "must decide on them.")
        raise Conflict(message, fields={"line_ids": [message]} if len(lines) > 1 else None)


def _approved_in(lines: list[HourLine], *, now: datetime) -> None:
    """Tell the budget which session years have newly approved spending."""
    for year in sorted({to_local(line.booking.starts_at).year for line in lines}):
        signals.hour_lines_approved.send(year, now=now)


def approve(*, actor: User, line: HourLine, now: datetime | None = None) -> HourLine:
    """Approve a submitted line: its cost is computed again and locked."""
    now = now or utcnow()
    _approve(actor=actor, line=line, now=now)
    _approved_in([line], now=now)
    return line


def _approve(*, actor: User, line: HourLine, now: datetime) -> None:
    _coordinator(actor)
    _not_own(actor, [line])
    amount = line_cost(booking=line.booking, minutes=line.minutes, kilometres=line.kilometres)
    swapped = db.session.execute(
        update(HourLine)
        .where(HourLine.id == line.id, HourLine.status == HourStatus.SUBMITTED)
        .values(status=HourStatus.APPROVED, amount=amount, decided_at=now,
                decided_by_id=actor.id, reject_reason=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(line)
    if not swapped:
        raise Conflict(_("Only a submitted line can be approved or rejected."))
    record(actor=actor, action="hours.approve", obj=line, details={"amount": str(amount)})


def reject(*, actor: User, line: HourLine, reason: str,
           now: datetime | None = None) -> HourLine:
    """Reject a submitted line with a reason; the expert may change and resubmit it."""
    now = now or utcnow()
    _coordinator(actor)
    _not_own(actor, [line])
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for rejecting."),
                               fields={"reason": [_("Give a reason for rejecting.")]})
    # The expert reads it: no personal data.
    check_privacy(today=to_local(now or utcnow()).date(), limits={"reason": MAX_TEXT_LENGTH},
                  reason=reason)
    swapped = db.session.execute(
        update(HourLine)
        .where(HourLine.id == line.id, HourLine.status == HourStatus.SUBMITTED)
        .values(status=HourStatus.REJECTED, reject_reason=reason[:500], decided_at=now,
                decided_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(line)
    if not swapped:
        raise Conflict(_("Only a submitted line can be approved or rejected."))
    record(actor=actor, action="hours.reject", obj=line)
    return line


def decide_many(*, actor: User, line_ids: list[int], approve_them: bool,
                reason: str | None = None, now: datetime | None = None) -> list[HourLine]:
    """Approve or reject several submitted lines at once: all of them, or none."""
    now = now or utcnow()
    _coordinator(actor)
    if not line_ids:
        raise ValidationFailed(_("Choose one or more lines."),
                               fields={"line_ids": [_("Choose one or more lines.")]})
    lines = list(db.session.scalars(select(HourLine).where(HourLine.id.in_(line_ids))))
    if len(lines) != len(set(line_ids)):
        raise NotFound(_("Hour line not found."))
    _not_own(actor, lines)
    if not approve_them and not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for rejecting."),
                               fields={"reason": [_("Give a reason for rejecting.")]})
    for line in sorted(lines, key=lambda x: x.id):
        if approve_them:
            _approve(actor=actor, line=line, now=now)
        else:
            reject(actor=actor, line=line, reason=reason, now=now)
    if approve_them:
        _approved_in(lines, now=now)
    return lines


@signals.referrals_purged.connect
def _erase_free_text(_sender, *, ids: list[int], **_kwargs) -> None:
    """The retention purge erased these requests: their hour lines' notes and reject reasons
    go too (a rejected line keeps an empty reason: the schema wants one)."""
    bookings = select(Booking.id).where(Booking.referral_id.in_(ids))
    db.session.execute(
        update(HourLine)
        .where(HourLine.booking_id.in_(bookings),
               or_(HourLine.note.is_not(None), HourLine.reject_reason.is_not(None)))
        .values(note=None, reject_reason=case((HourLine.status == HourStatus.REJECTED, ""),
                                              else_=None))
        .execution_options(synchronize_session=False))


def submitted_lines(*, limit: int | None = None) -> list[HourLine]:
    """The lines awaiting approval, oldest session first, for the coordinator's list: all of
    them, or the first `limit`."""
    from sqlalchemy.orm import selectinload

    from duidingspool.experts.models import Expert
    from duidingspool.referrals.models import Referral

    return list(db.session.scalars(
        select(HourLine).join(Booking, Booking.id == HourLine.booking_id)
        .where(HourLine.status == HourStatus.SUBMITTED)
        .options(selectinload(HourLine.booking).selectinload(Booking.expert)
                 .selectinload(Expert.user),
                 selectinload(HourLine.booking).selectinload(Booking.referral)
                 .selectinload(Referral.case_table))
        .order_by(Booking.starts_at, HourLine.booking_id, HourLine.id)
        .limit(limit)))


def count_submitted_lines() -> int:
    return db.session.scalar(
        select(func.count()).select_from(HourLine).where(HourLine.status == HourStatus.SUBMITTED))

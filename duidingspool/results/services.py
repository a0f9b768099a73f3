"""Rules of evaluations, process notes and complaints.

Services take the acting user, check that they may act, flush, and never commit (the
request's unit of work does). Status changes of a complaint are compare-and-swap updates,
so two coordinators deciding at once, or an answer racing a decision, give one outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from duidingspool import signals
from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.bookings.models import Booking, BookingStatus
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral
from duidingspool.referrals.services import privacy_errors
from duidingspool.results.models import (
    DECIDED,
    TEXT_LENGTH,
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Evaluation,
    ProcessNote,
)

HELD = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


def _days(name: str) -> timedelta:
    return timedelta(days=int(current_app.config[name]))


def is_requester_of(actor: User, booking: Booking) -> bool:
    return (actor.has_role(Role.REQUESTER) and actor.municipality_id is not None
            and booking.referral.municipality_id == actor.municipality_id)


def is_expert_of(actor: User, booking: Booking) -> bool:
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    return own is not None and booking.expert_id == own.id


def bookings_begun(referral: Referral, now: datetime) -> list[Booking]:
    """The request's bookings that stood and whose session has begun, in time order."""
    return list(db.session.scalars(
        select(Booking).where(Booking.referral_id == referral.id, Booking.status.in_(HELD),
                              Booking.starts_at <= now).order_by(Booking.starts_at)))


def held(booking: Booking, now: datetime) -> bool:
    """The session took place: the booking stood and its end has passed."""
    return booking.status in HELD and booking.ends_at <= now


def _free_text(value: str | None, field: str) -> str | None:
    """A remark or note: trimmed, at most TEXT_LENGTH, without personal data."""
    value = (value or "").strip() or None
    if value is None:
        return None
    if len(value) > TEXT_LENGTH:
        raise ValidationFailed(_("Too long."), fields={
            field: [_("At most %(n)d characters.", n=TEXT_LENGTH)]})
    found = privacy_errors(**{field: value})
    if found:
        raise ValidationFailed(_("Leave out personal data."), fields=found)
    return value


def kind_labels() -> dict[str, str]:
    return {ComplaintKind.NO_SHOW: _("The specialist did not come"),
            ComplaintKind.LATE: _("The specialist came late"),
            ComplaintKind.CONDUCT: _("Conduct"),
            ComplaintKind.QUALITY: _("Quality of the interpretation"),
            ComplaintKind.OTHER: _("Other")}


def status_labels() -> dict[str, str]:
    return {ComplaintStatus.OPEN: _("Waiting for the expert's answer"),
            ComplaintStatus.ANSWERED: _("Answered, waiting for a decision"),
            ComplaintStatus.UPHELD: _("Upheld"),
            ComplaintStatus.NOT_UPHELD: _("Not upheld")}


# --- evaluations ------------------------------------------------------------------------------

def booking_for_requester(actor: User, booking_id: int) -> Booking:
    """A booking of the requester's municipality; NotFound otherwise (never tell which)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not is_requester_of(actor, booking):
        raise NotFound(_("Booking not found."))
    return booking


def booking_for_expert(actor: User, booking_id: int) -> Booking:
    """One of the expert's own bookings; NotFound otherwise."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not is_expert_of(actor, booking):
        raise NotFound(_("Booking not found."))
    return booking


def evaluation_of(booking: Booking) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.booking_id == booking.id))


def submit_evaluation(*, actor: User, booking: Booking, usefulness: int, on_time: bool,
                      prepared: bool, remark: str | None = None,
                      now: datetime | None = None) -> Evaluation:
    """The requester's evaluation of a session held; once per booking."""
    now = now or utcnow()
    if not is_requester_of(actor, booking):
        raise NotFound(_("Booking not found."))
    if not held(booking, now):
        raise Conflict(_("A session can be evaluated once it has taken place."))
    if not 1 <= usefulness <= 5:
        raise ValidationFailed(_("Choose a score."), fields={
            "usefulness": [_("Choose a score from 1 to 5.")]})
    remark = _free_text(remark, "remark")
    evaluation = Evaluation(booking_id=booking.id, submitted_by_id=actor.id,
                            usefulness=usefulness, on_time=on_time, prepared=prepared,
                            remark=remark, submitted_at=now)
    try:
        with db.session.begin_nested():  # the unique booking_id is the claim
            db.session.add(evaluation)
    except IntegrityError:
        raise Conflict(_("This session has already been evaluated.")) from None
    record(actor=actor, action="evaluation.submit", obj=evaluation,
           details={"booking_id": booking.id, "usefulness": usefulness})
    return evaluation


def awaiting_evaluation(actor: User, *, now: datetime | None = None) -> list[Booking]:
    """Sessions of the requester's municipality held in the last COMPLAINT_WINDOW_DAYS and
    not yet evaluated, most recent first."""
    now = now or utcnow()
    if not actor.has_role(Role.REQUESTER) or actor.municipality_id is None:
        return []
    return list(db.session.scalars(
        select(Booking).join(Referral, Referral.id == Booking.referral_id)
        .where(Referral.municipality_id == actor.municipality_id,
               Booking.status.in_(HELD), Booking.ends_at <= now,
               Booking.ends_at > now - _days("COMPLAINT_WINDOW_DAYS"),
               ~exists().where(Evaluation.booking_id == Booking.id))
        .order_by(Booking.ends_at.desc(), Booking.id)))


def evaluation_request_ids(*, now: datetime) -> list[int]:
    """Bookings held in the last EVALUATION_ASK_DAYS without an evaluation: the requester is
    asked about each once (the mail job's dedupe key is the claim)."""
    return list(db.session.scalars(
        select(Booking.id)
        .where(Booking.status.in_(HELD), Booking.ends_at <= now,
               Booking.ends_at > now - _days("EVALUATION_ASK_DAYS"),
               ~exists().where(Evaluation.booking_id == Booking.id))
        .order_by(Booking.ends_at, Booking.id)))


# --- process notes ----------------------------------------------------------------------------

def process_note_of(booking: Booking) -> ProcessNote | None:
    return db.session.get(ProcessNote, booking.id)


def record_process_note(*, actor: User, booking: Booking, follow_up_advised: bool,
                        written_advice_sent: bool, now: datetime | None = None) -> ProcessNote:
    """The expert's note on a session held: two choices, kept or changed later."""
    now = now or utcnow()
    if not is_expert_of(actor, booking):
        raise NotFound(_("Booking not found."))
    if not held(booking, now):
        raise Conflict(_("A process note can be recorded once the session has taken place."))
    note = process_note_of(booking)
    if note is None:
        note = ProcessNote(booking_id=booking.id)
        db.session.add(note)
    note.follow_up_advised = follow_up_advised
    note.written_advice_sent = written_advice_sent
    note.recorded_by_id = actor.id
    note.recorded_at = now
    db.session.flush()
    record(actor=actor, action="process_note.record", object_type="booking",
           object_id=booking.id, details={"follow_up_advised": follow_up_advised,
                                          "written_advice_sent": written_advice_sent})
    return note


# --- complaints -------------------------------------------------------------------------------

def complaint_deadline(booking: Booking) -> datetime:
    return booking.ends_at + _days("COMPLAINT_WINDOW_DAYS")


def may_complain(actor: User, booking: Booking, now: datetime) -> bool:
    return (is_requester_of(actor, booking) and booking.status in HELD
            and booking.starts_at <= now <= complaint_deadline(booking))


def file_complaint(*, actor: User, booking: Booking, kind: str, description: str | None,
                   now: datetime | None = None) -> Complaint:
    """A requester's complaint about a booking of their municipality, from the session's
    start until COMPLAINT_WINDOW_DAYS after its end; the expert is told."""
    now = now or utcnow()
    if not is_requester_of(actor, booking):
        raise NotFound(_("Booking not found."))
    if booking.status not in HELD or booking.starts_at > now:
        raise Conflict(_("A complaint can be filed once the session has begun."))
    if now > complaint_deadline(booking):
        raise Conflict(_("A complaint can be filed up to %(days)d days after the session.",
                         days=_days("COMPLAINT_WINDOW_DAYS").days))
    if kind not in set(ComplaintKind):
        raise ValidationFailed(_("Choose what the complaint is about."), fields={
            "kind": [_("Choose what the complaint is about.")]})
    description = _free_text(description, "description")
    complaint = Complaint(booking_id=booking.id, filed_by_id=actor.id, kind=kind,
                          description=description, status=ComplaintStatus.OPEN, filed_at=now)
    db.session.add(complaint)
    db.session.flush()
    record(actor=actor, action="complaint.file", obj=complaint,
           details={"booking_id": booking.id, "kind": kind})
    signals.complaint_filed.send(complaint, now=now)
    return complaint


def get_complaint_for(actor: User, complaint_id: int) -> Complaint:
    """A complaint the actor may see: coordinator all, the expert's own, the requester's
    municipality's; NotFound otherwise."""
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is not None and (actor.has_role(Role.COORDINATOR)
                                  or is_expert_of(actor, complaint.booking)
                                  or is_requester_of(actor, complaint.booking)):
        return complaint
    raise NotFound(_("Complaint not found."))


def visible_complaints(actor: User) -> list[Complaint]:
    """The complaints the actor may see, open ones first, newest first."""
    query = select(Complaint).join(Booking, Booking.id == Complaint.booking_id)
    if not actor.has_role(Role.COORDINATOR):
        conditions = []
        own = actor.expert if actor.has_role(Role.EXPERT) else None
        if own is not None:
            conditions.append(Booking.expert_id == own.id)
        if actor.has_role(Role.REQUESTER) and actor.municipality_id is not None:
            conditions.append(Booking.referral_id.in_(
                select(Referral.id).where(Referral.municipality_id == actor.municipality_id)))
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    decided_last = Complaint.status.in_(DECIDED)
    return list(db.session.scalars(query.order_by(decided_last, Complaint.filed_at.desc(),
                                                  Complaint.id.desc())))


def _swap(complaint: Complaint, *, from_statuses, values: dict) -> bool:
    """Change the complaint only if its status is still one of `from_statuses`."""
    result = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.status.in_(list(from_statuses)))
        .values(**values).execution_options(synchronize_session=False))
    db.session.refresh(complaint)
    return result.rowcount == 1


def answer_complaint(*, actor: User, complaint: Complaint, answer: str | None,
                     now: datetime | None = None) -> Complaint:
    """The expert's answer to a complaint about their booking, before the decision."""
    now = now or utcnow()
    if not is_expert_of(actor, complaint.booking):
        raise NotFound(_("Complaint not found."))
    answer = _free_text(answer, "answer")
    if answer is None:
        raise ValidationFailed(_("Write your answer."), fields={"answer": [_("Write your answer.")]})
    if not _swap(complaint, from_statuses=[ComplaintStatus.OPEN],
                 values={"status": ComplaintStatus.ANSWERED, "answer": answer,
                         "answered_at": now}):
        raise Conflict(_("This complaint has already been answered or decided."))
    record(actor=actor, action="complaint.answer", obj=complaint)
    return complaint


def decide_complaint(*, actor: User, complaint: Complaint, decision: str,
                     decision_note: str | None = None, now: datetime | None = None
                     ) -> Complaint:
    """The coordinator's decision: upheld or not upheld, once."""
    now = now or utcnow()
    if not actor.has_role(Role.COORDINATOR):
        raise NotFound(_("Complaint not found."))
    if decision not in DECIDED:
        raise ValidationFailed(_("Choose a decision."), fields={
            "decision": [_("Choose upheld or not upheld.")]})
    note = _free_text(decision_note, "decision_note")
    if not _swap(complaint, from_statuses=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED],
                 values={"status": decision, "decision_note": note, "decided_at": now,
                         "decided_by_id": actor.id}):
        raise Conflict(_("This complaint has already been decided."))
    record(actor=actor, action="complaint.decide", obj=complaint, details={"decision": decision})
    signals.complaint_decided.send(complaint, now=now)
    return complaint


def overdue_complaint_ids(*, now: datetime) -> list[int]:
    """Complaints without a decision COMPLAINT_FLAG_DAYS after filing, not flagged yet."""
    return list(db.session.scalars(
        select(Complaint.id)
        .where(Complaint.status.not_in(list(DECIDED)), Complaint.flagged_at.is_(None),
               Complaint.filed_at <= now - _days("COMPLAINT_FLAG_DAYS"))
        .order_by(Complaint.filed_at, Complaint.id)))


def flag_overdue(complaint_id: int, *, now: datetime) -> bool:
    """Flag one overdue complaint and alert the coordinators; False if another run (or a
    decision) came first."""
    result = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint_id, Complaint.flagged_at.is_(None),
               Complaint.status.not_in(list(DECIDED)))
        .values(flagged_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    complaint = db.session.get(Complaint, complaint_id)
    db.session.refresh(complaint)
    record(actor=None, action="complaint.flag", obj=complaint)
    signals.complaint_flagged.send(complaint, now=now)
    return True


# --- retention --------------------------------------------------------------------------------

def purge_texts() -> int:
    """Erase the free text of evaluations and complaints whose request has been purged (its
    question and case code erased); counts, scores and outcomes stay. Returns rows changed."""
    purged = select(Booking.id).join(Referral, Referral.id == Booking.referral_id).where(
        Referral.purged_at.is_not(None))
    changed = db.session.execute(
        update(Evaluation)
        .where(Evaluation.remark.is_not(None), Evaluation.booking_id.in_(purged))
        .values(remark=None).execution_options(synchronize_session=False)).rowcount
    changed += db.session.execute(
        update(Complaint)
        .where(or_(Complaint.description.is_not(None), Complaint.answer.is_not(None),
                   Complaint.decision_note.is_not(None)),
               Complaint.booking_id.in_(purged))
        .values(description=None, answer=None, decision_note=None)
        .execution_options(synchronize_session=False)).rowcount
    return changed
